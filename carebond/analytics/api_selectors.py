"""The analytics API's answers, built from the same selectors as the pages (a figure in the
API is the figure on the page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carebond.analytics.dashboard_selectors import DashboardFilters, parse_filters
from carebond.analytics.schemas import (
    BreakdownOut,
    BreakdownQuery,
    FigureOut,
    FiguresOut,
    FiguresQuery,
    KpiFigureOut,
    KpiOut,
    MonthOut,
    SeriesOut,
    UnitOut,
)
from carebond.analytics.selectors import (
    Filters,
    Summary,
    breakdown,
    get_kpi,
    kpi_summary,
    minimum_n,
    overview,
)
from carebond.analytics.statistics import Figure
from carebond.audit.recording import record_access
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.kpis import Kpi
from carebond.core.registry import kpis

if TYPE_CHECKING:
    from carebond.accounts.models import User


def _filters(user: User, query: FiguresQuery) -> DashboardFilters:
    params = {
        "month": query.month or "",
        "span": str(query.span),
        "location": str(query.location or ""),
        "segment": query.segment or "",
    }
    return parse_filters(user, params, strict=True)


def _kpi(key: str) -> Kpi:
    try:
        return get_kpi(key)
    except InvalidInput:
        raise NotFound("No such KPI.") from None


def _figure(figure: Figure) -> FigureOut:
    shown = figure.shown
    return FigureOut(
        value=figure.value if shown else None,
        low=figure.low if shown else None,
        high=figure.high if shown else None,
        n=figure.n,
        shown=shown,
        reason=figure.reason,
    )


def kpis_out() -> list[KpiOut]:
    return [
        KpiOut(
            key=kpi.key,
            title=kpi.title,
            unit=kpi.unit,
            kind=kpi.kind.value,
            group=kpi.group,
            definition=kpi.definition,
            dimensions=list(kpi.dimensions),
            higher_is_better=kpi.higher_is_better,
            min_n=minimum_n(kpi),
            anonymous=kpi.anonymous,
        )
        for kpi in kpis()
    ]


def _figures(summary: Summary) -> KpiFigureOut:
    change = summary.change
    return KpiFigureOut(
        key=summary.kpi.key,
        title=summary.kpi.title,
        unit=summary.kpi.unit,
        figure=_figure(summary.figure),
        previous=_figure(summary.previous),
        change=change.change if change else None,
        p_value=change.p_value if change else None,
        signal=change.signal if change else None,
    )


def figures_out(user: User, query: FiguresQuery) -> FiguresOut:
    chosen = _filters(user, query)
    summaries = overview(
        organization_id=user.organization_id, period=chosen.period, filters=chosen.filters
    )
    record_access(actor=user, target=None, action="kpi.api.read")
    return FiguresOut(
        first_day=chosen.period.first.isoformat(),
        last_day=chosen.period.last.isoformat(),
        figures=[_figures(summary) for summary in summaries],
    )


def kpi_series_out(user: User, key: str, query: FiguresQuery) -> SeriesOut:
    kpi = _kpi(key)
    chosen = _filters(user, query)
    summary = kpi_summary(
        organization_id=user.organization_id,
        kpi=kpi,
        period=chosen.period,
        filters=chosen.filters,
        series_months=24,
    )
    record_access(actor=user, target=None, action="kpi.api.read")
    return SeriesOut(
        key=kpi.key,
        months=[
            MonthOut(month=point.period.key, figure=_figure(point.figure))
            for point in summary.series
        ],
    )


def kpi_breakdown_out(user: User, key: str, query: BreakdownQuery) -> BreakdownOut:
    kpi = _kpi(key)
    chosen = _filters(user, query)
    if query.dimension != "location" and (
        query.dimension not in kpi.dimensions or query.dimension == "staff"
    ):
        raise InvalidInput(
            f"{kpi.title} cannot be broken down by {query.dimension!r}.", field="dimension"
        )
    units = breakdown(
        organization_id=user.organization_id,
        kpi=kpi,
        period=chosen.period,
        dimension=query.dimension,
        filters=Filters(location_id=chosen.filters.location_id),
    )
    record_access(actor=user, target=None, action="kpi.api.read")
    return BreakdownOut(
        key=kpi.key,
        dimension=query.dimension,
        units=[UnitOut(value=u.value, label=u.label, figure=_figure(u.figure)) for u in units],
    )
