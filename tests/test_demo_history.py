"""The demo's two years of history: the key figures show on first load, month after month,
and Northside's satisfaction drifts down as docs/analytics.md says.

One demo is built for the whole module (at a fixed moment, so its figures are the same at any
date): building it is most of what these tests cost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from carebond.analytics.health_models import AtRiskEntry, HealthScoring
from carebond.analytics.selectors import Filters, Period, kpi_summary, overview
from carebond.analytics.warning_models import EarlyWarningAlert
from carebond.core.models import Location, Organization
from carebond.core.registry import kpi as registered_kpi
from carebond.demo.builder import build_demo

pytestmark = [pytest.mark.demo, pytest.mark.django_db]

BUILT_AT = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
NOVEMBER = Period(end=date(2026, 11, 1))
KEY_FIGURES = (
    "scheduling.show_rate",
    "scheduling.no_show_rate",
    "surveys.nps",
    "surveys.satisfaction_top_box",
)


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Organization]:
    """The demo of seed 42, built once, rolled back after the module's tests."""
    with django_db_blocker.unblock(), time_machine.travel(BUILT_AT, tick=False):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_demo(seed=42).organization
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _figures(organization: Organization, period: Period, filters: Filters) -> dict[str, Any]:
    return {
        s.kpi.key: (s.figure.value, s.figure.n, s.figure.shown)
        for s in overview(organization_id=organization.id, period=period, filters=filters)
    }


def test_the_key_figures_of_last_month_show_on_first_load(demo: Organization) -> None:
    # given the demo built on 7 December 2026 (its last complete month: November)
    # when the overview is read as the manager's home panel reads it
    figures = _figures(demo, NOVEMBER, Filters())

    # then show rate, no-show rate, NPS and satisfaction each have a figure
    for key in KEY_FIGURES:
        value, n, shown = figures[key]
        assert shown, key
        assert value is not None
        assert n >= 20, key  # (a month of answers, not a handful)


def test_satisfaction_shows_two_full_years_month_by_month(demo: Organization) -> None:
    # when the satisfaction page's series is read
    summary = kpi_summary(
        organization_id=demo.id,
        kpi=registered_kpi("surveys.satisfaction_top_box"),  # type: ignore[arg-type]
        period=NOVEMBER,
        filters=Filters(),
    )

    # then each of its 24 months, December 2024 to November 2026, has a figure
    months = [point.period.end for point in summary.series]
    assert (months[0].isoformat(), months[-1].isoformat()) == ("2024-12-01", "2026-11-01")
    assert len(months) == 24
    assert all(point.figure.shown for point in summary.series)


def _share(demo: Organization, key: str, location: Location, first: int, last: int) -> float:
    """A KPI at a location over months ``first``..``last`` of the 24 (1 = December 2024)."""
    summary = kpi_summary(
        organization_id=demo.id,
        kpi=registered_kpi(key),  # type: ignore[arg-type]
        period=NOVEMBER,
        filters=Filters(location_id=location.pk),
    )
    points = summary.series[first - 1 : last]
    x = sum(point.parts.x for point in points)
    n = sum(point.parts.n for point in points)
    return x / n


def test_northsides_satisfaction_erodes_over_the_last_months(demo: Organization) -> None:
    # given the clinic whose patients grow less happy
    north = Location.objects.get(organization=demo, name="Northside Family Clinic")

    # when the first year is set against the last six months
    before, after = (
        _share(demo, "surveys.satisfaction_top_box", north, 1, 12),
        _share(demo, "surveys.satisfaction_top_box", north, 19, 24),
    )
    mean_before, mean_after = (
        _share(demo, "surveys.satisfaction_mean", north, 1, 12),
        _share(demo, "surveys.satisfaction_mean", north, 19, 24),
    )

    # then Northside's top box and mean rating fell, by more than chance moves them
    assert after < before - 0.08
    assert mean_after < mean_before - 4
    # and its no-show rate crept up
    assert _share(demo, "scheduling.no_show_rate", north, 19, 24) > _share(
        demo, "scheduling.no_show_rate", north, 1, 12
    )


def test_the_same_seed_gives_the_same_figures(demo: Organization) -> None:
    """Every build of seed 42 at this moment gives these figures (a change to the demo made on
    purpose changes them too: write the new ones here)."""
    # given the demo of seed 42 built at a fixed moment
    # when last month's key figures are read
    figures = _figures(demo, NOVEMBER, Filters())

    # then they are the ones this seed always gives (value rounded, n)
    shown = {key: (round(figures[key][0], 1), figures[key][1]) for key in KEY_FIGURES}
    assert shown == {
        "scheduling.show_rate": (84.5, 323),
        "scheduling.no_show_rate": (11.5, 323),
        "surveys.nps": (42.9, 28),
        "surveys.satisfaction_top_box": (60.7, 28),
    }


def test_early_warning_caught_northsides_erosion(demo: Organization) -> None:
    # the early-warning pass, as it would have run month by month, flagged Northside's falling
    # satisfaction on the charts that see slow drifts (EWMA and CUSUM), for its manager
    alerts = EarlyWarningAlert.objects.filter(organization=demo, kpi="surveys.satisfaction_mean")
    assert {(a.unit_label, a.rule) for a in alerts} >= {
        ("Northside Family Clinic", "EWMA below LCL"),
        ("Northside Family Clinic", "CUSUM down"),
    }


def test_the_at_risk_list_is_scored_and_the_bands_checked_at_build(demo: Organization) -> None:
    # the night's scoring ran at build: patients drifting away are on the at-risk list, each
    # with why and the next step, and the bands were checked against who lapsed a year on
    scoring = HealthScoring.objects.get(organization=demo)
    assert scoring.scored_on == BUILT_AT.date()
    entries = AtRiskEntry.objects.filter(organization=demo)
    assert entries.count() >= 3
    assert all(e.reasons and e.band in ("at_risk", "lapsing") for e in entries)
    assert sum(band[1] for band in scoring.calibration["bands"]) >= 100
