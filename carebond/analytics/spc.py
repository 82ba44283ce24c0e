"""Statistical process control for early warning (methods.md §4.4, docs/analytics.md).

Pure functions on plain numbers: no Django, no database. Each chart returns a result with the
plotted values, the centre line, the limits of each point (None where a point has none), and
the signals: which rule fired, at which points, and in which direction ("up", "down").

- ``runs_analysis``: the Anhøj run-chart rules. A *shift* is a run of points on one side of the
  centre line longer than ``round(log2(n) + 3)``; *too few crossings* is fewer crossings of the
  centre line than the 5% lower binomial quantile ``qbinom(0.05, n - 1, 0.5)``; ``n`` counts
  the useful points (those not on the centre line). Anhøj & Olesen (2014) found these two
  rules keep a false-signal rate near 5% per chart whatever its length, while the trend rule
  is nearly useless, so there is no trend rule.
- ``p_chart`` / ``u_chart``: a proportion (x of n) or a rate (x events per n units), with
  limits recomputed for each n. ``laney=True`` gives Laney's p'- and u'-charts: the z-scores
  of the points against the plain chart have their own spread, sigma_z = MR-bar / 1.128 (the
  moving range of consecutive z-scores), and the limits are widened by it. With large n a
  plain chart's limits are too narrow for the month-to-month variation real processes have
  (overdispersion), and nearly every point falls outside; p' fixes that.
- ``individuals_chart``: a Shewhart individuals chart, sigma from MR-bar / 1.128 unless given.
- ``ewma_chart``: z_t = lambda x_t + (1 - lambda) z_{t-1}, z_0 = mu_0, with the exact
  (time-varying) limits mu_0 ± L sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2t))).
- ``cusum_chart``: the tabular CUSUM, C+ and C-, signalling when a sum exceeds h, and
  starting again from zero after a signal.

``family_limits`` chooses the limits of many charts watched together, so that the chance of
at least one false alarm in a period across all of them stays at a target (see its docstring).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from statistics import NormalDist

from scipy import special
from scipy.optimize import brentq

SHIFT = "shift"
CROSSINGS = "crossings"
OUTSIDE = "outside limits"
EWMA_LOW = "EWMA below LCL"
EWMA_HIGH = "EWMA above UCL"
CUSUM_DOWN = "CUSUM down"
CUSUM_UP = "CUSUM up"
RULES = (SHIFT, CROSSINGS, OUTSIDE, EWMA_LOW, EWMA_HIGH, CUSUM_DOWN, CUSUM_UP)

UP, DOWN = "up", "down"
D2 = 1.128
"""The bias constant d2 for a moving range of two points: sigma is estimated as MR-bar / d2."""
CONVENTIONAL_ALPHA = 2 * NormalDist().cdf(-3.0)
"""The two-sided chance of a point outside 3-sigma limits, 0.0027: no chart is made narrower."""


@dataclass(frozen=True)
class Signal:
    """A rule that fired, the indices of the points that fired it, and its direction ("up",
    "down", or None when the rule has none)."""

    rule: str
    indices: tuple[int, ...]
    direction: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChartResult:
    """A chart: what is plotted at each point (``values``; None for a point left out), the
    centre line, each point's limits, and the signals."""

    name: str
    values: tuple[float | None, ...]
    centre: float
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    signals: tuple[Signal, ...]

    @property
    def signalling(self) -> tuple[int, ...]:
        """Every point that fired any rule, in order."""
        return tuple(sorted({index for signal in self.signals for index in signal.indices}))

    @property
    def rules(self) -> tuple[str, ...]:
        """The rules that fired, each once, in the order of ``RULES``."""
        fired = {signal.rule for signal in self.signals}
        return tuple(rule for rule in RULES if rule in fired)


@dataclass(frozen=True, kw_only=True)
class RunsResult(ChartResult):
    useful: int
    longest_run: int
    run_limit: int
    crossings: int
    crossings_limit: int


@dataclass(frozen=True, kw_only=True)
class LaneyResult(ChartResult):
    sigma_z: float
    """1 for a plain p- or u-chart; above 1 when the points vary more than their n explains."""


@dataclass(frozen=True, kw_only=True)
class CusumResult(ChartResult):
    upper_sums: tuple[float, ...]
    lower_sums: tuple[float, ...]
    h: float


# --- run-chart rules (Anhøj) ---------------------------------------------------------------


def run_limit(useful: int) -> int:
    """The longest run expected by chance among ``useful`` points: round(log2(n) + 3)."""
    return round(math.log2(useful) + 3)


def crossings_limit(useful: int) -> int:
    """The fewest crossings expected by chance: the 5% lower quantile of Binomial(n - 1, 1/2),
    the least k whose cumulative probability reaches 5% (scipy.stats would give the same, at a
    third of a second's import for every process)."""
    k = 0
    while special.bdtr(k, useful - 1, 0.5) < 0.05:
        k += 1
    return k


def runs_analysis(values: Sequence[float | None], centre: float | None = None) -> RunsResult:
    """The Anhøj rules around ``centre`` (the median of the points when not given). Points on
    the centre line, and missing points (None), neither make nor break a run."""
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if centre is None:
        centre = statistics.median(v for _, v in present) if present else 0.0
    useful = [(i, 1 if v > centre else -1) for i, v in present if v != centre]
    runs: list[tuple[int, list[int]]] = []
    for index, side in useful:
        if runs and runs[-1][0] == side:
            runs[-1][1].append(index)
        else:
            runs.append((side, [index]))
    n = len(useful)
    signals: list[Signal] = []
    longest = max((len(points) for _, points in runs), default=0)
    limit_run = run_limit(n) if n else 0
    limit_crossings = crossings_limit(n) if n >= 2 else 0
    crossings = max(len(runs) - 1, 0)
    if n >= 2:
        for side, direction in ((1, UP), (-1, DOWN)):
            long_runs = [
                i for s, points in runs if s == side and len(points) > limit_run for i in points
            ]
            if long_runs:
                signals.append(Signal(SHIFT, tuple(long_runs), direction))
        if crossings < limit_crossings:
            # The series stays too long on each side; the last run says where it is now.
            side, points = runs[-1]
            signals.append(Signal(CROSSINGS, tuple(points), UP if side > 0 else DOWN))
    return RunsResult(
        name="run chart",
        values=tuple(values),
        centre=centre,
        lower=tuple(None for _ in values),
        upper=tuple(None for _ in values),
        signals=tuple(signals),
        useful=n,
        longest_run=longest,
        run_limit=limit_run,
        crossings=crossings,
        crossings_limit=limit_crossings,
    )


# --- charts with limits ----------------------------------------------------------------------


def _outside(
    values: Sequence[float | None],
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    low_rule: str,
    high_rule: str,
) -> tuple[Signal, ...]:
    below = tuple(
        i
        for i, (v, lo) in enumerate(zip(values, lower, strict=True))
        if v is not None and lo is not None and v < lo
    )
    above = tuple(
        i
        for i, (v, hi) in enumerate(zip(values, upper, strict=True))
        if v is not None and hi is not None and v > hi
    )
    signals = []
    if below:
        signals.append(Signal(low_rule, below, DOWN))
    if above:
        signals.append(Signal(high_rule, above, UP))
    return tuple(signals)


def _baseline(count: int, baseline: int | None) -> range:
    """The phase I points: the first ``baseline`` of them (all when None)."""
    return range(count if baseline is None else min(baseline, count))


def moving_range_sigma(values: Sequence[float]) -> float:
    """MR-bar / 1.128 over consecutive values: sigma of an individuals chart."""
    ranges = [abs(b - a) for a, b in pairwise(values)]
    return statistics.fmean(ranges) / D2 if ranges else 0.0


def _attribute_chart(
    x: Sequence[float],
    n: Sequence[float],
    *,
    rate: bool,
    laney: bool,
    width: float,
    baseline: int | None,
) -> LaneyResult:
    if len(x) != len(n) or not x:
        raise ValueError("x and n need one value each per point, and at least one point.")
    if any(size <= 0 for size in n):
        raise ValueError("Every point needs n > 0.")
    phase = _baseline(len(x), baseline)
    centre = sum(x[i] for i in phase) / sum(n[i] for i in phase)
    values = [xi / ni for xi, ni in zip(x, n, strict=True)]
    spread = centre if rate else centre * (1 - centre)
    sigmas = [math.sqrt(spread / ni) for ni in n]
    sigma_z = 1.0
    if laney:
        z = [(values[i] - centre) / sigmas[i] for i in phase if sigmas[i] > 0]
        sigma_z = moving_range_sigma(z) if len(z) >= 2 else 1.0
    lower = [max(0.0, centre - width * sigma * sigma_z) for sigma in sigmas]
    upper = [centre + width * sigma * sigma_z for sigma in sigmas]
    if not rate:
        upper = [min(1.0, value) for value in upper]
    name = ("u" if rate else "p") + ("'" if laney else "") + "-chart"
    return LaneyResult(
        name=name,
        values=tuple(values),
        centre=centre,
        lower=tuple(lower),
        upper=tuple(upper),
        signals=_outside(values, lower, upper, OUTSIDE, OUTSIDE),
        sigma_z=sigma_z,
    )


def p_chart(
    x: Sequence[float],
    n: Sequence[float],
    *,
    laney: bool = False,
    width: float = 3.0,
    baseline: int | None = None,
) -> LaneyResult:
    """A p-chart (Laney's p'-chart with ``laney=True``) of x_i of n_i: p-bar = sum x / sum n
    over the first ``baseline`` points (all when None), limits p-bar ± width sigma_i sigma_z
    with sigma_i = sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]."""
    return _attribute_chart(x, n, rate=False, laney=laney, width=width, baseline=baseline)


def u_chart(
    x: Sequence[float],
    n: Sequence[float],
    *,
    laney: bool = False,
    width: float = 3.0,
    baseline: int | None = None,
) -> LaneyResult:
    """A u-chart (Laney's u'-chart with ``laney=True``) of x_i events in n_i units: u-bar =
    sum x / sum n, limits u-bar ± width sigma_i sigma_z with sigma_i = sqrt(u-bar / n_i)."""
    return _attribute_chart(x, n, rate=True, laney=laney, width=width, baseline=baseline)


def individuals_chart(
    values: Sequence[float],
    *,
    mean: float | None = None,
    sigma: float | None = None,
    width: float = 3.0,
    baseline: int | None = None,
) -> ChartResult:
    """A Shewhart individuals chart: mean ± width sigma. Unless given, the mean and sigma
    (MR-bar / 1.128) come from the first ``baseline`` points (all when None)."""
    phase = [values[i] for i in _baseline(len(values), baseline)]
    centre = statistics.fmean(phase) if mean is None else mean
    spread = moving_range_sigma(phase) if sigma is None else sigma
    lower = [centre - width * spread] * len(values)
    upper = [centre + width * spread] * len(values)
    return ChartResult(
        name="individuals chart",
        values=tuple(values),
        centre=centre,
        lower=tuple(lower),
        upper=tuple(upper),
        signals=_outside(values, lower, upper, OUTSIDE, OUTSIDE),
    )


def ewma_chart(
    values: Sequence[float],
    *,
    mean: float,
    sigma: float,
    lam: float = 0.2,
    width: float = 3.0,
) -> ChartResult:
    """The EWMA of the values (z_0 = mean) against its exact limits at each point. λ between
    0.2 and 0.3 is usual (methods.md §4.4); width is L."""
    if not 0 < lam <= 1:
        raise ValueError("lambda is in (0, 1].")
    z = mean
    smoothed, lower, upper = [], [], []
    for t, value in enumerate(values, start=1):
        z = lam * value + (1 - lam) * z
        half = width * sigma * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
        smoothed.append(z)
        lower.append(mean - half)
        upper.append(mean + half)
    return ChartResult(
        name="EWMA chart",
        values=tuple(smoothed),
        centre=mean,
        lower=tuple(lower),
        upper=tuple(upper),
        signals=_outside(smoothed, lower, upper, EWMA_LOW, EWMA_HIGH),
    )


def cusum_chart(values: Sequence[float], *, target: float, k: float, h: float) -> CusumResult:
    """The tabular CUSUM in the values' own units: C+_t = max(0, x_t - (target + k) + C+_{t-1}),
    C-_t = max(0, (target - k) - x_t + C-_{t-1}); a sum above h signals ("CUSUM up" or
    "CUSUM down") and that sum starts again from zero. ``values`` of the result are the
    observations; the sums are ``upper_sums`` and ``lower_sums`` (before any restart)."""
    high = low = 0.0
    highs, lows, up, down = [], [], [], []
    for t, value in enumerate(values):
        high = max(0.0, value - (target + k) + high)
        low = max(0.0, (target - k) - value + low)
        highs.append(high)
        lows.append(low)
        if high > h:
            up.append(t)
            high = 0.0
        if low > h:
            down.append(t)
            low = 0.0
    signals = []
    if down:
        signals.append(Signal(CUSUM_DOWN, tuple(down), DOWN))
    if up:
        signals.append(Signal(CUSUM_UP, tuple(up), UP))
    return CusumResult(
        name="CUSUM chart",
        values=tuple(values),
        centre=target,
        lower=tuple(None for _ in values),
        upper=tuple(None for _ in values),
        signals=tuple(signals),
        upper_sums=tuple(highs),
        lower_sums=tuple(lows),
        h=h,
    )


# --- many charts at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyLimits:
    """The limits of each of ``charts`` charts watched together.

    ``chart_alpha``: each chart's two-sided chance of a false alarm in a period; ``width``: L
    in sigma for the Shewhart, p', u' and EWMA limits; ``cusum_h``: h in sigma for a CUSUM
    with reference value ``cusum_k`` sigma."""

    charts: int
    family_alpha: float
    chart_alpha: float
    width: float
    cusum_k: float
    cusum_h: float

    @property
    def achieved_family_alpha(self) -> float:
        """The chance of at least one false alarm among the charts in a period."""
        return 1 - (1 - self.chart_alpha) ** self.charts


def cusum_arl(h: float, k: float) -> float:
    """The in-control average run length of a two-sided CUSUM (h, k in sigma), by Siegmund's
    approximation: one side runs (e^(2kb) - 2kb - 1) / (2k^2) periods with b = h + 1.166, and
    the two sides together half as long."""
    b = h + 1.166
    one_side = (math.exp(2 * k * b) - 2 * k * b - 1) / (2 * k * k)
    return one_side / 2


def cusum_h_for(arl: float, k: float = 0.5) -> float:
    """The h (in sigma) whose two-sided CUSUM runs ``arl`` periods on average before a false
    alarm."""
    return float(brentq(lambda h: cusum_arl(h, k) - arl, 0.0, 60.0))


def family_limits(charts: int, family_alpha: float = 0.05, *, cusum_k: float = 0.5) -> FamilyLimits:
    """Limits for ``charts`` charts watched together, so that the chance of at least one false
    alarm among all of them in a period stays at ``family_alpha`` (at most).

    The Šidák correction: with m independent charts each raising a false alarm with chance a,
    the family raises at least one with chance 1 - (1 - a)^m; so each chart gets
    a = 1 - (1 - family_alpha)^(1/m). (Bonferroni's family_alpha / m is a little smaller, hence
    a little more conservative; the two barely differ at the alphas used here, and Šidák is
    exact for independent charts.) A chart is never made narrower than the conventional
    3-sigma limits (a = 0.0027): a few charts keep the family under the target without it.

    The per-chart a becomes:

    - Shewhart, p', u' limits: L = the normal quantile 1 - a/2, since a point of an in-control
      chart falls outside mu ± L sigma with chance a.
    - EWMA limits: the same L. With the exact time-varying limits, z_t of an in-control series
      is normal with exactly the variance the limits use, at every t; so each period's chance
      of a point outside is a, as for Shewhart.
    - CUSUM: a CUSUM's chance of a signal is not the same in every period (it depends on the
      sums so far), so h is chosen for its average run length instead: restarted after each
      signal, a CUSUM raises in the long run 1/ARL0 false alarms per period, so h is the one
      whose in-control two-sided ARL0 is 1/a (Siegmund's approximation, ``cusum_arl``), with
      k = 0.5 sigma (half of the one-sigma shift it is tuned for, methods.md §4.4).
    """
    if charts < 1:
        raise ValueError("At least one chart.")
    if not 0 < family_alpha < 1:
        raise ValueError("The family's alpha is between 0 and 1.")
    chart_alpha = min(1 - (1 - family_alpha) ** (1 / charts), CONVENTIONAL_ALPHA)
    width = NormalDist().inv_cdf(1 - chart_alpha / 2)
    return FamilyLimits(
        charts=charts,
        family_alpha=family_alpha,
        chart_alpha=chart_alpha,
        width=width,
        cusum_k=cusum_k,
        cusum_h=cusum_h_for(1 / chart_alpha, cusum_k),
    )
