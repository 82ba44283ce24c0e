"""The timeline's KPIs from hand-made touchpoints, summed through the analytics rollup the way
the dashboards read them: touchpoints per patient per month (each patient once in the total,
once per moment they had in the breakdown by moment) and the count of touchpoints."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import Filters, Period, breakdown, kpi_summary
from carebond.core.kpis import Kpi
from carebond.core.models import Location, Organization
from carebond.core.registry import kpi
from carebond.people.models import Person
from carebond.people.tests.factories import make_patient, make_staff
from carebond.touchpoints.models import Direction, MomentOfTruth, Touchpoint

CHICAGO = ZoneInfo("America/Chicago")
FEBRUARY = date(2026, 2, 1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=CHICAGO)


def _touchpoint(
    person: Person, when: datetime, moment: str, location: Location | None, channel: str = "sms"
) -> Touchpoint:
    return Touchpoint(
        organization_id=person.organization_id,
        person=person,
        kind="message",
        channel=channel,
        direction=Direction.OUTBOUND,
        occurred_at=when,
        recorded_at=when,
        location=location,
        moment_of_truth=moment,
    )


def _registered(key: str) -> Kpi:
    found = kpi(key)
    assert found is not None
    return found


@pytest.fixture
def february(org_a: Organization) -> dict[str, Location]:
    """Three patients in touch in February: Ana 3 times (twice at North about scheduling,
    once at South about a bill), Ben once (a text), Cleo 3 times (twice in clinical care,
    once with no moment, never at a location); plus touchpoints just outside the month and a
    staff member's, which do not count."""
    north = Location.objects.create(organization=org_a, name="North")
    south = Location.objects.create(organization=org_a, name="South")
    ana = make_patient(org_a, "Ana", "Reyes")
    ben = make_patient(org_a, "Ben", "Okafor")
    cleo = make_patient(org_a, "Cleo", "Nash")
    staff = make_staff(org_a)
    Touchpoint.objects.bulk_create(
        [
            _touchpoint(ana, _at(date(2026, 2, 2), 9), MomentOfTruth.SCHEDULING, north),
            _touchpoint(ana, _at(date(2026, 2, 9), 9), MomentOfTruth.SCHEDULING, north),
            _touchpoint(ana, _at(date(2026, 2, 20), 9), MomentOfTruth.BILLING, south, "post"),
            _touchpoint(ben, _at(date(2026, 2, 3), 10), MomentOfTruth.COMMUNICATIONS, north),
            _touchpoint(cleo, _at(date(2026, 2, 4), 11), MomentOfTruth.CLINICAL_CARE, None),
            _touchpoint(cleo, _at(date(2026, 2, 28), 23, 30), MomentOfTruth.CLINICAL_CARE, None),
            _touchpoint(cleo, _at(date(2026, 2, 5), 11), "", None, "phone"),
            # Outside February in Chicago (the first is 1 February 05:30 in UTC).
            _touchpoint(ben, _at(date(2026, 1, 31), 23, 30), MomentOfTruth.SCHEDULING, north),
            _touchpoint(ana, _at(date(2026, 3, 1), 0, 15), MomentOfTruth.SCHEDULING, north),
            # Not a patient.
            _touchpoint(staff, _at(date(2026, 2, 10), 9), MomentOfTruth.SCHEDULING, north),
        ]
    )
    return {"north": north, "south": south}


def _roll_up(organization: Organization, *keys: str) -> None:
    do_roll_up_days(
        organization=organization,
        first=date(2026, 1, 1),
        last=date(2026, 3, 31),
        only=[_registered(key) for key in keys],
    )


def test_touchpoints_per_patient_counts_each_patient_once_a_month(
    org_a: Organization, february: dict[str, Location]
) -> None:
    # given February's touchpoints
    # when January to March are rolled up
    _roll_up(org_a, "touchpoints.per_patient")
    # then 7 touchpoints of 3 patients: 7/3 per patient in February (too few patients to show)
    per_patient = _registered("touchpoints.per_patient")
    summary = kpi_summary(
        organization_id=org_a.pk, kpi=per_patient, period=Period(FEBRUARY), filters=Filters()
    )
    assert summary.figure.n == 3
    assert summary.figure.value == pytest.approx(7 / 3)
    assert summary.figure.shown is False
    # and January (Ben's late-evening text of the 31st) is its own month, with one patient
    january = kpi_summary(
        organization_id=org_a.pk,
        kpi=per_patient,
        period=Period(date(2026, 1, 1)),
        filters=Filters(),
    )
    assert (january.figure.n, january.figure.value) == (1, 1.0)


def test_touchpoints_per_patient_by_moment_counts_a_patient_in_each_moment_they_had(
    org_a: Organization, february: dict[str, Location]
) -> None:
    # given February's touchpoints, rolled up
    _roll_up(org_a, "touchpoints.per_patient")
    per_patient = _registered("touchpoints.per_patient")
    # when February is broken down by moment and by location
    by_moment = breakdown(
        organization_id=org_a.pk,
        kpi=per_patient,
        period=Period(FEBRUARY),
        dimension="moment",
        filters=Filters(),
    )
    by_location = breakdown(
        organization_id=org_a.pk,
        kpi=per_patient,
        period=Period(FEBRUARY),
        dimension="location",
        filters=Filters(),
    )
    # then each moment has the patients who had it, and their touchpoints at it
    assert [(unit.label, unit.figure.n, unit.figure.value) for unit in by_moment] == [
        ("Billing", 1, 1.0),
        ("Clinical care", 1, 2.0),
        ("Communications", 1, 1.0),
        ("No moment recorded", 1, 1.0),
        ("Scheduling", 1, 2.0),
    ]
    # and a patient is at the location most of their touchpoints were: Ana and Ben at North
    # (4 touchpoints), Cleo at none (3)
    assert [(unit.label, unit.figure.n, unit.figure.value) for unit in by_location] == [
        ("No location", 1, 3.0),
        ("North", 2, 2.0),
    ]


def test_touchpoints_are_counted_on_their_day_by_moment_and_channel(
    org_a: Organization, february: dict[str, Location]
) -> None:
    # given February's touchpoints
    # when they are rolled up
    _roll_up(org_a, "touchpoints.touchpoints")
    touchpoints = _registered("touchpoints.touchpoints")
    # then February had 7 patients' touchpoints
    summary = kpi_summary(
        organization_id=org_a.pk, kpi=touchpoints, period=Period(FEBRUARY), filters=Filters()
    )
    assert summary.figure.value == 7
    # and 5 of them were texts, one a letter and one a call
    by_channel = breakdown(
        organization_id=org_a.pk,
        kpi=touchpoints,
        period=Period(FEBRUARY),
        dimension="channel",
        filters=Filters(),
    )
    assert [(unit.label, unit.figure.value) for unit in by_channel] == [
        ("Phone", 1.0),
        ("Post", 1.0),
        ("Text message", 5.0),
    ]
    # and North's were 3, all scheduling but Ben's text
    at_north = Filters(location_id=february["north"].pk)
    north_by_moment = breakdown(
        organization_id=org_a.pk,
        kpi=touchpoints,
        period=Period(FEBRUARY),
        dimension="moment",
        filters=at_north,
    )
    assert [(unit.label, unit.figure.value) for unit in north_by_moment] == [
        ("Communications", 1.0),
        ("Scheduling", 2.0),
    ]
