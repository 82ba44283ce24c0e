"""From summed parts to an honest figure: its value, n, 95% interval, whether it may be shown,
and whether a change from the previous period is a signal or noise (methods.md §2.6, §3.4).

Proportions, NPS and the two-wave tests are the surveys' own (carebond/surveys/scoring.py), so
a KPI tile and a survey result never disagree; counts and rates per unit get an exact Poisson
(Garwood) interval. No database here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from scipy import special

from carebond.core.kpis import KpiKind
from carebond.surveys.scoring import (
    Z95,
    Comparison,
    Minimum,
    Summary,
    compare_means,
    compare_proportions,
    net_promoter_counts,
    proportion,
    t_critical,
)


@dataclass(frozen=True)
class Parts:
    """The additive parts of a KPI over some days and units (carebond/core/kpis.py)."""

    n: float = 0.0
    x: float = 0.0
    x2: float = 0.0
    y: float = 0.0

    def __add__(self, other: Parts) -> Parts:
        return Parts(self.n + other.n, self.x + other.x, self.x2 + other.x2, self.y + other.y)


@dataclass(frozen=True)
class Figure:
    """A KPI's figure. ``value``, ``low`` and ``high`` are in the KPI's unit; when ``shown``
    is False they must not be displayed, and ``reason`` says why (too few, no data)."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    shown: bool
    reason: str | None = None


@dataclass(frozen=True)
class Change:
    """This period against the previous one. ``signal`` is False when the change is within
    what chance alone produces (p >= 0.05): the tile then says "no real change"."""

    change: float
    p_value: float
    signal: bool

    @property
    def direction(self) -> str:
        if not self.signal:
            return "steady"
        return "up" if self.change > 0 else "down"


NO_DATA = "no data in this period"


def too_few(min_n: int) -> str:
    return f"fewer than {min_n}"


def figure(kind: KpiKind, parts: Parts, *, min_n: int, scale: float = 1.0) -> Figure:
    """``scale``: a per_unit figure per that many units (complaints per 1,000 visits)."""
    n = round(parts.n)
    if kind == KpiKind.COUNT:
        count = round(parts.x)
        low, high = poisson_interval(count)
        return Figure(float(count), low, high, count, shown=True)
    if n <= 0:
        return Figure(None, None, None, 0, shown=False, reason=NO_DATA)
    minima = (Minimum(min_n, "fewer than {n}"),)
    if kind == KpiKind.PROPORTION:
        score = proportion(round(parts.x), n, minima=minima)
        interval = score.interval or (None, None)
        return Figure(score.value, interval[0], interval[1], n, score.shown, score.reason)
    if kind == KpiKind.NET:
        promoters, detractors = round(parts.x), round(parts.y)
        nps = net_promoter_counts(promoters, n - promoters - detractors, detractors, minima=minima)
        interval = nps.score.interval or (None, None)
        return Figure(
            nps.score.value, interval[0], interval[1], n, nps.score.shown, nps.score.reason
        )
    if kind == KpiKind.PER_UNIT:
        low, high = poisson_interval(round(parts.x))
        return _shown(scale * parts.x / n, scale * low / n, scale * high / n, n, min_n)
    mean = parts.x / n
    if n < 2:
        return _shown(mean, None, None, n, min_n)
    half = t_critical(n - 1) * _sd(parts) / math.sqrt(n)
    return _shown(mean, mean - half, mean + half, n, min_n)


def _shown(value: float, low: float | None, high: float | None, n: int, min_n: int) -> Figure:
    if n < min_n:
        return Figure(value, low, high, n, shown=False, reason=too_few(min_n))
    return Figure(value, low, high, n, shown=True)


def _sd(parts: Parts) -> float:
    n = parts.n
    mean = parts.x / n
    return math.sqrt(max(0.0, (parts.x2 - n * mean * mean) / (n - 1)))


def poisson_interval(count: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Garwood) interval of a Poisson count: right at the small counts of a month
    at one location, where count ± 1.96·√count goes below zero."""
    alpha = 1 - confidence
    # The chi-squared quantiles as scipy.stats.chi2.ppf computes them (2·gammaincinv(k/2, q)),
    # halved, without its per-call argument checks.
    low = 0.0 if count == 0 else float(special.gammaincinv(count, alpha / 2))
    high = float(special.gammaincinv(count + 1, 1 - alpha / 2))
    return low, high


def compare(
    kind: KpiKind, before: Parts, after: Parts, *, min_n: int, scale: float = 1.0
) -> Change | None:
    """Whether ``after`` differs from ``before`` by more than chance: the two-proportion z test
    for proportions, Welch's t for means, a z test on NPS with its standard errors, and the
    conditional binomial test for counts and rates (the same exposure makes it exact). None
    when either period has too few units to compare."""
    if kind == KpiKind.COUNT:
        return _compare_rates(before.x, 1.0, after.x, 1.0)
    if min(before.n, after.n) < max(min_n, 2):
        return None
    if kind == KpiKind.PROPORTION:
        return _change(
            compare_proportions(round(before.x), round(before.n), round(after.x), round(after.n))
        )
    if kind == KpiKind.MEAN:
        first = Summary(before.x / before.n, _sd(before), round(before.n))
        second = Summary(after.x / after.n, _sd(after), round(after.n))
        return _change(compare_means(first, second))
    if kind == KpiKind.NET:
        return _compare_nps(before, after)
    change = _compare_rates(before.x, before.n, after.x, after.n)
    return Change(scale * change.change, change.p_value, change.signal)


def _change(comparison: Comparison) -> Change:
    return Change(comparison.change, comparison.p_value, comparison.significant)


def _compare_nps(before: Parts, after: Parts) -> Change:
    scores = []
    for parts in (before, after):
        n = round(parts.n)
        promoters, detractors = round(parts.x), round(parts.y)
        nps = net_promoter_counts(promoters, n - promoters - detractors, detractors)
        scores.append((nps.score.value or 0.0, nps.se or 0.0))
    change = scores[1][0] - scores[0][0]
    se = math.hypot(scores[0][1], scores[1][1])
    if se == 0:
        return Change(change, 1.0 if change == 0 else 0.0, change != 0)
    p_value = 2 * NormalDist().cdf(-abs(change / se))
    return Change(change, p_value, p_value < 0.05)


def _compare_rates(count1: float, exposure1: float, count2: float, exposure2: float) -> Change:
    """Two Poisson rates: given the total, the second count is binomial with share
    exposure2 / (exposure1 + exposure2) under "no change"; the normal approximation of that
    binomial is close enough from a total of 10 and exact enough below for a tile."""
    rate1, rate2 = count1 / exposure1, count2 / exposure2
    total = count1 + count2
    if total == 0:
        return Change(0.0, 1.0, False)
    share = exposure2 / (exposure1 + exposure2)
    se = math.sqrt(total * share * (1 - share))
    z = (count2 - total * share) / se
    p_value = min(1.0, 2 * NormalDist().cdf(-abs(z)))
    return Change(rate2 - rate1, p_value, p_value < 0.05)


# --- funnel plots ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Funnel:
    """The overall value of a KPI and, for a unit of n, the limits chance alone keeps it within
    (``bounds(n, z)``: z = 1.96 for 95%, 3.09 for 99.8%; Spiegelhalter 2005)."""

    centre: float
    spread: float
    floor: float | None = None
    ceiling: float | None = None

    def bounds(self, n: float, z: float) -> tuple[float, float]:
        half = z * self.spread / math.sqrt(max(n, 1.0))
        low, high = self.centre - half, self.centre + half
        if self.floor is not None:
            low = max(self.floor, low)
        if self.ceiling is not None:
            high = min(self.ceiling, high)
        return low, high


def funnel(kind: KpiKind, total: Parts, *, scale: float = 1.0) -> Funnel | None:
    """The funnel around the overall value: the spread of one unit's contribution (a share's
    √(p(1-p)), a mean's standard deviation, NPS's per-answer SD, a rate's √rate). None for
    counts, which have no n, and when there is nothing to compare."""
    if kind == KpiKind.COUNT or total.n < 2:
        return None
    if kind == KpiKind.PROPORTION:
        p = total.x / total.n
        return Funnel(100 * p, 100 * math.sqrt(p * (1 - p)), 0.0, 100.0)
    if kind == KpiKind.NET:
        p, d = total.x / total.n, total.y / total.n
        return Funnel(100 * (p - d), 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2)), -100, 100)
    if kind == KpiKind.PER_UNIT:
        rate = total.x / total.n
        return Funnel(scale * rate, scale * math.sqrt(rate), 0.0)
    return Funnel(total.x / total.n, _sd(total))


__all__ = [
    "Z95",
    "Change",
    "Figure",
    "Funnel",
    "Parts",
    "compare",
    "figure",
    "funnel",
    "poisson_interval",
]
