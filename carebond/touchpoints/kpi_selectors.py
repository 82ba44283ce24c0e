"""The timeline's KPIs as facts for the analytics app (carebond/core/kpis.py): how many times
patients were in touch with the practice, and at which moment of their journey (the "moments
of truth": scheduling, billing, communications, the waiting room, clinical care, follow-up).

Days are the organisation's days. Only patients' touchpoints count (not staff's or referral
partners').

- touchpoints: a count of patients' touchpoints, on the day each happened, with its location,
  moment and channel;
- touchpoints per patient: a monthly figure. On the last day of each month, one fact per
  patient who had at least one touchpoint that month: n = 1, x = their touchpoints that month.
  A patient's location is the one most of their touchpoints with a location were at that
  month (none when none had one).

Per moment, a patient counts once for each moment they had: n = 1 and x = their touchpoints
at that moment. Those facts are for the breakdown by moment only (``breakdown_only``): the
month's total counts each patient once, from their fact without a moment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from carebond.core.kpis import Kpi, KpiFact, KpiKind
from carebond.core.models import Organization
from carebond.people.kpi_selectors import age_band, language_of
from carebond.people.models import PersonKind
from carebond.touchpoints.models import MomentOfTruth, Touchpoint, TouchpointChannel

NO_MOMENT = "none"
"""The "moment" value of a touchpoint recorded without one."""
_FIELDS = (
    "occurred_at",
    "location_id",
    "moment_of_truth",
    "channel",
    "person_id",
    "person__birth_date",
    "person__preferred_language",
)


def organization_zone(organization_id: int) -> ZoneInfo:
    return ZoneInfo(
        Organization.objects.values_list("time_zone", flat=True).get(pk=organization_id)
    )


def utc_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The organisation's days ``first``..``last`` as [start, end) in UTC."""
    start = datetime.combine(first, time.min, zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def _patients_touchpoints(
    organization_id: int, first: date, last: date, zone: ZoneInfo
) -> Iterator[dict[str, Any]]:
    start, end = utc_bounds(first, last, zone)
    rows = (
        Touchpoint.objects.filter(
            organization_id=organization_id,
            person__kind=PersonKind.PATIENT,
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .values(*_FIELDS)
        .order_by()
    )
    for row in rows.iterator(chunk_size=5000):
        row["day"] = row["occurred_at"].astimezone(zone).date()
        row["moment"] = row["moment_of_truth"] or NO_MOMENT
        yield row


def touchpoint_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    zone = organization_zone(organization_id)
    for row in _patients_touchpoints(organization_id, first, last, zone):
        yield KpiFact(
            day=row["day"],
            location_id=row["location_id"],
            dimensions={"moment": row["moment"], "channel": row["channel"]},
            n=0.0,
            x=1.0,
            person_id=row["person_id"],
        )


def _month_ends(first: date, last: date) -> Iterator[date]:
    """The last days of the months that end within ``first``..``last``."""
    month = first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        end = following - timedelta(days=1)
        if first <= end <= last:
            yield end
        month = following


def touchpoints_per_patient_facts(
    organization_id: int, first: date, last: date
) -> Iterator[KpiFact]:
    zone = organization_zone(organization_id)
    for month_end in _month_ends(first, last):
        yield from _patient_month_facts(organization_id, month_end, zone)


def _patient_month_facts(
    organization_id: int, month_end: date, zone: ZoneInfo
) -> Iterator[KpiFact]:
    moments: dict[int, Counter[str]] = defaultdict(Counter)
    locations: dict[int, Counter[int]] = defaultdict(Counter)
    people: dict[int, dict[str, Any]] = {}
    for row in _patients_touchpoints(organization_id, month_end.replace(day=1), month_end, zone):
        person_id = row["person_id"]
        people[person_id] = row
        moments[person_id][row["moment"]] += 1
        if row["location_id"] is not None:
            locations[person_id][row["location_id"]] += 1
    for person_id, row in people.items():
        counted = moments[person_id]
        total = float(counted.total())
        at = locations[person_id]
        # The most frequent location; ties go to the lowest id, so a rerun gives the same one.
        location_id = min(at, key=lambda pk: (-at[pk], pk)) if at else None
        yield KpiFact(
            day=month_end,
            location_id=location_id,
            dimensions={
                "language": language_of(str(row["person__preferred_language"] or "")),
                "age_band": age_band(row["person__birth_date"], month_end),
            },
            n=1.0,
            x=total,
            person_id=person_id,
        )
        for moment, touchpoints in counted.items():
            yield KpiFact(
                day=month_end,
                location_id=location_id,
                dimensions={"moment": moment},
                n=1.0,
                x=float(touchpoints),
                person_id=person_id,
                breakdown_only=True,
            )


def moment_names(organization_id: int, values: list[str]) -> Mapping[str, str]:
    labels = dict(MomentOfTruth.choices)
    return {
        value: "No moment recorded" if value == NO_MOMENT else str(labels.get(value, value))
        for value in values
    }


def channel_names(organization_id: int, values: list[str]) -> Mapping[str, str]:
    labels = dict(TouchpointChannel.choices)
    return {value: str(labels.get(value, value)) for value in values}


def touchpoints_kpis() -> list[Kpi]:
    """The timeline's KPIs, in the order the overview shows them."""
    common: dict[str, Any] = {"app_label": "touchpoints", "group": "Engagement", "settle_days": 7}
    return [
        Kpi(
            key="touchpoints.per_patient",
            title="Touchpoints per patient",
            unit="per patient per month",
            definition=(
                "Of the patients with at least one touchpoint in a month (a visit, a call, a "
                "message either way, a statement, a survey...), their touchpoints that month "
                "per patient per month; over several months, the average of the patient-"
                "months. By moment: the patients with a touchpoint at that moment, and their "
                "touchpoints at it (a patient counts once in each moment they had)."
            ),
            kind=KpiKind.PER_UNIT,
            facts=touchpoints_per_patient_facts,
            dimensions=("moment", "language", "age_band"),
            higher_is_better=None,
            order=33,
            **common,
        ),
        Kpi(
            key="touchpoints.touchpoints",
            title="Touchpoints",
            unit="touchpoints",
            definition=(
                "Patients' touchpoints on their timelines (visits, calls, messages either way, "
                "statements, surveys...) that happened in the period, by the day they happened."
            ),
            kind=KpiKind.COUNT,
            facts=touchpoint_facts,
            dimensions=("moment", "channel"),
            higher_is_better=None,
            order=34,
            **common,
        ),
    ]
