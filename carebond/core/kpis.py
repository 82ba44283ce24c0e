"""What an app tells the analytics app about a KPI it owns (docs/analytics.md).

An app registers a ``Kpi`` from its ``extensions.py`` with a *facts* selector: for an
organisation and a range of days, one ``KpiFact`` per unit the KPI counts (an appointment for
the show rate, an answer for satisfaction, a patient for retention), with the day it belongs
to, its location, the values of its dimensions (provider, appointment type, language, age
band...) and its additive parts. The analytics app sums facts into daily rollups and turns the
sums into a figure with its n and interval, so an app never computes a rate itself, and every
rate everywhere is computed the same way.

The parts are additive on purpose: a month is the sum of its days, an organisation the sum of
its locations.

| kind       | n                    | x                      | x2             | y          |
|------------|----------------------|------------------------|----------------|------------|
| proportion | units (visits due)   | units that count       |                |            |
| mean       | values (waits)       | sum of values          | sum of squares |            |
| net        | answers (0-10)       | promoters              |                | detractors |
| per_unit   | units (patients)     | events (touchpoints)   |                |            |
| count      |                      | events (new patients)  |                |            |

The figures: 100·x/n with a Wilson interval; x/n with a Student t interval; 100·(x-y)/n with
the NPS interval; x/n and x with an exact Poisson interval.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class KpiKind(StrEnum):
    PROPORTION = "proportion"
    MEAN = "mean"
    NET = "net"
    PER_UNIT = "per_unit"
    COUNT = "count"


@dataclass(frozen=True)
class KpiFact:
    """One unit a KPI counts, on one day, at one location (None: no location known).

    ``person_id`` names whom the unit is about, for the drill-down from a figure to the people
    behind it (an audited read); None for anonymous units (a staff pulse answer).
    ``breakdown_only``: the fact counts in its dimensions' breakdowns but not in the total (a
    patient counted once per moment of truth they had, and once in the month's total by a
    fact of its own)."""

    day: date
    location_id: int | None
    dimensions: Mapping[str, str] = field(default_factory=dict)
    n: float = 1.0
    x: float = 0.0
    x2: float = 0.0
    y: float = 0.0
    person_id: int | None = None
    breakdown_only: bool = False


FactsSelector = Callable[[int, date, date], Iterable[KpiFact]]
"""(organization id, first day, last day, both included) -> the facts of those days."""


@dataclass(frozen=True)
class Kpi:
    """A key performance indicator an app owns.

    ``definition`` is shown beside the number, word for word (methods.md §4.1: definitions vary,
    so the definition travels with the metric). ``higher_is_better`` colours a change (None:
    neither, such as lead time's volume). ``min_n`` hides a figure below that many units.
    ``anonymous`` marks staff answers: figures follow the surveys' anonymity rules (k = 5, with
    complementary suppression), and there is no drill-down to people.
    ``dimension_min_n``: a higher minimum for a breakdown (a provider's patient-experience
    figure needs 30 answers, methods.md §2.6).
    ``settle_days``: how many days after a day its facts can still change (a no-show is
    marked the day after; a survey is answered within two weeks); the nightly rollup
    recomputes that many days back."""

    key: str
    title: str
    unit: str
    definition: str
    kind: KpiKind
    facts: FactsSelector
    app_label: str
    group: str
    dimensions: Sequence[str] = ()
    higher_is_better: bool | None = True
    min_n: int = 5
    dimension_min_n: Mapping[str, int] = field(default_factory=dict)
    anonymous: bool = False
    settle_days: int = 7
    order: int = 100


@dataclass(frozen=True)
class KpiDimension:
    """A way to break a KPI down (provider, appointment type, language, age band), and how to
    name its values for people: ``names(organization_id, values)`` -> {value: label}."""

    key: str
    label: str
    names: Callable[[int, list[str]], Mapping[str, str]]
    app_label: str
