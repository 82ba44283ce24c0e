"""Scheduling's KPIs as facts for the analytics app (carebond/core/kpis.py, docs/analytics.md).

The definitions are methods.md §4.1's. A visit is *scheduled* on the day it was due (its start,
in its own time zone) unless it was entered in error or was only a hold. Of the scheduled
visits, those cancelled in time for the slot to be given to someone else (not a late
cancellation) leave the denominator; the rest are the visits that should have happened:

- show rate = completed / (scheduled - timely cancellations)
- no-show rate = no-shows / (scheduled - timely cancellations)
- late-cancel rate = late cancellations / (scheduled - timely cancellations)
- lead time: days from booking to the visit, over the scheduled visits
- waiting time: minutes from arriving to being roomed, over visits with both moments
- new patients: completed visits that were a patient's first completed visit
- 12-month retention: of the patients who completed a visit on a day, the share who completed
  another within the next 12 months; counted on the day those 12 months end, and leaving out
  patients who have died since.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef

from carebond.core.ids import only_uuids
from carebond.core.kpis import FactsSelector, Kpi, KpiFact, KpiKind
from carebond.people.kpi_selectors import age_band, language_of
from carebond.scheduling.models import Appointment, AppointmentStatus, AppointmentType

PATIENT_DIMENSIONS = ("provider", "appointment_type", "language", "age_band")
RETENTION_WINDOW = timedelta(days=365)
_NOT_SCHEDULED = (AppointmentStatus.ENTERED_IN_ERROR, AppointmentStatus.PENDING)
_MARGIN = timedelta(hours=14)  # the widest offset from UTC: a local day lies within this of UTC
_FIELDS = (
    "id",
    "starts_at",
    "time_zone",
    "location_id",
    "status",
    "late_cancellation",
    "booked_at",
    "arrived_at",
    "roomed_at",
    "patient_id",
    "patient__birth_date",
    "patient__preferred_language",
    "provider__public_id",
    "appointment_type__public_id",
)


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = datetime.combine(first, time.min, UTC) - _MARGIN
    end = datetime.combine(last + timedelta(days=1), time.min, UTC) + _MARGIN
    return start, end


class _Days:
    """A visit's local day, with one ZoneInfo per time zone."""

    def __init__(self) -> None:
        self._zones: dict[str, ZoneInfo] = {}

    def of(self, moment: datetime, zone: str) -> date:
        if zone not in self._zones:
            self._zones[zone] = ZoneInfo(zone or "UTC")
        return moment.astimezone(self._zones[zone]).date()


def _scheduled(organization_id: int, first: date, last: date) -> Iterator[dict[str, object]]:
    start, end = _utc_bounds(first, last)
    rows = (
        Appointment.objects.filter(
            organization_id=organization_id, starts_at__gte=start, starts_at__lt=end
        )
        .exclude(status__in=_NOT_SCHEDULED)
        .values(*_FIELDS)
        .order_by()
    )
    days = _Days()
    for row in rows.iterator(chunk_size=5000):
        day = days.of(row["starts_at"], row["time_zone"])
        if first <= day <= last:
            row["day"] = day
            yield row


def _dimensions(row: dict[str, object]) -> dict[str, str]:
    return {
        "provider": str(row["provider__public_id"]),
        "appointment_type": str(row["appointment_type__public_id"]),
        "language": language_of(str(row["patient__preferred_language"] or "")),
        "age_band": age_band(row["patient__birth_date"], row["day"]),  # type: ignore[arg-type]
    }


def _fact(
    row: dict[str, object], *, n: float = 1.0, x: float = 0.0, x2: float = 0.0, y: float = 0.0
) -> KpiFact:
    return KpiFact(
        day=row["day"],  # type: ignore[arg-type]
        location_id=row["location_id"],  # type: ignore[arg-type]
        dimensions=_dimensions(row),
        person_id=row["patient_id"],  # type: ignore[arg-type]
        n=n,
        x=x,
        x2=x2,
        y=y,
    )


def _timely_cancellation(row: dict[str, object]) -> bool:
    return row["status"] == AppointmentStatus.CANCELLED and not row["late_cancellation"]


def _share_of_due(status_counts: str) -> FactsSelector:
    """A facts selector: x = 1 for the due visits ``status_counts`` says count."""

    def facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
        for row in _scheduled(organization_id, first, last):
            if _timely_cancellation(row):
                continue
            if status_counts == "late_cancel":
                counted = bool(row["late_cancellation"])
            else:
                counted = row["status"] == status_counts
            yield _fact(row, x=1.0 if counted else 0.0)

    return facts


show_rate_facts = _share_of_due(AppointmentStatus.FULFILLED)
no_show_rate_facts = _share_of_due(AppointmentStatus.NOSHOW)
late_cancel_rate_facts = _share_of_due("late_cancel")


def lead_time_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    for row in _scheduled(organization_id, first, last):
        booked, starts = row["booked_at"], row["starts_at"]
        if isinstance(booked, datetime) and isinstance(starts, datetime) and booked <= starts:
            days = (starts - booked) / timedelta(days=1)
            yield _fact(row, x=days, x2=days * days)


def waiting_time_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    for row in _scheduled(organization_id, first, last):
        arrived, roomed = row["arrived_at"], row["roomed_at"]
        if isinstance(arrived, datetime) and isinstance(roomed, datetime) and arrived <= roomed:
            minutes = (roomed - arrived) / timedelta(minutes=1)
            yield _fact(row, x=minutes, x2=minutes * minutes)


def new_patient_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    start, end = _utc_bounds(first, last)
    earlier = Appointment.objects.filter(
        patient_id=OuterRef("patient_id"),
        status=AppointmentStatus.FULFILLED,
        starts_at__lt=OuterRef("starts_at"),
    )
    rows = (
        Appointment.objects.filter(
            organization_id=organization_id,
            status=AppointmentStatus.FULFILLED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .annotate(returning=Exists(earlier))
        .filter(returning=False)
        .values(*_FIELDS)
        .order_by()
    )
    days = _Days()
    for row in rows.iterator(chunk_size=5000):
        row["day"] = days.of(row["starts_at"], row["time_zone"])
        if first <= row["day"] <= last:
            yield _fact(row, n=0.0, x=1.0)


def retention_facts(organization_id: int, first: date, last: date) -> Iterator[KpiFact]:
    """One fact per patient and base day: the base visits are a year before ``first``..``last``,
    and the fact falls on the day the year after them ends."""
    start, end = _utc_bounds(first - RETENTION_WINDOW, last - RETENTION_WINDOW)
    again = Appointment.objects.filter(
        patient_id=OuterRef("patient_id"),
        status=AppointmentStatus.FULFILLED,
        starts_at__gt=OuterRef("starts_at"),
        starts_at__lte=OuterRef("starts_at") + RETENTION_WINDOW,
    )
    rows = (
        Appointment.objects.filter(
            organization_id=organization_id,
            status=AppointmentStatus.FULFILLED,
            starts_at__gte=start,
            starts_at__lt=end,
            patient__deceased_date__isnull=True,
        )
        .exclude(patient__status="deceased")
        .annotate(returned=Exists(again))
        .values(*_FIELDS, "returned")
        .order_by("starts_at")
    )
    days = _Days()
    seen: set[tuple[int, date]] = set()
    for row in rows.iterator(chunk_size=5000):
        base_day = days.of(row["starts_at"], row["time_zone"])
        row["day"] = base_day + RETENTION_WINDOW
        key = (row["patient_id"], base_day)
        if key in seen or not first <= row["day"] <= last:
            continue
        seen.add(key)
        yield _fact(row, x=1.0 if row["returned"] else 0.0)


def appointment_type_names(organization_id: int, values: list[str]) -> Mapping[str, str]:
    rows = AppointmentType.objects.filter(
        organization_id=organization_id, public_id__in=only_uuids(values)
    )
    return {str(public_id): name for public_id, name in rows.values_list("public_id", "name")}


_DUE = "Of the visits due (holds and entries in error left out), less those cancelled in time"


def scheduling_kpis() -> list[Kpi]:
    """Scheduling's KPIs, in the order the overview shows them."""

    def kpi(key: str, title: str, unit: str, definition: str, kind: KpiKind, **more: Any) -> Kpi:
        return Kpi(
            key=f"scheduling.{key}",
            title=title,
            unit=unit,
            definition=definition,
            kind=kind,
            app_label="scheduling",
            group="Access and adherence",
            dimensions=PATIENT_DIMENSIONS,
            **more,
        )

    return [
        kpi(
            "show_rate",
            "Show rate",
            "%",
            f"{_DUE}: the share completed.",
            KpiKind.PROPORTION,
            facts=show_rate_facts,
            order=20,
        ),
        kpi(
            "no_show_rate",
            "No-show rate",
            "%",
            f"{_DUE}: the share the patient neither attended nor cancelled.",
            KpiKind.PROPORTION,
            facts=no_show_rate_facts,
            higher_is_better=False,
            order=21,
        ),
        kpi(
            "late_cancel_rate",
            "Late-cancel rate",
            "%",
            f"{_DUE}: the share cancelled too late to give the time to someone else.",
            KpiKind.PROPORTION,
            facts=late_cancel_rate_facts,
            higher_is_better=False,
            order=22,
        ),
        kpi(
            "lead_time",
            "Lead time",
            "days",
            "Days from booking to the visit, on average, over the visits due.",
            KpiKind.MEAN,
            facts=lead_time_facts,
            higher_is_better=False,
            order=23,
        ),
        kpi(
            "waiting_time",
            "Waiting time",
            "minutes",
            "Minutes from arriving to being "
            "roomed, on average, over the visits with both moments recorded.",
            KpiKind.MEAN,
            facts=waiting_time_facts,
            higher_is_better=False,
            order=24,
        ),
        kpi(
            "new_patients",
            "New patients",
            "patients",
            "Patients whose first completed visit fell in the period.",
            KpiKind.COUNT,
            facts=new_patient_facts,
            order=25,
        ),
        kpi(
            "retention",
            "12-month retention",
            "%",
            "Of the patients who completed a visit "
            "12 months before the period, the share who completed another within 12 months "
            "of it (patients who have died left out). Window: 12 months.",
            KpiKind.PROPORTION,
            facts=retention_facts,
            order=26,
        ),
    ]
