"""What the dashboards show, ready to print: the overview's tiles, a KPI's page (its series,
chart, breakdown and funnel plot) and the people behind a figure (the audited drill-down).

Every page read is audited; the drill-down names each patient shown in the audit trail (an
accounting of who saw whose record), and is never the analyst's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from carebond.analytics.access import KPI_DRILLERS
from carebond.analytics.charts import (
    FunnelUnit,
    SeriesPoint,
    data_uri,
    funnel_plot_svg,
    series_chart_svg,
    sparkline_points,
)
from carebond.analytics.selectors import (
    SPANS,
    Filters,
    Period,
    Point,
    Summary,
    Unit,
    breakdown,
    get_kpi,
    kpi_summary,
    last_rolled,
    minimum_n,
    overview,
    parse_period,
)
from carebond.analytics.statistics import Change, Figure, Funnel, Parts, funnel
from carebond.audit.recording import record_access
from carebond.core.errors import InvalidInput
from carebond.core.ids import only_uuids
from carebond.core.kpis import Kpi, KpiKind
from carebond.core.models import Location
from carebond.core.registry import kpi_dimension
from carebond.scheduling.selectors import list_providers

if TYPE_CHECKING:
    from carebond.accounts.models import User


# --- filters ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class DashboardFilters:
    """The filters of every analytics page, as read from the query string."""

    period: Period
    filters: Filters
    location: str = ""
    segment: str = ""
    problem: str = ""

    def query(self, **changes: str) -> str:
        """The query string that keeps these filters (with ``changes``)."""
        values = {
            "month": self.period.key,
            "span": str(self.period.span),
            "location": self.location,
            "segment": self.segment,
            **changes,
        }
        return "&".join(f"{key}={value}" for key, value in values.items() if value)


def parse_filters(
    user: User, params: Mapping[str, str], *, strict: bool = False
) -> DashboardFilters:
    """The filters from a page's query string. A bad value is not an error page: the filter is
    dropped and ``problem`` says which and why, beside the form. ``strict`` (the API): the
    first bad value is an ``InvalidInput`` naming its field."""
    organization = user.organization
    problems: list[tuple[str, str]] = []
    try:
        span_text = str(params.get("span") or 1)
        if not span_text.isdigit():
            raise InvalidInput("A period is 1, 3 or 12 months.", field="span")
        period = parse_period(organization, params.get("month"), int(span_text))
    except InvalidInput as error:
        problems.append((error.field or "month", error.message))
        period = parse_period(organization, None, 1)
    location_id, location = None, params.get("location", "")
    if location:
        found = Location.objects.filter(
            organization_id=user.organization_id, public_id__in=only_uuids([location])
        ).values_list("pk", flat=True)
        if found:
            location_id = found[0]
        else:
            problems.append(("location", "Choose one of the listed locations."))
            location = ""
    dimension, value, segment = "", "", params.get("segment", "")
    if segment:
        dimension, _, value = segment.partition(":")
        if kpi_dimension(dimension) is None or not value:
            problems.append(
                (
                    "segment",
                    "Choose one of the listed segments (dimension:value: language:es).",
                )
            )
            dimension, value, segment = "", "", ""
    if strict and problems:
        field, message = problems[0]
        raise InvalidInput(message, field=field)
    return DashboardFilters(
        period=period,
        filters=Filters(location_id=location_id, dimension=dimension, value=value),
        location=location,
        segment=segment,
        problem=" ".join(message for _, message in problems),
    )


def filter_choices(user: User, chosen: DashboardFilters) -> dict[str, list[Choice]]:
    """The choices of the filter form: periods, spans, locations and segments (the values of
    the language and age-band dimensions, and the providers with figures)."""
    today_period = parse_period(user.organization, None, 1)
    months = []
    end = today_period.end
    for _ in range(24):
        months.append(Choice(f"{end:%Y-%m}", f"{end:%B %Y}", end == chosen.period.end))
        end = Period(end).previous().end
    locations = [
        Choice(str(public_id), name, str(public_id) == chosen.location)
        for public_id, name in Location.objects.filter(organization_id=user.organization_id)
        .order_by("name")
        .values_list("public_id", "name")
    ]
    segments = []
    providers = [str(person.public_id) for person in list_providers(user=user)]
    for key in SEGMENT_DIMENSIONS:
        dimension = kpi_dimension(key)
        if dimension is None:
            continue
        values = providers if key == "provider" else SEGMENT_VALUES.get(key, [])
        names = dimension.names(user.organization_id, values)
        segments += [
            Choice(
                f"{key}:{value}",
                f"{dimension.label}: {names.get(value, value)}",
                f"{key}:{value}" == chosen.segment,
            )
            for value in values
        ]
    spans = [
        Choice(str(span), name.capitalize(), span == chosen.period.span)
        for span, name in SPANS.items()
    ]
    return {"months": months, "spans": spans, "locations": locations, "segments": segments}


SEGMENT_DIMENSIONS = ("provider", "age_band", "language")
"""The segments offered in the filters: each provider (those with an applied week), age band
and language. Staff answers are never shown for a segment (selectors.anonymity_guard)."""
SEGMENT_VALUES = {"age_band": ["0-17", "18-39", "40-64", "65+"], "language": ["en", "es"]}


# --- numbers as words ------------------------------------------------------------------------


def format_value(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if kpi.unit == "%":
        return f"{value:.1f}%"
    if kpi.kind == KpiKind.NET:
        return f"{value:+.0f}"
    if kpi.kind == KpiKind.COUNT:
        return f"{value:,.0f}"
    return f"{value:,.1f} {kpi.unit}" if kpi.unit else f"{value:,.1f}"


def _number(kpi: Kpi, value: float) -> str:
    """A value without its unit word, for intervals."""
    if kpi.kind == KpiKind.COUNT or kpi.kind == KpiKind.NET:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def interval_text(kpi: Kpi, figure: Figure) -> str:
    if not figure.shown or figure.low is None or figure.high is None:
        return ""
    return f"95% CI {_number(kpi, figure.low)} to {_number(kpi, figure.high)}"


def change_words(kpi: Kpi, change: Change | None, previous: Period) -> tuple[str, str]:
    """(what changed, how to read it): "+2.1 points against October 2026", and whether that is
    a signal, good or bad, or within the noise."""
    if change is None:
        return "", "Too few to compare with the period before."
    unit = "points" if kpi.unit == "%" or kpi.kind == KpiKind.NET else kpi.unit
    amount = f"{change.change:+.1f} {unit}".rstrip()
    text = f"{amount} against {previous.label}"
    if not change.signal:
        return text, f"Within the noise (p = {change.p_value:.2f}): no real change."
    if kpi.higher_is_better is None:
        verdict = "a real change"
    elif (change.change > 0) == kpi.higher_is_better:
        verdict = "a real improvement"
    else:
        verdict = "a real deterioration"
    return text, f"A signal (p = {change.p_value:.3f}): {verdict}."


def change_class(kpi: Kpi, change: Change | None) -> str:
    if change is None or not change.signal:
        return "change-noise"
    if kpi.higher_is_better is None:
        return "change-signal"
    better = (change.change > 0) == kpi.higher_is_better
    return "change-better" if better else "change-worse"


# --- the overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    key: str
    title: str
    group: str
    definition: str
    value: str
    interval: str
    n: int
    hidden: str
    change: str
    reading: str
    tone: str
    sparkline: str
    sparkline_label: str


def tile(summary: Summary) -> Tile:
    kpi, figure = summary.kpi, summary.figure
    change, reading = change_words(kpi, summary.change, summary.period.previous())
    values = [point.figure.value if point.figure.shown else None for point in summary.series]
    shown = [
        (p.period.label, format_value(kpi, v))
        for p, v in zip(summary.series, values, strict=True)
        if v is not None
    ]
    return Tile(
        key=kpi.key,
        title=kpi.title,
        group=kpi.group,
        definition=kpi.definition,
        value=format_value(kpi, figure.value) if figure.shown else "—",
        interval=interval_text(kpi, figure),
        n=figure.n,
        hidden="" if figure.shown else (figure.reason or ""),
        change=change,
        reading=reading,
        tone=change_class(kpi, summary.change),
        sparkline=sparkline_points(values),
        sparkline_label=(
            f"{kpi.title} by month, {shown[0][0]} {shown[0][1]} to {shown[-1][0]} {shown[-1][1]}"
            if len(shown) >= 2
            else ""
        ),
    )


@dataclass(frozen=True)
class TileGroup:
    title: str
    tiles: list[Tile] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    period: Period
    groups: list[TileGroup]
    rolled_at: str
    count: int


def get_overview(user: User, chosen: DashboardFilters, *, audit: bool = True) -> Overview:
    summaries = overview(
        organization_id=user.organization_id, period=chosen.period, filters=chosen.filters
    )
    groups: dict[str, TileGroup] = {}
    for summary in summaries:
        groups.setdefault(summary.kpi.group, TileGroup(summary.kpi.group)).tiles.append(
            tile(summary)
        )
    if audit:
        record_access(actor=user, target=None, action="kpi.overview.read")
    rolled = last_rolled(user.organization_id)
    return Overview(
        period=chosen.period,
        groups=list(groups.values()),
        rolled_at=f"{rolled.rolled_at:%Y-%m-%d %H:%M} UTC" if rolled else "",
        count=len(summaries),
    )


# --- one KPI ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesRow:
    label: str
    value: str
    interval: str
    n: int
    hidden: str


@dataclass(frozen=True)
class UnitRow:
    value: str
    label: str
    figure: str
    interval: str
    n: int
    hidden: str
    funnel: str


@dataclass(frozen=True)
class KpiPage:
    kpi: Kpi
    tile: Tile
    period: Period
    chart: str
    chart_alt: str
    rows: list[SeriesRow]
    dimension: str
    dimensions: list[Choice]
    units: list[UnitRow]
    funnel: str
    funnel_alt: str
    may_drill: bool
    min_n: int


def _series_rows(kpi: Kpi, series: Iterable[Point]) -> list[SeriesRow]:
    return [
        SeriesRow(
            label=point.period.label,
            value=format_value(kpi, point.figure.value) if point.figure.shown else "—",
            interval=interval_text(kpi, point.figure),
            n=point.figure.n,
            hidden="" if point.figure.shown else (point.figure.reason or ""),
        )
        for point in series
    ]


def get_kpi_page(
    user: User, key: str, chosen: DashboardFilters, *, dimension: str = "location"
) -> KpiPage:
    kpi = get_kpi(key)
    summary = kpi_summary(
        organization_id=user.organization_id,
        kpi=kpi,
        period=chosen.period,
        filters=chosen.filters,
        series_months=24,
    )
    dimensions = [Choice("location", "Location", dimension == "location")] + [
        Choice(key, found.label, dimension == key)
        for key in kpi.dimensions
        if (found := kpi_dimension(key)) is not None and not _hidden_dimension(user, key)
    ]
    if dimension not in {choice.value for choice in dimensions}:
        raise InvalidInput(
            f"{kpi.title} cannot be broken down by {dimension!r}.", field="breakdown"
        )
    units = breakdown(
        organization_id=user.organization_id,
        kpi=kpi,
        period=chosen.period,
        dimension=dimension,
        filters=Filters(location_id=chosen.filters.location_id),
    )
    record_access(actor=user, target=None, action="kpi.page.read")
    unit_rows, funnel, funnel_alt = _units(kpi, units, summary)
    chart_points = [
        SeriesPoint(
            f"{point.period.end:%b %y}",
            point.figure.value if point.figure.shown else None,
            point.figure.low if point.figure.shown else None,
            point.figure.high if point.figure.shown else None,
        )
        for point in summary.series
    ]
    return KpiPage(
        kpi=kpi,
        tile=tile(summary),
        period=chosen.period,
        chart=data_uri(series_chart_svg(chart_points, unit=kpi.unit)),
        chart_alt=(
            f"{kpi.title} by month over two years, with its 95% interval; "
            "the table below gives every month's figure."
        ),
        rows=_series_rows(kpi, summary.series),
        dimension=dimension,
        dimensions=dimensions,
        units=unit_rows,
        funnel=funnel,
        funnel_alt=funnel_alt,
        may_drill=KPI_DRILLERS.allows(user.role) and not kpi.anonymous,
        min_n=max(minimum_n(kpi), kpi.dimension_min_n.get(dimension, 0)),
    )


def _hidden_dimension(user: User, key: str) -> bool:
    """The analyst compares providers on aggregates too; nobody breaks staff answers down by
    staff member."""
    return key == "staff"


def _units(kpi: Kpi, units: list[Unit], summary: Summary) -> tuple[list[UnitRow], str, str]:
    shown = [unit for unit in units if unit.figure.shown and unit.figure.value is not None]
    total = Parts()
    for unit in units:
        total = total + unit.parts
    limits = funnel(kpi.kind, total, scale=kpi.scale)
    rows = []
    for unit in units:
        position = ""
        if limits is not None and unit.figure.shown and unit.figure.value is not None:
            position = _funnel_position(unit, limits)
        rows.append(
            UnitRow(
                value=unit.value,
                label=unit.label,
                figure=format_value(kpi, unit.figure.value) if unit.figure.shown else "—",
                interval=interval_text(kpi, unit.figure),
                n=unit.figure.n,
                hidden="" if unit.figure.shown else (unit.figure.reason or ""),
                funnel=position,
            )
        )
    if limits is None or len(shown) < 2:
        return rows, "", ""
    svg = funnel_plot_svg(
        [FunnelUnit(u.label, u.figure.n, u.figure.value or 0.0) for u in shown],
        centre=limits.centre,
        limits=limits.bounds,
        unit=kpi.unit,
    )
    alt = (
        f"Funnel plot of {kpi.title} for {len(shown)} units against their n, with 95% and "
        "99.8% limits around the overall figure; the table gives each unit's position."
    )
    return rows, data_uri(svg), alt


def _funnel_position(unit: Unit, limits: Funnel) -> str:
    value = unit.figure.value or 0.0
    low95, high95 = limits.bounds(unit.figure.n, 1.96)
    low998, high998 = limits.bounds(unit.figure.n, 3.09)
    if value > high998:
        return "above the 99.8% limit"
    if value < low998:
        return "below the 99.8% limit"
    if value > high95 or value < low95:
        return "outside 95%, inside 99.8%"
    return "within the limits"
