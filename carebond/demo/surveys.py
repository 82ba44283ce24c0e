"""The demo's feedback: the built-in instruments and their rules; three months of post-visit
responses in English and Spanish (a wait-time problem in the first month that eases later);
detractors with open, escalated and closed recovery cases (one a grievance answered in
writing); praise naming staff, suggested for recognition; two waves of the anonymous staff
pulse in which the smallest departments are hidden; and a quarter's referral-source survey.

Rows are written as they would have been on their days (a response sent six weeks ago keeps
that date); comments are read and recovery cases opened by the app's own actions."""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Department, Location, Organization
from carebond.demo.people import DemoPeople
from carebond.people.actions import PersonInput, StaffInput, check_create_person
from carebond.people.models import Person, PersonKind
from carebond.surveys.comment_actions import analyse_new_comments, save_comment_texts
from carebond.surveys.distribution_actions import token_digest
from carebond.surveys.instrument_actions import current_version, ensure_built_in_instruments
from carebond.surveys.models import (
    AnonymousResponse,
    DistributionRule,
    Instrument,
    Invitation,
    RecoveryCase,
    RecoveryStep,
    Response,
    Trigger,
    Wave,
)
from carebond.surveys.recovery_actions import open_cases_for_response

CHICAGO = ZoneInfo("America/Chicago")

# (text, language, mood): what patients wrote. Wait-time complaints are common in the first
# month, rarer after the practice's change ("you said, we did").
PRAISE = (
    ("{staff} was so kind and explained everything clearly.", "en"),
    ("{staff} listened to me and answered all my questions.", "en"),
    ("{staff} fue muy amable y me explicó todo.", "es"),
)
GOOD = (
    ("The front desk was friendly and the visit started on time.", "en"),
    ("Easy to book, quick visit, clean office.", "en"),
    ("Todo muy bien, la recepción fue muy amable.", "es"),
    ("La cita fue puntual y el consultorio estaba limpio.", "es"),
)
WAIT = (
    ("I waited 90 minutes past my appointment time and nobody apologized.", "en"),
    ("The doctor was great but the wait was over an hour.", "en"),
    ("Esperé dos horas y nadie me avisó.", "es"),
)
OTHER_BAD = (
    ("The billing office is a nightmare, I got two bills for one visit.", "en"),
    ("The receptionist was rude when I asked about my results.", "en"),
    ("Nobody called me back about my lab results.", "en"),
    ("La recepcionista fue grosera conmigo.", "es"),
)
PULSE_COMMENTS = (
    "Handover at shift change is rushed and it is difficult to ask for help.",
    "Our team lead listens and we can bring up problems.",
    "We need one more person at the front desk on Mondays.",
    "I feel my skills are valued here.",
    "Scheduling changes arrive too late to plan childcare.",
    "Staff meetings are useful now that they are shorter.",
    "The new phone system keeps dropping calls.",
    "People help each other when the clinic is busy.",
)
# Extra staff for the pulse (a practice has more people than the named clinicians).
PULSE_STAFF = (
    ("Family Medicine", "Medical assistant", 8),
    ("Front Office", "Patient service representative", 5),
    ("Pediatrics", "Pediatric nurse", 6),
    ("Cardiology", "Cardiac technician", 5),
)
PULSE_GIVEN = (
    "Alex",
    "Bianca",
    "Carlos",
    "Dana",
    "Eli",
    "Fatima",
    "Gabe",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Paula",
    "Quinn",
    "Rosa",
    "Sara",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
)


def build_surveys(
    organization: Organization,
    *,
    rng: random.Random,
    people: DemoPeople,
    users: dict[str, User],
    locations: dict[str, Location],
    departments: dict[str, Department],
) -> None:
    ensure_built_in_instruments(organization)
    instruments = {i.key: i for i in Instrument.objects.filter(organization=organization)}
    _rules(organization, instruments, departments)
    if Wave.objects.filter(organization=organization).exists():
        return  # built before: the demo is built once per database
    main = locations["Riverbend Main Clinic"]
    north = locations["Northside Family Clinic"]
    _post_visit(organization, instruments["post-visit"], rng, people, (main, north))
    _work_the_cases(organization, rng, users)
    _you_said_we_did(organization, users, main)
    _moments(organization, instruments, rng, people, main)
    pulse_staff = _pulse_staff(organization, departments, main)
    _pulse(organization, instruments["staff-pulse"], rng, [*people.staff, *pulse_staff])
    _referral_sources(organization, instruments["referral-source"], rng, people)


def _rules(
    organization: Organization,
    instruments: dict[str, Instrument],
    departments: dict[str, Department],
) -> None:
    now = clock.now()
    for key, trigger, extra in (
        ("post-visit", Trigger.VISIT_COMPLETED, {"delay_hours": 2}),
        ("moment-telehealth", Trigger.VISIT_COMPLETED, {"delay_hours": 1}),
        ("staff-pulse", Trigger.STAFF_PULSE, {"every_weeks": 4, "open_days": 10}),
        ("referral-source", Trigger.REFERRAL_QUARTERLY, {"open_days": 21, "remind_after_days": 7}),
    ):
        DistributionRule.objects.get_or_create(
            organization=organization,
            instrument=instruments[key],
            trigger=trigger,
            defaults={**extra, "scanned_until": now},
        )


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHICAGO)


def _wave(instrument: Instrument, starts: date, ends: date, label: str) -> Wave:
    rule = DistributionRule.objects.filter(instrument=instrument).first()
    wave, _ = Wave.objects.get_or_create(
        organization_id=instrument.organization_id,
        instrument=instrument,
        rule=rule,
        starts_on=starts,
        defaults={"ends_on": ends, "label": label},
    )
    return wave


def _invitation(
    wave: Wave, person: Person, sent: datetime, subject: str, **slices: Any
) -> Invitation:
    version = current_version(wave.instrument)
    assert version is not None
    token = secrets.token_urlsafe(24)
    return Invitation.objects.create(
        organization_id=wave.organization_id,
        wave=wave,
        version=version,
        person=person,
        token_digest=token_digest(token),
        link_token=token,
        channel="sms",
        language=getattr(person, "preferred_language", "") or "en",
        status="sent",
        created_at=sent - timedelta(hours=2),
        send_after=sent,
        sent_at=sent,
        expires_at=sent + timedelta(days=14),
        subject_key=subject,
        **slices,
    )


def answers_for(rng: random.Random, mood: str) -> dict[str, int | str]:
    """Answers that hang together: a happy patient mostly answers "Always" and 9-10."""
    frequency = {"happy": (3, 4, 4, 4, 4), "mixed": (2, 3, 3, 4), "unhappy": (1, 2, 2, 3)}[mood]
    rating = {"happy": (9, 10, 10, 9, 8), "mixed": (7, 8, 8, 9, 6), "unhappy": (2, 3, 5, 6)}[mood]
    answers: dict[str, int | str] = {
        link: rng.choice(frequency)
        for link in (
            "access_soon",
            "access_seen",
            "explained",
            "listened",
            "respect",
            "enough_time",
            "staff_helpful",
            "staff_courteous",
        )
    }
    answers["provider_rating"] = rng.choice(rating)
    answers["recommend"] = rng.choice(rating)
    answers["may_contact"] = "yes" if mood == "unhappy" or rng.random() < 0.3 else "no"
    return answers


def _post_visit(
    organization: Organization,
    instrument: Instrument,
    rng: random.Random,
    people: DemoPeople,
    locations: tuple[Location, Location],
) -> None:
    today = clock.now().astimezone(CHICAGO).date()
    clinicians = [p for p in people.staff if p.prefix == "Dr."] or people.staff[:2]
    patients = [p for p in people.patients if p.kind == PersonKind.PATIENT]
    rng.shuffle(patients)
    index = 0
    for months_ago, asked, wait_share in ((3, 36, 0.35), (2, 34, 0.2), (1, 34, 0.06)):
        first = (today.replace(day=1) - timedelta(days=28 * months_ago)).replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        wave = _wave(instrument, first, last, f"{instrument.name}, {first:%B %Y}")
        for _ in range(asked):
            patient = patients[index % len(patients)]
            index += 1
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            day = min(day, today - timedelta(days=1))
            sent = _moment(day, rng.choice((10, 11, 14, 15)))
            location = locations[0] if rng.random() < 0.7 else locations[1]
            provider = rng.choice(clinicians)
            invitation = _invitation(
                wave,
                patient,
                sent,
                f"demo-visit:{wave.starts_on}:{patient.pk}",
                location=location,
                provider=provider,
            )
            roll = rng.random()
            if roll < 0.35:
                continue  # did not answer
            status = "in-progress" if roll < 0.40 else "completed"
            _respond(invitation, rng, sent, status, wait_share, provider_name=provider.display_name)


def _respond(
    invitation: Invitation,
    rng: random.Random,
    sent: datetime,
    status: str,
    wait_share: float,
    *,
    provider_name: str,
) -> None:
    mood = rng.choices(("happy", "mixed", "unhappy"), weights=(62, 24, 14))[0]
    pool: tuple[tuple[str, str], ...]
    if rng.random() < wait_share:
        mood = "unhappy" if rng.random() < 0.4 else "mixed"
        pool = WAIT
    elif mood == "unhappy":
        pool = OTHER_BAD
    elif mood == "happy" and rng.random() < 0.35:
        pool = PRAISE
    else:
        pool = GOOD
    language = "es" if invitation.language.startswith("es") else "en"
    texts = [(t, lang) for t, lang in pool if lang == language] or list(pool)
    text = rng.choice(texts)[0].format(staff=provider_name)
    answered = sent + timedelta(hours=rng.randint(1, 30))
    response = Response.objects.create(
        organization_id=invitation.organization_id,
        invitation=invitation,
        wave=invitation.wave,
        version=invitation.version,
        person=invitation.person,
        status=status,
        answers=answers_for(rng, mood) if status == "completed" else {"access_soon": 3},
        language=language,
        started_at=answered,
        updated_at=answered,
        submitted_at=answered if status == "completed" else None,
        may_contact=mood == "unhappy",
        location=invitation.location,
        provider=invitation.provider,
    )
    if status != "completed":
        return
    Invitation.objects.filter(pk=invitation.pk).update(responded=True)
    if rng.random() < 0.75 or mood != "happy":
        link = "went_well" if pool in (PRAISE, GOOD) else "do_better"
        save_comment_texts(response, {link: text}, {link})
        response.comments.update(received_on=answered.date())
    analyse_new_comments(response.organization, response=response)
    case = open_cases_for_response(response)
    if case is not None:
        RecoveryCase.objects.filter(pk=case.pk).update(
            opened_at=answered, due_at=answered + timedelta(hours=24)
        )
        RecoveryStep.objects.filter(case=case).update(at=answered)


def _work_the_cases(organization: Organization, rng: random.Random, users: dict[str, User]) -> None:
    """Older cases were contacted and closed; one was escalated; one is a grievance; the
    latest are still open (some overdue)."""
    now = clock.now()
    manager, admin = users["manager"], users["admin"]
    cases = list(RecoveryCase.objects.filter(organization=organization).order_by("opened_at"))
    for n, case in enumerate(cases):
        age = now - case.opened_at
        if n >= len(cases) - 3:
            continue  # the newest three are still open (past their target: overdue)
        contacted = case.opened_at + timedelta(hours=rng.choice((2, 5, 20, 30)))
        if contacted - case.opened_at > timedelta(hours=24):
            case.escalated_at = case.due_at
            case.escalated_to = admin
            RecoveryStep.objects.create(
                organization=organization,
                case=case,
                at=case.due_at,
                kind="escalated",
                note="First contact missed its target.",
            )
        case.first_contact_at = contacted
        RecoveryStep.objects.create(
            organization=organization,
            case=case,
            at=contacted,
            kind="contact",
            channel="phone",
            note="Called, apologised and explained what we would change.",
            by=manager,
        )
        if n == 1:
            case.is_grievance = True
            case.grievance_received_on = case.opened_at.date()
            case.grievance_due_on = case.opened_at.date() + timedelta(days=7)
            case.written_response = (
                "We reviewed your concern, spoke with the team involved and changed how lab "
                "results are called back. Contact: Morgan Delgado, patient experience manager, "
                "217-555-0100."
            )
            case.written_response_on = case.opened_at.date() + timedelta(days=5)
            case.grievance_contact = "Morgan Delgado, 217-555-0100"
        if age > timedelta(days=10):
            case.status = "closed"
            case.outcome = rng.choice(("resolved", "resolved", "partly", "no_reply"))
            case.closed_at = contacted + timedelta(days=2)
            RecoveryStep.objects.create(
                organization=organization,
                case=case,
                at=case.closed_at,
                kind="closed",
                note="",
                by=manager,
            )
        else:
            case.status = "contacted"
        case.save()


def _you_said_we_did(organization: Organization, users: dict[str, User], main: Location) -> None:
    """Waits were the main complaint; the practice added a second nurse to the morning
    check-in and texts patients when the clinic runs late. The action was marked done five
    weeks ago, published, and the wait-time theme has eased since. A second action is still
    in progress (billing)."""
    from carebond.surveys.feedback_actions import (
        check_create_action,
        check_publish_action,
    )
    from carebond.surveys.feedback_selectors import count_mentions
    from carebond.surveys.models import FeedbackAction

    today = clock.now().astimezone(CHICAGO).date()
    manager = users["manager"]
    waits = check_create_action(
        organization,
        theme="wait_time",
        location=None,
        owner=manager,
        due_on=today - timedelta(weeks=5),
        texts={
            "you_said_en": "You told us waits in the clinic were too long, and nobody said why.",
            "you_said_es": "Nos dijeron que las esperas eran muy largas y nadie explicaba por qué.",
            "we_did_en": "We added a second nurse to morning check-in, and we now text you when "
            "the clinic is running more than 15 minutes late.",
            "we_did_es": "Agregamos una segunda enfermera en la recepción de la mañana y ahora le "
            "enviamos un mensaje cuando la clínica lleva más de 15 minutos de retraso.",
        },
        status="done",
        evidence="Median wait from arrival to rooming fell from 24 to 11 minutes (board data).",
        acting_user=manager,
    )
    done = today - timedelta(weeks=5)
    since = today - timedelta(days=140)
    baseline = count_mentions(
        organization.id, "wait_time", since=since, until=done, location_id=None
    )
    FeedbackAction.objects.filter(pk=waits.pk).update(
        baseline=baseline.as_baseline(),
        done_at=_moment(done, 17),
        created_at=_moment(since + timedelta(days=60), 9),
    )
    waits.refresh_from_db()
    check_publish_action(waits, notify=False, acting_user=manager)
    check_create_action(
        organization,
        theme="billing_cost",
        location=main,
        owner=manager,
        due_on=today + timedelta(weeks=3),
        texts={
            "you_said_en": "You told us our bills were hard to understand.",
            "you_said_es": "Nos dijeron que nuestras facturas eran difíciles de entender.",
            "we_did_en": "We are rewriting our statements in plain English and Spanish.",
            "we_did_es": "Estamos reescribiendo nuestros estados de cuenta en inglés y español "
            "sencillos.",
        },
        status="in_progress",
        evidence="",
        acting_user=manager,
    )


MOMENT_ANSWERS = {
    # (the statement's answers 1-5 to draw from, comments)
    "moment-billing": (
        (2, 2, 3, 4, 4, 5, 1),
        (
            ("I could not tell what I owed after insurance.", "en"),
            ("La factura no explicaba cuánto pagó el seguro.", "es"),
            ("Clear statement, paid online in a minute.", "en"),
        ),
    ),
    "moment-scheduling": (
        (4, 5, 5, 4, 3, 5),
        (("Booking online was quick.", "en"), ("Fue fácil hacer la cita por teléfono.", "es")),
    ),
    "moment-communications": (
        (4, 4, 5, 3, 2, 5),
        (("Nobody called me back about my lab results.", "en"),),
    ),
    "moment-waiting-room": (
        (3, 4, 4, 5, 2),
        (("The waiting room was clean but the wait was long.", "en"),),
    ),
    "moment-telehealth": (
        (5, 4, 5, 4, 3),
        (("The video visit worked well on my phone.", "en"),),
    ),
}


def _moments(
    organization: Organization,
    instruments: dict[str, Instrument],
    rng: random.Random,
    people: DemoPeople,
    main: Location,
) -> None:
    """The micro-surveys of the last two months: billing ones after the imported statements
    (patients asked about a statement, not a visit), the others after visits; billing is the
    moment patients like least."""
    from carebond.billing.selectors import list_statements_since

    today = clock.now().astimezone(CHICAGO).date()
    statements = list_statements_since(organization.id, clock.now() - timedelta(days=1))
    by_person = {s.person_id: s for s in statements}
    patients = [p for p in reversed(people.patients) if p.kind == PersonKind.PATIENT]
    for key, (choices, comments) in MOMENT_ANSWERS.items():
        instrument = instruments[key]
        statement_link = instrument.moment == "billing"
        pool = [p for p in patients if p.pk in by_person] if statement_link else patients
        rng.shuffle(pool)
        for person in pool[: rng.randint(12, 18)]:
            day = today - timedelta(days=rng.randint(2, 58))
            first = day.replace(day=1)
            wave = _wave(
                instrument,
                first,
                (first + timedelta(days=32)).replace(day=1) - timedelta(days=1),
                f"{instrument.name}, {first:%B %Y}",
            )
            subject = (
                f"statement:{by_person[person.pk].statement_public_id}"
                if statement_link
                else f"demo-{key}:{person.pk}"
            )
            if Invitation.objects.filter(person=person, subject_key=subject).exists():
                continue
            sent = _moment(day, 11)
            invitation = _invitation(wave, person, sent, subject, location=main)
            if rng.random() < 0.3:
                continue
            link = next(i["link_id"] for i in invitation.version.definition["sections"][0]["items"])
            answered = sent + timedelta(hours=rng.randint(1, 20))
            response = Response.objects.create(
                organization=organization,
                invitation=invitation,
                wave=wave,
                version=invitation.version,
                person=person,
                status="completed",
                answers={link: rng.choice(choices), "may_contact": "no"},
                language="es" if invitation.language.startswith("es") else "en",
                started_at=answered,
                updated_at=answered,
                submitted_at=answered,
                location=main,
            )
            Invitation.objects.filter(pk=invitation.pk).update(responded=True)
            if rng.random() < 0.3:
                text, _language = rng.choice(comments)
                save_comment_texts(response, {"comment": text}, {"comment"})
                response.comments.update(received_on=answered.date())
                analyse_new_comments(organization, response=response)


def _pulse_staff(
    organization: Organization, departments: dict[str, Department], location: Location
) -> list[Person]:
    made: list[Person] = []
    names = iter(PULSE_GIVEN)
    for department, title, count in PULSE_STAFF:
        for n in range(count):
            made.append(
                check_create_person(
                    organization,
                    PersonInput(
                        kind=PersonKind.STAFF,
                        given_name=next(names),
                        family_name=f"{department.split()[0]}{n + 1}",
                        staff=StaffInput(
                            job_title=title,
                            department=departments[department],
                            location=location,
                        ),
                    ),
                    acting_user=None,
                )
            )
    return made


def _pulse(
    organization: Organization, instrument: Instrument, rng: random.Random, staff: list[Person]
) -> None:
    """Two waves four weeks apart; most staff answer. Behavioral Health and Patient Experience
    (one person each) are too small to show on their own, so the results by department hide
    them."""
    from carebond.people.models import StaffProfile

    today = clock.now().astimezone(CHICAGO).date()
    profiles = {
        p.person_id: p
        for p in StaffProfile.objects.filter(organization=organization).select_related(
            "department", "location"
        )
    }
    for weeks_ago, mood in ((6, 0.0), (2, 0.4)):
        starts = today - timedelta(weeks=weeks_ago)
        wave = _wave(
            instrument, starts, starts + timedelta(days=10), f"Staff pulse, {starts:%d %b %Y}"
        )
        week_of = starts - timedelta(days=starts.weekday())
        for person in staff:
            profile = profiles.get(person.pk)
            invitation = _invitation(
                wave,
                person,
                _moment(starts, 9),
                f"wave:{wave.public_id}",
                location=profile.location if profile else None,
                department=profile.department if profile else None,
            )
            if rng.random() < 0.15:
                continue
            Invitation.objects.filter(pk=invitation.pk).update(responded=True)
            better = rng.random() < mood
            answers: dict[str, int | str] = {
                "enps": rng.choice((9, 10, 8, 7) if better else (6, 8, 9, 5, 10)),
                "may_contact": "no",
            }
            for n in range(1, 8):
                reverse = n in (1, 3, 5)
                good = rng.choice((5, 6, 7) if better else (4, 5, 6, 3))
                answers[f"psych_{n}"] = 8 - good if reverse else good
            response = AnonymousResponse.objects.create(
                organization=organization,
                wave=wave,
                version=invitation.version,
                answers=answers,
                language="en",
                week_of=week_of,
                location=invitation.location,
                department=invitation.department,
                role_group=("clinical" if profile and profile.is_clinical else "non_clinical"),
            )
            if rng.random() < 0.45:
                save_comment_texts(
                    response, {"comment": rng.choice(PULSE_COMMENTS)}, {"comment"}, anonymous=True
                )
                analyse_new_comments(organization, anonymous_response=response)


def _referral_sources(
    organization: Organization, instrument: Instrument, rng: random.Random, people: DemoPeople
) -> None:
    today = clock.now().astimezone(CHICAGO).date()
    starts = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    wave = _wave(
        instrument,
        starts,
        starts + timedelta(days=89),
        f"{instrument.name}, Q{(starts.month + 2) // 3} {starts.year}",
    )
    for person in people.referral_sources:
        sent = _moment(starts + timedelta(days=3), 10)
        invitation = _invitation(wave, person, sent, f"wave:{wave.public_id}")
        Invitation.objects.filter(pk=invitation.pk).update(channel="email")
        if rng.random() < 0.4:
            continue
        answers: dict[str, int | str] = {
            link: rng.choice((4, 5, 5, 3))
            for link in ("easy_to_refer", "seen_promptly", "reports_back", "communication")
        }
        answers["reports_back"] = rng.choice((2, 3, 4))
        answers["recommend"] = rng.choice((7, 8, 9, 10))
        at = sent + timedelta(days=rng.randint(1, 6))
        Response.objects.create(
            organization=organization,
            invitation=invitation,
            wave=wave,
            version=invitation.version,
            person=person,
            status="completed",
            answers=answers,
            language="en",
            started_at=at,
            updated_at=at,
            submitted_at=at,
        )
        Invitation.objects.filter(pk=invitation.pk).update(responded=True)
