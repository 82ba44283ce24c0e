"""The people behind a figure: the drill-down from a KPI to the patients it counted.

The KPI's own facts selector is read again for the period (the rollups keep no names), with
the page's filters and the unit chosen in the breakdown; the patients are listed with how many
units each contributed and how many counted (the no-shows among their visits). Each patient
shown is an audited read of their record. Staff answers (anonymous KPIs) have no drill-down.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from carebond.analytics.access import KPI_DRILLERS
from carebond.analytics.actions import do_record_drill_down
from carebond.analytics.dashboard_selectors import DashboardFilters
from carebond.analytics.selectors import dimension_labels, get_kpi
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.kpis import Kpi, KpiFact, KpiKind
from carebond.people.selectors import people_by_id

if TYPE_CHECKING:
    from carebond.accounts.models import User

MAX_PEOPLE = 200


@dataclass(frozen=True)
class PersonRow:
    public_id: str
    name: str
    units: int
    counted: float
    last_day: date


@dataclass(frozen=True)
class PeopleBehind:
    kpi: Kpi
    what: str
    rows: list[PersonRow]
    total: int
    shown: int


def _matches(fact: KpiFact, chosen: DashboardFilters, dimension: str, value: str) -> bool:
    filters = chosen.filters
    if filters.location_id is not None and fact.location_id != filters.location_id:
        return False
    if filters.dimension and fact.dimensions.get(filters.dimension) != filters.value:
        return False
    if dimension == "location":
        return not fact.breakdown_only and str(fact.location_id or "") == value
    if not dimension:
        return not fact.breakdown_only
    return fact.dimensions.get(dimension) == value


def people_behind(
    user: User, key: str, chosen: DashboardFilters, *, dimension: str = "", value: str = ""
) -> PeopleBehind:
    if not KPI_DRILLERS.allows(user.role):
        raise NotFound("No such KPI.")
    kpi = get_kpi(key)
    if kpi.anonymous:
        raise InvalidInput(
            f"{kpi.title} comes from anonymous answers: nobody is behind it by name.",
            field="kpi_people",
        )
    if dimension and dimension != "location" and dimension not in kpi.dimensions:
        raise InvalidInput(f"{kpi.title} has no breakdown by {dimension!r}.", field="breakdown")
    if dimension and not value:
        raise InvalidInput("Choose a unit of the breakdown to see its people.", field="unit")
    period = chosen.period
    units: dict[int, list[KpiFact]] = defaultdict(list)
    for fact in kpi.facts(user.organization_id, period.first, period.last):
        in_period = period.first <= fact.day <= period.last
        if fact.person_id is not None and in_period and _matches(fact, chosen, dimension, value):
            units[fact.person_id].append(fact)
    ordered = sorted(units, key=lambda pk: (-sum(f.x for f in units[pk]), pk))[:MAX_PEOPLE]
    people = people_by_id(user.organization_id, ordered)
    do_record_drill_down(user=user, kpi=kpi, people=[people[pk] for pk in ordered if pk in people])
    rows = [
        PersonRow(
            public_id=str(people[pk].public_id),
            name=people[pk].display_name,
            units=len(units[pk]),
            counted=round(sum(f.x for f in units[pk]), 1),
            last_day=max(f.day for f in units[pk]),
        )
        for pk in ordered
        if pk in people
    ]
    return PeopleBehind(kpi, _what(kpi, dimension, value, user), rows, len(units), len(rows))


def _what(kpi: Kpi, dimension: str, value: str, user: User) -> str:
    counted = {
        KpiKind.PROPORTION: "units counted in the figure's numerator",
        KpiKind.MEAN: "the sum of their values",
        KpiKind.NET: "promoters",
        KpiKind.PER_UNIT: "events",
        KpiKind.COUNT: "events",
    }[kpi.kind]
    where = ""
    if dimension and dimension != "location":
        label = dimension_labels(user.organization_id, dimension, [value]).get(value, value)
        where = f" ({label})"
    return f"{kpi.title}{where}: each patient's units, and {counted}."
