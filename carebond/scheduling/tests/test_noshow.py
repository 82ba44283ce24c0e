"""The no-show model's arithmetic against docs/methods.md's worked examples (the smoothed prior
rate, the missed-visit rate, what a cut-off means per 1,000 visits), and training: split by
time, tested on the later period, explained in words, fast on 10,000 visits."""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from carebond.scheduling.models import AppointmentStatus, CancelledBy
from carebond.scheduling.noshow import (
    CANCELLED,
    KEPT,
    MISSED,
    History,
    VisitFacts,
    Weights,
    history_problem,
    missed_rate,
    outcome_of,
    per_thousand,
    smoothed_rate,
    train,
)

START = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)


def test_a_new_patient_is_scored_at_the_clinics_rate_and_history_pulls_towards_their_own() -> None:
    # methods §6.1: (noshows + alpha * r0) / (appts + alpha), alpha = 5
    assert smoothed_rate(0, 0, 0.2) == pytest.approx(0.2)
    assert smoothed_rate(2, 4, 0.2) == pytest.approx(3 / 9)
    assert smoothed_rate(0, 20, 0.2) == pytest.approx(1 / 25)


def test_late_cancellations_count_as_missed_and_timely_ones_in_neither() -> None:
    # methods §4.1: 500 scheduled, 40 cancelled >= 24 h ahead, 35 no-shows, 10 late cancels:
    # missed-appointment rate 45/460 = 9.8%
    outcomes = [
        *[outcome_of(AppointmentStatus.FULFILLED, "", False)] * 415,
        *[outcome_of(AppointmentStatus.NOSHOW, "", False)] * 35,
        *[outcome_of(AppointmentStatus.CANCELLED, CancelledBy.PATIENT, True)] * 10,
        *[outcome_of(AppointmentStatus.CANCELLED, CancelledBy.PATIENT, False)] * 40,
    ]
    assert missed_rate(outcomes) == pytest.approx(45 / 460)
    assert round(missed_rate(outcomes), 3) == 0.098
    # the practice's own cancellations say nothing about the patient
    assert outcome_of(AppointmentStatus.CANCELLED, CancelledBy.CLINIC, True) == ""
    assert outcome_of(AppointmentStatus.CANCELLED, CancelledBy.PATIENT, False) == CANCELLED
    assert outcome_of(AppointmentStatus.BOOKED, "", False) == ""


def test_a_cut_off_per_thousand_visits_matches_the_marshfield_example() -> None:
    # methods §6.2: 6% base rate, sensitivity 0.71, PPV 0.18 -> 60 missed, 42.6 flagged of
    # them, about 237 flagged in all, about 194 false alarms
    shown = per_thousand(base_rate=0.06, sensitivity=0.71, ppv=0.18)
    assert shown.missed == pytest.approx(60)
    assert shown.caught == pytest.approx(42.6)
    assert round(shown.flagged) == 237
    assert round(shown.false_alarms) == 194


def synthetic(n: int, *, seed: int = 3) -> list[VisitFacts]:
    """``n`` visits a day apart in turn across 200 patients; a fifth of the patients often
    miss, the young miss more, and a long lead time adds to the risk."""
    rng = random.Random(seed)
    facts = []
    for i in range(n):
        patient = i % 200
        lead = rng.choice((0, 2, 7, 14, 45))
        young = patient % 5 == 1
        chance = 0.05 + 0.45 * (patient % 5 == 0) + 0.15 * young + 0.1 * (lead > 30)
        starts = START + timedelta(hours=3 * i)
        facts.append(
            VisitFacts(
                appointment_id=i + 1,
                patient_id=patient,
                starts_at=starts,
                booked_at=starts - timedelta(days=lead),
                local=starts,
                type_key="follow-up" if i % 3 else "physical",
                type_name="Follow-up" if i % 3 else "Annual physical",
                birth_date=date(2002, 1, 1) if young else date(1970, 1, 1),
                outcome=MISSED if rng.random() < chance else KEPT,
                confirmed=False,
            )
        )
    return facts


def test_training_splits_by_time_and_tests_on_the_later_period() -> None:
    # given two thousand visits with a clear pattern
    facts = synthetic(2000)

    # when the model is trained
    trained = train(facts)

    # then it was tested on the later quarter only, and it finds the pattern
    assert (trained.trained_on, trained.tested_on) == (1500, 500)
    assert trained.tested_from == facts[1500].starts_at
    assert trained.history_from == facts[0].starts_at
    assert trained.history_until == facts[-1].starts_at
    assert trained.auc > 0.7
    assert 0 < trained.sensitivity <= 1
    assert 0 < trained.ppv <= 1
    weights = dict(zip(trained.feature_names, trained.coefficients, strict=True))
    assert weights["prior_missed_rate"] > 0
    assert weights["age:18-29"] > 0
    assert {"type:follow-up", "type:physical"} <= set(trained.feature_names)


def test_the_risk_comes_with_its_top_reasons_in_words() -> None:
    # given a model trained on the pattern, and a young patient who missed 3 of 4 visits,
    # booked 45 days ahead
    trained = train(synthetic(2000))
    weights = Weights.of(trained)
    risky = VisitFacts(
        appointment_id=9999,
        patient_id=1,
        starts_at=START,
        booked_at=START - timedelta(days=45),
        local=START,
        type_key="follow-up",
        type_name="Follow-up",
        birth_date=date(2003, 6, 1),
        outcome="",
        confirmed=False,
    )
    steady = VisitFacts(**{**risky.__dict__, "birth_date": date(1970, 1, 1), "booked_at": START})

    # when both are scored
    high = weights.score(risky, History(kept=1, missed=3))
    low = weights.score(steady, History(kept=12, missed=0))

    # then the first is at risk, and says why; the second is not
    assert high.at_risk
    assert not low.at_risk
    assert high.risk > low.risk
    assert "missed 3 of 4 earlier visits" in high.reasons
    assert "aged 18 to 29" in high.reasons
    assert len(high.reasons) <= 3
    assert high.percent == f"{high.risk:.0%}"


def test_too_little_history_is_refused_saying_how_much_is_needed() -> None:
    problem = history_problem(synthetic(150))
    assert problem is not None
    assert "at least 200 past visits" in problem
    assert "this history has 150" in problem
    assert history_problem(synthetic(400)) is None


def test_ten_thousand_visits_train_in_a_few_seconds() -> None:
    facts = synthetic(10_000)
    started = time.perf_counter()
    trained = train(facts)
    assert time.perf_counter() - started < 5
    assert trained.tested_on == 2500
