"""Analytics benchmark (issue 14, "Speed"): the KPI dashboards and the rollups on the scale
dataset, with 24 months of visits and post-visit survey answers added to it.

    python bench/analytics.py suite --people 1000000 --touchpoints 10000000 \\
        --appointments 2000000 --responses 500000 --seed 1

``suite`` runs each step in its own process, as bench/suite.py does: ``carebond migrate``,
bench/generate.py (the people and touchpoints), ``load`` (appointments, invitations, answers and
recovery cases in bulk, then the 24 months rolled up with ``do_roll_up_days``, a month at a
time), ``measure`` (one day's rollup, the overview page and selector, every KPI page warm) and
one ``cold`` process per KPI (its page's first request in a fresh process). Writes
bench/results/<database>-analytics.json; bench/report.py renders it into docs/benchmarks.md.

Deterministic by seed and by the last day of data (``--until``, by default yesterday in the
organisation's time zone): the same arguments give the same rows on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    BENCH_ORG_SLUG,
    ROOT,
    bench_account,
    database_label,
    database_version,
    machine,
    read_json,
    results_path,
    setup_django,
    summary,
    write_json,
)

BENCH = Path(__file__).resolve().parent
MONTHS = 24
FUTURE_DAYS = 30  # visits already booked after the last day of data
MANAGER = "bench-manager"
TARGETS = {
    "overview_p95_ms": 100.0,
    "kpi_cold_ms": 1000.0,
    "day_rollup_s": 10.0,
}
PEOPLE_RESULTS = "-analytics-people"
LOAD_RESULTS = "-analytics-dataset"
MEASURE_RESULTS = "-analytics"

# (key, name, minutes, mode, share): the visits a primary-care group books.
APPOINTMENT_TYPES: tuple[tuple[str, str, int, str, float], ...] = (
    ("follow-up", "Follow-up visit", 20, "in_person", 0.32),
    ("sick", "Sick visit", 20, "in_person", 0.16),
    ("physical", "Annual physical", 40, "in_person", 0.12),
    ("new-patient", "New patient visit", 40, "in_person", 0.09),
    ("well-child", "Well-child visit", 40, "in_person", 0.07),
    ("procedure", "Minor procedure", 60, "in_person", 0.04),
    ("behavioral", "Behavioral health visit", 60, "in_person", 0.05),
    ("video", "Video follow-up", 20, "telehealth", 0.15),
)
# Mean days from booking to the visit, per type (exponential, so most are booked shortly before).
LEAD_DAYS = {
    "follow-up": 18.0,
    "sick": 0.8,
    "physical": 40.0,
    "new-patient": 24.0,
    "well-child": 30.0,
    "procedure": 21.0,
    "behavioral": 14.0,
    "video": 7.0,
}
SLOT_MINUTES = 20
SESSION_SLOTS = 12  # 08:00-12:00 and 13:00-17:00, in 20-minute slots
VISITS_PER_PROVIDER_DAY = 12
# Past visits: (status, share); a cancellation is late (the patient's, within the notice) a third
# of the time. Future visits are booked, a few already cancelled.
PAST_STATUSES = (
    ("fulfilled", 0.775),
    ("noshow", 0.07),
    ("cancelled", 0.125),
    ("booked", 0.015),  # never closed at the front desk
    ("entered-in-error", 0.01),
    ("pending", 0.005),  # a hold that ran out
)
POST_VISIT_RATE = 0.33  # invitations answered
MOMENT_RATE = 0.25
MOMENT_SHARE = 0.1  # of the responses: micro-surveys after a visit instead of the post-visit one
FREQUENCY_ITEMS = (
    "access_soon",
    "access_seen",
    "explained",
    "listened",
    "respect",
    "enough_time",
    "staff_helpful",
    "staff_courteous",
)
MOODS = {
    "happy": {"frequency": (3, 4, 4, 4, 4), "rating": (9, 10, 10, 9, 8), "agree": (4, 5, 5, 4)},
    "mixed": {"frequency": (2, 3, 3, 4), "rating": (7, 8, 8, 9, 6), "agree": (3, 4, 3)},
    "unhappy": {"frequency": (1, 2, 2, 3), "rating": (2, 3, 5, 6, 4), "agree": (1, 2, 2)},
}

APPOINTMENT_COLUMNS = (
    "id",
    "public_id",
    "organization_id",
    "patient_id",
    "provider_id",
    "location_id",
    "room_id",
    "appointment_type_id",
    "starts_at",
    "ends_at",
    "duration_minutes",
    "time_zone",
    "status",
    "group_key",
    "seat",
    "overbooked",
    "series_id",
    "booked_via",
    "booked_by_id",
    "booked_at",
    "override_reason",
    "reason",
    "hold_expires_at",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "late_cancellation",
    "arrived_at",
    "roomed_at",
    "seen_at",
    "completed_at",
    "telehealth_token",
    "confirmed_at",
    "invitation_sequence",
    "origin_system",
    "origin_id",
    "imported_at",
    "import_run",
)
INVITATION_COLUMNS = (
    "id",
    "public_id",
    "organization_id",
    "wave_id",
    "version_id",
    "person_id",
    "token_digest",
    "link_token",
    "channel",
    "language",
    "status",
    "not_sent_reason",
    "created_at",
    "send_after",
    "sent_at",
    "reminded_at",
    "expires_at",
    "responded",
    "location_id",
    "provider_id",
    "department_id",
    "subject_key",
)
RESPONSE_COLUMNS = (
    "id",
    "public_id",
    "organization_id",
    "invitation_id",
    "wave_id",
    "version_id",
    "person_id",
    "status",
    "answers",
    "language",
    "started_at",
    "updated_at",
    "submitted_at",
    "may_contact",
    "location_id",
    "provider_id",
    "department_id",
)
RECOVERY_COLUMNS = (
    "id",
    "public_id",
    "organization_id",
    "person_id",
    "source",
    "response_id",
    "comment_id",
    "summary",
    "location_id",
    "owner_id",
    "status",
    "opened_at",
    "due_at",
    "first_contact_at",
    "escalated_at",
    "escalated_to_id",
    "closed_at",
    "outcome",
    "follow_up_id",
    "is_grievance",
    "grievance_received_on",
    "grievance_due_on",
    "written_response",
    "written_response_on",
    "grievance_contact",
)
TABLES = {
    "scheduling_appointment": APPOINTMENT_COLUMNS,
    "surveys_invitation": INVITATION_COLUMNS,
    "surveys_response": RESPONSE_COLUMNS,
    "surveys_recoverycase": RECOVERY_COLUMNS,
}


# --- time as text -----------------------------------------------------------------------------


class Clock:
    """Seconds since the epoch as the text a timestamp column takes (UTC), by table look-up:
    a day's text and a second's text, so millions of timestamps cost two look-ups each."""

    def __init__(self, first: date, last: date) -> None:
        self.base = int(datetime.combine(first, clock_time(), UTC).timestamp())
        days = (last - first).days + 1
        self.days = [(first + timedelta(days=d)).strftime("%Y-%m-%d ") for d in range(days)]
        self.seconds = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]

    def text(self, moment: int) -> str:
        offset = moment - self.base
        return self.days[offset // 86400] + self.seconds[offset % 86400]


def local_midnight(day: date, zone: ZoneInfo) -> int:
    return int(datetime.combine(day, clock_time(), zone).timestamp())


def uuid_hex(rng: random.Random) -> str:
    """A version-4 UUID as 32 hex digits (how both databases take a UUIDField's value)."""
    h = rng.randbytes(16).hex()
    return f"{h[:12]}4{h[13:16]}{'89ab'[int(h[16], 16) & 3]}{h[17:]}"


def dashed(hex32: str) -> str:
    return str(uuid.UUID(hex32))


# --- the load ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Visit:
    """A completed visit, as the invitation after it needs it."""

    id: int
    public_id: str
    patient: int
    provider: int
    location: int
    type_key: str
    day: date
    completed: int  # epoch seconds


@dataclass
class Plan:
    """What the load adds, decided before a row is written."""

    until: date
    first: date
    last: date
    days: list[date]
    per_day: list[int]
    providers: int
    counts: dict[str, int] = field(default_factory=dict)


class AnalyticsLoad:
    def __init__(self, *, appointments: int, responses: int, seed: int, until: date) -> None:
        self.appointments = appointments
        self.responses = responses
        self.seed = seed
        self.until = until
        self.log_lines: list[str] = []

    def log(self, message: str) -> None:
        print(message, flush=True)
        self.log_lines.append(message)

    def rng(self, stream: str) -> random.Random:
        return random.Random(f"{self.seed}:analytics:{stream}")

    # -- the plan --
    def plan(self) -> Plan:
        """The visit days (weekdays from 24 months before ``until`` to 30 days after it) and how
        many visits each has: busier Mondays, a winter peak, slow growth, and fewer booked the
        further ahead a day is."""
        first = (self.until.replace(day=1) - timedelta(days=1)).replace(day=1)
        for _ in range(MONTHS - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        last = self.until + timedelta(days=FUTURE_DAYS)
        days, weights = [], []
        day = first
        span = (last - first).days or 1
        while day <= last:
            if day.weekday() < 5:
                weight = (1.12, 1.0, 1.0, 1.0, 0.9)[day.weekday()]
                weight *= 1.0 + 0.08 * math.cos((day.timetuple().tm_yday - 20) / 365 * 2 * math.pi)
                weight *= 0.94 + 0.12 * (day - first).days / span
                if day > self.until:
                    weight *= max(0.05, 1.0 - (day - self.until).days / (FUTURE_DAYS + 10))
                days.append(day)
                weights.append(weight)
            day += timedelta(days=1)
        total = sum(weights)
        per_day, done, running = [], 0, 0.0
        for weight in weights:
            running += weight
            upto = round(self.appointments * running / total)
            per_day.append(upto - done)
            done = upto
        providers = max(3, math.ceil(max(per_day) / VISITS_PER_PROVIDER_DAY))
        return Plan(self.until, first, last, days, per_day, providers)

    def run(self) -> dict[str, Any]:
        from django.db import connection
        from generate import Loader, PostgresLoader, SqliteLoader

        from carebond.core.models import Location, Organization
        from carebond.people.models import Person
        from carebond.scheduling.models import Appointment

        organization = Organization.objects.filter(slug=BENCH_ORG_SLUG).first()
        if organization is None:
            sys.exit("No benchmark organisation: run bench/generate.py first (or `suite`).")
        if Appointment.objects.filter(organization=organization).exists():
            sys.exit("The benchmark organisation has appointments already: load into a fresh one.")
        self.organization = organization
        zone = ZoneInfo(organization.time_zone)
        self.zone = zone
        plan = self.plan()
        started = time.monotonic()
        phases: dict[str, float] = {}
        self.log(
            f"== Adding {self.appointments:,} appointments and {self.responses:,} survey "
            f"responses ({plan.first} to {plan.until}, seed {self.seed}) on {database_version()}"
        )

        phase = time.monotonic()
        locations = {
            name: pk
            for pk, name in Location.objects.filter(organization=organization).values_list(
                "pk", "name"
            )
        }
        clinics = [pk for name, pk in sorted(locations.items()) if "Telehealth" not in name]
        video_place = next(
            (pk for name, pk in locations.items() if "Telehealth" in name), clinics[0]
        )
        staff = list(
            Person.objects.filter(organization=organization, kind="staff")
            .order_by("id")
            .values_list("id", flat=True)[: plan.providers]
        )
        if len(staff) < plan.providers:
            sys.exit(
                f"{plan.providers} providers are needed for {self.appointments:,} visits and the "
                f"dataset has {len(staff)} staff: generate more people."
            )
        patients = list(
            Person.objects.filter(organization=organization, kind="patient")
            .order_by("id")
            .values_list("id", "preferred_language")
        )
        self.rng("patients").shuffle(patients)  # who visits often: the first of this order
        types = self.appointment_types()
        waves, versions = self.surveys(plan)
        phases["setup_s"] = round(time.monotonic() - phase, 2)

        loader: Loader = (
            PostgresLoader(TABLES) if connection.vendor == "postgresql" else SqliteLoader(TABLES)
        )
        loader.check_columns()
        first_ids = {table: loader.next_id(table) for table in TABLES}
        clock = Clock(plan.first - timedelta(days=2), plan.last + timedelta(days=60))
        end_moment = local_midnight(plan.until + timedelta(days=1), zone)
        counts = dict.fromkeys(TABLES, 0)
        with loader.transaction():
            phase = time.monotonic()
            loader.begin_load()
            visits: list[Visit] = []
            for rows in self.appointment_chunks(
                plan,
                first_id=first_ids["scheduling_appointment"],
                patients=patients,
                providers=staff,
                clinics=clinics,
                video_place=video_place,
                types=types,
                clock=clock,
                visits=visits,
            ):
                counts["scheduling_appointment"] += loader.write("scheduling_appointment", rows)
            phases["appointments_s"] = round(time.monotonic() - phase, 2)
            self.log(
                f"  appointments {counts['scheduling_appointment']:,} "
                f"({plan.providers} providers) in {phases['appointments_s']:.0f}s"
            )

            phase = time.monotonic()
            languages = dict(patients)
            surveys = self.survey_rows(
                plan,
                visits=visits,
                languages=languages,
                waves=waves,
                versions=versions,
                first_ids=first_ids,
                clock=clock,
                end_moment=end_moment,
            )
            del visits
            for table, rows in surveys:
                counts[table] += loader.write(table, rows)
            phases["surveys_s"] = round(time.monotonic() - phase, 2)
            self.log(
                f"  invitations {counts['surveys_invitation']:,}, responses "
                f"{counts['surveys_response']:,}, recovery cases "
                f"{counts['surveys_recoverycase']:,} in {phases['surveys_s']:.0f}s"
            )

            phase = time.monotonic()
            self.log("  rebuilding indexes and constraints")
            loader.end_load(self.log)
            phases["indexes_s"] = round(time.monotonic() - phase, 2)
        phase = time.monotonic()
        loader.after_commit(self.log)
        phases["vacuum_analyze_s"] = round(time.monotonic() - phase, 2)
        load_s = time.monotonic() - started

        rollup = self.roll_up(plan)
        label = database_label()
        people = read_json(results_path(label, PEOPLE_RESULTS)) or read_json(
            results_path(label, "-dataset")
        )
        result = {
            "database": label,
            "database_version": database_version(),
            "machine": machine(),
            "seed": self.seed,
            "people": people.get("people"),
            "touchpoints": people.get("touchpoints"),
            "people_generation_s": people.get("total_s"),
            "organization_id": organization.pk,
            "first_day": plan.first.isoformat(),
            "until": plan.until.isoformat(),
            "last_booked_day": plan.last.isoformat(),
            "providers": plan.providers,
            "appointment_types": len(types),
            "rows": counts,
            "completed_responses": plan.counts.get("completed_responses", 0),
            "responses_by_kind": {
                "post_visit": plan.counts.get("post_visit_responses", 0),
                "moment": plan.counts.get("moment_responses", 0),
            },
            "statuses": plan.counts.get("statuses", {}),
            "phases": phases,
            "load_s": round(load_s, 1),
            "rollup": rollup,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_json(results_path(label, LOAD_RESULTS), result)
        return result

    # -- set-up rows (a handful, through the ORM) --
    def appointment_types(self) -> dict[str, tuple[int, str, int, str, float]]:
        from carebond.scheduling.models import AppointmentType

        AppointmentType.objects.bulk_create(
            AppointmentType(
                organization=self.organization,
                key=key,
                name=name,
                duration_minutes=minutes,
                mode=mode,
            )
            for key, name, minutes, mode, _ in APPOINTMENT_TYPES
        )
        ids = dict(
            AppointmentType.objects.filter(organization=self.organization).values_list("key", "pk")
        )
        return {
            key: (ids[key], name, minutes, mode, share)
            for key, name, minutes, mode, share in APPOINTMENT_TYPES
        }

    def surveys(self, plan: Plan) -> tuple[dict[tuple[str, date], int], dict[str, int]]:
        """The built-in instruments (as every organisation has them) and one wave a month for
        the post-visit survey and each moment micro-survey."""
        from carebond.surveys.instrument_actions import current_version, ensure_built_in_instruments
        from carebond.surveys.models import Instrument, Wave

        ensure_built_in_instruments(self.organization)
        wanted = ["post-visit"] + [f"moment-{key}" for key in MOMENT_KEYS]
        instruments = {
            i.key: i
            for i in Instrument.objects.filter(organization=self.organization, key__in=wanted)
        }
        versions: dict[str, int] = {}
        for key, instrument in instruments.items():
            version = current_version(instrument)
            assert version is not None
            versions[key] = version.pk
        months = []
        month = plan.first
        while month <= plan.last:
            months.append(month)
            month = (month + timedelta(days=32)).replace(day=1)
        Wave.objects.bulk_create(
            Wave(
                organization=self.organization,
                instrument=instrument,
                label=f"{instrument.name}, {month:%B %Y}",
                starts_on=month,
                ends_on=(month + timedelta(days=32)).replace(day=1) - timedelta(days=1),
            )
            for instrument in instruments.values()
            for month in months
        )
        waves = {
            (key, starts): pk
            for key, starts, pk in Wave.objects.filter(organization=self.organization).values_list(
                "instrument__key", "starts_on", "pk"
            )
        }
        return waves, versions

    # -- appointments --
    def statuses(self, plan: Plan) -> Iterator[str]:
        """Each visit's status, in order (its own random stream, so the number of completed
        visits is known before a row is made)."""
        rng = self.rng("statuses")
        r = rng.random
        past_cum = []
        total = 0.0
        for status, share in PAST_STATUSES:
            total += share
            past_cum.append((total, status))
        for day, count in zip(plan.days, plan.per_day, strict=True):
            for _ in range(count):
                if day > plan.until:
                    yield "cancelled" if r() < 0.08 else "booked"
                    continue
                roll = r() * total
                yield next(status for upto, status in past_cum if roll < upto)

    def appointment_chunks(
        self,
        plan: Plan,
        *,
        first_id: int,
        patients: list[tuple[int, str]],
        providers: list[int],
        clinics: list[int],
        video_place: int,
        types: dict[str, tuple[int, str, int, str, float]],
        clock: Clock,
        visits: list[Visit],
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The visits day by day: each provider's day is two sessions of 20-minute slots, the
        visits laid in them back to back with a few open slots; a patient has at most one
        visit a day (so no one is ever in two places, as the database insists)."""
        rng = self.rng("appointments")
        r = rng.random
        org_id = self.organization.pk
        zone = self.zone
        statuses = self.statuses(plan)
        status_counts: dict[str, int] = {}
        keys = list(types)
        cum: list[float] = []
        running = 0.0
        for key in keys:
            running += types[key][4]
            cum.append(running)
        one_slot = [k for k in keys if types[k][2] <= SLOT_MINUTES and types[k][3] != "telehealth"]
        home = {p: clinics[n % len(clinics)] for n, p in enumerate(providers)}
        n_patients = len(patients)
        patient_ids = [pk for pk, _ in patients]
        end_moment = local_midnight(plan.until + timedelta(days=1), zone)
        appointment_id = first_id
        rows: list[tuple[Any, ...]] = []
        for day_index, (day, count) in enumerate(zip(plan.days, plan.per_day, strict=True)):
            midnight = local_midnight(day, zone)
            seen_today: set[int] = set()
            offset = day_index % len(providers)
            share, extra = divmod(count, len(providers))
            for n in range(len(providers)):
                provider = providers[(n + offset) % len(providers)]
                mine = share + (1 if n < extra else 0)
                for session, visits_in_session in enumerate((mine - mine // 2, mine // 2)):
                    slot = 0
                    for k in range(visits_in_session):
                        left_after = visits_in_session - k - 1
                        key = keys[_pick(cum, r())]
                        slots = math.ceil(types[key][2] / SLOT_MINUTES)
                        if SESSION_SLOTS - slot - slots < left_after:
                            key = one_slot[int(r() * len(one_slot))]
                            slots = 1
                        if SESSION_SLOTS - slot - slots > left_after and r() < 0.15:
                            slot += 1  # an open slot
                        type_id, _, minutes, mode, _ = types[key]
                        start_minute = (8 if session == 0 else 13) * 60 + slot * SLOT_MINUTES
                        slot += slots
                        starts = midnight + start_minute * 60
                        ends = starts + minutes * 60
                        while True:
                            # The frequent visitors first: a patient's share falls with rank.
                            patient_index = int(n_patients * r() ** 1.6)
                            patient = patient_ids[patient_index]
                            if patient not in seen_today:
                                seen_today.add(patient)
                                break
                        status = next(statuses)
                        status_counts[status] = status_counts.get(status, 0) + 1
                        public_id = uuid_hex(rng)
                        lead = -LEAD_DAYS[key] * math.log(1.0 - r()) * 86400
                        booked = min(starts - 600 - int(lead), end_moment - 3600)
                        location = video_place if mode == "telehealth" else home[provider]
                        cancelled_at = hold = arrived = roomed = seen = completed = None
                        confirmed = None
                        cancelled_by = ""
                        late = False
                        if status == "cancelled":
                            late = r() < 0.33
                            if late:
                                moment = starts - int(r() * 20 * 3600) - 600
                                cancelled_by = "patient"
                            else:
                                moment = booked + int(r() * max(0, starts - booked - 86400))
                                cancelled_by = ("patient", "patient", "clinic", "provider")[
                                    int(r() * 4)
                                ]
                            cancelled_at = clock.text(max(booked, min(moment, end_moment - 60)))
                        elif status == "pending":
                            hold = clock.text(booked + 600)
                        if status == "fulfilled":
                            arrive = starts + int((r() * 25 - 15) * 60)
                            wait = int(60 * min(120.0, rng.lognormvariate(2.5, 0.6)))
                            room = arrive + wait
                            see = room + int((4 + r() * 8) * 60)
                            done = max(see + minutes * 45, ends - 300) + int(r() * 600)
                            arrived, roomed = clock.text(arrive), clock.text(room)
                            seen, completed = clock.text(see), clock.text(done)
                            visits.append(
                                Visit(
                                    appointment_id,
                                    public_id,
                                    patient,
                                    provider,
                                    location,
                                    key,
                                    day,
                                    done,
                                )
                            )
                        if status in ("fulfilled", "noshow", "booked") and r() < 0.6:
                            confirmed = clock.text(min(max(booked, starts - 2 * 86400), starts))
                        rows.append(
                            (
                                appointment_id,
                                public_id,
                                org_id,
                                patient,
                                provider,
                                location,
                                None,
                                type_id,
                                clock.text(starts),
                                clock.text(ends),
                                minutes,
                                zone.key,
                                status,
                                public_id,
                                1,
                                False,
                                None,
                                "online" if r() < 0.2 else "staff",
                                None,
                                clock.text(booked),
                                "",
                                "",
                                hold,
                                cancelled_at,
                                cancelled_by,
                                "",
                                late,
                                arrived,
                                roomed,
                                seen,
                                completed,
                                "",
                                confirmed,
                                0,
                                "",
                                "",
                                None,
                                None,
                            )
                        )
                        appointment_id += 1
            if len(rows) >= 50_000:
                yield rows
                rows = []
        if rows:
            yield rows
        plan.counts["statuses"] = status_counts

    # -- surveys --
    def survey_rows(
        self,
        plan: Plan,
        *,
        visits: list[Visit],
        languages: dict[int, str],
        waves: dict[tuple[str, date], int],
        versions: dict[str, int],
        first_ids: dict[str, int],
        clock: Clock,
        end_moment: int,
    ) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        """Invitations two hours after completed visits, chosen so that exactly the asked-for
        number of responses come back (sequential sampling, Knuth's algorithm S): nine in ten
        to the post-visit survey, one in ten to a moment micro-survey. A detractor who may be
        contacted opens a recovery case."""
        rng = self.rng("surveys")
        r = rng.random
        org_id = self.organization.pk
        completed = len(visits)
        moment_responses = round(self.responses * MOMENT_SHARE)
        post_responses = self.responses - moment_responses
        post_invites = math.ceil(post_responses / POST_VISIT_RATE)
        moment_invites = math.ceil(moment_responses / MOMENT_RATE)
        room = int(completed * 0.95)
        if post_invites + moment_invites > room:
            scale = room / (post_invites + moment_invites)
            post_invites = max(post_responses, int(post_invites * scale))
            moment_invites = max(moment_responses, int(moment_invites * scale))
        if post_invites + moment_invites > completed:
            sys.exit(
                f"{self.responses:,} responses need more than the {completed:,} completed "
                "visits: add appointments."
            )
        need = {"post": post_invites, "moment": moment_invites}
        answers_left = {"post": post_responses, "moment": moment_responses}
        invites_left = dict(need)
        # A provider's patients are a little happier or less happy than another's.
        quality: dict[int, float] = {}
        invitation_id = first_ids["surveys_invitation"]
        response_id = first_ids["surveys_response"]
        case_id = first_ids["surveys_recoverycase"]
        invitations: list[tuple[Any, ...]] = []
        responses: list[tuple[Any, ...]] = []
        cases: list[tuple[Any, ...]] = []
        counted = {"post": 0, "moment": 0}
        for seen, visit in enumerate(visits):
            remaining = completed - seen
            roll = r() * remaining
            if roll < need["post"]:
                kind = "post"
            elif roll < need["post"] + need["moment"]:
                kind = "moment"
            else:
                continue
            need[kind] -= 1
            if kind == "post":
                instrument = "post-visit"
            elif visit.type_key == "video":
                instrument = "moment-telehealth"
            else:
                instrument = "moment-" + MOMENT_KEYS[_pick(MOMENT_CUM, r())]
            sent = visit.completed + 2 * 3600
            if sent >= end_moment:
                sent = end_moment - 60
            answered = r() * invites_left[kind] < answers_left[kind]
            invites_left[kind] -= 1
            language = (languages.get(visit.patient) or "en").split("-")[0]
            language = "es" if language == "es" else "en"
            response_at = 0
            if answered:
                answers_left[kind] -= 1
                delay = int(3600 * min(24 * 13.0, rng.lognormvariate(1.2, 1.3)))
                response_at = min(sent + 300 + delay, end_moment - 30)
            reminded = None
            if (not answered or response_at - sent > 3 * 86400) and sent + 3 * 86400 < end_moment:
                reminded = clock.text(sent + 3 * 86400)
            invitations.append(
                (
                    invitation_id,
                    uuid_hex(rng),
                    org_id,
                    waves[(instrument, visit.day.replace(day=1))],
                    versions[instrument],
                    visit.patient,
                    None,
                    "",
                    "sms" if r() < 0.65 else "email",
                    language,
                    "sent",
                    "",
                    clock.text(visit.completed),
                    clock.text(sent),
                    clock.text(sent),
                    reminded,
                    clock.text(sent + 14 * 86400),
                    answered,
                    visit.location,
                    visit.provider,
                    None,
                    f"visit:{dashed(visit.public_id)}",
                )
            )
            partial = not answered and r() < 0.06
            if answered or partial:
                if visit.provider not in quality:
                    quality[visit.provider] = (r() - 0.5) * 0.16
                mood = _mood(r(), quality[visit.provider])
                if kind == "post":
                    answers = _post_visit_answers(rng, mood)
                    link = None
                else:
                    link = instrument.removeprefix("moment-").replace("-", "_")
                    answers = {
                        link: rng.choice(MOODS[mood]["agree"]),
                        "may_contact": "yes" if mood == "unhappy" else "no",
                    }
                started = (response_at or sent + 600) - 240
                if partial:
                    answers = {next(iter(answers)): next(iter(answers.values()))}
                    started = min(sent + 1800, end_moment - 300)
                responses.append(
                    (
                        response_id,
                        uuid_hex(rng),
                        org_id,
                        invitation_id,
                        waves[(instrument, visit.day.replace(day=1))],
                        versions[instrument],
                        visit.patient,
                        "completed" if answered else "stopped",
                        json.dumps(answers),
                        language,
                        clock.text(started),
                        clock.text(response_at or started + 60),
                        clock.text(response_at) if answered else None,
                        answers.get("may_contact") == "yes",
                        visit.location,
                        visit.provider,
                        None,
                    )
                )
                if answered:
                    counted[kind] += 1
                detractor = kind == "post" and int(answers.get("recommend", 10)) <= 6
                if answered and detractor and answers.get("may_contact") == "yes":
                    cases.append(
                        _recovery_case(
                            case_id, uuid_hex(rng), org_id, visit, response_id, response_at
                        )
                    )
                    case_id += 1
                response_id += 1
            invitation_id += 1
            if len(invitations) >= 50_000:
                yield "surveys_invitation", invitations
                invitations = []
            if len(responses) >= 20_000:
                yield "surveys_response", responses
                responses = []
        yield "surveys_invitation", invitations
        yield "surveys_response", responses
        yield "surveys_recoverycase", _close_cases(cases, clock, end_moment, rng)
        plan.counts["post_visit_responses"] = counted["post"]
        plan.counts["moment_responses"] = counted["moment"]
        plan.counts["completed_responses"] = counted["post"] + counted["moment"]

    # -- the rollups --
    def roll_up(self, plan: Plan) -> dict[str, Any]:
        """The 24 months rolled up with the product's action, one calendar month at a time
        (the worker rolls a missing range the same way), each month timed."""
        from carebond.analytics.actions import do_roll_up_days

        months = []
        month = plan.first
        total = 0.0
        while month <= plan.until:
            last = min(plan.until, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1))
            started = time.perf_counter()
            run = do_roll_up_days(organization=self.organization, first=month, last=last)
            seconds = time.perf_counter() - started
            total += seconds
            months.append(
                {
                    "month": f"{month:%Y-%m}",
                    "days": (last - month).days + 1,
                    "seconds": round(seconds, 2),
                    "facts": run.facts,
                    "rows": run.rows,
                }
            )
            self.log(
                f"  rolled up {month:%Y-%m}: {run.facts:,} facts, {run.rows:,} rows in "
                f"{seconds:.1f}s"
            )
            month = last + timedelta(days=1)
        # The steady state: the worker's nightly runs rewrite a few days, and autovacuum clears
        # what they leave (right after a backfill, the replaced rows' index entries remain).
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("VACUUM (ANALYZE) analytics_dailyrollup")
            else:
                cursor.execute("ANALYZE analytics_dailyrollup")
        self.log(f"  vacuum analyze analytics_dailyrollup: {time.perf_counter() - started:.1f}s")
        days = sum(m["days"] for m in months)
        return {
            "months": months,
            "days": days,
            "total_s": round(total, 1),
            "per_day_s": round(total / days, 3),
            "facts": sum(m["facts"] for m in months),
            "rows": sum(m["rows"] for m in months),
        }


MOMENT_KEYS = ("waiting-room", "scheduling", "billing", "communications", "telehealth")
MOMENT_CUM = [0.4, 0.65, 0.85, 1.0]  # after an in-person visit (telehealth follows video ones)


def _pick(cumulative: list[float], roll: float) -> int:
    top = cumulative[-1]
    for index, upto in enumerate(cumulative):
        if roll * top < upto:
            return index
    return len(cumulative) - 1


def _mood(roll: float, quality: float) -> str:
    if roll < 0.62 + quality:
        return "happy"
    if roll < 0.88 + quality / 2:
        return "mixed"
    return "unhappy"


def _post_visit_answers(rng: random.Random, mood: str) -> dict[str, Any]:
    """Answers that hang together (a happy patient mostly answers "Always" and 9-10); a few
    questions skipped."""
    shape = MOODS[mood]
    answers: dict[str, Any] = {
        link: rng.choice(shape["frequency"]) for link in FREQUENCY_ITEMS if rng.random() > 0.04
    }
    if rng.random() > 0.02:
        answers["provider_rating"] = rng.choice(shape["rating"])
    answers["recommend"] = rng.choice(shape["rating"])
    answers["may_contact"] = "yes" if mood == "unhappy" or rng.random() < 0.25 else "no"
    return answers


def _recovery_case(
    case_id: int, public_id: str, org_id: int, visit: Visit, response_id: int, opened: int
) -> tuple[Any, ...]:
    """A detractor's case, opened as the answer comes in (its contact and closing are decided
    by ``_close_cases``; the moments are seconds until then)."""
    return (
        case_id,
        public_id,
        org_id,
        visit.patient,
        "detractor",
        response_id,
        None,
        "",
        visit.location,
        None,
        "open",
        opened,
        opened + 24 * 3600,
        None,
        None,
        None,
        None,
        "",
        None,
        False,
        None,
        None,
        "",
        None,
        "",
    )


def _close_cases(
    cases: list[tuple[Any, ...]], clock: Clock, end_moment: int, rng: random.Random
) -> list[tuple[Any, ...]]:
    """First contact a few hours after opening (a fifth after the 24-hour target); closed one
    to twenty days after it; what has not happened by the last day stays open."""
    out = []
    for case in cases:
        row = list(case)
        opened = row[11]
        contact = opened + int(3600 * min(96.0, rng.lognormvariate(2.0, 0.9)))
        closed = contact + int(86400 * (1 + rng.random() * 19))
        status, outcome = "open", ""
        if contact < end_moment:
            row[13] = clock.text(contact)
            status = "contacted"
            if contact > opened + 24 * 3600:
                row[14] = clock.text(opened + 24 * 3600)
            if closed < end_moment:
                row[16] = clock.text(closed)
                status = "closed"
                outcome = ("resolved", "resolved", "partly", "unresolved", "no_reply")[
                    int(rng.random() * 5)
                ]
        row[10], row[17] = status, outcome
        row[11], row[12] = clock.text(opened), clock.text(row[12])
        out.append(tuple(row))
    return out


# --- the measurements -------------------------------------------------------------------------


def manager() -> Any:
    from carebond.core.models import Organization

    organization = Organization.objects.get(slug=BENCH_ORG_SLUG)
    return bench_account(organization, MANAGER, "manager", "Manager")


def ready_client() -> Any:
    """A signed-in manager's browser, in a process ready to serve: settings, URLs and the
    views imported, the database connected (as a server worker is before its first request)."""
    from django.conf import settings
    from django.urls import get_resolver
    from run import signed_in_client

    settings.ALLOWED_HOSTS.append("testserver")
    get_resolver().url_patterns  # noqa: B018  (imports every app's views)
    return signed_in_client(manager())


def ok(response: Any) -> None:
    if response.status_code != 200:
        raise SystemExit(f"{response.status_code} from {response.request['PATH_INFO']}")


def measure_day_rollup(meta: dict[str, Any], runs: int) -> dict[str, Any]:
    """The last day of data rolled up alone (what the worker does each night), ``runs`` times."""
    from carebond.analytics.actions import do_roll_up_days
    from carebond.core.models import Organization

    organization = Organization.objects.get(slug=BENCH_ORG_SLUG)
    day = date.fromisoformat(meta["until"])
    seconds, facts, rows = [], 0, 0
    for _ in range(runs):
        started = time.perf_counter()
        run = do_roll_up_days(organization=organization, first=day, last=day)
        seconds.append(time.perf_counter() - started)
        facts, rows = run.facts, run.rows
    per_kpi = {}
    from carebond.core.registry import kpis

    for kpi in kpis():
        started = time.perf_counter()
        count = sum(1 for _ in kpi.facts(organization.pk, day, day))
        per_kpi[kpi.key] = {"facts": count, "seconds": round(time.perf_counter() - started, 3)}
    ordered = sorted(seconds)
    return {
        "day": day.isoformat(),
        "runs": runs,
        "p50_s": round(ordered[(len(ordered) - 1) // 2], 2),
        "max_s": round(ordered[-1], 2),
        "facts": facts,
        "rows": rows,
        "facts_selectors": per_kpi,
        "target": {"max_s": TARGETS["day_rollup_s"]},
        "pass": ordered[-1] <= TARGETS["day_rollup_s"],
    }


def measure_overview(iterations: int) -> dict[str, Any]:
    from run import explain, measure_calls

    from carebond.analytics.dashboard_selectors import get_overview, parse_filters
    from carebond.analytics.selectors import overview

    client = ready_client()
    user = manager()
    chosen = parse_filters(user, {})
    out: dict[str, Any] = {"period": chosen.period.label}
    out["overview.http"] = {
        "url": "/analytics/",
        **measure_calls(
            "overview", lambda: client.get("/analytics/"), iterations=iterations, check=ok
        ),
        "target": {"p95_ms": TARGETS["overview_p95_ms"]},
    }
    out["overview.http"]["pass"] = out["overview.http"]["p95_ms"] <= TARGETS["overview_p95_ms"]
    tiles = get_overview(user, chosen, audit=False).count
    out["overview.http"]["tiles"] = tiles
    out["overview.year.http"] = {
        "url": "/analytics/?span=12",
        **measure_calls(
            "year", lambda: client.get("/analytics/?span=12"), iterations=iterations, check=ok
        ),
    }

    def selector() -> Any:
        return overview(
            organization_id=user.organization_id, period=chosen.period, filters=chosen.filters
        )

    out["overview.selector"] = {
        "calls": "analytics.selectors.overview",
        **measure_calls("selector", selector, iterations=iterations, check=lambda _: None),
    }
    out["overview.plans"] = explain(selector)
    return out


def measure_kpi_pages(iterations: int) -> dict[str, Any]:
    """Every registered KPI's page: first in a fresh process each (cold), then ``iterations``
    requests in this one (warm)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from carebond.core.registry import kpis

    keys = [kpi.key for kpi in kpis()]
    cold: dict[str, Any] = {}
    for key in keys:
        answer = subprocess.run(  # noqa: S603
            [sys.executable, str(BENCH / "analytics.py"), "cold", "--kpi", key],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if answer.returncode:
            sys.exit(f"The cold request for {key} failed:\n{answer.stderr[-3000:]}")
        cold[key] = json.loads(answer.stdout.strip().splitlines()[-1])
        print(f"  {key:40} cold {cold[key]['first_ms']:8.1f} ms", flush=True)
    client = ready_client()
    warm: dict[str, Any] = {}
    everything: list[float] = []
    for key in keys:
        url = f"/analytics/kpi/{key}/"
        ok(client.get(url))
        connection.queries_log.clear()  # (a full log would capture nothing)
        with CaptureQueriesContext(connection) as ctx:
            ok(client.get(url))
        times = []
        for _ in range(iterations):
            started = time.perf_counter()
            ok(client.get(url))
            times.append((time.perf_counter() - started) * 1000)
        everything += times
        warm[key] = {**summary(times), "queries": len(ctx.captured_queries)}
    worst = max(cold, key=lambda key: cold[key]["first_ms"])
    return {
        "kpi.cold": {
            "per_kpi": cold,
            "kpis": len(keys),
            "max_ms": cold[worst]["first_ms"],
            "slowest": worst,
            "target": {"max_ms": TARGETS["kpi_cold_ms"]},
            "pass": cold[worst]["first_ms"] <= TARGETS["kpi_cold_ms"],
        },
        "kpi.warm": {**summary(everything), "per_kpi": warm},
    }


def cold(key: str) -> None:
    """One KPI page's first request in this (fresh) process; prints JSON."""
    setup_django()
    client = ready_client()
    url = f"/analytics/kpi/{key}/"
    started = time.perf_counter()
    ok(client.get(url))
    first = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    ok(client.get(url))
    second = (time.perf_counter() - started) * 1000
    print(json.dumps({"first_ms": round(first, 1), "second_ms": round(second, 1)}))


def measure(args: argparse.Namespace) -> None:
    setup_django()
    label = database_label()
    meta = read_json(results_path(label, LOAD_RESULTS))
    if not meta:
        sys.exit(f"No {results_path(label, LOAD_RESULTS)}: run `bench/analytics.py load` first.")
    print(
        f"== Measuring analytics on {database_version()}: {meta['people']:,} people, "
        f"{meta['rows']['scheduling_appointment']:,} appointments, "
        f"{meta['completed_responses']:,} responses",
        flush=True,
    )
    metrics: dict[str, Any] = {}
    started = time.monotonic()
    metrics["day_rollup"] = measure_day_rollup(meta, args.runs)
    print(
        f"  one day's rollup: p50 {metrics['day_rollup']['p50_s']} s, max "
        f"{metrics['day_rollup']['max_s']} s ({time.monotonic() - started:.0f}s)",
        flush=True,
    )
    gc.collect()
    metrics.update(measure_overview(args.iterations))
    row = metrics["overview.http"]
    print(
        f"  overview: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, {row['queries']} queries",
        flush=True,
    )
    metrics.update(measure_kpi_pages(args.kpi_iterations))
    results = {
        "database": label,
        "database_version": database_version(),
        "machine": machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "dataset": {
            k: meta[k]
            for k in (
                "people",
                "touchpoints",
                "seed",
                "rows",
                "completed_responses",
                "responses_by_kind",
                "providers",
                "appointment_types",
                "first_day",
                "until",
                "statuses",
                "load_s",
                "phases",
                "people_generation_s",
            )
        },
        "rollup_history": meta["rollup"],
        "metrics": metrics,
        "targets": TARGETS,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = results_path(label, MEASURE_RESULTS)
    write_json(path, results)
    cold_row, warm_row = metrics["kpi.cold"], metrics["kpi.warm"]
    print(
        f"  KPI pages: cold max {cold_row['max_ms']} ms ({cold_row['slowest']}), warm p95 "
        f"{warm_row['p95_ms']} ms -> {path.relative_to(ROOT)}"
    )


def roll_up_again() -> None:
    """The loaded months rolled up again with the code as it is now; the load's record keeps
    the new timings (``measure`` then reports them)."""
    setup_django()
    from carebond.core.models import Organization

    label = database_label()
    meta = read_json(results_path(label, LOAD_RESULTS))
    if not meta:
        sys.exit(f"No {results_path(label, LOAD_RESULTS)}: run `bench/analytics.py load` first.")
    until = date.fromisoformat(meta["until"])
    load = AnalyticsLoad(appointments=0, responses=0, seed=meta["seed"], until=until)
    load.organization = Organization.objects.get(slug=BENCH_ORG_SLUG)
    plan = load.plan()
    meta["rollup"] = load.roll_up(plan)
    meta["rolled_up_again_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    write_json(results_path(label, LOAD_RESULTS), meta)


# --- the chain --------------------------------------------------------------------------------


def step(*command: str) -> None:
    print("$", " ".join(command), flush=True)
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603
    if result.returncode:
        sys.exit(result.returncode)


def suite(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    python = sys.executable
    carebond = Path(python).parent / "carebond"
    step(str(carebond) if carebond.exists() else "carebond", "migrate", "--verbosity", "0")
    step(
        python,
        str(BENCH / "generate.py"),
        f"--people={args.people}",
        f"--touchpoints={args.touchpoints}",
        f"--seed={args.seed}",
        f"--results={PEOPLE_RESULTS}",
    )
    load = [
        python,
        str(BENCH / "analytics.py"),
        "load",
        f"--appointments={args.appointments}",
        f"--responses={args.responses}",
        f"--seed={args.seed}",
    ]
    step(*load, *([f"--until={args.until}"] if args.until else []))
    step(
        python,
        str(BENCH / "analytics.py"),
        "measure",
        f"--runs={args.runs}",
        f"--iterations={args.iterations}",
        f"--kpi-iterations={args.kpi_iterations}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("suite", "load"):
        command = commands.add_parser(name)
        command.add_argument("--appointments", type=int, default=2_000_000)
        command.add_argument("--responses", type=int, default=500_000)
        command.add_argument("--seed", type=int, default=1)
        command.add_argument(
            "--until", default="", help="the last day of data, YYYY-MM-DD (default: yesterday)"
        )
    suite_command = commands.choices["suite"]
    suite_command.add_argument("--people", type=int, default=1_000_000)
    suite_command.add_argument("--touchpoints", type=int, default=10_000_000)
    for command in (suite_command, commands.add_parser("measure")):
        command.add_argument("--runs", type=int, default=5, help="one day's rollup, times")
        command.add_argument("--iterations", type=int, default=300, help="overview requests")
        command.add_argument("--kpi-iterations", type=int, default=20, help="per KPI page")
    commands.add_parser("cold").add_argument("--kpi", required=True)
    commands.add_parser("rollup", help="roll the 24 months up again (after a product change)")
    args = parser.parse_args()
    if args.command == "suite":
        suite(args)
    elif args.command == "load":
        setup_django()
        from carebond.analytics.actions import local_today
        from carebond.core.models import Organization

        organization = Organization.objects.filter(slug=BENCH_ORG_SLUG).first()
        yesterday = (
            local_today(organization) - timedelta(days=1)
            if organization
            else date.today() - timedelta(days=1)  # noqa: DTZ011
        )
        until = date.fromisoformat(args.until) if args.until else yesterday
        AnalyticsLoad(
            appointments=args.appointments, responses=args.responses, seed=args.seed, until=until
        ).run()
    elif args.command == "measure":
        measure(args)
    elif args.command == "rollup":
        roll_up_again()
    else:
        cold(args.kpi)


if __name__ == "__main__":
    main()
