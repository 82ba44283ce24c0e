"""Survey scoring (docs/methods.md §2 and §3), as pure functions over answer codes.

Patient-experience items are scored as top-box percentages or linear 0-100 means (§2.3, §2.4),
recommendation questions as a Net Promoter Score (§2.7), staff surveys as favourability,
eNPS and team psychological safety (§3.1, §3.2), and two waves are compared with a test
rather than by eye (§3.4). Every figure comes back as a ``Score``: its value, its n, a 95%
interval, and whether it may be shown (§2.6: always show n and an interval; hide small n).

An answer is an integer code on its scale (``Scale.code`` turns a label into one); ``None``
is a skip, a "not applicable" or a screened-out answer, which leaves the denominator (§2.3).
A code outside the scale is a ``ValueError`` naming the answer and the scale. No database and
no Django: the survey pages, the API and the reports build on these functions.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from scipy import special

from carebond.surveys.suppression import K_METRIC

Answer = int | None
Interval = tuple[float, float]

Z95 = NormalDist().inv_cdf(0.975)
"""The two-sided 95% normal quantile (1.95996…): the methods' 1.96, unrounded."""

# --- shown or not (§2.6) ----------------------------------------------------------------------


@dataclass(frozen=True)
class Minimum:
    """The smallest n at which a figure is shown, and the words for why it is not.
    ``reason`` may name the threshold as ``{n}``. Every threshold is configurable per tenant."""

    n: int
    reason: str

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"A minimum number of responses must be at least 1, not {self.n}.")

    def describe(self) -> str:
        return self.reason.format(n=self.n)


ANONYMITY = Minimum(K_METRIC, "fewer than {n} responses")
"""§2.6 and §3.3: any metric with n < 5 is hidden, so that no one's answers can be singled out."""
INSUFFICIENT_DATA = Minimum(30, "insufficient data (fewer than {n} responses)")
"""§2.6: a provider-level star or percentage needs n >= 30; below it the interval is too wide."""
METRIC_MINIMA: tuple[Minimum, ...] = (ANONYMITY,)
PROVIDER_MINIMA: tuple[Minimum, ...] = (ANONYMITY, INSUFFICIENT_DATA)
"""For a provider's percentage: anonymity first (its reason wins below 5), then sample size."""
NO_ANSWERS = "no answers"


@dataclass(frozen=True)
class Score:
    """One scored figure. ``value`` and ``interval`` (95%, same units as the value) are None
    when there is nothing to score. ``shown`` is False when n is below a minimum, and
    ``reason`` says why. The value is kept for further arithmetic (a composite, a trend), so
    whatever displays a score must check ``shown`` first."""

    value: float | None
    n: int
    interval: Interval | None
    shown: bool
    reason: str | None

    @classmethod
    def of(
        cls,
        value: float | None,
        n: int,
        interval: Interval | None,
        minima: Sequence[Minimum] = METRIC_MINIMA,
    ) -> Score:
        """The score with its shown/reason pair: the first minimum that n misses names why."""
        if value is None or n == 0:
            return cls(value, n, interval, shown=False, reason=NO_ANSWERS)
        for minimum in minima:
            if n < minimum.n:
                return cls(value, n, interval, shown=False, reason=minimum.describe())
        return cls(value, n, interval, shown=True, reason=None)


# --- scales (§2.3 crosswalk) ------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """An answer scale, worst answer first, coded ``first_code``, ``first_code + 1``, ….

    ``top`` is how many of the best answers make the top box (two on a 0-10 rating: 9 and 10).
    Ordinal scales are coded 1..k, as the linear transform of §2.4 expects; a 0-10 rating is
    coded by its own number.
    """

    name: str
    labels: tuple[str, ...]
    first_code: int = 1
    top: int = 1

    def __post_init__(self) -> None:
        if len(self.labels) < 2:
            raise ValueError(f"The {self.name} scale needs at least two answers.")
        if not 1 <= self.top < len(self.labels):
            raise ValueError(f"The {self.name} scale's top box must leave at least one answer out.")

    @property
    def low(self) -> int:
        return self.first_code

    @property
    def high(self) -> int:
        return self.first_code + len(self.labels) - 1

    def code(self, label: str) -> int:
        """The code of an answer's label, e.g. FREQUENCY_4.code("Always") == 4."""
        try:
            return self.first_code + self.labels.index(label)
        except ValueError:
            choices = ", ".join(self.labels)
            raise ValueError(
                f'"{label}" is not an answer on the {self.name} scale ({choices}).'
            ) from None

    def label(self, code: int) -> str:
        return self.labels[self.check(code) - self.first_code]

    def check(self, answer: int) -> int:
        """The answer itself, or a ValueError that names it and the scale's range."""
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ValueError(f"Answer {answer!r} is not a code on the {self.name} scale.")
        if not self.low <= answer <= self.high:
            raise ValueError(
                f"Answer {answer} is outside the {self.name} scale ({self.low} to {self.high})."
            )
        return answer

    def valid(self, answers: Iterable[Answer]) -> list[int]:
        """The answers that count: checked, with skips and "not applicable" (None) left out."""
        return [self.check(answer) for answer in answers if answer is not None]

    def top_codes(self, top: int | None = None) -> range:
        count = self.top if top is None else top
        if not 1 <= count < len(self.labels):
            raise ValueError(
                f"A top box of {count} answers does not fit the {self.name} scale "
                f"({len(self.labels)} answers)."
            )
        return range(self.high - count + 1, self.high + 1)


YES_NO = Scale("yes/no", ("No", "Yes"))
RATING_0_10 = Scale("0-10 rating", tuple(str(r) for r in range(11)), first_code=0, top=2)
THREE_POINT = Scale("3-point", ("No", "Yes, somewhat", "Yes, definitely"))
FREQUENCY_4 = Scale("4-point frequency", ("Never", "Sometimes", "Usually", "Always"))
AGREE_5 = Scale(
    "5-point agreement",
    ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"),
)
RECOMMEND_4 = Scale(
    "4-point recommendation", ("Definitely no", "Probably no", "Probably yes", "Definitely yes")
)

# --- proportions: Wilson interval, top box, favourability, composites (§2.3, §3.1) -------------


def wilson_interval(successes: int, n: int, z: float = Z95) -> Interval:
    """The Wilson score interval for a proportion, as shares in [0, 1]. Unlike p ± z·SE it
    stays inside [0, 1] and keeps its coverage at the small n of a single provider or team."""
    if n < 1:
        raise ValueError("A proportion needs at least one valid answer.")
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} successes out of {n} is not a proportion.")
    p = successes / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denominator = 1 + z2 / n
    # at 0/n and n/n the bound is exactly 0 or 1; rounding would leave it a hair inside
    low = 0.0 if successes == 0 else (centre - spread) / denominator
    high = 1.0 if successes == n else (centre + spread) / denominator
    return low, high


def proportion(successes: int, n: int, *, minima: Sequence[Minimum] = METRIC_MINIMA) -> Score:
    """A percentage with its Wilson interval in percent; None when n is 0."""
    if n == 0:
        return Score.of(None, 0, None, minima)
    low, high = wilson_interval(successes, n)
    return Score.of(100 * successes / n, n, (100 * low, 100 * high), minima)


def top_box(
    answers: Iterable[Answer],
    scale: Scale,
    *,
    top: int | None = None,
    minima: Sequence[Minimum] = METRIC_MINIMA,
) -> Score:
    """``TB = 100 * top-box answers / valid answers`` (§2.3). Skips and "not applicable" (None)
    leave the denominator. ``top`` widens the box beyond the scale's own (favourability)."""
    valid = scale.valid(answers)
    box = scale.top_codes(top)
    return proportion(sum(1 for answer in valid if answer in box), len(valid), minima=minima)


def favourability(
    answers: Iterable[Answer],
    scale: Scale = AGREE_5,
    *,
    minima: Sequence[Minimum] = METRIC_MINIMA,
) -> Score:
    """The share answering the top two of five (Agree or Strongly agree), the usual staff-survey
    headline (§3.1)."""
    return top_box(answers, scale, top=2, minima=minima)


def composite(items: Sequence[Score], *, minima: Sequence[Minimum] = METRIC_MINIMA) -> Score:
    """The equal-weight mean of the items' top-box percentages (§2.3). Items nobody answered are
    left out. Its n is the smallest item n, since the composite is no surer than its thinnest
    item; no interval, because the items share respondents and are not independent."""
    scored = [item for item in items if item.value is not None]
    if not scored:
        return Score.of(None, 0, None, minima)
    value = statistics.fmean(item.value for item in scored if item.value is not None)
    return Score.of(value, min(item.n for item in scored), None, minima)


# --- linear mean scores (§2.4) ----------------------------------------------------------------


def linear_score(answer: int, scale: Scale) -> float:
    """``Y = 100 (X - a) / (b - a)``: an answer on 0-100, a the scale's lowest code, b its
    highest (Never … Always → 0, 33⅓, 66⅔, 100; a 0-10 rating r → 10r)."""
    return 100 * (scale.check(answer) - scale.low) / (scale.high - scale.low)


def linear_mean(
    answers: Iterable[Answer], scale: Scale, *, minima: Sequence[Minimum] = METRIC_MINIMA
) -> Score:
    """The mean linear score, the preferred CAHPS method for comparisons (§2.4), with a Student
    t 95% interval clipped to 0-100 (none for a single answer)."""
    values = [linear_score(answer, scale) for answer in scale.valid(answers)]
    return _mean_score(values, 0.0, 100.0, minima)


def _mean_score(
    values: Sequence[float], low: float, high: float, minima: Sequence[Minimum]
) -> Score:
    if not values:
        return Score.of(None, 0, None, minima)
    mean = statistics.fmean(values)
    interval = None
    if len(values) >= 2:
        half = t_critical(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
        interval = (max(low, mean - half), min(high, mean + half))
    return Score.of(mean, len(values), interval, minima)


# --- Net Promoter Score and eNPS (§2.7, §3.1) -------------------------------------------------


@dataclass(frozen=True)
class NetPromoter:
    """Promoters (9-10), passives (7-8) and detractors (0-6) of one 0-10 question; ``score``
    holds NPS = 100 (p - d) on -100..100 with its 95% interval; ``se`` is in NPS points."""

    promoters: int
    passives: int
    detractors: int
    se: float | None
    score: Score

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors


def net_promoter_counts(
    promoters: int, passives: int, detractors: int, *, minima: Sequence[Minimum] = METRIC_MINIMA
) -> NetPromoter:
    """NPS from the three counts. Each answer scores +1, 0 or -1, so
    ``Var(p - d) = (p + d - (p - d)²) / n`` and the interval is NPS ± 1.96·SE, clipped to the
    scale (the normal interval can overshoot ±100 at small n, where §2.7 says to suppress)."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError("Promoter, passive and detractor counts cannot be negative.")
    n = promoters + passives + detractors
    if n == 0:
        return NetPromoter(0, 0, 0, None, Score.of(None, 0, None, minima))
    p, d = promoters / n, detractors / n
    se = 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)
    value = 100 * (p - d)
    interval = (max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se))
    return NetPromoter(promoters, passives, detractors, se, Score.of(value, n, interval, minima))


def net_promoter(
    answers: Iterable[Answer], *, minima: Sequence[Minimum] = METRIC_MINIMA
) -> NetPromoter:
    """NPS from 0-10 answers to "How likely is it that you would recommend …" (§2.7). It is not
    the HCAHPS 4-point recommend item nor the CAHPS provider rating: different instruments."""
    valid = RATING_0_10.valid(answers)
    return net_promoter_counts(
        sum(1 for a in valid if a >= 9),
        sum(1 for a in valid if 7 <= a <= 8),
        sum(1 for a in valid if a <= 6),
        minima=minima,
    )


employee_net_promoter = net_promoter
"""eNPS (§3.1): the same arithmetic and interval, asked about the organisation as a workplace."""

# --- team psychological safety (§3.1, §3.2) ---------------------------------------------------

EDMONDSON_REVERSED = (1, 3, 5)
"""Positions (from 1) of the reverse-worded items of Edmondson's seven-item scale."""
EDMONDSON_LOW, EDMONDSON_HIGH = 1, 7
PSYCHOLOGICAL_SAFETY_MIN_ANSWERED = 5
"""§3.2: an individual score needs at least 5 of the 7 items answered."""


def psychological_safety(
    answers: Sequence[Answer],
    *,
    reversed_items: Collection[int] = EDMONDSON_REVERSED,
    low: int = EDMONDSON_LOW,
    high: int = EDMONDSON_HIGH,
    min_answered: int = PSYCHOLOGICAL_SAFETY_MIN_ANSWERED,
) -> float | None:
    """One person's score: the mean of their answers after reverse items are recoded
    ``x' = (low + high) - x`` (8 - x on 1-7), so that higher always means safer. None when
    fewer than ``min_answered`` items were answered: too little to stand for the scale."""
    if not 1 <= min_answered <= len(answers):
        raise ValueError(
            f"At least 1 and at most {len(answers)} answers can be required, not {min_answered}."
        )
    outside = sorted(position for position in reversed_items if not 1 <= position <= len(answers))
    if outside:
        raise ValueError(f"Reverse items {outside} are not among the {len(answers)} items.")
    scale = Scale("psychological safety", tuple(str(x) for x in range(low, high + 1)), low)
    recoded = [
        (low + high - scale.check(answer) if position in reversed_items else scale.check(answer))
        for position, answer in enumerate(answers, start=1)
        if answer is not None
    ]
    if len(recoded) < min_answered:
        return None
    return statistics.fmean(recoded)


def team_psychological_safety(
    individual_scores: Iterable[float | None],
    *,
    low: float = EDMONDSON_LOW,
    high: float = EDMONDSON_HIGH,
    minima: Sequence[Minimum] = METRIC_MINIMA,
) -> Score:
    """The team score: the mean of its members' individual scores (people with too few answers,
    None, are not counted), with a t interval. Shown only from k members (§3.3). Check
    within-team agreement before reading it as a shared climate (§3.2)."""
    values = [score for score in individual_scores if score is not None]
    return _mean_score(values, low, high, minima)


# --- change between waves (§3.4) --------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Wave 2 against wave 1. ``first``, ``second`` and ``change`` (second - first, so a drop is
    negative) are in percent for proportions and in the scores' own units for means;
    ``statistic`` is the z or t of the change, ``p_value`` two-sided, ``interval`` the 95%
    interval of the change, ``df`` the degrees of freedom of a t test (None for z)."""

    first: float
    second: float
    change: float
    statistic: float
    p_value: float
    interval: Interval
    df: float | None = None
    alpha: float = 0.05

    @property
    def significant(self) -> bool:
        """False means "within noise": do not report it as a change."""
        return self.p_value < self.alpha


def compare_proportions(
    successes1: int, n1: int, successes2: int, n2: int, *, alpha: float = 0.05
) -> Comparison:
    """The two-proportion z test on percentages (favourability, top box) of two waves:
    ``z = (p2 - p1) / √(p̄(1 - p̄)(1/n1 + 1/n2))`` with the pooled p̄ (§3.4, which prints it as
    p1 - p2). The interval of the change uses the unpooled standard error."""
    for successes, n in ((successes1, n1), (successes2, n2)):
        if n < 1 or not 0 <= successes <= n:
            raise ValueError(f"{successes} out of {n} is not a proportion to compare.")
    p1, p2 = successes1 / n1, successes2 / n2
    pooled = (successes1 + successes2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    change = p2 - p1
    z = change / se if se > 0 else 0.0
    p_value = min(1.0, 2 * NormalDist().cdf(-abs(z)))
    half = Z95 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    interval = (100 * (change - half), 100 * (change + half))
    return Comparison(100 * p1, 100 * p2, 100 * change, z, p_value, interval, alpha=alpha)


@dataclass(frozen=True)
class Summary:
    """A wave's mean score, its sample standard deviation and n (what a report may store)."""

    mean: float
    sd: float
    n: int


def summarize(values: Sequence[float]) -> Summary:
    if len(values) < 2:
        raise ValueError("A mean score needs at least 2 answers to be compared.")
    return Summary(statistics.fmean(values), statistics.stdev(values), len(values))


def compare_means(first: Summary, second: Summary, *, alpha: float = 0.05) -> Comparison:
    """Welch's t test on mean scores of two waves: it does not assume equal variances, and
    Student's t (not z) keeps the p-value honest at the 5-15 answers of a small team, where a
    z test would call noise a change. Two waves without any spread: p is 1 if equal, else 0."""
    for wave in (first, second):
        if wave.n < 2 or wave.sd < 0:
            raise ValueError("Each wave needs at least 2 answers and a standard deviation >= 0.")
    v1, v2 = first.sd**2 / first.n, second.sd**2 / second.n
    change = second.mean - first.mean
    se = math.sqrt(v1 + v2)
    if se == 0:
        df = float(first.n + second.n - 2)
        statistic = 0.0 if change == 0 else math.copysign(math.inf, change)
        p_value = 1.0 if change == 0 else 0.0
        interval = (change, change)
    else:
        df = (v1 + v2) ** 2 / (v1**2 / (first.n - 1) + v2**2 / (second.n - 1))
        statistic = change / se
        p_value = t_two_sided_p(statistic, df)
        half = t_critical(df) * se
        interval = (change - half, change + half)
    return Comparison(
        first.mean, second.mean, change, statistic, p_value, interval, df=df, alpha=alpha
    )


def compare_mean_scores(
    first: Sequence[float], second: Sequence[float], *, alpha: float = 0.05
) -> Comparison:
    """``compare_means`` on two waves' individual scores (linear 0-100 or 1-7 scale scores)."""
    return compare_means(summarize(first), summarize(second), alpha=alpha)


def minimum_detectable_change(p: float, n: int, z: float = Z95) -> float:
    """``z·√(2p(1 - p)/n)`` in percentage points: the smallest change between two waves of n that
    can stand out from noise. At p = 0.7 and n = 12 it is about 37 points (§3.4)."""
    if not 0 <= p <= 1:
        raise ValueError(f"A proportion lies between 0 and 1, not {p}.")
    if n < 1:
        raise ValueError("A wave needs at least one answer.")
    return 100 * z * math.sqrt(2 * p * (1 - p) / n)


# --- reliability (§2.6) -----------------------------------------------------------------------


def _check_share(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ValueError(f"The {name} must lie strictly between 0 and 1, not {value}.")


def reliability(n: int, icc: float) -> float:
    """Spearman-Brown: the reliability of a mean of n answers, ``n·ICC / (1 + (n - 1)·ICC)``."""
    _check_share("intraclass correlation", icc)
    if n < 1:
        raise ValueError("Reliability needs at least one answer.")
    return n * icc / (1 + (n - 1) * icc)


def respondents_for_reliability(icc: float, target: float) -> int:
    """How many answers a provider needs to reach ``target`` reliability,
    ``n* = R(1 - ICC) / (ICC(1 - R))`` rounded up: ICC 0.05, R 0.70 → 45 (§2.6)."""
    _check_share("intraclass correlation", icc)
    _check_share("target reliability", target)
    needed = target * (1 - icc) / (icc * (1 - target))
    return max(1, math.ceil(needed - 1e-9))  # 1e-9: 44.0000000001 from rounding is still 44


# --- Student's t distribution (for Welch and mean intervals) ---------------------------------


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` > 0 degrees of freedom (fractional for Welch),
    from scipy (already installed with scikit-learn, which the no-show model uses)."""
    if df <= 0:
        raise ValueError(f"Degrees of freedom must be positive, not {df}.")
    if math.isinf(t):
        return 0.0
    return float(2 * special.stdtr(df, -abs(t)))  # scipy.stats.t.sf's own function


def t_critical(df: float, confidence: float = 0.95) -> float:
    """The t with ``P(|T| >= t) = 1 - confidence``: 2.228 at 10 df for 95%."""
    _check_share("confidence", confidence)
    if df <= 0:
        raise ValueError(f"Degrees of freedom must be positive, not {df}.")
    # scipy.stats.t.ppf's own function, without its argument checks (a few microseconds, not
    # a third of a millisecond: the KPI overview computes a hundred intervals)
    return float(special.stdtrit(df, 1 - (1 - confidence) / 2))
