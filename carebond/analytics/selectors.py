"""Reading the rollups: a KPI's parts over a period, its monthly series, its breakdown by a
dimension, and the overview's tiles. Every figure comes from ``DailyRollup`` rows (never the
raw rows), so the overview is a handful of indexed sums whatever the organisation's size.

Periods are whole calendar months (a month, the quarter or the year ending with it), in the
organisation's time zone, and always compared with the period of the same length before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import DateField, Func, Q, QuerySet, Sum

from carebond.analytics.actions import local_today
from carebond.analytics.models import DailyRollup, RolledDay
from carebond.analytics.statistics import Change, Figure, Parts, compare, figure
from carebond.core.errors import InvalidInput
from carebond.core.kpis import Kpi
from carebond.core.models import Location
from carebond.core.registry import kpi as registered_kpi
from carebond.core.registry import kpi_dimension, kpis
from carebond.surveys.suppression import K_METRIC, Group, suppress

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.core.models import Organization

SPANS = {1: "month", 3: "quarter", 12: "year"}
SPARKLINE_MONTHS = 13


# --- periods ---------------------------------------------------------------------------------


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """``span`` whole months ending with the month ``end`` (its first day)."""

    end: date
    span: int = 1

    @property
    def first(self) -> date:
        return _add_months(self.end, 1 - self.span)

    @property
    def last(self) -> date:
        return _add_months(self.end, 1) - timedelta(days=1)

    @property
    def months(self) -> list[date]:
        return [_add_months(self.first, i) for i in range(self.span)]

    def previous(self) -> Period:
        return Period(_add_months(self.end, -self.span), self.span)

    @property
    def label(self) -> str:
        if self.span == 1:
            return f"{self.end:%B %Y}"
        return f"{self.first:%b %Y} to {self.end:%b %Y}"

    @property
    def key(self) -> str:
        return f"{self.end:%Y-%m}"


def last_complete_period(organization: Organization, span: int = 1) -> Period:
    return Period(_add_months(_month_start(local_today(organization)), -1), span)


def parse_period(organization: Organization, month: str | None, span: int | None) -> Period:
    """A period from a page's or command's filters: ``month`` "2026-11" (default: the last
    complete month) and ``span`` 1, 3 or 12 months. Bad values are an ``InvalidInput``."""
    span = span or 1
    if span not in SPANS:
        raise InvalidInput(f"A period is 1, 3 or 12 months, not {span}.", field="span")
    if not month:
        return last_complete_period(organization, span)
    try:
        year, number = (int(part) for part in month.split("-"))
        end = date(year, number, 1)
    except ValueError:
        raise InvalidInput(
            f"{month!r} is not a month: write it as YYYY-MM, for example 2026-11.", field="month"
        ) from None
    if end > _month_start(local_today(organization)) or end.year < 2000:
        raise InvalidInput(
            f"{month} is outside the months with figures (2000 to this month).", field="month"
        )
    return Period(end, span)


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which rows count: one location (its id) and one segment, a dimension's value (a
    provider, an appointment type, a language, an age band)."""

    location_id: int | None = None
    dimension: str = ""
    value: str = ""

    def rows(self, organization_id: int, kpi_keys: Sequence[str]) -> QuerySet[DailyRollup]:
        rows = DailyRollup.objects.filter(
            organization_id=organization_id,
            kpi__in=list(kpi_keys),
            dimension=self.dimension,
            value=self.value,
        )
        if self.location_id is not None:
            rows = rows.filter(location_id=self.location_id)
        return rows


def _parts(row: Mapping[str, Any]) -> Parts:
    return Parts(row["n"] or 0.0, row["x"] or 0.0, row["x2"] or 0.0, row["y"] or 0.0)


_SUMS = {"n": Sum("n"), "x": Sum("x"), "x2": Sum("x2"), "y": Sum("y")}


class MonthOf(Func):
    """The first day of a date's month, computed by the database itself: PostgreSQL's
    ``date_trunc`` and SQLite's ``date(..., 'start of month')``. (Django's ``TruncMonth`` calls
    back into Python for every row on SQLite, and the overview sums thousands of rows.)"""

    template = "CAST(DATE_TRUNC('month', %(expressions)s) AS date)"
    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="date(%(expressions)s, 'start of month')", **extra
        )


def monthly_parts(
    organization_id: int, keys: Sequence[str], first: date, last: date, filters: Filters
) -> dict[str, dict[date, Parts]]:
    """{KPI key: {month: parts}} for the months between ``first`` and ``last``: one query for
    every KPI at once."""
    rows = (
        filters.rows(organization_id, keys)
        .filter(day__range=(first, last))
        .annotate(month=MonthOf("day"))
        .values("kpi", "month")
        .annotate(**_SUMS)
    )
    months: dict[str, dict[date, Parts]] = defaultdict(dict)
    for row in rows:
        months[row["kpi"]][row["month"]] = _parts(row)
    return months


def _sum(months: dict[date, Parts], period: Period) -> Parts:
    total = Parts()
    for month in period.months:
        total = total + months.get(month, Parts())
    return total


# --- one KPI ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One period of a KPI's series."""

    period: Period
    parts: Parts
    figure: Figure


@dataclass(frozen=True)
class Summary:
    """A KPI over a period: its figure, the previous period's, the change between them
    (None when either is too small to compare) and the series of months before it."""

    kpi: Kpi
    period: Period
    figure: Figure
    previous: Figure
    change: Change | None
    series: list[Point] = field(default_factory=list)

    @property
    def min_n(self) -> int:
        return minimum_n(self.kpi)


def minimum_n(kpi: Kpi) -> int:
    """Staff answers never go below the surveys' anonymity threshold."""
    return max(kpi.min_n, K_METRIC) if kpi.anonymous else kpi.min_n


ANONYMOUS_SEGMENT = (
    "staff answers are shown for the whole organisation only, so that no smaller group can "
    "be worked out"
)
ANONYMOUS_SPAN = (
    "staff answers are shown month by month, so that one month cannot be worked out from a "
    "longer period"
)


def anonymity_guard(kpi: Kpi, period: Period, filters: Filters) -> str | None:
    """Why staff answers are not shown under these filters: a figure for one location or
    segment, or for a span of months, could be subtracted from figures shown elsewhere to give
    away a hidden group (methods.md §3.3). None when they may be shown."""
    if not kpi.anonymous:
        return None
    if filters.location_id is not None or filters.dimension:
        return ANONYMOUS_SEGMENT
    if period.span != 1:
        return ANONYMOUS_SPAN
    return None


def _withheld(reason: str, n: int = 0) -> Figure:
    return Figure(None, None, None, n, shown=False, reason=reason)


def summarize(
    kpi: Kpi,
    months: dict[date, Parts],
    period: Period,
    *,
    series_months: int,
    filters: Filters | None = None,
) -> Summary:
    min_n = minimum_n(kpi)
    guard = anonymity_guard(kpi, period, filters or Filters())
    now, before = _sum(months, period), _sum(months, period.previous())
    series = []
    for i in range(series_months - 1, -1, -1):
        month = Period(_add_months(period.end, -i), 1)
        parts = months.get(month.end, Parts())
        shown = figure(kpi.kind, parts, min_n=min_n, scale=kpi.scale)
        if guard == ANONYMOUS_SEGMENT:
            shown = _withheld(guard)
        series.append(Point(month, parts, shown))
    if guard is not None:
        return Summary(kpi, period, _withheld(guard), _withheld(guard), None, series)
    return Summary(
        kpi=kpi,
        period=period,
        figure=figure(kpi.kind, now, min_n=min_n, scale=kpi.scale),
        previous=figure(kpi.kind, before, min_n=min_n, scale=kpi.scale),
        change=compare(kpi.kind, before, now, min_n=min_n, scale=kpi.scale),
        series=series,
    )


def get_kpi(key: str) -> Kpi:
    kpi = registered_kpi(key)
    if kpi is None:
        raise InvalidInput(f"There is no KPI {key!r}.", field="kpi")
    return kpi


def kpi_summary(
    *, organization_id: int, kpi: Kpi, period: Period, filters: Filters, series_months: int = 24
) -> Summary:
    first = min(period.previous().first, _add_months(period.end, 1 - series_months))
    months = monthly_parts(organization_id, [kpi.key], first, period.last, filters)
    return summarize(
        kpi, months.get(kpi.key, {}), period, series_months=series_months, filters=filters
    )


def overview(*, organization_id: int, period: Period, filters: Filters) -> list[Summary]:
    """Every KPI with any data in the last two years of the period, in registry order."""
    measured = kpis()
    first = min(period.previous().first, _add_months(period.end, 1 - SPARKLINE_MONTHS))
    months = monthly_parts(
        organization_id, [kpi.key for kpi in measured], first, period.last, filters
    )
    return [
        summarize(kpi, months[kpi.key], period, series_months=SPARKLINE_MONTHS, filters=filters)
        for kpi in measured
        if kpi.key in months
    ]


# --- breakdowns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One value of a breakdown (a location, a provider): its figure and, for staff answers,
    whether its count may be shown (complementary suppression)."""

    value: str
    label: str
    figure: Figure
    parts: Parts


def breakdown(
    *, organization_id: int, kpi: Kpi, period: Period, dimension: str, filters: Filters
) -> list[Unit]:
    """The KPI over the period for each value of ``dimension`` ("location" or one of the
    KPI's dimensions), in label order: units are compared on a funnel plot, never ranked."""
    min_n = max(minimum_n(kpi), kpi.dimension_min_n.get(dimension, 0))
    rows = DailyRollup.objects.filter(
        organization_id=organization_id, kpi=kpi.key, day__range=(period.first, period.last)
    )
    if filters.location_id is not None:
        rows = rows.filter(location_id=filters.location_id)
    if dimension == "location":
        by_location = rows.filter(dimension="").values("location_id").annotate(**_SUMS)
        parts = {str(row["location_id"] or ""): _parts(row) for row in by_location}
        labels = _location_labels(organization_id, list(parts))
    elif dimension in kpi.dimensions:
        by_value = rows.filter(dimension=dimension).values("value").annotate(**_SUMS)
        parts = {row["value"]: _parts(row) for row in by_value}
        labels = dimension_labels(organization_id, dimension, list(parts))
    else:
        raise InvalidInput(
            f"{kpi.title} cannot be broken down by {dimension!r}.", field="breakdown"
        )
    units = [
        Unit(
            value,
            labels.get(value, value or "No location"),
            figure(kpi.kind, part, min_n=min_n, scale=kpi.scale),
            part,
        )
        for value, part in parts.items()
    ]
    guard = anonymity_guard(kpi, period, filters)
    if kpi.anonymous and (guard is not None or dimension == "location"):
        withheld = _withheld(guard or ANONYMOUS_SEGMENT)
        units = [Unit(u.value, u.label, withheld, Parts()) for u in units]
    elif kpi.anonymous:
        # The total is every answer, those with no value of the dimension too (staff with no
        # department): the tile shows it, so that unnamed group must not be worked out either.
        total = round(rows.filter(dimension="").aggregate(n=Sum("n"))["n"] or 0.0)
        units = _suppress_small_groups(units, min_n, total)
    return sorted(units, key=lambda unit: unit.label.casefold())


def _suppress_small_groups(units: list[Unit], k: int, total: int) -> list[Unit]:
    """Staff answers: a group under k is hidden, and so is the next smallest when one hidden
    group could be worked out from the total (carebond/surveys/suppression.py). What the units
    leave out of ``total`` counts as one more group, never published."""
    total = max(total, sum(unit.figure.n for unit in units))
    decided = suppress(
        Group.of_cells("all", total, {unit.value: unit.figure.n for unit in units}), k=k
    )
    shown = []
    for unit in units:
        cell = decided.child(unit.value)
        if cell.shown:
            shown.append(unit)
        else:
            hidden = Figure(None, None, None, 0, shown=False, reason=cell.reason)
            shown.append(Unit(unit.value, unit.label, hidden, unit.parts))
    return shown


def dimension_labels(organization_id: int, dimension: str, values: list[str]) -> dict[str, str]:
    registered = kpi_dimension(dimension)
    if registered is None:
        return {}
    return dict(registered.names(organization_id, values))


def _location_labels(organization_id: int, values: list[str]) -> dict[str, str]:
    ids = [int(value) for value in values if value]
    return {
        str(pk): name
        for pk, name in Location.objects.filter(
            organization_id=organization_id, pk__in=ids
        ).values_list("pk", "name")
    }


# --- freshness -------------------------------------------------------------------------------


def last_rolled(organization_id: int) -> RolledDay | None:
    return RolledDay.objects.filter(organization_id=organization_id).order_by("-rolled_at").first()


def has_rollups(user: User) -> bool:
    return DailyRollup.objects.filter(
        Q(organization_id=user.organization_id), dimension=""
    ).exists()
