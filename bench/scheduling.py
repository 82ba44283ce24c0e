"""Scheduling benchmark: first available across 30 providers over 90 days, a busy day's
schedule, and the week calendar's page rendered server-side, at a location with 3,000
appointments.

    CAREBOND_DATABASE_URL=... python bench/scheduling.py [--repeat 60]

Thirty providers share a standard week (weekdays 08:00-12:00 and 13:00-17:00, 20-minute visits),
and 3,000 appointments fill their first days completely, so that the search for the first open
time walks the full days before it finds one. Each measured call is the product's own selector
(what the booking page and the API call); the week is the whole page, through Django's test
client signed in as the front desk (session, middleware, template), on a second location whose
one week holds 3,000 appointments. Writes bench/results/<database>-scheduling.json.
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
TARGET_WEEK_P95_MS = 200.0
TARGET_BOARD_UPDATE_P95_MS = 2000.0
BOARD_UPDATES = 20
CHICAGO = ZoneInfo("America/Chicago")


def prepare() -> tuple[Any, Any, list[Any], Any, date, Any, date]:
    """The location, a front-desk user, the providers with their week, and the full days; and
    a second location whose one week holds all 3,000 appointments (for the week calendar)."""
    from carebond.accounts.actions import do_create_user
    from carebond.core.models import Location, Organization
    from carebond.people.tests.factories import make_patient, make_staff
    from carebond.scheduling.models import AppointmentType

    organization = Organization.objects.create(
        slug="scheduling-bench", name="Bench clinic", time_zone="America/Chicago"
    )
    location, week_location = (
        Location.objects.create(organization=organization, name=name, time_zone="America/Chicago")
        for name in ("Bench clinic", "Bench week clinic")
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
    providers = [make_staff(organization, f"Doc{n}", "Bench") for n in range(PROVIDERS)]
    for provider in providers:
        for place in (location, week_location):
            standard_week(provider, place, since=today - timedelta(days=7))
    # Each patient has ten visits at ten different times (one patient is never in two places).
    patients = [make_patient(organization, f"Pat{n}", "Bench") for n in range(APPOINTMENTS // 10)]
    # Fill the providers' weekdays from today on, slot by slot, until 3,000 are booked.
    full_until = fill(location, providers, patients, visit, first_day=today)
    # The week calendar's week: a Monday three weeks on, its weekdays nearly full.
    week_of = today + timedelta(days=21 - today.weekday())
    fill(week_location, providers, patients, visit, first_day=week_of)
    return location, desk, providers, visit, full_until, week_location, week_of


def standard_week(provider: Any, location: Any, *, since: date) -> None:
    """Weekdays 08:00-12:00 and 13:00-17:00."""
    from carebond.scheduling.models import (
        BlockKind,
        ScheduleTemplate,
        TemplateBlock,
        TemplateStatus,
    )

    template = ScheduleTemplate.objects.create(
        organization_id=provider.organization_id,
        provider=provider,
        location=location,
        name="Week",
        starts_on=since,
        status=TemplateStatus.APPLIED,
    )
    TemplateBlock.objects.bulk_create(
        TemplateBlock(
            organization_id=provider.organization_id,
            template=template,
            weekday=weekday,
            starts=starts,
            ends=ends,
            kind=BlockKind.OPEN,
        )
        for weekday in range(5)
        for starts, ends in ((clock_time(8), clock_time(12)), (clock_time(13), clock_time(17)))
    )


def fill(
    location: Any, providers: list[Any], patients: list[Any], visit: Any, *, first_day: date
) -> date:
    """3,000 appointments from a day on, slot by slot across the providers; the last day."""
    from carebond.scheduling.models import Appointment

    rows: list[Any] = []
    day = first_day
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
                                organization_id=location.organization_id,
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
        last = day  # (the last day filled: full up to its last booked slot)
        day += timedelta(days=1)
    Appointment.objects.bulk_create(rows, batch_size=500)
    return last


def week_page(desk: Any, location: Any, day: date, repeat: int) -> tuple[int, list[float]]:
    """The week calendar's page for the week that holds all 3,000 visits."""
    from django.conf import settings
    from run import signed_in_client

    from carebond.scheduling.calendar_selectors import list_week

    settings.ALLOWED_HOSTS.append("testserver")
    count = list_week(user=desk, location=location, day=day).count
    client = signed_in_client(desk)
    url = f"/schedule/week/?location={location.public_id}&day={day.isoformat()}"

    def render() -> None:
        answer = client.get(url)
        if answer.status_code != 200 or b"week-calendar" not in answer.content:
            sys.exit(f"The week page answered {answer.status_code}: the setup is wrong.")

    return count, timed(render, repeat)


def board_updates(desk: Any, providers: list[Any], visit: Any) -> list[float]:
    """How long a step (a patient checked in) takes to reach a board open in another client:
    a real HTTP server on 127.0.0.1 streams the board, and a reader thread notes when each
    sending arrives. Thirty visits today at a location of their own."""
    import http.client
    import queue
    import threading

    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread
    from run import signed_in_client

    from carebond.core import clock
    from carebond.core.models import Location
    from carebond.people.tests.factories import make_patient
    from carebond.scheduling.actions import check_visit_step
    from carebond.scheduling.models import Appointment

    settings.ALLOWED_HOSTS.append("127.0.0.1")
    place = Location.objects.create(
        organization=desk.organization, name="Bench board clinic", time_zone="America/Chicago"
    )
    midnight = datetime.combine(datetime.now(CHICAGO).date(), clock_time(0, 1), tzinfo=CHICAGO)
    visits = Appointment.objects.bulk_create(
        Appointment(
            organization=desk.organization,
            patient=make_patient(desk.organization, f"Board{n}", "Bench"),
            provider=provider,
            location=place,
            appointment_type=visit,
            starts_at=midnight,
            ends_at=midnight + timedelta(minutes=MINUTES),
            duration_minutes=MINUTES,
            time_zone="America/Chicago",
            group_key=uuid.uuid4().hex,
            booked_at=clock.now(),
        )
        for n, provider in enumerate(providers)
    )
    server = LiveServerThread("127.0.0.1", StaticFilesHandler)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    cookie = signed_in_client(desk).cookies[settings.SESSION_COOKIE_NAME].value
    path = f"/schedule/board/stream/?location={place.public_id}"
    arrivals: queue.Queue[tuple[float, str]] = queue.Queue()

    def read() -> None:
        """Each event as soon as its last byte is in (read1: whatever has come, no waiting for a
        full buffer, as a browser's EventSource)."""
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.request(
            "GET", path, headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        )
        answer = connection.getresponse()
        pending = b""
        while chunk := answer.read1(65536):
            pending += chunk
            while b"\n\n" in pending:
                event, pending = pending.split(b"\n\n", 1)
                if b"\ndata: " in event:
                    arrivals.put((time.perf_counter(), event.decode()))

    threading.Thread(target=read, daemon=True).start()
    arrivals.get(timeout=30)  # (the board as it opens)
    latencies = []
    for n, appointment in enumerate(visits[:BOARD_UPDATES]):
        time.sleep(0.3)
        started = time.perf_counter()
        check_visit_step(appointment, step="arrive", acting_user=desk)
        while True:
            arrived, data = arrivals.get(timeout=30)
            if f"In the waiting room ({n + 1})" in data:
                break
        latencies.append((arrived - started) * 1000)
    server.terminate()
    return latencies


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
    location, desk, providers, visit, full_until, week_location, week_day = prepare()
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
    week_count, week = week_page(desk, week_location, week_day, args.repeat)
    board_summary = summary(board_updates(desk, providers, visit))
    first_summary = summary(first)
    week_summary = summary(week)
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
        "week_page": week_summary | {"week_of": week_day.isoformat(), "visits": week_count},
        "board_update": board_summary,
        "targets": {
            "first_available_p95_ms": TARGET_FIRST_AVAILABLE_P95_MS,
            "week_page_p95_ms": TARGET_WEEK_P95_MS,
            "board_update_p95_ms": TARGET_BOARD_UPDATE_P95_MS,
        },
        "met": {
            "first_available": first_summary["p95_ms"] <= TARGET_FIRST_AVAILABLE_P95_MS,
            "week_page": week_summary["p95_ms"] <= TARGET_WEEK_P95_MS,
            "board_update": board_summary["p95_ms"] <= TARGET_BOARD_UPDATE_P95_MS,
        },
    }
    path = results_path(label, "-scheduling")
    write_json(path, results)
    p95 = first_summary["p95_ms"]
    print(
        f"[{label}] first available p95 {p95} ms; week page ({week_count:,} visits) p95 "
        f"{week_summary['p95_ms']} ms; board update p95 {board_summary['p95_ms']} ms "
        f"-> {path.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    main()
