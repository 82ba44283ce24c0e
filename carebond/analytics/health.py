"""Relationship health: how a patient's relationship with the practice stands on one day, in
four dimensions, each from named inputs (docs/analytics.md, "Relationship health").

- connection: recency and frequency of completed visits against the patient's own cycle
  (methods.md §4.2: the overdue ratio in fixed bins, never quintiles);
- communication: whether messages reach them, whether they write back, their consent;
- trust and loyalty: their "would recommend" answers, complaints, how recovery ended, and
  whether they came back after a year;
- commitment: the share of due visits they kept, and whether they rebooked after a miss.

An input without evidence has no sub-score (it is never imputed); a dimension has a score only
when its inputs with evidence carry at least half its weight, and the overall score only when at
least three of the four dimensions have one. Everything here is pure: facts in, scores out, no
database, so that a past day can be scored the same way (the bands' calibration) and the
score can never be read by anything but the analytics app.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Protocol

# --- the facts a score is computed from ------------------------------------------------------


class VisitFact(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def outcome(self) -> str: ...  # completed, noshow, late_cancel, cancelled, booked
    @property
    def cancelled_by(self) -> str: ...
    @property
    def booked_on(self) -> date: ...


class MessageFact(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def inbound(self) -> bool: ...
    @property
    def reached(self) -> bool: ...


class ConsentFact(Protocol):
    @property
    def channel(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def recorded_at(self) -> datetime: ...


class RecommendationFact(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def score(self) -> int: ...


class CaseFact(Protocol):
    @property
    def opened_on(self) -> date: ...
    @property
    def source(self) -> str: ...
    @property
    def outcome(self) -> str: ...
    @property
    def closed_on(self) -> date | None: ...


@dataclass(frozen=True)
class PatientFacts:
    """Everything known about one patient, from every app, oldest first. Facts after the day
    scored are ignored, so one set of facts scores any past day."""

    visits: Sequence[VisitFact] = ()
    messages: Sequence[MessageFact] = ()
    consents: Sequence[ConsentFact] = ()
    contact_systems: frozenset[str] = frozenset()
    recommendations: Sequence[RecommendationFact] = ()
    cases: Sequence[CaseFact] = ()


# --- the rules, named once -------------------------------------------------------------------

DEFAULT_INTERVAL_DAYS = 365
"""The expected cycle of a patient with too few visits to have one of their own: yearly."""
INTERVAL_BOUNDS = (30, 365)
"""A patient's own cycle (the median gap between their visits) is kept within a month and a
year: a run of weekly physiotherapy is not the relationship's rhythm."""
CYCLE_HISTORY_DAYS = 3 * 365
LOOKBACK_DAYS = 730
"""Visits, answers and complaints count over the two years before the day scored."""
MESSAGE_LOOKBACK_DAYS = 365
REBOOK_WITHIN_DAYS = 60
MESSAGING_CHANNELS = ("sms", "email")
MESSAGING_PURPOSES = ("appointment", "care")
MIN_DIMENSIONS = 3
"""The overall score needs at least three of the four dimensions with evidence."""
CHANGE_DAYS = 90
LAPSE_FLOOR_DAYS = 548
"""Lapsed: no completed visit for max(18 months, 1.5 x the expected interval) (methods §4.3)."""
RECOVERY_WINDOW_DAYS = 180
"""A detractor answer (0-6) this recent, or an open case, makes the next step recovery."""


class Dimension(StrEnum):
    CONNECTION = "connection"
    COMMUNICATION = "communication"
    TRUST = "trust"
    COMMITMENT = "commitment"

    @property
    def label(self) -> str:
        return DIMENSION_LABELS[self]


DIMENSION_LABELS = {
    Dimension.CONNECTION: "Connection",
    Dimension.COMMUNICATION: "Communication",
    Dimension.TRUST: "Trust and loyalty",
    Dimension.COMMITMENT: "Commitment",
}
OVERALL = "overall"


class Band(StrEnum):
    """From best to worst; ``floor`` is the lowest score in the band."""

    STRONG = "strong"
    STEADY = "steady"
    AT_RISK = "at_risk"
    LAPSING = "lapsing"

    @property
    def label(self) -> str:
        return {"strong": "Strong", "steady": "Steady", "at_risk": "At risk", "lapsing": "Lapsing"}[
            self.value
        ]

    @property
    def floor(self) -> float:
        return BAND_FLOORS[self]

    @property
    def rank(self) -> int:
        return list(Band).index(self)


BAND_FLOORS = {Band.STRONG: 75.0, Band.STEADY: 55.0, Band.AT_RISK: 35.0, Band.LAPSING: 0.0}
WORST_BANDS = (Band.AT_RISK, Band.LAPSING)


def band_of(score: float) -> Band:
    for band in Band:
        if score >= band.floor:
            return band
    return Band.LAPSING


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    """One named input of a dimension: what it is, what it was (``shown``, in words), its 0-100
    sub-score (None: no evidence, never imputed) and its weight in the dimension (0: shown for
    context only)."""

    key: str
    label: str
    shown: str
    score: float | None
    weight: float


@dataclass(frozen=True)
class Override:
    """A person's judgement replacing a computed score, with their reason."""

    score: float
    comment: str
    by: str
    at: datetime


@dataclass(frozen=True)
class DimensionScore:
    dimension: Dimension
    inputs: tuple[Input, ...]
    computed: float | None
    reason: str = ""
    override: Override | None = None
    change: float | None = None

    @property
    def label(self) -> str:
        return self.dimension.label

    @property
    def score(self) -> float | None:
        return self.override.score if self.override is not None else self.computed

    @property
    def has_evidence(self) -> bool:
        return self.score is not None

    @property
    def band(self) -> Band | None:
        return band_of(self.score) if self.score is not None else None


@dataclass(frozen=True)
class Health:
    as_of: date
    dimensions: tuple[DimensionScore, ...]
    computed: float | None
    reason: str = ""
    override: Override | None = None
    change: float | None = None
    last_visit: date | None = None
    interval_days: int = DEFAULT_INTERVAL_DAYS

    @property
    def score(self) -> float | None:
        return self.override.score if self.override is not None else self.computed

    @property
    def band(self) -> Band | None:
        return band_of(self.score) if self.score is not None else None

    def dimension(self, dimension: Dimension) -> DimensionScore:
        return next(d for d in self.dimensions if d.dimension == dimension)


# --- the dimensions --------------------------------------------------------------------------


def _weighted(dimension: Dimension, inputs: list[Input]) -> DimensionScore:
    total = sum(i.weight for i in inputs)
    known = [i for i in inputs if i.score is not None and i.weight > 0]
    known_weight = sum(i.weight for i in known)
    if total == 0 or known_weight < total / 2:
        missing = [i.label.lower() for i in inputs if i.score is None and i.weight > 0]
        return DimensionScore(
            dimension,
            tuple(inputs),
            None,
            reason="Insufficient evidence: nothing yet on " + ", ".join(missing) + ".",
        )
    score = sum(i.score * i.weight for i in known if i.score is not None) / known_weight
    return DimensionScore(dimension, tuple(inputs), round(score, 1))


def _before(day: date, on: date, days: int) -> bool:
    return on - timedelta(days=days) < day <= on


def completed_days(facts: PatientFacts, on: date) -> list[date]:
    return [v.day for v in facts.visits if v.outcome == "completed" and v.day <= on]


def expected_interval(days: Sequence[date], on: date) -> tuple[int, bool]:
    """(days, own): the median gap between the patient's completed visits of the last three
    years, kept within a month and a year, when they have three or more; else a year."""
    recent = [d for d in days if _before(d, on, CYCLE_HISTORY_DAYS)]
    gaps = [(b - a).days for a, b in pairwise(recent) if (b - a).days > 0]
    if len(gaps) < 2:
        return DEFAULT_INTERVAL_DAYS, False
    low, high = INTERVAL_BOUNDS
    return int(min(high, max(low, statistics.median(gaps)))), True


def overdue_score(ratio: float) -> float:
    """methods §4.2's fixed bins: OR <= 0.5 scores 5 ... OR > 2 scores 1, as 100 ... 0."""
    for top, score in ((0.5, 100.0), (1.0, 75.0), (1.5, 50.0), (2.0, 25.0)):
        if ratio <= top:
            return score
    return 0.0


def connection(facts: PatientFacts, on: date) -> DimensionScore:
    days = completed_days(facts, on)
    interval, own = expected_interval(days, on)
    cycle = Input(
        "cycle",
        "Expected cycle",
        f"every {interval} days" + ("" if own else " (a year: fewer than three visits)"),
        None,
        0.0,
    )
    if not days:
        return DimensionScore(
            Dimension.CONNECTION,
            (cycle,),
            None,
            reason="Insufficient evidence: no completed visit yet.",
        )
    since = (on - days[-1]).days
    ratio = since / interval
    recency = Input(
        "recency",
        "Time since the last visit",
        f"{since} days, {ratio:.1f} x the expected cycle",
        overdue_score(ratio),
        0.6,
    )
    window = min(LOOKBACK_DAYS, (on - days[0]).days + interval)
    expected = max(1.0, window / interval)
    count = sum(1 for d in days if _before(d, on, LOOKBACK_DAYS))
    frequency = Input(
        "frequency",
        "Visits in two years",
        f"{count} of about {expected:.0f} expected",
        round(min(1.0, count / expected) * 100, 1),
        0.4,
    )
    return _weighted(Dimension.CONNECTION, [cycle, recency, frequency])


def consent_in_force(facts: PatientFacts, on: date) -> bool | None:
    """True when messages may be sent for appointments or care on some channel, False when
    every such decision is a revocation, None when none was ever recorded."""
    newest: dict[tuple[str, str], str] = {}
    for record in facts.consents:
        if (
            record.recorded_at.date() <= on
            and record.channel in MESSAGING_CHANNELS
            and record.purpose in MESSAGING_PURPOSES
        ):
            newest[(record.channel, record.purpose)] = record.status
    if not newest:
        return None
    return any(status == "granted" for status in newest.values())


def communication(facts: PatientFacts, on: date) -> DimensionScore:
    recent = [m for m in facts.messages if _before(m.day, on, MESSAGE_LOOKBACK_DAYS)]
    sent = [m for m in recent if not m.inbound]
    reached = sum(1 for m in sent if m.reached)
    replies = sum(1 for m in recent if m.inbound)
    if not facts.contact_systems:
        reach = Input(
            "reach", "Messages that reached them", "no phone or email on record", 0.0, 0.4
        )
    elif sent:
        reach = Input(
            "reach",
            "Messages that reached them",
            f"{reached} of {len(sent)} in a year",
            round(100 * reached / len(sent), 1),
            0.4,
        )
    else:
        reach = Input("reach", "Messages that reached them", "none sent in a year", None, 0.4)
    if replies:
        reply = Input("replies", "Messages from them", f"{replies} in a year", 100.0, 0.2)
    elif reached >= 3:
        reply = Input("replies", "Messages from them", f"none to {reached} received", 0.0, 0.2)
    else:
        reply = Input("replies", "Messages from them", "too few messages to tell", None, 0.2)
    allowed = consent_in_force(facts, on)
    consent = Input(
        "consent",
        "Consent to messages (appointments, care)",
        {True: "granted", False: "revoked", None: "none recorded"}[allowed],
        {True: 100.0, False: 0.0, None: None}[allowed],
        0.4,
    )
    return _weighted(Dimension.COMMUNICATION, [reach, reply, consent])


RECOVERY_OUTCOME_SCORES = {"resolved": 100.0, "partly": 50.0}


def trust(facts: PatientFacts, on: date) -> DimensionScore:
    answers = [r.score for r in facts.recommendations if _before(r.day, on, LOOKBACK_DAYS)]
    recommend = Input(
        "recommend",
        "Would recommend (0-10)",
        f"mean {statistics.fmean(answers):.1f} of {len(answers)} answers" if answers else "none",
        round(10 * statistics.fmean(answers), 1) if answers else None,
        0.3,
    )
    cases = [c for c in facts.cases if _before(c.opened_on, on, LOOKBACK_DAYS)]
    days = completed_days(facts, on)
    engaged = any(_before(d, on, LOOKBACK_DAYS) for d in days) or bool(answers)
    complaints = Input(
        "complaints",
        "Complaints and unhappy answers (recovery cases)",
        f"{len(cases)} in two years",
        {0: 100.0, 1: 50.0}.get(len(cases), 0.0) if engaged or cases else None,
        0.2,
    )
    closed = [c for c in cases if c.outcome and c.closed_on is not None and c.closed_on <= on]
    recovery = Input(
        "recovery",
        "How recovery ended",
        ", ".join(c.outcome.replace("_", " ") for c in closed) if closed else "no case closed",
        round(statistics.fmean(RECOVERY_OUTCOME_SCORES.get(c.outcome, 0.0) for c in closed), 1)
        if closed
        else None,
        0.2,
    )
    year_before = [d for d in days if on - timedelta(days=730) < d <= on - timedelta(days=365)]
    came_back = any(_before(d, on, 365) for d in days)
    retention = Input(
        "retention",
        "Came back within a year",
        ("yes" if came_back else "no") if year_before else "no visit the year before",
        (100.0 if came_back else 0.0) if year_before else None,
        0.3,
    )
    return _weighted(Dimension.TRUST, [recommend, complaints, recovery, retention])


MISSES = ("noshow", "late_cancel")


def commitment(facts: PatientFacts, on: date) -> DimensionScore:
    due = [
        v
        for v in facts.visits
        if _before(v.day, on, LOOKBACK_DAYS) and v.outcome in ("completed", *MISSES)
    ]
    kept = sum(1 for v in due if v.outcome == "completed")
    shows = Input(
        "show_rate",
        "Visits kept",
        f"{kept} of {len(due)} due in two years",
        round(100 * kept / len(due), 1) if len(due) >= 2 else None,
        0.7,
    )
    missed = [
        v
        for v in facts.visits
        if _before(v.day, on, LOOKBACK_DAYS)
        and (v.outcome in MISSES or (v.outcome == "cancelled" and v.cancelled_by == "patient"))
    ]
    settled = []
    for miss in missed:
        rebooked = any(
            other.booked_on >= miss.day - timedelta(days=1)
            and other.booked_on <= miss.day + timedelta(days=REBOOK_WITHIN_DAYS)
            and other.booked_on <= on
            and other.day > miss.day
            for other in facts.visits
        )
        if rebooked or miss.day + timedelta(days=REBOOK_WITHIN_DAYS) <= on:
            settled.append(rebooked)
    follow = Input(
        "follow_through",
        f"Rebooked within {REBOOK_WITHIN_DAYS} days of a missed or cancelled visit",
        f"{sum(settled)} of {len(settled)}" if settled else "no missed visit",
        round(100 * sum(settled) / len(settled), 1) if settled else None,
        0.3,
    )
    return _weighted(Dimension.COMMITMENT, [shows, follow])


SCORERS = {
    Dimension.CONNECTION: connection,
    Dimension.COMMUNICATION: communication,
    Dimension.TRUST: trust,
    Dimension.COMMITMENT: commitment,
}


def _overall(dimensions: Sequence[DimensionScore]) -> tuple[float | None, str]:
    known = [d.score for d in dimensions if d.score is not None]
    if len(known) < MIN_DIMENSIONS:
        return None, (
            f"Insufficient evidence: {len(known)} of 4 dimensions have evidence; the overall "
            f"score needs {MIN_DIMENSIONS}."
        )
    return round(statistics.fmean(known), 1), ""


def score_on(facts: PatientFacts, on: date) -> Health:
    """The patient's health on ``on`` from the facts known by then (no change, no override)."""
    dimensions = tuple(score(facts, on) for score in SCORERS.values())
    overall, reason = _overall(dimensions)
    days = completed_days(facts, on)
    return Health(
        as_of=on,
        dimensions=dimensions,
        computed=overall,
        reason=reason,
        last_visit=days[-1] if days else None,
        interval_days=expected_interval(days, on)[0],
    )


def _difference(now: float | None, before: float | None) -> float | None:
    return round(now - before, 1) if now is not None and before is not None else None


def score_patient(
    facts: PatientFacts, on: date, *, overrides: Mapping[str, Override] | None = None
) -> Health:
    """The health on ``on``, each dimension's change against ``CHANGE_DAYS`` before, and the
    overrides in force (a dimension's override feeds the overall score; an overall override
    replaces it)."""
    now = score_on(facts, on)
    before = score_on(facts, on - timedelta(days=CHANGE_DAYS))
    overrides = overrides or {}
    dimensions = tuple(
        replace(
            d,
            override=overrides.get(d.dimension.value),
            change=_difference(d.computed, before.dimension(d.dimension).computed),
        )
        for d in now.dimensions
    )
    overall, reason = _overall(dimensions)
    return replace(
        now,
        dimensions=dimensions,
        computed=overall,
        reason=reason,
        override=overrides.get(OVERALL),
        change=_difference(now.computed, before.computed),
    )


# --- lapse, calibration, the next step -------------------------------------------------------


def lapse_gap(interval_days: int) -> int:
    """G = max(18 months, 1.5 x the expected interval), in days."""
    return max(LAPSE_FLOOR_DAYS, round(1.5 * interval_days))


def lapsed_on(facts: PatientFacts, on: date) -> bool:
    """Whether the patient has lapsed by ``on``: their last completed visit is G or more ago."""
    days = completed_days(facts, on)
    if not days:
        return False
    return (on - days[-1]).days >= lapse_gap(expected_interval(days, on)[0])


MIN_PER_BAND = 30
"""The calibration trusts a band's lapse rate from this many patients scored in it."""


@dataclass(frozen=True)
class BandOutcome:
    band: Band
    patients: int
    lapsed: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.lapsed / self.patients, 1) if self.patients else None


@dataclass(frozen=True)
class Calibration:
    """Who lapsed afterwards, per band of their score on ``scored_on``. ``ordered``: every band
    has enough patients and the lapse rate rises strictly from strong to lapsing; only then is
    the 0-100 number shown. ``reason`` says why not."""

    scored_on: date
    checked_on: date
    bands: tuple[BandOutcome, ...]
    ordered: bool
    reason: str
    min_per_band: int = MIN_PER_BAND
    left_out: Mapping[str, int] = field(default_factory=dict)


def calibrate(
    outcomes: Iterable[tuple[Band, bool]],
    *,
    scored_on: date,
    checked_on: date,
    min_per_band: int = MIN_PER_BAND,
    left_out: Mapping[str, int] | None = None,
) -> Calibration:
    counts = {band: [0, 0] for band in Band}
    for band, lapsed in outcomes:
        counts[band][0] += 1
        counts[band][1] += int(lapsed)
    return judge_bands(
        tuple(BandOutcome(band, n, lapsed) for band, (n, lapsed) in counts.items()),
        scored_on=scored_on,
        checked_on=checked_on,
        min_per_band=min_per_band,
        left_out=left_out,
    )


def judge_bands(
    bands: tuple[BandOutcome, ...],
    *,
    scored_on: date,
    checked_on: date,
    min_per_band: int,
    left_out: Mapping[str, int] | None,
) -> Calibration:
    """Whether the bands order real lapses: enough patients in each, and lapses rising
    strictly from strong to lapsing."""
    small = [b.band.label for b in bands if b.patients < min_per_band]
    reason = ""
    if small:
        reason = (
            f"Too few patients to check the bands: {', '.join(small)} had fewer than "
            f"{min_per_band} on {scored_on:%d %b %Y}."
        )
    else:
        for better, worse in pairwise(bands):
            if (worse.rate or 0.0) <= (better.rate or 0.0):
                reason = (
                    f"The bands do not order real lapses: {worse.band.label} lapsed "
                    f"{worse.rate}% against {better.rate}% for {better.band.label}."
                )
                break
    return Calibration(
        scored_on=scored_on,
        checked_on=checked_on,
        bands=bands,
        ordered=not reason,
        reason=reason,
        min_per_band=min_per_band,
        left_out=dict(left_out or {}),
    )


def calibration_as_json(calibration: Calibration) -> dict[str, object]:
    """A calibration as stored with the nightly scoring (counts only: no patient in it)."""
    return {
        "scored_on": calibration.scored_on.isoformat(),
        "checked_on": calibration.checked_on.isoformat(),
        "bands": [[b.band.value, b.patients, b.lapsed] for b in calibration.bands],
        "min_per_band": calibration.min_per_band,
        "left_out": dict(calibration.left_out),
    }


def calibration_from_json(stored: Mapping[str, object]) -> Calibration:
    """The stored counts judged again: the verdict and its reason always come from
    ``judge_bands``, never from what was stored."""
    bands = stored["bands"]
    left_out = stored["left_out"]
    assert isinstance(bands, list)
    assert isinstance(left_out, dict)
    return judge_bands(
        tuple(BandOutcome(Band(band), patients, lapsed) for band, patients, lapsed in bands),
        scored_on=date.fromisoformat(str(stored["scored_on"])),
        checked_on=date.fromisoformat(str(stored["checked_on"])),
        min_per_band=int(str(stored["min_per_band"])),
        left_out=left_out,
    )


class NextAction(StrEnum):
    RECOVERY = "recovery"
    CALL = "call"
    MESSAGE = "message"

    @property
    def label(self) -> str:
        return {"recovery": "Service recovery", "call": "Call", "message": "Message"}[self.value]


def unhappy(facts: PatientFacts, on: date) -> bool:
    """An open recovery case, or a detractor answer (0-6) in the last six months."""
    return any(not c.outcome and c.opened_on <= on for c in facts.cases) or any(
        r.score <= 6 and _before(r.day, on, RECOVERY_WINDOW_DAYS) for r in facts.recommendations
    )


def messaging_works(facts: PatientFacts, on: date) -> bool:
    """Consent in force for appointment or care messages, a phone or email, and the last
    message sent did not fail."""
    sent = [m for m in facts.messages if not m.inbound and m.day <= on]
    return (
        consent_in_force(facts, on) is True
        and bool(facts.contact_systems)
        and (not sent or sent[-1].reached)
    )


def next_action(facts: PatientFacts, on: date) -> NextAction:
    """Recovery when they are unhappy; a call when a message would not reach them (no
    consent, no contact, the last one failed); a message otherwise."""
    if unhappy(facts, on):
        return NextAction.RECOVERY
    if not messaging_works(facts, on):
        return NextAction.CALL
    return NextAction.MESSAGE


def reasons(health: Health) -> list[str]:
    """Why a patient is on the at-risk list: each dimension's weakest scored input under 50."""
    found = []
    for dimension in health.dimensions:
        weak = [
            i for i in dimension.inputs if i.score is not None and i.weight > 0 and i.score < 50
        ]
        if weak:
            worst = min(weak, key=lambda i: (i.score, -i.weight))
            found.append(f"{dimension.label}: {worst.label.lower()} {worst.shown}")
    return found
