"""What the relationship-health score reads from scheduling (docs/analytics.md, "Relationship
health"): each patient's visits, reduced to what connection and commitment need (the local day
it was due, what became of it, who cancelled it, when it was booked, where).

No access check here: the caller (analytics) holds its own policy and audits the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carebond.scheduling.models import Appointment, AppointmentStatus

_NOT_VISITS = (AppointmentStatus.ENTERED_IN_ERROR, AppointmentStatus.PENDING)
_LIVE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN)


@dataclass(frozen=True)
class VisitRecord:
    """One visit. ``outcome``: "completed", "noshow", "late_cancel" (cancelled too late for the
    time to be given to someone else), "cancelled" (in time) or "booked" (still to come, or
    not marked yet)."""

    day: date
    outcome: str
    cancelled_by: str
    booked_on: date
    location_id: int


def _outcome(status: str, late: bool) -> str:
    if status == AppointmentStatus.FULFILLED:
        return "completed"
    if status == AppointmentStatus.NOSHOW:
        return "noshow"
    if status == AppointmentStatus.CANCELLED:
        return "late_cancel" if late else "cancelled"
    return "booked" if status in _LIVE else status


def visit_records(
    organization_id: int, *, since: date, person_ids: Iterable[int] | None = None
) -> dict[int, list[VisitRecord]]:
    """{patient id: their visits due from ``since`` on, in order}: one query."""
    visits = Appointment.objects.filter(
        organization_id=organization_id,
        starts_at__gte=datetime.combine(since, time.min, UTC) - timedelta(hours=14),
    ).exclude(status__in=_NOT_VISITS)
    if person_ids is not None:
        visits = visits.filter(patient_id__in=set(person_ids))
    zones: dict[str, ZoneInfo] = {}
    found: dict[int, list[VisitRecord]] = defaultdict(list)
    for patient_id, starts_at, zone, status, late, by, booked_at, location_id in (
        visits.order_by("starts_at", "id")
        .values_list(
            "patient_id",
            "starts_at",
            "time_zone",
            "status",
            "late_cancellation",
            "cancelled_by",
            "booked_at",
            "location_id",
        )
        .iterator(chunk_size=5000)
    ):
        if zone not in zones:
            zones[zone] = ZoneInfo(zone or "UTC")
        day = starts_at.astimezone(zones[zone]).date()
        if day < since:
            continue
        found[patient_id].append(
            VisitRecord(
                day=day,
                outcome=_outcome(status, late),
                cancelled_by=by,
                booked_on=booked_at.astimezone(zones[zone]).date(),
                location_id=location_id,
            )
        )
    return found
