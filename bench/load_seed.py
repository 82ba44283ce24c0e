"""The load test's organisation and what each simulated user will do, written as a plan (JSON)
for the load generator, which has no database of its own.

    CAREBOND_DATABASE_URL=... python bench/load_seed.py PLAN.json --seed 1 --size medium --users 24

The organisation is the demo's (carebond.demo: patients with two years of history, schedules,
survey instruments, text and email senders), built with the seed; every choice below draws
from a generator seeded the same way, so the same seed gives the same people, queries, days and
answers. Run with the development settings (the demo refuses production's); the servers read
the same database with production's, the same secret key and field keys.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import setup_django, write_json

# Senders of the queued messages the fault drill counts at the providers: their own numbers, at
# a rate the throttle does not hold back.
DRILL_TEXT_FROM, DRILL_EMAIL_FROM = "+12175550190", "drill@riverbend.example"
DRILL_PEOPLE = 100
# Inbound texts a patient might send (no keyword: STOP, HELP, C would change consent or visits).
TEXTS = (
    "Running about ten minutes late, sorry.",
    "Can I get a copy of my visit summary?",
    "Thank you for the call this morning.",
    "Is the clinic parking lot open on Saturday?",
    "My new insurance card arrived, I will bring it.",
)
COMMENT = "Kind staff and a short wait."


def signed_in_session(user: Any) -> str:
    """A session past password and MFA, as the sign-in pages leave it; its cookie's value."""
    from run import signed_in_client

    return str(signed_in_client(user).session.session_key)


def search_queries(patients: list[Any], rng: random.Random, count: int) -> list[str]:
    """What the front desk types: a family-name prefix, a full name, a name with one typo."""
    queries = []
    for person in rng.sample(patients, min(count, len(patients))):
        family, given = person.family_name, person.given_name
        shape = rng.randrange(3)
        if len(family) < 3:
            queries.append(f"{given} {family}")
        elif shape == 0 or len(family) < 5:
            queries.append(family[: rng.randint(3, min(5, len(family)))])
        elif shape == 1:
            queries.append(f"{given} {family}")
        else:
            at = rng.randrange(1, len(family) - 1)
            letter = rng.choice("aeioulnrst".replace(family[at].lower(), ""))
            queries.append(family[:at] + letter + family[at + 1 :])
    return queries


def survey_parts(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """A favourable answer to every question of each part, as the form posts them."""
    from carebond.surveys.definitions import SCALES

    parts = []
    for section in definition["sections"]:
        fields: dict[str, Any] = {}
        for item in section["items"]:
            kind, link = item["type"], item["link_id"]
            codes = [option["code"] for option in item.get("options", [])]
            if kind == "scale":
                fields[link] = str(SCALES[item["scale"]].size)
            elif kind == "rating":
                fields[link] = "9"
            elif kind == "yes_no":
                fields[link] = "yes"
            elif kind == "choice" and codes:
                fields[link] = codes[0]
            elif kind == "choices" and codes:
                fields[link] = [codes[0]]
            elif kind == "text":
                fields[link] = COMMENT
        parts.append(fields)
    return parts


def survey_links(organization: Any, patients: list[Any], wanted: int, manager: Any) -> list[str]:
    """Invitations to the post-visit survey, sent the product's way (the link issued, the
    message queued); returns the links' tokens. Patients asked within the organisation's gap
    are refused by the rules and skipped."""
    from carebond.core.errors import RuleViolation
    from carebond.surveys.distribution_actions import send_invitation
    from carebond.surveys.invitation_actions import check_invite_by_hand
    from carebond.surveys.models import Instrument, Invitation

    instrument = Instrument.objects.get(organization=organization, key="post-visit")
    tokens = []
    for person in patients:
        if len(tokens) == wanted:
            break
        try:
            invitation = check_invite_by_hand(person, instrument=instrument, acting_user=manager)
        except RuleViolation:
            continue
        send_invitation(invitation.pk)
        tokens.append(Invitation.objects.get(pk=invitation.pk).link_token)
    return tokens


def drill_cohort(organization: Any, patients: list[Any]) -> list[int]:
    """Patients with a phone and an email who agreed to care messages by both, and the senders
    the drill's queued messages go from."""
    from carebond.messaging.actions import check_add_sender
    from carebond.people.actions import check_record_consent

    for channel, address in (("sms", DRILL_TEXT_FROM), ("email", DRILL_EMAIL_FROM)):
        check_add_sender(
            organization,
            channel=channel,
            address=address,
            label=f"Drill {channel}",
            purposes=["care"],
            per_second=200,
        )
    chosen = []
    for person in patients:
        systems = {c.system for c in person.contact_points.all()}
        if {"phone", "email"} <= systems:
            chosen.append(person)
        if len(chosen) == DRILL_PEOPLE:
            break
    for person in chosen:
        for channel in ("sms", "email"):
            check_record_consent(
                person,
                channel=channel,
                purpose="care",
                status="granted",
                method="written",
                acting_user=None,
            )
    return [person.pk for person in chosen]


def seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from carebond.accounts.actions import do_create_api_token
    from carebond.accounts.models import User
    from carebond.core import clock
    from carebond.core.models import Location
    from carebond.demo.builder import build_demo
    from carebond.messaging.models import Message, Sender
    from carebond.people.models import Person
    from carebond.scheduling.models import Appointment, AppointmentType
    from carebond.scheduling.selectors import list_providers
    from carebond.surveys.instrument_actions import current_version
    from carebond.surveys.models import Instrument
    from carebond.touchpoints.models import Touchpoint

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    organization = build_demo(seed=args.seed, size=args.size).organization
    built = time.perf_counter() - started
    rng = random.Random(f"{args.seed}-load")
    users = {u.username: u for u in User.objects.filter(organization=organization)}
    desk, clinician, manager = users["frontdesk"], users["clinician"], users["manager"]
    patients = list(
        Person.objects.filter(organization=organization, kind="patient", status="active")
        .prefetch_related("contact_points")
        .order_by("pk")
    )
    shuffled = rng.sample(patients, len(patients))
    phones = [
        c.value
        for p in shuffled
        for c in p.contact_points.all()
        if c.system == "phone" and c.value.startswith("+1")
    ]
    location = Location.objects.get(organization=organization, name="Riverbend Main Clinic")
    follow_up = AppointmentType.objects.get(organization=organization, key="follow-up")
    providers = list_providers(user=desk, location=location)
    zone = ZoneInfo(location.time_zone or organization.time_zone)
    today = clock.now().astimezone(zone).date()
    # Past the demo's booked weeks and inside the type's booking window.
    days = [
        today + timedelta(days=n)
        for n in range(21, follow_up.max_days_ahead)
        if (today + timedelta(days=n)).weekday() < 5
    ]
    pairs = [(p.public_id, day.isoformat()) for day in days for p in providers]
    count = args.users
    tokens = survey_links(organization, shuffled, args.invitations, manager)
    instrument = Instrument.objects.get(organization=organization, key="post-visit")
    version = current_version(instrument)
    assert version is not None
    plan_users = []
    for k in range(count):
        _, desk_token = do_create_api_token(desk, name=f"load {k}", acting_user=None)
        _, clinical_token = do_create_api_token(clinician, name=f"load {k}", acting_user=None)
        plan_users.append(
            {
                "session": signed_in_session(desk),
                "desk_token": desk_token,
                "clinical_token": clinical_token,
                "booking": {
                    "location": str(location.public_id),
                    "appointment_type": str(follow_up.public_id),
                    "slots": [[str(p), d] for p, d in pairs[k::count]],
                    "patients": [str(p.public_id) for p in shuffled[k::count]],
                },
                "surveys": tokens[k::count],
                "phones": phones[k::count],
            }
        )
    sms_line = Sender.objects.filter(
        organization=organization, channel="sms", purposes__contains=["survey"]
    ).first()
    assert sms_line is not None
    return {
        "seed": args.seed,
        "size": args.size,
        "dataset": {
            "organization": organization.name,
            "patients": len(patients),
            "people": Person.objects.filter(organization=organization).count(),
            "touchpoints": Touchpoint.objects.filter(organization=organization).count(),
            "appointments": Appointment.objects.filter(organization=organization).count(),
            "messages": Message.objects.filter(organization=organization).count(),
            "survey_links": len(tokens),
            "build_seconds": round(built, 1),
            "seed_seconds": round(time.perf_counter() - started, 1),
        },
        "searches": search_queries(patients, rng, 400),
        "people": [str(p.public_id) for p in rng.sample(patients, min(600, len(patients)))],
        "sms_to": sms_line.address,
        "texts": list(TEXTS),
        "survey_parts": survey_parts(version.definition),
        "users": plan_users,
        "drill": {
            "organization": organization.pk,
            "people": drill_cohort(organization, shuffled),
            "text_from": DRILL_TEXT_FROM,
            "email_from": DRILL_EMAIL_FROM,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--users", type=int, required=True, help="simulated users, all phases")
    parser.add_argument("--invitations", type=int, default=600)
    args = parser.parse_args()
    setup_django()
    write_json(args.plan, seed(args))


if __name__ == "__main__":
    main()
