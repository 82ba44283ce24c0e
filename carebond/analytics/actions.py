"""Rolling every registered KPI up into daily rows (models.py).

``do_roll_up_days`` replaces the rows of a range of days in one transaction: each KPI's facts
selector is read once for the range, the facts are summed per day, location and dimension
value, and the days are marked rolled. ``scan_rollups`` (the worker, hourly) fills the days
not rolled yet and recomputes, once a day, the last days whose facts may still change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from carebond.analytics.models import DailyRollup, RolledDay
from carebond.audit.recording import record_audit, record_audit_many
from carebond.core import clock
from carebond.core.bulk import insert_rows
from carebond.core.errors import InvalidInput
from carebond.core.kpis import Kpi, KpiFact
from carebond.core.models import Organization
from carebond.core.registry import kpis

if TYPE_CHECKING:
    from carebond.accounts.models import User

HISTORY_DAYS = 731
"""How far back the scan keeps rollups filled: two years, and the day a year before it."""
CHUNK_DAYS = 31
"""Days rolled in one transaction: a month's facts at a time bounds the memory a run needs."""

RollupKey = tuple[str, date, int | None, str, str]
_ROLLUP_COLUMNS = ("kpi", "day", "location_id", "dimension", "value", "n", "x", "x2", "y")


@dataclass(frozen=True)
class RollupRun:
    first: date
    last: date
    facts: int
    rows: int


def check_roll_up_days(first: date, last: date) -> None:
    if last < first:
        raise InvalidInput(f"The last day ({last}) is before the first ({first}).", field="last")
    if (last - first).days >= HISTORY_DAYS * 2:
        raise InvalidInput(
            f"Roll up at most {HISTORY_DAYS * 2} days at a time, not {(last - first).days + 1}.",
            field="first",
        )


def do_roll_up_days(
    *, organization: Organization, first: date, last: date, only: Sequence[Kpi] | None = None
) -> RollupRun:
    """Recompute the rollups of ``first``..``last`` (both included) from the facts, a month
    at a time. ``only``: just these KPIs (a test, or a KPI added since); by default all."""
    check_roll_up_days(first, last)
    measured = tuple(only) if only is not None else kpis()
    total_facts = total_rows = 0
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=CHUNK_DAYS - 1))
        facts, rows = _roll_up_chunk(organization, start, end, measured, whole=only is None)
        total_facts += facts
        total_rows += rows
        start = end + timedelta(days=1)
    record_audit(
        actor=None,
        action="analytics.rollup",
        organization=organization,
        actor_label="worker",
    )
    return RollupRun(first, last, total_facts, total_rows)


def _roll_up_chunk(
    organization: Organization, first: date, last: date, measured: Sequence[Kpi], *, whole: bool
) -> tuple[int, int]:
    # [n, x, x2, y] summed in place: a chunk adds up hundreds of thousands of parts.
    sums: dict[RollupKey, list[float]] = {}
    facts = 0
    for kpi in measured:
        for fact in kpi.facts(organization.id, first, last):
            if not first <= fact.day <= last:
                continue
            facts += 1
            n, x, x2, y = fact.n, fact.x, fact.x2, fact.y
            for key in _keys(kpi.key, fact):
                total = sums.get(key)
                if total is None:
                    sums[key] = [n, x, x2, y]
                else:
                    total[0] += n
                    total[1] += x
                    total[2] += x2
                    total[3] += y
    # Plain values straight to the driver (core.bulk): two years of rows is tens of thousands,
    # and preparing each value through its field was most of a rollup's time.
    day_field = DailyRollup._meta.get_field("day")
    days = {day: day_field.get_db_prep_save(day, connection) for day in {key[1] for key in sums}}
    rows = [
        (kpi_key, days[day], location_id, dimension, value, *parts)
        for (kpi_key, day, location_id, dimension, value), parts in sorted(
            sums.items(), key=_stored_order
        )
    ]
    rolled_at = clock.now()
    with transaction.atomic():
        DailyRollup.objects.filter(
            organization=organization,
            day__range=(first, last),
            kpi__in=[kpi.key for kpi in measured],
        ).delete()
        insert_rows(DailyRollup, _ROLLUP_COLUMNS, rows, constants={"organization": organization.pk})
        if whole:
            _mark_rolled(organization, first, last, rolled_at, sums)
    return facts, len(rows)


def _stored_order(item: tuple[RollupKey, list[float]]) -> tuple[bool, str, str, date, str]:
    """Rows are written totals first, each KPI's days together: the overview and a KPI's
    series read only the totals, and so find them on a few pages instead of one page per row
    among the breakdowns (hundreds of providers' rows a day at a large organisation)."""
    kpi_key, day, _location, dimension, value = item[0]
    return (dimension != "", kpi_key, dimension, day, value)


def _keys(kpi_key: str, fact: KpiFact) -> Iterable[RollupKey]:
    if not fact.breakdown_only:
        yield kpi_key, fact.day, fact.location_id, "", ""
    for dimension, value in fact.dimensions.items():
        if value:
            yield kpi_key, fact.day, fact.location_id, dimension, value


def _mark_rolled(
    organization: Organization,
    first: date,
    last: date,
    rolled_at: datetime,
    sums: dict[RollupKey, list[float]],
) -> None:
    per_day: dict[date, int] = defaultdict(int)
    for (_kpi, day, _location, dimension, _value), (n, *_rest) in sums.items():
        if not dimension:
            per_day[day] += round(n)
    RolledDay.objects.filter(organization=organization, day__range=(first, last)).delete()
    RolledDay.objects.bulk_create(
        RolledDay(organization=organization, day=day, rolled_at=rolled_at, facts=per_day[day])
        for day in _days(first, last)
    )


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def local_today(organization: Organization) -> date:
    return clock.now().astimezone(ZoneInfo(organization.time_zone)).date()


def days_due(organization: Organization) -> list[date]:
    """The days the scan rolls now: every day of the last two years not rolled yet, and the
    settling days (the last ``settle_days`` of the slowest KPI) not rolled since today began."""
    yesterday = local_today(organization) - timedelta(days=1)
    settle = max((kpi.settle_days for kpi in kpis()), default=0)
    settling_from = yesterday - timedelta(days=settle - 1)
    day_began = datetime.combine(
        local_today(organization), datetime.min.time(), ZoneInfo(organization.time_zone)
    )
    rolled = dict(
        RolledDay.objects.filter(
            organization=organization,
            day__range=(yesterday - timedelta(days=HISTORY_DAYS - 1), yesterday),
        ).values_list("day", "rolled_at")
    )
    return [
        day
        for day in _days(yesterday - timedelta(days=HISTORY_DAYS - 1), yesterday)
        if day not in rolled or (day >= settling_from and rolled[day] < day_began)
    ]


def runs_of(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges: each range is one read per KPI."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def scan_rollups() -> int:
    """The worker's hourly pass: every organisation's due days, rolled; returns how many."""
    rolled = 0
    for organization in Organization.objects.order_by("id"):
        for first, last in runs_of(days_due(organization)):
            do_roll_up_days(organization=organization, first=first, last=last)
            rolled += (last - first).days + 1
    return rolled


def do_record_drill_down(*, user: User, kpi: Kpi, people: Sequence[Any]) -> None:
    """The drill-down from a KPI to its patients is a read of each one's record: one audit
    event per patient, so each patient's accounting of access lists it."""
    if not people:
        return
    record_audit_many(
        actor=user,
        action="kpi.people.read",
        organization=user.organization,
        targets=[(person, person, ()) for person in people],
    )
