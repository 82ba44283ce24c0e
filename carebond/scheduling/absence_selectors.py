"""Reads for absences: those ahead at a location, each with the booked visits it falls on, and
one absence's worklist (a PHI read: it names patients; audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.db.models import Q, QuerySet

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.access import one_or_not_found
from carebond.core.errors import NotFound
from carebond.core.models import Location
from carebond.messaging.selectors import messages_with_key_prefix
from carebond.scheduling.access import DESK
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import Appointment, AppointmentStatus, ScheduleException
from carebond.scheduling.selectors import list_providers

if TYPE_CHECKING:
    from carebond.accounts.models import User


def visits_in_absence(absence: ScheduleException, location: Location) -> QuerySet[Appointment]:
    """The booked visits an absence falls on (the provider's anywhere, or all at a closed
    location), in time order."""
    found = Appointment.objects.filter(
        organization_id=absence.organization_id,
        status=AppointmentStatus.BOOKED,
        starts_at__lt=absence.ends_at,
        ends_at__gt=absence.starts_at,
    )
    if absence.provider_id is not None:
        found = found.filter(provider_id=absence.provider_id)
    else:
        found = found.filter(Q(location=absence.location_id or location.pk))
    return found.order_by("starts_at")


def rebook_key(absence: ScheduleException, appointment: Appointment) -> str:
    return f"absence:{absence.public_id}:{appointment.public_id}"


def messaged_keys(absence: ScheduleException) -> set[str]:
    """The worklist's visits already messaged for this absence (by their messages' keys)."""
    return set(
        messages_with_key_prefix(
            absence.organization_id, f"absence:{absence.public_id}"
        ).values_list("idempotency_key", flat=True)
    )


@dataclass(frozen=True)
class AbsenceRow:
    absence: ScheduleException
    who: str  # the provider, or "The whole location"
    when: str  # in the location's time zone
    to_rebook: int


def _when(absence: ScheduleException, location: Location) -> str:
    zone = location_zone(location)
    first, last = absence.starts_at.astimezone(zone), absence.ends_at.astimezone(zone)
    return f"{first:%a %d %b %H:%M} to {last:%a %d %b %H:%M}"


def list_absences(*, user: User, location: Location) -> list[AbsenceRow]:
    """Absences not yet over: the location's closures and its providers' time away."""
    if not DESK.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    providers = [p.pk for p in list_providers(user=user, location=location)]
    found = ScheduleException.objects.filter(
        organization_id=user.organization_id, ends_at__gt=clock.now()
    ).filter(Q(location=location) | Q(provider_id__in=providers))
    return [
        AbsenceRow(
            absence=absence,
            who=absence.provider.display_name if absence.provider else "The whole location",
            when=_when(absence, location),
            to_rebook=visits_in_absence(absence, location).count(),
        )
        for absence in found.select_related("provider").order_by("starts_at")
    ]


def get_absence(*, user: User, public_id: UUID | str) -> ScheduleException:
    if not DESK.allows(user.role):
        raise NotFound("No such absence.")
    return one_or_not_found(
        ScheduleException.objects.filter(
            organization_id=user.organization_id, public_id=public_id
        ).select_related("provider", "location"),
        "No such absence.",
    )


@dataclass(frozen=True)
class WorklistRow:
    appointment: Appointment
    when: str
    messaged: bool


def list_absence_worklist(
    *, user: User, absence: ScheduleException, location: Location
) -> list[WorklistRow]:
    """The booked visits an absence falls on, each with whether its patient was messaged.
    Audited: appointment.list."""
    if not DESK.allows(user.role) or absence.organization_id != user.organization_id:
        raise NotFound("No such absence.")
    visits = list(
        visits_in_absence(absence, location).select_related(
            "patient", "provider", "location", "appointment_type"
        )
    )
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    done = messaged_keys(absence)
    return [
        WorklistRow(
            appointment=visit,
            when=f"{visit.starts_at.astimezone(location_zone(visit.location)):%a %d %b %H:%M}",
            messaged=rebook_key(absence, visit) in done,
        )
        for visit in visits
    ]
