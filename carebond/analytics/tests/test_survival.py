"""Time to lapse: methods.md §4.3's Kaplan-Meier worked example, how a patient's time and event
are read, and why deaths must compete (Aalen-Johansen) rather than be censored (1 - KM)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from carebond.analytics.survival import (
    Event,
    Subject,
    cumulative_incidence,
    kaplan_meier,
    lapse_curve,
    subject,
)


def test_the_methods_kaplan_meier_worked_example() -> None:
    # given methods §4.3's eight patients
    durations = [120, 200, 200, 365, 400, 540, 600, 700]
    lapsed = [True, True, False, True, False, True, False, False]
    # when fitted
    fitted = kaplan_meier(durations, lapsed)
    # then S(t) steps to 0.875, 0.750, 0.600, 0.400 and the median is 540 days
    survival = fitted.survival_function_.iloc[:, 0]
    assert [round(survival[t], 3) for t in (120, 200, 365, 540)] == [0.875, 0.75, 0.6, 0.4]
    assert fitted.median_survival_time_ == 540
    low, high = fitted.confidence_interval_.loc[365]
    assert (round(low, 3), round(high, 3)) == (0.195, 0.852)


FIRST = date(2020, 1, 1)
CUTOFF = date(2026, 1, 1)


def test_a_patients_time_and_event_follow_the_lapse_gap_and_competing_ends() -> None:
    # a patient last seen 600 days before the cut-off, with a 548-day gap: lapsed at their
    # last visit
    last = CUTOFF - timedelta(days=600)
    assert subject(first_visit=FIRST, last_visit=last, gap_days=548, cutoff=CUTOFF) == Subject(
        (last - FIRST).days, Event.LAPSE
    )
    # seen 100 days before: still in care, censored at the cut-off
    recent = CUTOFF - timedelta(days=100)
    assert subject(first_visit=FIRST, last_visit=recent, gap_days=548, cutoff=CUTOFF) == Subject(
        (CUTOFF - FIRST).days, Event.CENSORED
    )
    # died 200 days after their last visit, before a lapse could be seen: death competes
    died = last + timedelta(days=200)
    assert subject(
        first_visit=FIRST, last_visit=last, gap_days=548, cutoff=CUTOFF, died_on=died
    ) == Subject((died - FIRST).days, Event.DEATH)
    # moved away 600 days after their last visit: they had lapsed first
    moved = last + timedelta(days=560)
    assert subject(
        first_visit=FIRST, last_visit=last, gap_days=548, cutoff=CUTOFF, transferred_on=moved
    ) == Subject((last - FIRST).days, Event.LAPSE)


def test_deaths_compete_so_the_lapse_incidence_is_below_one_minus_kaplan_meier() -> None:
    # given ten patients: lapses at 100 and 300 days, deaths at 150 and 200, the rest followed
    # to 400 days without an event
    subjects = [
        Subject(100, Event.LAPSE),
        Subject(150, Event.DEATH),
        Subject(200, Event.DEATH),
        Subject(300, Event.LAPSE),
        *[Subject(400, Event.CENSORED) for _ in range(6)],
    ]
    # when the lapse incidence is read at 365 days
    [aalen_johansen] = cumulative_incidence(subjects, Event.LAPSE, [365])
    naive = lapse_curve(subjects, horizons=[365]).points[0].naive
    # then Aalen-Johansen: 1/10 at 100; the deaths take the event-free share to
    # 0.9 x 8/9 x 7/8 = 0.7 before 300, where one of the 7 at risk lapses: 0.1 + 0.7 / 7 = 0.2
    assert aalen_johansen == pytest.approx(0.2, abs=1e-3)
    # and 1 - KM, which treats the deaths as if they could still lapse: 1 - 0.9 x 6/7 = 0.2286
    assert naive == pytest.approx(0.2286, abs=1e-3)
    assert aalen_johansen < naive
    # and the curve counts each kind of end
    curve = lapse_curve(subjects, horizons=[365])
    assert (curve.patients, curve.lapses, curve.deaths, curve.transfers) == (10, 2, 2, 0)
    assert curve.points[0].competing == pytest.approx(0.2, abs=1e-3)


def test_without_competing_ends_aalen_johansen_equals_one_minus_kaplan_meier() -> None:
    # given the worked example's patients (lapses and censorings only)
    durations = [120, 200, 200, 365, 400, 540, 600, 700]
    events = [1, 1, 0, 1, 0, 1, 0, 0]
    subjects = [Subject(d, Event(e)) for d, e in zip(durations, events, strict=True)]
    # then the two agree: 1 - 0.600 at a year, 1 - 0.400 at 540 days
    curve = lapse_curve(subjects, horizons=[365, 540])
    assert [(round(p.lapse, 3), round(p.naive, 3)) for p in curve.points] == [
        (0.4, 0.4),
        (0.6, 0.6),
    ]
    assert curve.median_days == 540
