"""No-show risk: the features of a visit, training an organisation's model on its own history,
and scoring upcoming visits with their top reasons (docs/scheduling.md, "No-show risk";
docs/methods.md §6).

A visit is **missed** when the patient neither came nor cancelled in time for the slot to be
given to someone else: a no-show, or a patient's late cancellation (within the type's notice).
It is **kept** when the patient came. A timely cancellation freed its slot, so it is neither:
it is left out of training and counts only as the patient's history. Cancellations by the
provider or the clinic say nothing about the patient and are left out altogether.

The model is a logistic regression over standardised features, trained with scikit-learn and
stored as numbers (``NoShowModel``): a risk is ``sigmoid(intercept + sum(w * (x - mean) /
scale))``, and each term of that sum is a reason, measured against the average visit of the
history. Scoring needs no scikit-learn. The risk is used to offer help (a confirmation call,
transport, a switch to telehealth); never to refuse a booking or to overbook.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    HelpKind,
    HelpOffer,
    HelpOutcome,
    NoShowModel,
)

# Smoothing of a patient's prior missed rate (docs/methods.md §6.1): (missed + ALPHA * r0) /
# (visits + ALPHA), so that a new patient is scored at the clinic's rate, not 0 or 1.
ALPHA = 5
# Training needs this much history with an outcome, and the later held-out period both kinds.
MIN_VISITS = 200
MIN_MISSED = 20
MIN_HELD_OUT_MISSED = 5
# The later share of the history, by time, that the model is tested on (never a random split).
HELD_OUT_SHARE = 0.25
# "At risk": the riskiest fifth of visits, about as many as a desk can call in a day.
AT_RISK_QUANTILE = 0.8
# A term must add at least this much to the log-odds to be given as a reason.
REASON_MIN = 0.05
TOP_REASONS = 3

KEPT, MISSED, CANCELLED = "kept", "missed", "cancelled"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# (name, first hour, words)
TIMES = (
    ("early", 0, "early in the morning"),
    ("late_morning", 10, "late in the morning"),
    ("early_afternoon", 12, "early in the afternoon"),
    ("late_afternoon", 15, "late in the afternoon"),
)
# (name, first age, words); "unknown" when no birth date is recorded.
AGE_BANDS = (
    ("0-17", 0, "under 18"),
    ("18-29", 18, "aged 18 to 29"),
    ("30-44", 30, "aged 30 to 44"),
    ("45-64", 45, "aged 45 to 64"),
    ("65+", 65, "aged 65 or over"),
)
AGE_UNKNOWN = "unknown"
BASE_FEATURES = (
    "lead_time",
    "same_day",
    "prior_missed_rate",
    "prior_cancellations",
    *(f"weekday:{day}" for day in WEEKDAYS),
    *(f"time:{name}" for name, _, _ in TIMES),
    *(f"age:{band}" for band, _, _ in AGE_BANDS),
    f"age:{AGE_UNKNOWN}",
    "confirmed",
)


def outcome_of(status: str, cancelled_by: str, late_cancellation: bool) -> str:
    """Kept, missed, cancelled (by the patient, in time) or "" (no outcome for the patient)."""
    if status in (AppointmentStatus.FULFILLED, AppointmentStatus.ARRIVED):
        return KEPT
    if status == AppointmentStatus.CHECKED_IN:
        return KEPT
    if status == AppointmentStatus.NOSHOW:
        return MISSED
    if status == AppointmentStatus.CANCELLED and cancelled_by == CancelledBy.PATIENT:
        return MISSED if late_cancellation else CANCELLED
    return ""


def smoothed_rate(missed: int, visits: int, base_rate: float, alpha: float = ALPHA) -> float:
    """A patient's prior missed rate, pulled towards the clinic's: (missed + alpha * r0) /
    (visits + alpha)."""
    return (missed + alpha * base_rate) / (visits + alpha)


def missed_rate(outcomes: Iterable[str]) -> float:
    """Missed / (kept + missed): timely cancellations are in neither (docs/methods.md §4.1)."""
    counted = [o for o in outcomes if o in (KEPT, MISSED)]
    return sum(o == MISSED for o in counted) / len(counted) if counted else 0.0


def age_band(birth_date: date | None, on: date) -> str:
    if birth_date is None:
        return AGE_UNKNOWN
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    band = AGE_BANDS[0][0]
    for name, first, _ in AGE_BANDS:
        if age >= first:
            band = name
    return band


def age_band_words(band: str) -> str:
    return next((words for name, _, words in AGE_BANDS if name == band), "age not recorded")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class VisitFacts:
    """What the model knows of one visit before it happens (and, for a past one, its outcome)."""

    appointment_id: int
    patient_id: int
    starts_at: datetime
    booked_at: datetime
    local: datetime  # the start in the location's time zone
    type_key: str
    type_name: str
    birth_date: date | None
    outcome: str
    confirmed: bool

    @property
    def lead_days(self) -> int:
        return max(
            0, (self.local.date() - self.booked_at.astimezone(self.local.tzinfo).date()).days
        )


@dataclass(frozen=True)
class History:
    """A patient's visits before this one: kept, missed, cancelled in time."""

    kept: int = 0
    missed: int = 0
    cancelled: int = 0


_FACT_FIELDS = (
    "pk",
    "patient_id",
    "starts_at",
    "booked_at",
    "time_zone",
    "appointment_type__key",
    "appointment_type__name",
    "patient__birth_date",
    "status",
    "cancelled_by",
    "late_cancellation",
)


def visit_facts(appointments: QuerySet[Appointment]) -> list[VisitFacts]:
    """The facts of the visits (two queries: the visits, and which were confirmed)."""
    rows = list(appointments.values_list(*_FACT_FIELDS))
    confirmed = confirmed_visits([row[0] for row in rows])
    return [
        VisitFacts(
            appointment_id=pk,
            patient_id=patient_id,
            starts_at=starts_at,
            booked_at=booked_at,
            local=starts_at.astimezone(_zone(zone)),
            type_key=type_key,
            type_name=type_name,
            birth_date=birth_date,
            outcome=outcome_of(status, cancelled_by, late),
            confirmed=pk in confirmed,
        )
        for (
            pk,
            patient_id,
            starts_at,
            booked_at,
            zone,
            type_key,
            type_name,
            birth_date,
            status,
            cancelled_by,
            late,
        ) in rows
    ]


def confirmed_visits(appointment_ids: Sequence[int]) -> set[int]:
    """Visits the patient confirmed before they began: a confirmation call they accepted."""
    found: set[int] = set()
    for chunk in range(0, len(appointment_ids), 5000):
        found.update(
            HelpOffer.objects.filter(
                appointment_id__in=appointment_ids[chunk : chunk + 5000],
                kind=HelpKind.CALL,
                outcome=HelpOutcome.ACCEPTED,
            ).values_list("appointment_id", flat=True)
        )
    return found


def histories(facts: Sequence[VisitFacts]) -> dict[int, History]:
    """Each visit's history: the same patient's earlier visits with an outcome (one pass)."""
    by_patient: dict[int, list[VisitFacts]] = defaultdict(list)
    for fact in facts:
        by_patient[fact.patient_id].append(fact)
    found: dict[int, History] = {}
    for visits in by_patient.values():
        visits.sort(key=lambda f: f.starts_at)
        counts = {KEPT: 0, MISSED: 0, CANCELLED: 0}
        index = 0
        for visit in visits:
            # every earlier visit (not one at the same moment) is history
            while index < len(visits) and visits[index].starts_at < visit.starts_at:
                if visits[index].outcome in counts:
                    counts[visits[index].outcome] += 1
                index += 1
            found[visit.appointment_id] = History(counts[KEPT], counts[MISSED], counts[CANCELLED])
    return found


def features(fact: VisitFacts, history: History, *, base_rate: float) -> dict[str, float]:
    """The visit's features by name; the one-hot ones absent are 0."""
    lead = fact.lead_days
    hour = fact.local.hour
    time_band = [name for name, first, _ in TIMES if hour >= first][-1]
    values = {
        "lead_time": math.log1p(lead),
        "same_day": float(lead == 0),
        "prior_missed_rate": smoothed_rate(
            history.missed, history.kept + history.missed, base_rate
        ),
        "prior_cancellations": float(min(history.cancelled, 5)),
        f"weekday:{WEEKDAYS[fact.local.weekday()]}": 1.0,
        f"time:{time_band}": 1.0,
        f"age:{age_band(fact.birth_date, fact.local.date())}": 1.0,
        "confirmed": float(fact.confirmed),
    }
    if fact.type_key:
        values[f"type:{fact.type_key}"] = 1.0
    return values


def reason_words(name: str, value: float, fact: VisitFacts, history: History) -> str | None:
    """A feature's part in a risk, in words about this visit (None: nothing to say of it)."""
    if name == "lead_time":
        return f"booked {fact.lead_days} days ahead" if fact.lead_days else None
    if name == "prior_missed_rate":
        seen = history.kept + history.missed
        return f"missed {history.missed} of {seen} earlier visits" if history.missed else None
    if name == "prior_cancellations":
        n = history.cancelled
        return f"cancelled {n} earlier visit{'s' if n > 1 else ''}" if n else None
    if name == "confirmed":
        return "not confirmed" if not value else None
    if not value:
        return None  # a one-hot feature speaks only of what the visit is
    kind, _, which = name.partition(":")
    if name == "same_day":
        return "booked the same day"
    if kind == "weekday":
        return f"on a {which.capitalize()}"
    if kind == "time":
        return next(words for band, _, words in TIMES if band == which)
    if kind == "age":
        return age_band_words(which)
    if kind == "type":
        return f"a {fact.type_name} visit"
    return None


# --- training --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trained:
    """What a ``NoShowModel`` row keeps."""

    feature_names: list[str]
    coefficients: list[float]
    means: list[float]
    scales: list[float]
    intercept: float
    base_rate: float
    threshold: float
    auc: float
    sensitivity: float
    ppv: float
    trained_on: int
    tested_on: int
    history_from: datetime
    tested_from: datetime
    history_until: datetime


def history_problem(facts: Sequence[VisitFacts]) -> str | None:
    """Why this history is too little to train on (None: enough)."""
    labelled = sorted((f for f in facts if f.outcome in (KEPT, MISSED)), key=lambda f: f.starts_at)
    missed = sum(f.outcome == MISSED for f in labelled)
    need = (
        f"Training needs at least {MIN_VISITS} past visits that were kept or missed, "
        f"{MIN_MISSED} of them missed, and {MIN_HELD_OUT_MISSED} missed in the latest "
        f"{HELD_OUT_SHARE:.0%} of them (the period it is tested on)"
    )
    if len(labelled) < MIN_VISITS or missed < MIN_MISSED:
        return f"{need}; this history has {len(labelled)}, {missed} missed."
    later = labelled[_split_index(labelled) :]
    later_missed = sum(f.outcome == MISSED for f in later)
    if later_missed < MIN_HELD_OUT_MISSED or later_missed == len(later):
        return f"{need}; the latest {len(later)} have {later_missed} missed."
    return None


def _split_index(labelled: Sequence[VisitFacts]) -> int:
    """The first visit of the later period: a quarter of the visits, never splitting a moment."""
    index = int(len(labelled) * (1 - HELD_OUT_SHARE))
    while 0 < index < len(labelled) and labelled[index].starts_at == labelled[index - 1].starts_at:
        index += 1
    return index


def train(facts: Sequence[VisitFacts]) -> Trained:
    """Fit on the earlier visits and test on the later ones (AUC, and what the "at risk"
    cut-off catches); then fit the same way on all of them for the model kept. The caller has
    checked ``history_problem``."""
    labelled = sorted((f for f in facts if f.outcome in (KEPT, MISSED)), key=lambda f: f.starts_at)
    past = histories(facts)
    split = _split_index(labelled)
    earlier, later = labelled[:split], labelled[split:]
    names = feature_names(labelled)

    tried = _fit(earlier, past, names)
    tested = [tried.risk(f, past[f.appointment_id]) for f in later]
    truth = [f.outcome == MISSED for f in later]
    cut = _quantile(tested, AT_RISK_QUANTILE)
    sensitivity, ppv = _caught(tested, truth, cut)

    kept = _fit(labelled, past, names)
    return Trained(
        feature_names=names,
        coefficients=kept.coefficients,
        means=kept.means,
        scales=kept.scales,
        intercept=kept.intercept,
        base_rate=kept.base_rate,
        threshold=_quantile(
            [kept.risk(f, past[f.appointment_id]) for f in later], AT_RISK_QUANTILE
        ),
        auc=auc(tested, truth),
        sensitivity=sensitivity,
        ppv=ppv,
        trained_on=len(earlier),
        tested_on=len(later),
        history_from=labelled[0].starts_at,
        tested_from=later[0].starts_at,
        history_until=labelled[-1].starts_at,
    )


def feature_names(facts: Iterable[VisitFacts]) -> list[str]:
    return [*BASE_FEATURES, *sorted({f"type:{f.type_key}" for f in facts if f.type_key})]


def _fit(facts: Sequence[VisitFacts], past: dict[int, History], names: list[str]) -> Weights:
    import numpy as np  # loaded only to train: scoring is plain arithmetic
    from sklearn.linear_model import LogisticRegression

    base_rate = missed_rate(f.outcome for f in facts)
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(facts), len(names)))
    for row, fact in enumerate(facts):
        for name, value in features(fact, past[fact.appointment_id], base_rate=base_rate).items():
            if name in index:
                matrix[row, index[name]] = value
    means = matrix.mean(axis=0)
    scales = matrix.std(axis=0)
    scales[scales == 0] = 1.0
    labels = np.array([f.outcome == MISSED for f in facts], dtype=int)
    regression = LogisticRegression(C=1.0, max_iter=1000)
    regression.fit((matrix - means) / scales, labels)
    return Weights(
        names=names,
        coefficients=[float(c) for c in regression.coef_[0]],
        means=[float(m) for m in means],
        scales=[float(s) for s in scales],
        intercept=float(regression.intercept_[0]),
        base_rate=base_rate,
    )


def auc(risks: Sequence[float], missed: Sequence[bool]) -> float:
    """The area under the ROC curve: the chance a missed visit is scored above a kept one."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([int(m) for m in missed], list(risks)))


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 1.0


def _caught(risks: Sequence[float], missed: Sequence[bool], cut: float) -> tuple[float, float]:
    """Sensitivity (missed visits flagged) and PPV (flagged visits missed) at a cut-off."""
    flagged = [m for r, m in zip(risks, missed, strict=True) if r >= cut]
    all_missed = sum(missed)
    sensitivity = sum(flagged) / all_missed if all_missed else 0.0
    return sensitivity, (sum(flagged) / len(flagged) if flagged else 0.0)


@dataclass(frozen=True)
class PerThousand:
    missed: float
    flagged: float
    caught: float
    false_alarms: float


def per_thousand(*, base_rate: float, sensitivity: float, ppv: float) -> PerThousand:
    """What a cut-off means on 1,000 visits (docs/methods.md §6.2): how many are missed, how
    many are flagged, how many of those flagged are missed and how many would have come."""
    missed = 1000 * base_rate
    caught = missed * sensitivity
    flagged = caught / ppv if ppv else 0.0
    return PerThousand(missed, flagged, caught, flagged - caught)


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Risk:
    """A visit's risk of being missed, whether it is on the "at risk" list, and why."""

    risk: float
    at_risk: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def percent(self) -> str:
        return f"{self.risk:.0%}"


@dataclass(frozen=True)
class Weights:
    """A model's numbers, ready to score with (no scikit-learn)."""

    names: list[str]
    coefficients: list[float]
    means: list[float]
    scales: list[float]
    intercept: float
    base_rate: float
    threshold: float = 1.0

    @classmethod
    def of(cls, model: NoShowModel | Trained) -> Weights:
        return cls(
            names=list(model.feature_names),
            coefficients=list(model.coefficients),
            means=list(model.means),
            scales=list(model.scales),
            intercept=model.intercept,
            base_rate=model.base_rate,
            threshold=model.threshold,
        )

    def terms(self, fact: VisitFacts, history: History) -> list[tuple[float, str, float]]:
        """Each feature's term of the log-odds, against the average visit: (term, name, x)."""
        values = features(fact, history, base_rate=self.base_rate)
        return [
            (w * (values.get(name, 0.0) - mean) / scale, name, values.get(name, 0.0))
            for name, w, mean, scale in zip(
                self.names, self.coefficients, self.means, self.scales, strict=True
            )
        ]

    def risk(self, fact: VisitFacts, history: History) -> float:
        return _sigmoid(self.intercept + sum(term for term, _, _ in self.terms(fact, history)))

    def score(self, fact: VisitFacts, history: History) -> Risk:
        terms = self.terms(fact, history)
        risk = _sigmoid(self.intercept + sum(term for term, _, _ in terms))
        reasons: list[str] = []
        for term, name, value in sorted(terms, reverse=True):
            if term < REASON_MIN or len(reasons) == TOP_REASONS:
                break
            words = reason_words(name, value, fact, history)
            if words:
                reasons.append(words)
        return Risk(risk=risk, at_risk=risk >= self.threshold, reasons=reasons)


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def history_of(patient_ids: Iterable[int], *, before: datetime) -> list[VisitFacts]:
    """The patients' visits before a moment, for their histories (one query)."""
    return visit_facts(
        Appointment.objects.filter(patient_id__in=set(patient_ids), starts_at__lt=before)
    )


def score_visits(model: NoShowModel, facts: Sequence[VisitFacts]) -> dict[int, Risk]:
    """Risks of upcoming visits by appointment id, from their patients' histories."""
    if not facts:
        return {}
    weights = Weights.of(model)
    earlier = history_of({f.patient_id for f in facts}, before=max(f.starts_at for f in facts))
    known = {f.appointment_id for f in facts}
    past = histories([*facts, *(f for f in earlier if f.appointment_id not in known)])
    return {f.appointment_id: weights.score(f, past[f.appointment_id]) for f in facts}
