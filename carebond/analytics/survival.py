"""Time to lapse, with death and transfer as competing risks (methods.md §4.3).

A patient's time starts at their first completed visit. They *lapse* when their last
completed visit is G = max(18 months, 1.5 x their expected interval) behind the cut-off day;
the lapse is then dated at that last visit. A patient who died, or whose record was made
inactive (moved away, care transferred), before a lapse could be seen has a *competing* event:
they can no longer lapse, and counting them as censored (Kaplan-Meier's 1 - S) would overstate
the lapses. The Aalen-Johansen estimator gives the cumulative incidence of each kind of event
with the others competing. Pure: subjects in, curves out (lifelines).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lifelines import KaplanMeierFitter


class Event(IntEnum):
    CENSORED = 0
    LAPSE = 1
    DEATH = 2
    TRANSFER = 3


@dataclass(frozen=True)
class Subject:
    duration: int  # days from the first completed visit to the event (or the cut-off)
    event: Event


def subject(
    *,
    first_visit: date,
    last_visit: date,
    gap_days: int,
    cutoff: date,
    died_on: date | None = None,
    transferred_on: date | None = None,
) -> Subject:
    """One patient's time and event. A lapse seen before the death or transfer (the gap had
    already passed) is a lapse; otherwise the death or transfer competes."""
    ended = min((d for d in (died_on, transferred_on) if d is not None), default=None)
    seen_until = min(cutoff, ended) if ended is not None else cutoff
    if (seen_until - last_visit).days >= gap_days:
        return Subject((last_visit - first_visit).days, Event.LAPSE)
    if ended is not None and ended <= cutoff:
        kind = Event.DEATH if ended == died_on else Event.TRANSFER
        return Subject(max(0, (ended - first_visit).days), kind)
    return Subject((cutoff - first_visit).days, Event.CENSORED)


@dataclass(frozen=True)
class CurvePoint:
    days: int
    lapse: float  # Aalen-Johansen cumulative incidence of lapse, 0-1
    competing: float  # of death or transfer
    naive: float  # 1 - Kaplan-Meier (deaths and transfers censored): what competing risks fix


@dataclass(frozen=True)
class LapseCurve:
    patients: int
    lapses: int
    deaths: int
    transfers: int
    points: tuple[CurvePoint, ...]
    median_days: float | None  # Kaplan-Meier median time to lapse; None when never reached
    monthly: tuple[float, ...] = ()  # the lapse incidence at 0, 1, ... 36 months, for a chart


HORIZONS = (180, 365, 730, 1095)
CHART_MONTHS = 36


def _at(frame_values: Sequence[float], times: Sequence[float], day: int) -> float:
    """A step function's value at ``day``: lifelines jitters tied times by a tiny amount, so
    whole days are read half a day later."""
    value = 0.0
    for time, level in zip(times, frame_values, strict=True):
        if time <= day + 0.5:
            value = float(level)
        else:
            break
    return value


def cumulative_incidence(
    subjects: Sequence[Subject], event: Event, horizons: Sequence[int] = HORIZONS
) -> list[float]:
    """Aalen-Johansen cumulative incidence of ``event`` at each horizon (0-1), every other
    kind of event competing."""
    if not any(s.event == event for s in subjects):
        return [0.0 for _ in horizons]
    from lifelines import AalenJohansenFitter  # (a second to import: only this page needs it)

    fitter = AalenJohansenFitter(calculate_variance=False, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ties are jittered (seeded, so repeatable)
        fitter.fit(
            [s.duration for s in subjects],
            [int(s.event) for s in subjects],
            event_of_interest=int(event),
        )
    frame = fitter.cumulative_density_
    times, values = list(frame.index), list(frame.iloc[:, 0])
    return [_at(values, times, day) for day in horizons]


def kaplan_meier(durations: Sequence[int], observed: Sequence[bool]) -> KaplanMeierFitter:
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter().fit(list(durations), event_observed=list(observed))


def lapse_curve(subjects: Sequence[Subject], horizons: Sequence[int] = HORIZONS) -> LapseCurve:
    lapse = cumulative_incidence(subjects, Event.LAPSE, horizons)
    death = cumulative_incidence(subjects, Event.DEATH, horizons)
    transfer = cumulative_incidence(subjects, Event.TRANSFER, horizons)
    fitted = kaplan_meier(
        [s.duration for s in subjects], [s.event == Event.LAPSE for s in subjects]
    )
    survival = fitted.survival_function_
    times, values = list(survival.index), list(survival.iloc[:, 0])
    median = float(fitted.median_survival_time_)
    months = [round(month * 365.25 / 12) for month in range(CHART_MONTHS + 1)]
    monthly = cumulative_incidence(subjects, Event.LAPSE, months)
    return LapseCurve(
        patients=len(subjects),
        lapses=sum(1 for s in subjects if s.event == Event.LAPSE),
        deaths=sum(1 for s in subjects if s.event == Event.DEATH),
        transfers=sum(1 for s in subjects if s.event == Event.TRANSFER),
        points=tuple(
            CurvePoint(
                days,
                round(lapse[i], 4),
                round(death[i] + transfer[i], 4),
                round(1.0 - _at(values, times, days), 4),
            )
            for i, days in enumerate(horizons)
        ),
        median_days=None if math.isinf(median) else median,
        monthly=tuple(round(value, 4) for value in monthly),
    )
