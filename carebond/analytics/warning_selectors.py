"""Early warning: the monthly control charts of the monitored KPIs for each location, provider
and department, what they signal in the month just ended, and the alerts' pages (methods.md
§4.4, docs/analytics.md "Early warning").

A chart is read from the rollups (``monthly_parts``), one month a point over the last 24
months. A month counts only with enough answers: 30 for a proportion (methods.md §4.4), a KPI's
own minimum otherwise, never under 5 for anonymous staff answers, and a provider's patient
experience needs 30 (``dimension_min_n``). A chart needs 10 such months.

- Proportions (no-show rate, top-box satisfaction): a p-chart, or Laney's p'-chart when the
  months vary more than their n explains (sigma_z > 1). Rates per unit: u or u'.
- Means and net scores (satisfaction's mean, eNPS, psychological safety): a run chart until a
  baseline of 12 months exists; then an individuals chart, an EWMA and a CUSUM whose mean and
  sigma come from those first 12 months (phase I).
- The Anhøj run rules on every chart, around its centre line.

Only signals in the worse direction become alerts (a fall in satisfaction, a rise in
no-shows), and only those that include the month just ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Q, QuerySet

from carebond.accounts.models import User
from carebond.analytics import spc
from carebond.analytics.charts import control_chart_svg, data_uri
from carebond.analytics.models import DailyRollup
from carebond.analytics.selectors import (
    Filters,
    Period,
    dimension_labels,
    last_complete_period,
    minimum_n,
    monthly_parts,
)
from carebond.analytics.statistics import Parts
from carebond.analytics.warning_models import EarlyWarningAlert, UnitKind
from carebond.core.access import one_or_not_found
from carebond.core.errors import InvalidInput
from carebond.core.kpis import Kpi, KpiKind
from carebond.core.models import Department, Location
from carebond.core.permissions import Role
from carebond.core.registry import kpi as registered_kpi
from carebond.people.models import StaffProfile

if TYPE_CHECKING:
    from carebond.core.models import Organization

MONITORED_KPIS: tuple[str, ...] = (
    "surveys.satisfaction_top_box",
    "surveys.satisfaction_mean",
    # Complaints per 1,000 visits (a rate per unit: a u or Laney u' chart).
    "surveys.complaint_rate",
    "scheduling.no_show_rate",
    "surveys.enps",
    "surveys.psychological_safety",
)
"""The KPIs early warning watches, by key; a key no app has registered is skipped."""

WINDOW_MONTHS = 24
BASELINE_MONTHS = 12
MIN_POINTS = 10
PROPORTION_MIN_N = 30
EWMA_LAMBDA = 0.2
FAMILY_ALPHA = 0.05
"""The chance, per month, of at least one false alarm across all of an organisation's charts."""

RULE_TEXT = {
    spc.SHIFT: "A run of months on one side of the centre line, longer than chance allows "
    "(longer than round(log2(n) + 3) of n months).",
    spc.CROSSINGS: "The line crosses the centre line fewer times than chance allows (fewer "
    "than the 5% binomial quantile): the months stay on one side too long.",
    spc.OUTSIDE: "A month outside the control limits.",
    spc.EWMA_LOW: "The exponentially weighted moving average (lambda 0.2) fell below its "
    "lower limit: a small, steady fall.",
    spc.EWMA_HIGH: "The exponentially weighted moving average (lambda 0.2) rose above its "
    "upper limit: a small, steady rise.",
    spc.CUSUM_DOWN: "The cumulative sum of the months below target exceeded its decision "
    "interval: a sustained fall.",
    spc.CUSUM_UP: "The cumulative sum of the months above target exceeded its decision "
    "interval: a sustained rise.",
}


# --- the series --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoredUnit:
    """A location (its id), a provider or a department (its public id), with its name and
    the location whose manager answers for it."""

    kind: str
    value: str
    label: str
    location_id: int | None

    def filters(self) -> Filters:
        if self.kind == UnitKind.LOCATION:
            return Filters(location_id=int(self.value))
        return Filters(dimension=self.kind, value=self.value)


@dataclass(frozen=True)
class Series:
    kpi: Kpi
    unit: MonitoredUnit
    months: list[date]
    parts: list[Parts]


def monitored_kpis() -> list[Kpi]:
    found = [registered_kpi(key) for key in MONITORED_KPIS]
    return [kpi for kpi in found if kpi is not None and kpi.kind != KpiKind.COUNT]


def _watched(kpi: Kpi, kind: str) -> bool:
    """Staff answers are watched per department only; patients' per location and provider."""
    if kind == UnitKind.DEPARTMENT:
        return "department" in kpi.dimensions
    if kpi.anonymous:
        return False
    return kind == UnitKind.LOCATION or kind in kpi.dimensions


def monitored_units(
    organization_id: int, kpis: Sequence[Kpi], first: date, last: date
) -> list[MonitoredUnit]:
    """Every location of the organisation, and every provider and department with rollups in
    the window: three queries for the values, one per kind for the names."""
    units = [
        MonitoredUnit(UnitKind.LOCATION, str(pk), name, pk)
        for pk, name in Location.objects.filter(organization_id=organization_id).values_list(
            "pk", "name"
        )
    ]
    for kind in (UnitKind.PROVIDER, UnitKind.DEPARTMENT):
        keys = [kpi.key for kpi in kpis if _watched(kpi, kind)]
        if not keys:
            continue
        values = sorted(
            DailyRollup.objects.filter(
                organization_id=organization_id,
                kpi__in=keys,
                dimension=kind,
                day__range=(first, last),
            )
            .values_list("value", flat=True)
            .distinct()
        )
        labels = dimension_labels(organization_id, kind, values)
        homes = _home_locations(organization_id, kind, values)
        units += [
            MonitoredUnit(kind, value, labels.get(value, value), homes.get(value))
            for value in values
        ]
    return units


def _home_locations(organization_id: int, kind: str, values: list[str]) -> dict[str, int | None]:
    """Where a provider works (their staff record's location) or a department sits."""
    if kind == UnitKind.DEPARTMENT:
        departments = Department.objects.filter(
            organization_id=organization_id, public_id__in=values
        ).values_list("public_id", "location_id")
        return {str(pk): location for pk, location in departments}
    profiles = StaffProfile.objects.filter(
        organization_id=organization_id, person__public_id__in=values
    ).values_list("person__public_id", "location_id")
    return {str(pk): location for pk, location in profiles}


def monitored_series(organization_id: int, end: date) -> list[Series]:
    """Every monitored KPI's last 24 months (ending with ``end``) for every unit: one rollup
    query per unit, for all its KPIs at once."""
    kpis = monitored_kpis()
    window = Period(end, WINDOW_MONTHS)
    months, first, last = window.months, window.first, window.last
    measured = DailyRollup.objects.filter(
        organization_id=organization_id,
        kpi__in=[kpi.key for kpi in kpis],
        day__range=(first, last),
    )
    if not measured.exists():
        return []
    series = []
    for unit in monitored_units(organization_id, kpis, first, last):
        watched = [kpi for kpi in kpis if _watched(kpi, unit.kind)]
        if not watched:
            continue
        parts = monthly_parts(
            organization_id, [kpi.key for kpi in watched], first, last, unit.filters()
        )
        for kpi in watched:
            by_month = parts.get(kpi.key)
            if by_month:
                series.append(
                    Series(kpi, unit, months, [by_month.get(month, Parts()) for month in months])
                )
    return series


# --- charting a series -------------------------------------------------------------------------


def point_min_n(kpi: Kpi, unit_kind: str) -> int:
    least = max(minimum_n(kpi), kpi.dimension_min_n.get(unit_kind, 0))
    if kpi.kind == KpiKind.PROPORTION:
        least = max(least, PROPORTION_MIN_N)
    return least


def _value(kpi: Kpi, parts: Parts) -> float:
    if kpi.kind == KpiKind.PROPORTION:
        return 100 * parts.x / parts.n
    if kpi.kind == KpiKind.NET:
        return 100 * (parts.x - parts.y) / parts.n
    if kpi.kind == KpiKind.PER_UNIT:
        return kpi.scale * parts.x / parts.n
    return parts.x / parts.n


def _shown_per(kpi: Kpi) -> float:
    """What a rate is multiplied by to be shown: percent, or the KPI's own scale."""
    return 100.0 if kpi.kind == KpiKind.PROPORTION else kpi.scale


@dataclass(frozen=True)
class Row:
    """One month of a chart: its n (None: staff answers too few to tell), the KPI's value
    (None: too few to show), and what the chart plots with its limits."""

    month: date
    n: int | None
    value: float | None
    plotted: float | None = None
    lower: float | None = None
    upper: float | None = None
    triggered: bool = False


@dataclass(frozen=True)
class MonitoredChart:
    """A series charted: ``usable`` are the indices of the months with enough answers, and
    the charts' points are those months, in order."""

    series: Series
    usable: list[int]
    main: spc.ChartResult
    runs: spc.RunsResult
    ewma: spc.ChartResult | None
    cusum: spc.CusumResult | None
    scale: float
    phase: str
    width: float

    @property
    def kpi(self) -> Kpi:
        return self.series.kpi

    @property
    def unit(self) -> MonitoredUnit:
        return self.series.unit

    def charts(self) -> list[spc.ChartResult]:
        found = [self.main, self.runs, self.ewma, self.cusum]
        return [chart for chart in found if chart is not None]


def _points(series: Series) -> list[int]:
    least = point_min_n(series.kpi, series.unit.kind)
    return [i for i, parts in enumerate(series.parts) if parts.n >= least and parts.n > 0]


def limit_charts(series: Series) -> int:
    """How many charts with limits the series gets: one for a proportion or a rate, three
    (individuals, EWMA, CUSUM) for a mean with its baseline, none for a run chart."""
    usable = _points(series)
    if len(usable) < MIN_POINTS:
        return 0
    if series.kpi.kind in (KpiKind.PROPORTION, KpiKind.PER_UNIT):
        return 1
    if len(usable) < BASELINE_MONTHS:
        return 0
    values = [_value(series.kpi, series.parts[i]) for i in usable[:BASELINE_MONTHS]]
    return 3 if spc.moving_range_sigma(values) > 0 else 0


def chart_series(series: Series, limits: spc.FamilyLimits) -> MonitoredChart | None:
    """The series' charts with the family's limits, or None with fewer than 10 months."""
    usable = _points(series)
    if len(usable) < MIN_POINTS:
        return None
    kind = series.kpi.kind
    parts = [series.parts[i] for i in usable]
    baseline = min(BASELINE_MONTHS, len(usable))
    first, last = series.months[usable[0]], series.months[usable[baseline - 1]]
    phase = (
        f"Centre line and limits from the first {baseline} months charted "
        f"({first:%b %Y} to {last:%b %Y}: phase I)."
    )
    if kind in (KpiKind.PROPORTION, KpiKind.PER_UNIT):
        make = spc.p_chart if kind == KpiKind.PROPORTION else spc.u_chart
        x, n = [p.x for p in parts], [p.n for p in parts]
        plain = make(x, n, width=limits.width, baseline=baseline)
        laney = make(x, n, laney=True, width=limits.width, baseline=baseline)
        chosen = laney if laney.sigma_z > 1 else plain
        if chosen.centre <= 0 or (kind == KpiKind.PROPORTION and chosen.centre >= 1):
            # A year without a single no-show has no spread to set limits by: the first one
            # would be "outside". The run rules still read the months.
            runs = spc.runs_analysis(chosen.values)
            note = "A run chart around the median: the baseline has no variation to set limits."
            return MonitoredChart(
                series,
                usable,
                runs,
                runs,
                None,
                None,
                _shown_per(series.kpi),
                note,
                limits.width,
            )
        return MonitoredChart(
            series=series,
            usable=usable,
            main=chosen,
            runs=spc.runs_analysis(chosen.values, chosen.centre),
            ewma=None,
            cusum=None,
            scale=_shown_per(series.kpi),
            phase=phase,
            width=limits.width,
        )
    values = [_value(series.kpi, p) for p in parts]
    sigma = spc.moving_range_sigma(values[:baseline])
    if len(values) < BASELINE_MONTHS or sigma <= 0:
        runs = spc.runs_analysis(values)
        note = (
            f"A run chart around the median: a baseline needs {BASELINE_MONTHS} months "
            f"with enough answers, and there are {len(values)}."
        )
        return MonitoredChart(series, usable, runs, runs, None, None, 1.0, note, limits.width)
    main = spc.individuals_chart(values, width=limits.width, baseline=baseline)
    mean = main.centre
    return MonitoredChart(
        series=series,
        usable=usable,
        main=main,
        runs=spc.runs_analysis(values, mean),
        ewma=spc.ewma_chart(values, mean=mean, sigma=sigma, lam=EWMA_LAMBDA, width=limits.width),
        cusum=spc.cusum_chart(
            values, target=mean, k=limits.cusum_k * sigma, h=limits.cusum_h * sigma
        ),
        scale=1.0,
        phase=phase,
        width=limits.width,
    )


def organization_charts(organization_id: int, end: date) -> list[MonitoredChart]:
    """Every monitored chart of the organisation up to ``end``, with limits that keep the
    chance of a false alarm somewhere in the organisation in a month at ``FAMILY_ALPHA``."""
    series = monitored_series(organization_id, end)
    count = sum(limit_charts(one) for one in series)
    limits = spc.family_limits(max(count, 1), FAMILY_ALPHA)
    charted = (chart_series(one, limits) for one in series)
    return [chart for chart in charted if chart is not None]


# --- what a chart signals now ------------------------------------------------------------------


@dataclass(frozen=True)
class AlertDue:
    rule: str
    direction: str | None
    months: list[str]
    snapshot: dict[str, Any] = field(default_factory=dict)


def _worse(kpi: Kpi, direction: str | None) -> bool:
    if kpi.higher_is_better is None or direction is None:
        return True
    return direction == (spc.DOWN if kpi.higher_is_better else spc.UP)


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else round(value * scale, 4)


def _snapshot(chart: MonitoredChart, result: spc.ChartResult, signal: spc.Signal) -> dict[str, Any]:
    """What the alert's page draws: each month of the window with its n and value, and what
    the signalling chart plots (the value, the EWMA, or the CUSUM's sum) with its limits."""
    kpi, series = chart.kpi, chart.series
    at = {index: position for position, index in enumerate(chart.usable)}
    fired = set(signal.indices)
    scale, centre, statistic = chart.scale, result.centre, "Value"
    plotted: Sequence[float | None] = result.values
    lower: Sequence[float | None] = result.lower
    upper: Sequence[float | None] = result.upper
    if isinstance(result, spc.CusumResult):
        sums = result.lower_sums if signal.rule == spc.CUSUM_DOWN else result.upper_sums
        plotted, centre, scale = sums, 0.0, 1.0
        lower, upper = [None] * len(sums), [result.h] * len(sums)
        statistic = (
            "Cumulative sum below target"
            if signal.rule == spc.CUSUM_DOWN
            else ("Cumulative sum above target")
        )
    elif result is chart.ewma:
        statistic = "EWMA"
    rows = []
    for index, month in enumerate(series.months):
        parts = series.parts[index]
        position = at.get(index)
        shown = position is not None
        rows.append(
            {
                "month": f"{month:%Y-%m}",
                # staff answers: how few answered a month left out is not told either
                "n": None if kpi.anonymous and not shown else round(parts.n),
                "value": round(_value(kpi, parts), 4) if shown else None,
                "plotted": _scaled(plotted[position], scale) if position is not None else None,
                "lower": _scaled(lower[position], scale) if position is not None else None,
                "upper": _scaled(upper[position], scale) if position is not None else None,
                "triggered": position in fired,
            }
        )
    return {
        "chart": result.name,
        "statistic": statistic,
        "unit": kpi.unit,
        "centre": round(centre * scale, 4),
        "phase": chart.phase,
        "width": round(chart.width, 3),
        "min_n": point_min_n(kpi, chart.unit.kind),
        "rows": rows,
    }


def due_alerts(chart: MonitoredChart) -> list[AlertDue]:
    """The signals that include the month just ended (the window's last), in the worse
    direction: one per rule."""
    last = len(chart.series.months) - 1
    if chart.usable[-1] != last:
        return []
    latest = len(chart.usable) - 1
    due: dict[str, AlertDue] = {}
    for result in chart.charts():
        # The run rules read the main chart's points: its limits are drawn with them.
        drawn = chart.main if result is chart.runs else result
        for signal in result.signals:
            if latest not in signal.indices or not _worse(chart.kpi, signal.direction):
                continue
            if signal.rule in due:
                continue
            months = [f"{chart.series.months[chart.usable[i]]:%Y-%m}" for i in signal.indices]
            due[signal.rule] = AlertDue(
                signal.rule, signal.direction, months, _snapshot(chart, drawn, signal)
            )
    return list(due.values())


def scan_month(organization: Organization) -> date:
    return last_complete_period(organization).end


# --- who answers for an alert ------------------------------------------------------------------


def responsible_for(organization_id: int, location_id: int | None) -> User | None:
    """The manager whose staff record is at the unit's location, else the organisation's
    first administrator."""
    users = User.objects.filter(organization_id=organization_id, is_active=True, disabled_at=None)
    if location_id is not None:
        here = (
            users.filter(role=Role.MANAGER, staff_profile__location_id=location_id)
            .order_by("id")
            .first()
        )
        if here is not None:
            return here
    return users.filter(role=Role.ADMIN).order_by("id").first()


def open_alert_exists(organization_id: int, kpi: str, unit: MonitoredUnit, rule: str) -> bool:
    return EarlyWarningAlert.objects.filter(
        organization_id=organization_id,
        kpi=kpi,
        unit_kind=unit.kind,
        unit_value=unit.value,
        rule=rule,
        acknowledged_at__isnull=True,
    ).exists()


# --- the pages -------------------------------------------------------------------------------

STATUSES = {"open": "Open", "acknowledged": "Acknowledged"}


def _alerts(user: User) -> QuerySet[EarlyWarningAlert]:
    return EarlyWarningAlert.objects.filter(organization_id=user.organization_id).select_related(
        "responsible", "acknowledged_by"
    )


def list_alerts(*, user: User, status: str = "open", limit: int = 200) -> list[EarlyWarningAlert]:
    """Open alerts newest month first, or the acknowledged ones newest acknowledgement first."""
    if status not in STATUSES:
        raise InvalidInput(f"Show open or acknowledged alerts, not {status!r}.", field="status")
    rows = _alerts(user)
    if status == "open":
        rows = rows.filter(acknowledged_at__isnull=True).order_by("-month", "-raised_at")
    else:
        rows = rows.filter(acknowledged_at__isnull=False).order_by("-acknowledged_at")
    return list(rows[:limit])


def open_alerts_for(user: User, limit: int = 6) -> tuple[list[EarlyWarningAlert], int]:
    """The home panel: open alerts, the user's own first, and how many are open in all."""
    rows = _alerts(user).filter(acknowledged_at__isnull=True)
    mine = Q(responsible_id=user.pk)
    shown = list(rows.filter(mine).order_by("-month")[:limit])
    if len(shown) < limit:
        shown += list(rows.exclude(mine).order_by("-month")[: limit - len(shown)])
    return shown, rows.count()


@dataclass(frozen=True)
class AlertPage:
    alert: EarlyWarningAlert
    rule_text: str
    chart_uri: str
    alt: str
    rows: list[Row]
    statistic: str
    phase: str
    definition: str


def _rows(snapshot: Mapping[str, Any]) -> list[Row]:
    return [
        Row(
            month=date.fromisoformat(f"{row['month']}-01"),
            n=row["n"],
            value=row["value"],
            plotted=row["plotted"],
            lower=row["lower"],
            upper=row["upper"],
            triggered=row["triggered"],
        )
        for row in snapshot.get("rows", [])
    ]


def _alt(alert: EarlyWarningAlert, rows: list[Row], statistic: str) -> str:
    shown = [row for row in rows if row.plotted is not None]
    fired = [f"{row.month:%b %Y}" for row in rows if row.triggered]
    span = f"{shown[0].month:%B %Y} to {shown[-1].month:%B %Y}" if shown else "no months"
    return (
        f"Control chart of {alert.kpi_title} ({statistic.lower()}) for {alert.unit_label}, "
        f"{span}. The rule '{alert.rule}' fired at {', '.join(fired) or 'no month'}. "
        "The table below lists every month's value and limits."
    )


def get_alert_page(*, user: User, public_id: UUID | str) -> AlertPage:
    alert = one_or_not_found(_alerts(user).filter(public_id=public_id), "No such alert.")
    snapshot = alert.chart or {}
    rows = _rows(snapshot)
    statistic = str(snapshot.get("statistic", "Value"))
    title = f"{alert.kpi_title}: {alert.unit_label}"
    svg = control_chart_svg(
        [(f"{row.month:%b %y}", row.plotted) for row in rows],
        float(snapshot.get("centre", 0.0)),
        [row.lower for row in rows],
        [row.upper for row in rows],
        [i for i, row in enumerate(rows) if row.triggered],
        title,
    )
    kpi = registered_kpi(alert.kpi)
    return AlertPage(
        alert=alert,
        rule_text=RULE_TEXT.get(alert.rule, ""),
        chart_uri=data_uri(svg),
        alt=_alt(alert, rows, statistic),
        rows=rows,
        statistic=statistic,
        phase=str(snapshot.get("phase", "")),
        definition=kpi.definition if kpi is not None else "",
    )
