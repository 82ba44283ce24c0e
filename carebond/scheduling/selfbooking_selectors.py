"""Reads of self-booking: what the public booking page offers (visit types booked online, the
places and providers that have them, open times), a hold or a visit by its link, and for the
front desk the visits patients booked online lately (a PHI read, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Q

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.models import Location, Organization
from carebond.people.models import Person, PersonKind, RelationshipType
from carebond.scheduling.access import DESK
from carebond.scheduling.availability import OpenTime, first_available, location_zone
from carebond.scheduling.models import (
    Appointment,
    AppointmentType,
    BookedVia,
    ScheduleTemplate,
    SelfBooking,
    TemplateStatus,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

# How far back the front desk's panel looks.
RECENT_DAYS = 7


def find_booking_organization(slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug[:60]).first()


def list_online_types(organization: Organization) -> list[AppointmentType]:
    return list(AppointmentType.objects.filter(organization=organization, active=True, online=True))


def list_booking_locations(organization: Organization) -> list[Location]:
    """The places with a provider's week applied (where there is something to book)."""
    ids = ScheduleTemplate.objects.filter(
        organization=organization, status=TemplateStatus.APPLIED
    ).values("location_id")
    return list(Location.objects.filter(organization=organization, pk__in=ids).order_by("name"))


def list_booking_providers(location: Location, appointment_type: AppointmentType) -> list[Person]:
    """The providers with a week at the place who offer the type (everyone, when the type
    names nobody)."""
    ids = set(
        ScheduleTemplate.objects.filter(
            location=location, status=TemplateStatus.APPLIED
        ).values_list("provider_id", flat=True)
    )
    offered = set(appointment_type.providers.values_list("id", flat=True))
    if offered:
        ids &= offered
    return sorted(
        Person.objects.filter(
            pk__in=ids, organization_id=location.organization_id, kind=PersonKind.STAFF
        ),
        key=lambda p: (p.family_name, p.given_name),
    )


def list_online_times(
    *,
    location: Location,
    appointment_type: AppointmentType,
    providers: list[Person],
    from_day: date,
    count: int = 12,
    not_before: datetime | None = None,
) -> list[OpenTime]:
    """The first open times from a day on (and from ``not_before``, when given), within the
    type's rules (online, nobody overrides them), held times left out."""
    if not providers:
        return []
    return first_available(
        location=location,
        providers=providers,
        appointment_type=appointment_type,
        now=clock.now(),
        days=60,
        count=count,
        from_day=from_day,
        not_before=not_before,
    )


def find_hold(token: str) -> SelfBooking | None:
    """The booking a hold's link names (None for a link that names none)."""
    if not 24 <= len(token) <= 64:
        return None
    return (
        SelfBooking.objects.filter(token=token)
        .select_related("organization", "appointment_type", "provider", "location")
        .first()
    )


def find_own_visit(public_id: str) -> Appointment | None:
    """The visit a patient's signed link names."""
    return (
        Appointment.objects.filter(public_id=public_id)
        .select_related("organization", "patient", "provider", "location", "appointment_type")
        .first()
    )


@dataclass(frozen=True)
class OnlineBooking:
    """A visit a patient booked online, as the front desk's panel lists it."""

    appointment: Appointment
    when: str  # "Mon 09 Mar 10:00" in the location's time zone
    booked: str
    new_patient: bool
    caregiver: str  # "Ana Vega (Parent)" when someone booked for the patient


def list_recent_online_bookings(*, user: User, limit: int = 10) -> list[OnlineBooking]:
    """The visits patients booked online in the last week, newest first (cancelled ones too,
    so that staff see what changed). Audited as one read of the list."""
    if not DESK.allows(user.role):
        return []
    since = clock.now() - timedelta(days=RECENT_DAYS)
    found = list(
        Appointment.objects.filter(
            Q(booked_at__gte=since) | Q(cancelled_at__gte=since),
            organization_id=user.organization_id,
            booked_via=BookedVia.ONLINE,
        )
        .select_related(
            "patient", "provider", "location__organization", "appointment_type", "self_booking"
        )
        .order_by("-booked_at")[:limit]
    )
    if not found:
        return []
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    rows = []
    for appointment in found:
        booking = getattr(appointment, "self_booking", None)
        zone = location_zone(appointment.location)
        caregiver = ""
        if booking is not None and booking.caregiver_name:
            who = RelationshipType(booking.caregiver_relationship).label
            caregiver = f"{booking.caregiver_name} ({who})"
        rows.append(
            OnlineBooking(
                appointment=appointment,
                when=f"{appointment.starts_at.astimezone(zone):%a %d %b %H:%M}",
                booked=f"{appointment.booked_at.astimezone(zone):%a %d %b %H:%M}",
                new_patient=booking is not None and booking.new_patient,
                caregiver=caregiver,
            )
        )
    return rows
