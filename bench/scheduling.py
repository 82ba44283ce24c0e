"""Scheduling benchmark: first available across 30 providers over 90 days, and a busy day's
schedule, at a location with 3,000 appointments.

    CAREBOND_DATABASE_URL=... python bench/scheduling.py [--repeat 60]

Thirty providers share a standard week (weekdays 08:00-12:00 and 13:00-17:00, 20-minute visits),
and 3,000 appointments fill their first days completely, so that the search for the first open
time walks the full days before it finds one. Each measured call is the product's own selector
(what the booking page and the API call). Writes bench/results/<database>-scheduling.json.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    ROOT,
    database_label,
    database_version,
    machine,
    results_path,
    setup_django,
    summary,
    write_json,
)

PROVIDERS = 30
APPOINTMENTS = 3000
MINUTES = 20
TARGET_FIRST_AVAILABLE_P95_MS = 100.0
CHICAGO = ZoneInfo("America/Chicago")


def prepare() -> tuple[Any, Any, list[Any], Any, date]:
    """The location, a front-desk user, the providers with their week, and the full days."""
    from carebond.accounts.actions import do_create_user
    from carebond.core.models import Location, Organization
    from carebond.people.tests.factories import make_patient, make_staff
    from carebond.scheduling.models import (
        Appointment,
        AppointmentType,
        BlockKind,
        ScheduleTemplate,
        TemplateBlock,
        TemplateStatus,
    )

    organization = Organization.objects.create(
        slug="scheduling-bench", name="Bench clinic", time_zone="America/Chicago"
    )
    location = Location.objects.create(
        organization=organization, name="Bench clinic", time_zone="America/Chicago"
    )
    desk = do_create_user(
        organization,
        username="bench-desk",
        role="front_desk",
        password=uuid.uuid4().hex,
        acting_user=None,
    )
    visit = AppointmentType.objects.create(
        organization=organization, key="visit", name="Visit", duration_minutes=MINUTES
    )
    today = datetime.now(CHICAGO).date()
    providers = []
    for n in range(PROVIDERS):
        provider = make_staff(organization, f"Doc{n}", "Bench")
        template = ScheduleTemplate.objects.create(
            organization=organization,
            provider=provider,
            location=location,
            name="Week",
            starts_on=today - timedelta(days=7),
            status=TemplateStatus.APPLIED,
        )
        TemplateBlock.objects.bulk_create(
            TemplateBlock(
                organization=organization,
                template=template,
                weekday=weekday,
                starts=starts,
                ends=ends,
                kind=BlockKind.OPEN,
            )
            for weekday in range(5)
            for starts, ends in ((clock_time(8), clock_time(12)), (clock_time(13), clock_time(17)))
        )
        providers.append(provider)
    # Each patient has ten visits at ten different times (one patient is never in two places).
    patients = [make_patient(organization, f"Pat{n}", "Bench") for n in range(APPOINTMENTS // 10)]
    # Fill the providers' weekdays from today on, slot by slot, until 3,000 are booked.
    rows: list[Any] = []
    day = today
    while len(rows) < APPOINTMENTS:
        if day.weekday() < 5:
            for hour in (8, 9, 10, 11, 13, 14, 15, 16):
                for minute in range(0, 60, MINUTES):
                    starts = datetime.combine(day, clock_time(hour, minute), tzinfo=CHICAGO)
                    for provider in providers:
                        if len(rows) == APPOINTMENTS:
                            break
                        rows.append(
                            Appointment(
                                organization=organization,
                                patient=patients[len(rows) % len(patients)],
                                provider=provider,
                                location=location,
                                appointment_type=visit,
                                starts_at=starts,
                                ends_at=starts + timedelta(minutes=MINUTES),
                                duration_minutes=MINUTES,
                                time_zone="America/Chicago",
                                group_key=uuid.uuid4().hex,
                                booked_at=datetime.now(CHICAGO),
                            )
                        )
        full_until = day  # (the last day filled: full up to its last booked slot)
        day += timedelta(days=1)
    Appointment.objects.bulk_create(rows, batch_size=500)
    return location, desk, providers, visit, full_until


def timed(call: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    from carebond.core.models import Organization
    from carebond.scheduling.selectors import list_day_by_provider, list_first_available

    call_command("migrate", verbosity=0)
    if Organization.objects.filter(slug="scheduling-bench").exists():
        sys.exit("bench/scheduling.py needs a database without its organisation: a fresh one.")
    label = database_label()
    print(f"[{label}] {PROVIDERS} providers, {APPOINTMENTS:,} appointments", flush=True)
    location, desk, providers, visit, full_until = prepare()
    today = datetime.now(CHICAGO).date()
    found: list[Any] = []

    def first_available() -> None:
        found[:] = list_first_available(
            user=desk,
            location=location,
            appointment_type=visit,
            providers=providers,
            from_day=today,
            count=5,
        )

    first = timed(first_available, args.repeat)
    if not found or found[0].starts_at.date() < full_until:
        sys.exit("The first open time should come after the full days: the setup is wrong.")
    busiest = today + timedelta(days=1)
    while busiest.weekday() >= 5:
        busiest += timedelta(days=1)
    day = timed(
        lambda: list_day_by_provider(user=desk, location=location, day=busiest), args.repeat
    )
    first_summary = summary(first)
    results = {
        "database": database_version(),
        "machine": machine(),
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "providers": PROVIDERS,
        "appointments": APPOINTMENTS,
        "full_days": sum(
            1
            for n in range((full_until - today).days + 1)
            if (today + timedelta(days=n)).weekday() < 5
        ),
        "first_available": first_summary,
        "busy_day": summary(day),
        "targets": {"first_available_p95_ms": TARGET_FIRST_AVAILABLE_P95_MS},
        "met": {"first_available": first_summary["p95_ms"] <= TARGET_FIRST_AVAILABLE_P95_MS},
    }
    path = results_path(label, "-scheduling")
    write_json(path, results)
    p95 = first_summary["p95_ms"]
    print(f"[{label}] first available p95 {p95} ms -> {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
