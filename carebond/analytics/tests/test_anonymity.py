"""Staff answers on the dashboards: shown for the whole organisation, month by month, and by
department with complementary suppression; never for a location or segment, nor for a span of
months that could be subtracted from the months shown (methods.md §3.3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from carebond.analytics.actions import do_roll_up_days
from carebond.analytics.selectors import (
    ANONYMOUS_SEGMENT,
    ANONYMOUS_SPAN,
    Filters,
    Period,
    breakdown,
    kpi_summary,
)
from carebond.analytics.tests.conftest import NOVEMBER, OCTOBER, HandMadeFacts
from carebond.core.kpis import Kpi, KpiFact, KpiKind
from carebond.core.models import Location
from carebond.core.registry import registered


@pytest.fixture
def pulse(frozen: None, location_a: Location) -> Iterator[Kpi]:
    """Agreement among staff: 6 answers in October, 16 in November (6, 7 and 3 in three
    departments), rolled up."""
    facts = HandMadeFacts()
    kpi = Kpi(
        key="test.agree",
        title="Staff agreeing",
        unit="%",
        definition="Share agreeing.",
        kind=KpiKind.PROPORTION,
        facts=facts,
        app_label="analytics",
        group="Staff",
        dimensions=("department",),
        anonymous=True,
    )
    org = location_a.organization
    answers = [(OCTOBER, "d1", 1.0)] * 6 + [(NOVEMBER, "d1", 1.0)] * 6
    answers += [(NOVEMBER, "d2", 1.0)] * 7 + [(NOVEMBER + timedelta(days=7), "d3", 0.0)] * 3
    facts.add(
        org.pk,
        [
            KpiFact(day=day, location_id=None, dimensions={"department": team}, x=x)
            for day, team, x in answers
        ],
    )
    with registered(kpi):
        do_roll_up_days(organization=org, first=OCTOBER, last=NOVEMBER + timedelta(days=29))
        yield kpi


def test_a_month_is_shown_for_the_whole_organisation(pulse: Kpi, location_a: Location) -> None:
    summary = kpi_summary(
        organization_id=location_a.organization_id,
        kpi=pulse,
        period=Period(NOVEMBER),
        filters=Filters(),
    )
    assert summary.figure.shown
    assert summary.figure.n == 16


def test_a_span_of_months_and_a_location_are_withheld(pulse: Kpi, location_a: Location) -> None:
    org_id = location_a.organization_id
    # a quarter less its months shown would give away a hidden month
    quarter = kpi_summary(
        organization_id=org_id, kpi=pulse, period=Period(NOVEMBER, 3), filters=Filters()
    )
    assert (quarter.figure.shown, quarter.figure.reason) == (False, ANONYMOUS_SPAN)
    # a location or a segment is a smaller group than the organisation
    for filters in (
        Filters(location_id=location_a.pk),
        Filters(dimension="department", value="d1"),
    ):
        narrowed = kpi_summary(
            organization_id=org_id, kpi=pulse, period=Period(NOVEMBER), filters=filters
        )
        assert (narrowed.figure.shown, narrowed.figure.reason) == (False, ANONYMOUS_SEGMENT)
        assert not any(point.figure.shown for point in narrowed.series)


def test_departments_under_five_hide_the_next_smallest_too(
    pulse: Kpi, location_a: Location
) -> None:
    units = breakdown(
        organization_id=location_a.organization_id,
        kpi=pulse,
        period=Period(NOVEMBER),
        dimension="department",
        filters=Filters(),
    )
    # d3 has 3 answers: hidden; with d1 and d2 shown it would be the total (16) less them, so
    # the next smallest, d1, is hidden too
    assert [(u.value, u.figure.shown) for u in units] == [
        ("d1", False),
        ("d2", True),
        ("d3", False),
    ]
