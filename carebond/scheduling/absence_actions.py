"""A provider away (or a location closed) over visits already booked: the absence is recorded
(open times skip it from then on), and the visits it falls on become a worklist: each is moved
or cancelled as "provider cancelled", and their patients are asked, in one press, to call for a
new time (through messaging's rules; the same visit is never messaged twice)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidInput
from carebond.core.models import Location
from carebond.messaging.actions import check_queue_message
from carebond.people.models import ContactSystem, Person, PersonKind
from carebond.people.selectors import contact_address
from carebond.scheduling.absence_selectors import messaged_keys, rebook_key, visits_in_absence
from carebond.scheduling.models import ScheduleException

if TYPE_CHECKING:
    from carebond.accounts.models import User


def check_add_absence(
    *,
    location: Location,
    provider: Person | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    acting_user: User,
) -> ScheduleException:
    """A provider away at a location's time zone (or, with no provider, the location closed).
    Audit: schedule.absence_added."""
    organization_id = acting_user.organization_id
    if location.organization_id != organization_id:
        raise InvalidInput("Choose one of the practice's locations.", field="location")
    if provider is not None and (
        provider.kind != PersonKind.STAFF or provider.organization_id != organization_id
    ):
        raise InvalidInput("Choose one of the practice's providers.", field="provider")
    for moment, field in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        if moment.tzinfo is None:
            raise InvalidInput("The time needs its time zone.", field=field)
        RECORD_DATES.check(moment, field=field)
    if ends_at <= starts_at:
        raise InvalidInput("The absence must end after it starts.", field="ends_at")
    if ends_at <= clock.now():
        raise InvalidInput("That time has passed: an absence is recorded ahead.", field="ends_at")
    if not reason.strip():
        raise InvalidInput("Give the reason (leave, training, the holiday...).", field="reason")
    return do_add_absence(
        location=location,
        provider=provider,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        acting_user=acting_user,
    )


@transaction.atomic
def do_add_absence(
    *,
    location: Location,
    provider: Person | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    acting_user: User,
) -> ScheduleException:
    absence = ScheduleException.objects.create(
        organization_id=acting_user.organization_id,
        provider=provider,
        location=None if provider is not None else location,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        created_by=acting_user,
    )
    record_audit(
        actor=acting_user,
        action="schedule.absence_added",
        target=absence,
        organization=acting_user.organization,
    )
    return absence


@dataclass(frozen=True)
class Messaged:
    queued: int
    blocked: int
    already: int


def check_message_absence_patients(
    absence: ScheduleException, *, location: Location, acting_user: User
) -> Messaged:
    """Ask every patient of the worklist to call for a new time: a text when they have a
    number, else an email, through messaging's rules (consent, quiet hours: a refusal is kept
    with its reason). A visit already messaged for this absence is not messaged again.
    Audit: message.queued or message.blocked, one per patient."""
    visits = list(visits_in_absence(absence, location).select_related("patient", "location"))
    if not visits:
        raise InvalidInput("No booked visit falls in this absence.", field="absence")
    done = messaged_keys(absence)
    queued = blocked = 0
    with transaction.atomic():
        for visit in visits:
            if rebook_key(absence, visit) in done:
                continue
            patient = visit.patient
            channel = "sms" if contact_address(patient, system=ContactSystem.PHONE) else "email"
            message = check_queue_message(
                patient,
                purpose="appointment",
                channel=channel,
                template_key="appointment_rebook",
                idempotency_key=rebook_key(absence, visit),
                extra={"location": visit.location.name, "appointment_time": visit.starts_at},
                acting_user=acting_user,
            )
            if message.status == "blocked":
                blocked += 1
            else:
                queued += 1
    return Messaged(
        queued=queued, blocked=blocked, already=len(done & {rebook_key(absence, v) for v in visits})
    )
