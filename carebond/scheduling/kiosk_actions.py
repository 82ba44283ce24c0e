"""The waiting room's kiosk: a patient checks in on a tablet by their birth date and the first
letters of their family name. The kiosk is started by the front desk (a signed link for one
location, good for a working day); it shows no more than a first name and a time, and says the
same "please see the front desk" whether no visit matched, several did, or it is too early.
Failed tries are counted per location (in the audit trail, so every web process sees them):
after too many, it asks everyone to see the desk for a while."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.core import signing
from django.db import transaction

from carebond.audit.models import AuditEvent, Outcome
from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Location
from carebond.scheduling.actions import _record, describe
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import Appointment, AppointmentStatus

KIOSK_SALT = "carebond.scheduling.kiosk"
# A kiosk's link is good for a working day; the desk starts it again the next morning.
KIOSK_HOURS = 16
# A visit can be checked in from this long before its start until this long after.
EARLY, LATE = timedelta(hours=2), timedelta(hours=1)
# Failed tries at one location within the window before the kiosk pauses.
MAX_FAILURES, FAILURE_WINDOW = 10, timedelta(minutes=10)
NOT_FOUND = "kiosk.not_found"


def kiosk_token(location: Location) -> str:
    return signing.dumps({"location": str(location.public_id)}, salt=KIOSK_SALT)


def kiosk_location(token: str) -> Location:
    """The location a kiosk link was made for; NotFound when it is unknown or a day old."""
    try:
        found = signing.loads(token, salt=KIOSK_SALT, max_age=timedelta(hours=KIOSK_HOURS))
    except signing.BadSignature:
        raise NotFound("This kiosk link is not valid: ask the front desk.") from None
    location = (
        Location.objects.filter(public_id=found.get("location")).select_related("organization")
    ).first()
    if location is None:
        raise NotFound("This kiosk link is not valid: ask the front desk.")
    return location


@dataclass(frozen=True)
class CheckedIn:
    first_name: str
    starts: str  # "10:30", the location's time
    provider: str


def _folded(text: str) -> str:
    """Lower case without accents or spaces: "Núñez" and "nunez" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).lower()


def kiosk_paused(location: Location) -> bool:
    return (
        AuditEvent.objects.filter(
            action=NOT_FOUND,
            target_type="core.location",
            target_id=str(location.public_id),
            occurred_at__gte=clock.now() - FAILURE_WINDOW,
        ).count()
        >= MAX_FAILURES
    )


def check_kiosk_check_in(
    location: Location, *, birth_date: date, family_start: str
) -> CheckedIn | None:
    """Check a patient in at the kiosk: the one booked visit today at this location, near its
    time, whose patient has this birth date and a family name beginning with these letters.
    None (and a failed try counted) when there is not exactly one. Audit: appointment.checked-in
    (by the patient), or kiosk.not_found (the location, no one named)."""
    letters = _folded(family_start)
    if len(letters) < 2:
        raise InvalidInput("Type at least the first two letters.", field="family_start")
    if kiosk_paused(location):
        return None
    now = clock.now()
    candidates = [
        visit
        for visit in Appointment.objects.filter(
            location=location,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=now - LATE,
            starts_at__lte=now + EARLY,
            patient__birth_date=birth_date,
        ).select_related("patient", "provider", "location", "appointment_type", "organization")
        if _folded(visit.patient.family_name).startswith(letters)
    ]
    if len(candidates) != 1:
        record_audit(
            actor=None,
            action=NOT_FOUND,
            target=location,
            organization=location.organization,
            outcome=Outcome.DENIED,
            actor_label="kiosk",
        )
        return None
    visit = do_kiosk_check_in(candidates[0])
    zone = location_zone(location)
    return CheckedIn(
        first_name=visit.patient.preferred_name or visit.patient.given_name,
        starts=f"{visit.starts_at.astimezone(zone):%H:%M}",
        provider=visit.provider.display_name,
    )


@transaction.atomic
def do_kiosk_check_in(visit: Appointment) -> Appointment:
    changed = Appointment.objects.filter(pk=visit.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.CHECKED_IN, arrived_at=clock.now()
    )
    if not changed:  # (checked in a moment ago, at the desk or another kiosk)
        visit.refresh_from_db()
        return visit
    visit.refresh_from_db()
    _record(
        visit,
        action="appointment.checked-in",
        acting_user=None,
        summary=f"Checked in at the kiosk: {describe(visit)}",
        by_patient=True,
        changed_fields=["status", "arrived_at"],
    )
    return visit
