"""Reads of the schedule: a day's appointments at a location or for a provider (a PHI read:
each names a patient and why they come, so it is audited), and open times for staff."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import NotFound
from carebond.core.models import Location
from carebond.people.models import Person
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.availability import OpenTime, location_zone, open_times
from carebond.scheduling.models import Appointment, AppointmentType

if TYPE_CHECKING:
    from carebond.accounts.models import User


def _day_bounds(location: Location, day: date) -> tuple[datetime, datetime]:
    zone = location_zone(location)
    first = datetime.combine(day, time.min, tzinfo=zone)
    return first, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def list_day_appointments(
    *, user: User, location: Location, day: date, provider: Person | None = None
) -> list[Appointment]:
    """Every appointment of a day at a location (or one provider's there), cancelled ones
    included, in time order. Audited: appointment.list (one event for the day's list)."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    first, last = _day_bounds(location, day)
    found = Appointment.objects.filter(
        organization_id=user.organization_id,
        location=location,
        starts_at__gte=first,
        starts_at__lt=last,
    )
    if provider is not None:
        found = found.filter(provider=provider)
    appointments = list(
        found.select_related("patient", "provider", "appointment_type", "room").order_by(
            "starts_at", "provider_id"
        )
    )
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    return appointments


def list_open_times(
    *,
    user: User,
    location: Location,
    appointment_type: AppointmentType,
    providers: list[Person],
    day: date,
    past_the_rules: bool = False,
) -> list[OpenTime]:
    """A day's open times for staff; ``past_the_rules`` shows what an override could book."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    return open_times(
        location=location,
        providers=providers,
        appointment_type=appointment_type,
        first_day=day,
        last_day=day,
        now=clock.now(),
        apply_rules=not past_the_rules,
    )
