"""Rollups equal a full recomputation from the raw rows, for random visits rolled up in random
pieces and rolled again after statuses change (a property test); the scan fills missing days,
recomputes the settling ones once a day, and runs twice without doubling anything."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carebond.analytics.actions import do_roll_up_days, scan_rollups
from carebond.analytics.models import DailyRollup, RolledDay
from carebond.core.models import Location, Organization
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.scheduling.models import Appointment, AppointmentStatus, AppointmentType

CHICAGO = ZoneInfo("America/Chicago")
FIRST = date(2026, 11, 2)
DAYS = 6
STATUSES = [
    (AppointmentStatus.FULFILLED, False),
    (AppointmentStatus.NOSHOW, False),
    (AppointmentStatus.CANCELLED, True),
    (AppointmentStatus.CANCELLED, False),
    (AppointmentStatus.BOOKED, False),
]
visit_strategy = st.lists(
    st.tuples(
        st.integers(0, DAYS - 1),  # day
        st.integers(0, 1),  # location
        st.integers(0, 1),  # provider
        st.integers(0, len(STATUSES) - 1),  # status
    ),
    max_size=30,
)


def _setting(organization: Organization) -> dict[str, Any]:
    return {
        "locations": [
            Location.objects.get_or_create(
                organization=organization, name=name, defaults={"time_zone": "America/Chicago"}
            )[0]
            for name in ("North", "South")
        ],
        "providers": [
            Person.objects.filter(organization=organization, given_name=name).first()
            or make_staff(organization, name, "Ilunga")
            for name in ("Ada", "Ben")
        ],
        "patient": Person.objects.filter(organization=organization, given_name="Rae").first()
        or make_patient(organization, "Rae", "Moss"),
        "type": AppointmentType.objects.get_or_create(
            organization=organization,
            key="visit",
            defaults={"name": "Visit", "duration_minutes": 5, "specialty": "Family medicine"},
        )[0],
    }


def _expected(organization: Organization) -> Counter[tuple[str, date, int | None, str, str]]:
    """Show-rate parts (n, kept) per day, location and provider, straight from the rows."""
    counts: Counter[tuple[str, date, int | None, str, str]] = Counter()
    for visit in Appointment.objects.filter(organization=organization).select_related("provider"):
        timely = visit.status == AppointmentStatus.CANCELLED and not visit.late_cancellation
        if timely or visit.status in (
            AppointmentStatus.PENDING,
            AppointmentStatus.ENTERED_IN_ERROR,
        ):
            continue
        day = visit.starts_at.astimezone(CHICAGO).date()
        kept = int(visit.status == AppointmentStatus.FULFILLED)
        for dimension, value in (("", ""), ("provider", str(visit.provider.public_id))):
            counts[("n", day, visit.location_id, dimension, value)] += 1
            counts[("x", day, visit.location_id, dimension, value)] += kept
    return +counts


def _rolled(organization: Organization) -> Counter[tuple[str, date, int | None, str, str]]:
    counts: Counter[tuple[str, date, int | None, str, str]] = Counter()
    rows = DailyRollup.objects.filter(organization=organization, kpi="scheduling.show_rate")
    for row in rows.filter(dimension__in=["", "provider"]):
        counts[("n", row.day, row.location_id, row.dimension, row.value)] += int(row.n)
        counts[("x", row.day, row.location_id, row.dimension, row.value)] += int(row.x)
    return +counts


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(visits=visit_strategy, seed=st.integers(0, 10_000))
def test_a_rollup_equals_a_recomputation_from_the_rows(
    org_a: Organization, visits: list[tuple[int, int, int, int]], seed: int
) -> None:
    # given random visits over six days (one example's rows replace the last one's)
    Appointment.objects.filter(organization=org_a).delete()
    DailyRollup.objects.filter(organization=org_a).delete()
    place = _setting(org_a)
    rows = []
    for i, (day, location, provider, status) in enumerate(visits):
        # the i-th visit at 47·i minutes past midnight: evening visits fall on the next UTC day
        starts = datetime.combine(FIRST + timedelta(days=day), time(0), CHICAGO) + timedelta(
            minutes=47 * i
        )
        state, late = STATUSES[status]
        rows.append(
            Appointment(
                organization=org_a,
                patient=place["patient"],
                provider=place["providers"][provider],
                location=place["locations"][location],
                appointment_type=place["type"],
                starts_at=starts,
                ends_at=starts + timedelta(minutes=5),
                duration_minutes=5,
                time_zone="America/Chicago",
                status=state,
                late_cancellation=late,
                group_key=f"v{i}",
                booked_at=starts - timedelta(days=3),
            )
        )
    Appointment.objects.bulk_create(rows)
    # when the days are rolled up in random pieces, in random order
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, DAYS), rng.randint(0, DAYS - 1)))
    pieces = list(zip([0, *cuts], [*cuts, DAYS], strict=True))
    rng.shuffle(pieces)
    for start, end in pieces:
        do_roll_up_days(
            organization=org_a,
            first=FIRST + timedelta(days=start),
            last=FIRST + timedelta(days=end - 1),
        )
    # then every day, location and provider sums to what the rows say
    assert _rolled(org_a) == _expected(org_a)
    # and after some visits change status, rolling their days again still agrees
    changed = [row for row in rows if rng.random() < 0.3]
    for row in changed:
        row.status, row.late_cancellation = STATUSES[rng.randrange(len(STATUSES))]
    Appointment.objects.bulk_update(changed, ["status", "late_cancellation"])
    for row in changed:
        changed_day = row.starts_at.astimezone(CHICAGO).date()
        do_roll_up_days(organization=org_a, first=changed_day, last=changed_day)
    assert _rolled(org_a) == _expected(org_a)


def test_the_scan_fills_missing_days_and_settles_recent_ones_once_a_day(
    org_a: Organization,
) -> None:
    # given an organisation in Chicago, on 3 December 2026 at 09:00 there
    morning = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    with time_machine.travel(morning, tick=False):
        # when the scan runs for the first time, and again an hour later
        first_run = scan_rollups()
        days = set(RolledDay.objects.filter(organization=org_a).values_list("day", flat=True))
    with time_machine.travel(morning + timedelta(hours=1), tick=False):
        second_run = scan_rollups()
    # then two years up to yesterday were rolled once, and nothing again the same day
    assert min(days) == date(2024, 12, 2)
    assert max(days) == date(2026, 12, 2)
    assert first_run >= 731
    assert second_run == 0
    # and the next day, yesterday and the settling days are rolled again
    with time_machine.travel(morning + timedelta(days=1), tick=False):
        third_run = scan_rollups()
    assert third_run >= 2
    assert RolledDay.objects.filter(organization=org_a, day=date(2026, 12, 3)).exists()
    assert RolledDay.objects.filter(organization=org_a).count() == 732
