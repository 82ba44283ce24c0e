"""The monthly relationship report of a location: every KPI of that location for one month,
grouped and worded as on the overview (the same tiles), each with its last thirteen months as
a small chart and, for the KPIs measured per provider, the figure of each provider.

Aggregates only: the report names no patient, so the analyst reads it too and its PDF may be
kept or forwarded. A figure from too few stays hidden, with the reason, as on the screen.
Every read of a report (page or PDF) is audited against its location.

Also here: the list of reports (locations by month), the reader's subscriptions, and the
figures the ``carebond kpis`` command prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from carebond.analytics.access import REPORT_SUBSCRIBERS
from carebond.analytics.charts import SeriesPoint, compact_series_svg, data_uri
from carebond.analytics.dashboard_selectors import (
    DashboardFilters,
    Tile,
    format_value,
    interval_text,
    tile,
)
from carebond.analytics.report_models import ReportSubscription
from carebond.analytics.selectors import (
    Filters,
    Period,
    Summary,
    breakdown,
    last_complete_period,
    last_rolled,
    minimum_n,
    monthly_parts,
    overview,
    parse_period,
    summarize,
)
from carebond.audit.recording import record_access
from carebond.core.access import access_location
from carebond.core.errors import InvalidInput
from carebond.core.ids import only_uuids
from carebond.core.models import Location
from carebond.core.registry import kpis

if TYPE_CHECKING:
    from carebond.accounts.models import User

REPORT_MONTHS = 12
"""The list offers each location's reports of the last twelve complete months."""
BY_PROVIDER = "provider"


# --- one report ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderRow:
    label: str
    value: str
    interval: str
    n: int
    hidden: str


@dataclass(frozen=True)
class ReportKpi:
    tile: Tile
    chart: str
    chart_alt: str
    providers: list[ProviderRow] = field(default_factory=list)
    provider_min_n: int = 0


@dataclass(frozen=True)
class ReportGroup:
    title: str
    kpis: list[ReportKpi] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    location_id: str
    location_name: str
    organization_name: str
    period: Period
    groups: list[ReportGroup]
    count: int
    rolled_at: str
    query: str

    @property
    def month(self) -> str:
        return self.period.key


def get_report(user: User, location_id: UUID | str, month: str) -> Report:
    """The report of a location of the user's organisation for ``month`` ("2026-11"). A
    location of another organisation is ``NotFound``; a bad month an ``InvalidInput`` at
    "month". Audited: kpi.report.read, the location as its target."""
    location = access_location(user, location_id)
    period = report_period(user, month)
    summaries = overview(
        organization_id=user.organization_id,
        period=period,
        filters=Filters(location_id=location.pk),
    )
    groups: dict[str, ReportGroup] = {}
    for summary in summaries:
        groups.setdefault(summary.kpi.group, ReportGroup(summary.kpi.group)).kpis.append(
            _report_kpi(user, location, summary)
        )
    record_access(actor=user, target=location, action="kpi.report.read")
    rolled = last_rolled(user.organization_id)
    chosen = DashboardFilters(
        period=period, filters=Filters(location_id=location.pk), location=str(location.public_id)
    )
    return Report(
        location_id=str(location.public_id),
        location_name=location.name,
        organization_name=user.organization.name,
        period=period,
        groups=list(groups.values()),
        count=len(summaries),
        rolled_at=f"{rolled.rolled_at:%Y-%m-%d %H:%M} UTC" if rolled else "",
        query=chosen.query(),
    )


def report_period(user: User, month: str) -> Period:
    """One whole month, written YYYY-MM (the report is always of one month)."""
    return parse_period(user.organization, month, 1)


def _report_kpi(user: User, location: Location, summary: Summary) -> ReportKpi:
    kpi = summary.kpi
    points = [
        SeriesPoint(
            f"{point.period.end:%b %y}",
            point.figure.value if point.figure.shown else None,
            point.figure.low if point.figure.shown else None,
            point.figure.high if point.figure.shown else None,
        )
        for point in summary.series
    ]
    providers: list[ProviderRow] = []
    provider_min_n = 0
    if BY_PROVIDER in kpi.dimensions and not kpi.anonymous:
        provider_min_n = max(minimum_n(kpi), kpi.dimension_min_n.get(BY_PROVIDER, 0))
        providers = [
            ProviderRow(
                label=unit.label,
                value=format_value(kpi, unit.figure.value) if unit.figure.shown else "—",
                interval=interval_text(kpi, unit.figure),
                n=unit.figure.n,
                hidden="" if unit.figure.shown else (unit.figure.reason or ""),
            )
            for unit in breakdown(
                organization_id=user.organization_id,
                kpi=kpi,
                period=summary.period,
                dimension=BY_PROVIDER,
                filters=Filters(location_id=location.pk),
            )
        ]
    return ReportKpi(
        tile=tile(summary),
        chart=data_uri(compact_series_svg(points, unit=kpi.unit)),
        chart_alt=(
            f"{kpi.title} at {location.name} by month, {summary.series[0].period.label} to "
            f"{summary.series[-1].period.label}, with its 95% interval; months with too few "
            "are gaps."
        ),
        providers=providers,
        provider_min_n=provider_min_n,
    )


# --- the list of reports and the reader's subscriptions ----------------------------------------


@dataclass(frozen=True)
class ReportMonth:
    key: str
    short: str
    label: str


@dataclass(frozen=True)
class LocationReports:
    public_id: str
    name: str
    subscribed: bool


@dataclass(frozen=True)
class ReportIndex:
    months: list[ReportMonth]
    locations: list[LocationReports]
    all_subscribed: bool
    may_subscribe: bool


def report_months(user: User) -> list[ReportMonth]:
    """The last twelve complete months, the latest first."""
    period = last_complete_period(user.organization)
    months = []
    for _ in range(REPORT_MONTHS):
        months.append(ReportMonth(period.key, f"{period.end:%b %Y}", period.label))
        period = period.previous()
    return months


def subscribed_locations(user: User) -> set[int | None]:
    """The locations whose report the user gets by email (None: every location's)."""
    return set(
        ReportSubscription.objects.filter(user=user, active=True).values_list(
            "location_id", flat=True
        )
    )


def list_reports(user: User) -> ReportIndex:
    subscribed = subscribed_locations(user)
    locations = [
        LocationReports(str(public_id), name, pk in subscribed)
        for pk, public_id, name in Location.objects.filter(organization_id=user.organization_id)
        .order_by("name")
        .values_list("pk", "public_id", "name")
    ]
    return ReportIndex(
        months=report_months(user),
        locations=locations,
        all_subscribed=None in subscribed,
        may_subscribe=REPORT_SUBSCRIBERS.allows(user.role),
    )


@dataclass(frozen=True)
class Subscription:
    """The reader's subscription state on a report page."""

    to_location: bool
    to_all: bool
    may_subscribe: bool


def get_subscription(user: User, location_id: UUID | str) -> Subscription:
    location = access_location(user, location_id)
    subscribed = subscribed_locations(user)
    return Subscription(
        to_location=location.pk in subscribed,
        to_all=None in subscribed,
        may_subscribe=REPORT_SUBSCRIBERS.allows(user.role),
    )


# --- the figures of the `carebond kpis` command -----------------------------------------------


@dataclass(frozen=True)
class KpiFigure:
    """One KPI's figure as the command prints it; ``value``, ``low`` and ``high`` are None
    when the figure is hidden (``reason`` says why)."""

    key: str
    title: str
    group: str
    unit: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    shown: bool
    reason: str | None
    change: float | None
    p_value: float | None
    signal: bool | None
    definition: str


def list_kpi_figures(
    organization_id: int, period: Period, location: Location | None = None
) -> list[KpiFigure]:
    """Every registered KPI over ``period`` (at one location, or everywhere), in registry
    order, with the change against the period before; a KPI without data is listed, hidden."""
    measured = kpis()
    filters = Filters(location_id=location.pk if location else None)
    months = monthly_parts(
        organization_id,
        [kpi.key for kpi in measured],
        period.previous().first,
        period.last,
        filters,
    )
    figures = []
    for kpi in measured:
        summary = summarize(kpi, months.get(kpi.key, {}), period, series_months=0)
        shown = summary.figure.shown
        change = summary.change
        figures.append(
            KpiFigure(
                key=kpi.key,
                title=kpi.title,
                group=kpi.group,
                unit=kpi.unit,
                value=summary.figure.value if shown else None,
                low=summary.figure.low if shown else None,
                high=summary.figure.high if shown else None,
                n=summary.figure.n,
                shown=shown,
                reason=None if shown else summary.figure.reason,
                change=change.change if change else None,
                p_value=change.p_value if change else None,
                signal=change.signal if change else None,
                definition=kpi.definition,
            )
        )
    return figures


def find_location(organization_id: int, text: str) -> Location:
    """A location named by its public id or its name (case aside), or ``InvalidInput``
    listing the organisation's locations."""
    rows = Location.objects.filter(organization_id=organization_id)
    found = (
        rows.filter(public_id__in=only_uuids([text])).first()
        or rows.filter(name__iexact=text.strip()).first()
    )
    if found is None:
        names = ", ".join(rows.order_by("name").values_list("name", flat=True)) or "none yet"
        raise InvalidInput(
            f"No location {text!r} in this organisation (its locations: {names}).",
            field="location",
        )
    return found
