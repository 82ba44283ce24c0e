"""Booking, moving and cancelling appointments, and the steps of a visit.

``check_*`` validates (the schedule, the type's booking rules, new or established) and calls
``do_*``, which writes the row, its audit event, its touchpoint and its reminders in one
transaction. The database has the last word on double booking: when two people book the same
time at once, the constraint refuses the second, which gets "this time was just taken" with the
next open times (``SlotTaken``).

Staff may override a booking rule (short notice, a day too far ahead, the patient's limit) with
a reason, kept on the appointment; nobody books outside the schedule, and overbooking a taken
time is its own action (``OVERBOOKERS``), logged as such.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidInput, PermissionDenied, RuleViolation
from carebond.core.models import Location
from carebond.messaging.actions import cancel_queued_messages, check_queue_message
from carebond.messaging.selectors import messages_with_key_prefix
from carebond.people.models import ContactSystem, Person, PersonKind, PersonStatus
from carebond.people.selectors import contact_address
from carebond.scheduling.access import OVERBOOKERS
from carebond.scheduling.availability import (
    OpenTime,
    first_available,
    group_key_for,
    location_zone,
    open_times,
)
from carebond.scheduling.constraints import conflict_in
from carebond.scheduling.invitations import join_url, queue_invitation
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentType,
    BookedVia,
    CancelledBy,
    PatientRule,
    VisitMode,
)
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import MomentOfTruth

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Seen by the same specialty within this long: an established patient.
ESTABLISHED_WITHIN = timedelta(days=3 * 365)


class SlotTaken(RuleViolation):
    """Someone else booked the time a moment ago; the next open times come with the error."""

    default_code = "slot_taken"

    def __init__(self, message: str, *, alternatives: list[OpenTime]) -> None:
        super().__init__(message)
        self.alternatives = alternatives


def _when(moment: datetime, location: Location) -> str:
    local = moment.astimezone(location_zone(location))
    return f"{local:%a %d %b %H:%M}"


def describe(appointment: Appointment) -> str:
    """ "Follow-up, Mon 02 Mar 09:00" in the location's time zone."""
    return (
        f"{appointment.appointment_type.name}, {_when(appointment.starts_at, appointment.location)}"
    )


# --- booking ---------------------------------------------------------------------------------


def check_book_appointment(
    patient: Person,
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    acting_user: User | None,
    via: str = BookedVia.STAFF,
    reason: str = "",
    override_reason: str = "",
    overbook: bool = False,
) -> Appointment:
    """Book one appointment. Audit: appointment.booked (appointment.overbooked)."""
    now = clock.now()
    _check_parties(patient, provider, location, appointment_type)
    starts_at = _check_start(starts_at, now)
    override_reason = _check_override(override_reason, acting_user, overbook=overbook)
    broken = booking_rules_broken(patient, appointment_type, starts_at, location, now=now)
    if broken and not override_reason:
        raise RuleViolation(broken[0], code="booking_rule")
    _check_new_or_established(patient, appointment_type, now=now)
    if not overbook and not _in_schedule(provider, location, appointment_type, starts_at, now):
        raise _not_open(provider, location, appointment_type, starts_at)
    return do_book_appointment(
        patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        starts_at=starts_at,
        acting_user=acting_user,
        via=via,
        reason=reason,
        override_reason=override_reason,
        overbook=overbook,
    )


def _check_parties(
    patient: Person, provider: Person, location: Location, appointment_type: AppointmentType
) -> None:
    organization_id = patient.organization_id
    if patient.kind != PersonKind.PATIENT or patient.status in (
        PersonStatus.DECEASED,
        PersonStatus.MERGED,
    ):
        raise RuleViolation("Appointments are booked for living patients only.", code="patient")
    if provider.kind != PersonKind.STAFF or provider.organization_id != organization_id:
        raise InvalidInput("Choose one of the practice's providers.", field="provider")
    if location.organization_id != organization_id:
        raise InvalidInput("Choose one of the practice's locations.", field="location")
    if appointment_type.organization_id != organization_id or not appointment_type.active:
        raise InvalidInput("Choose an appointment type in use.", field="appointment_type")
    offered_by = set(appointment_type.providers.values_list("id", flat=True))
    if offered_by and provider.pk not in offered_by:
        raise InvalidInput(
            f"{provider.display_name} does not offer {appointment_type.name}.", field="provider"
        )


def _check_start(starts_at: datetime, now: datetime) -> datetime:
    if starts_at.tzinfo is None:
        raise InvalidInput("The time needs its time zone.", field="starts_at")
    RECORD_DATES.check(starts_at, field="starts_at")  # before any arithmetic on it
    if starts_at.second or starts_at.microsecond:
        raise InvalidInput("Appointments start on a whole minute.", field="starts_at")
    if starts_at <= now:
        raise InvalidInput("That time has passed: choose a later one.", field="starts_at")
    return starts_at.astimezone(UTC)  # lengths and offsets in real time, not wall-clock time


def _check_override(override_reason: str, acting_user: User | None, *, overbook: bool) -> str:
    override_reason = override_reason.strip()
    if (override_reason or overbook) and acting_user is None:
        raise PermissionDenied("Only staff may override a booking rule.")
    if overbook:
        if acting_user is None or not OVERBOOKERS.allows(acting_user.role):
            raise PermissionDenied("Only managers and administrators may overbook.")
        if not override_reason:
            raise InvalidInput("Say why this time is overbooked.", field="override_reason")
    return override_reason[:300]


def booking_rules_broken(
    patient: Person,
    appointment_type: AppointmentType,
    starts_at: datetime,
    location: Location,
    *,
    now: datetime,
    ignore: Appointment | None = None,
) -> list[str]:
    """The type's booking rules this booking would break, each in words (empty: none)."""
    zone = location_zone(location)
    today, day = now.astimezone(zone).date(), starts_at.astimezone(zone).date()
    broken = []
    if appointment_type.not_same_day and day <= today:
        broken.append(f"{appointment_type.name} is not booked for the same day.")
    notice = timedelta(minutes=appointment_type.min_notice_minutes)
    if starts_at < now + notice:
        broken.append(
            f"{appointment_type.name} needs {appointment_type.min_notice_minutes} minutes' notice."
        )
    if day > today + timedelta(days=appointment_type.max_days_ahead):
        broken.append(
            f"{appointment_type.name} is booked at most {appointment_type.max_days_ahead} days "
            "ahead."
        )
    if appointment_type.max_per_patient is not None:
        held = Appointment.objects.filter(
            patient=patient,
            appointment_type=appointment_type,
            status__in=LIVE_STATUSES,
            starts_at__gt=now,
        )
        if ignore is not None:
            held = held.exclude(pk=ignore.pk)
        if held.count() >= appointment_type.max_per_patient:
            broken.append(
                f"A patient may hold {appointment_type.max_per_patient} future "
                f"{appointment_type.name} appointments at a time."
            )
    return broken


def is_established(patient: Person, specialty: str, *, now: datetime) -> bool:
    """Seen (a completed visit) by the same specialty within three years."""
    return Appointment.objects.filter(
        patient=patient,
        status=AppointmentStatus.FULFILLED,
        appointment_type__specialty=specialty,
        starts_at__gte=now - ESTABLISHED_WITHIN,
        starts_at__lt=now,
    ).exists()


def _check_new_or_established(
    patient: Person, appointment_type: AppointmentType, *, now: datetime
) -> None:
    if appointment_type.patients == PatientRule.ANY:
        return
    established = is_established(patient, appointment_type.specialty, now=now)
    if appointment_type.patients == PatientRule.NEW and established:
        raise RuleViolation(
            f"{patient.display_name} was seen in {appointment_type.specialty or 'this specialty'} "
            "within three years: book an established-patient visit.",
            code="established_patient",
        )
    if appointment_type.patients == PatientRule.ESTABLISHED and not established:
        raise RuleViolation(
            f"{patient.display_name} has not been seen in "
            f"{appointment_type.specialty or 'this specialty'} within three years: book a "
            "new-patient visit.",
            code="new_patient",
        )


def _in_schedule(
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    now: datetime,
) -> bool:
    day = starts_at.astimezone(location_zone(location)).date()
    return any(
        open_time.starts_at == starts_at
        for open_time in open_times(
            location=location,
            providers=[provider],
            appointment_type=appointment_type,
            first_day=day,
            last_day=day,
            now=now,
            apply_rules=False,
        )
    )


def _next_times(
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    after: datetime,
    now: datetime,
) -> list[OpenTime]:
    return [
        t
        for t in first_available(
            location=location,
            providers=[provider],
            appointment_type=appointment_type,
            now=max(now, after - timedelta(days=1)),
            days=30,
            count=8,
        )
        if t.starts_at > now
    ][:3]


def _taken(
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    *,
    why: str = "This time was just taken.",
) -> SlotTaken:
    """The refusal of a time, with the next open times (in words and as data)."""
    alternatives = _next_times(provider, location, appointment_type, starts_at, clock.now())
    offered = ", ".join(_when(t.starts_at, location) for t in alternatives)
    return SlotTaken(
        why + (f" Next open: {offered}." if offered else ""), alternatives=alternatives
    )


def _not_open(
    provider: Person, location: Location, appointment_type: AppointmentType, starts_at: datetime
) -> SlotTaken:
    why = f"{_when(starts_at, location)} is not an open time in this provider's schedule."
    return _taken(provider, location, appointment_type, starts_at, why=why)


def do_book_appointment(
    patient: Person,
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    acting_user: User | None,
    via: str,
    reason: str = "",
    override_reason: str = "",
    overbook: bool = False,
    series: AppointmentSeries | None = None,
) -> Appointment:
    now = clock.now()
    group = group_key_for(appointment_type, starts_at)
    appointment = Appointment(
        organization_id=patient.organization_id,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        starts_at=starts_at,
        ends_at=starts_at + appointment_type.duration,
        duration_minutes=appointment_type.duration_minutes,
        time_zone=str(location_zone(location)),
        status=AppointmentStatus.BOOKED,
        overbooked=overbook,
        booked_via=via,
        booked_by=acting_user,
        booked_at=now,
        override_reason=override_reason,
        reason=reason,
        series=series,
        telehealth_token=secrets.token_urlsafe(24)
        if appointment_type.mode == VisitMode.TELEHEALTH
        else "",
    )
    try:
        with transaction.atomic():
            _insert_in_a_free_seat(appointment, group, appointment_type.capacity)
            _record(
                appointment,
                action="appointment.overbooked" if overbook else "appointment.booked",
                acting_user=acting_user,
                summary=f"Booked: {describe(appointment)}",
                by_patient=via == BookedVia.ONLINE,
                channel="web" if via == BookedVia.ONLINE else "in_person",
            )
            queue_reminders(appointment)
            queue_invitation(appointment)
    except IntegrityError as error:
        if conflict_in(error) is None:
            raise
        raise _taken(provider, location, appointment_type, starts_at) from None
    return appointment


def _record(
    appointment: Appointment,
    *,
    action: str,
    acting_user: User | None,
    summary: str,
    by_patient: bool = False,
    channel: str = "in_person",
    changed_fields: list[str] | None = None,
) -> None:
    """Every change to an appointment: its audit event and a scheduling touchpoint on the
    patient's timeline (inbound when the patient did it)."""
    record_audit(
        actor=acting_user,
        action=action,
        target=appointment,
        organization=appointment.patient.organization,
        patient=appointment.patient,
        changed_fields=changed_fields or (),
    )
    record_touchpoint(
        appointment.patient,
        kind="scheduling",
        channel=channel,
        direction="inbound" if by_patient else "outbound",
        occurred_at=clock.now(),
        staff=appointment.provider,
        location=appointment.location,
        moment_of_truth=MomentOfTruth.SCHEDULING,
        summary=summary,
        source=appointment,
        recorded_by=acting_user,
    )


def _insert_in_a_free_seat(appointment: Appointment, group: str | None, capacity: int) -> None:
    """A one-to-one visit is its own group; a group visit takes the first free seat (two
    patients taking the last seat at once: the seat's unique constraint refuses one)."""
    if group is None:
        appointment.group_key = uuid.uuid4().hex
        appointment.save(force_insert=True)
        return
    appointment.group_key = group
    taken = set(
        Appointment.objects.filter(
            provider=appointment.provider, group_key=group, status__in=LIVE_STATUSES
        ).values_list("seat", flat=True)
    )
    free = [seat for seat in range(1, capacity + 1) if seat not in taken]
    if not free and not appointment.overbooked:
        raise RuleViolation("This group visit is full.", code="group_full")
    appointment.seat = free[0] if free else capacity + len(taken) + 1
    appointment.save(force_insert=True)


# --- reminders -------------------------------------------------------------------------------


def reminder_key(appointment: Appointment) -> str:
    """Per appointment and start: a moved appointment's new reminders are new messages."""
    return (
        f"appointment:{appointment.public_id}:{appointment.starts_at.astimezone(UTC):%Y%m%dT%H%MZ}"
    )


def reminder_hours(appointment_type: AppointmentType) -> list[int]:
    """The hours before a visit of this type its reminders go: the type's own, else
    ``SCHEDULING_REMINDER_HOURS`` (72 and 24). Values outside 1 hour to 4 weeks are ignored."""
    own = [h for h in appointment_type.reminder_hours or [] if isinstance(h, int) and 0 < h <= 672]
    return sorted(set(own or settings.SCHEDULING_REMINDER_HOURS), reverse=True)


def queue_reminders(appointment: Appointment) -> list[str]:
    """Queue the appointment's reminders at their offsets (the type's, or
    ``SCHEDULING_REMINDER_HOURS``), by text when the patient has a number, else by email; one
    already past is skipped. A video visit's reminder carries the patient's join link. Each goes
    through messaging's rules (consent, quiet hours): a refused one is kept as blocked, with
    the reason, and shown on the appointment. The same appointment and time twice: the same
    messages (idempotency keys). Returns the statuses queued."""
    patient = appointment.patient
    channel = "sms" if contact_address(patient, system=ContactSystem.PHONE) else "email"
    statuses = []
    now = clock.now()
    link = join_url(appointment)
    for hours in reminder_hours(appointment.appointment_type):
        due = appointment.starts_at.astimezone(UTC) - timedelta(hours=hours)
        if due <= now:
            continue
        message = check_queue_message(
            patient,
            purpose="appointment",
            channel=channel,
            template_key="appointment_reminder_video" if link else "appointment_reminder",
            idempotency_key=f"{reminder_key(appointment)}:{hours}h",
            extra={
                "location": appointment.location.name,
                "appointment_time": appointment.starts_at,
                "join_link": link,
            },
            acting_user=None,
            not_before=due,
        )
        statuses.append(message.status)
    return statuses


def cancel_reminders(appointment: Appointment, *, reason: str) -> int:
    return cancel_queued_messages(
        messages_with_key_prefix(appointment.organization_id, reminder_key(appointment)),
        reason=reason,
    )


# --- cancelling and moving -------------------------------------------------------------------


def check_cancel_appointment(
    appointment: Appointment,
    *,
    cancelled_by: str,
    reason: str,
    acting_user: User | None,
    channel: str = "in_person",
) -> Appointment:
    """Cancel: the time is free at once, the reminders are withdrawn and the patient's
    calendar told. Within the type's cancellation notice it counts as a late cancellation; a
    patient cancelling online (or by text) within it is refused (they call the practice).
    ``channel``: how the cancellation came (a text reply: sms). Audit: appointment.cancelled."""
    if cancelled_by not in CancelledBy.values:
        raise InvalidInput(
            "Say who cancelled: the patient, the provider or the clinic.", field="cancelled_by"
        )
    if not reason.strip():
        raise InvalidInput("Give the reason for cancelling.", field="reason")
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING):
        raise RuleViolation(
            f"This appointment is {appointment.get_status_display().lower()}: only a booked one "
            "can be cancelled.",
            code="not_booked",
        )
    now = clock.now()
    hours = appointment.appointment_type.cancel_notice_hours
    late = cancelled_by == CancelledBy.PATIENT and appointment.starts_at - now < timedelta(
        hours=hours
    )
    if late and acting_user is None:
        raise RuleViolation(
            f"Appointments are cancelled online up to {hours} hours ahead: please call the "
            "practice.",
            code="cancel_notice",
        )
    return do_cancel_appointment(
        appointment,
        cancelled_by=cancelled_by,
        reason=reason.strip()[:300],
        late=late,
        acting_user=acting_user,
        channel=channel,
    )


@transaction.atomic
def do_cancel_appointment(
    appointment: Appointment,
    *,
    cancelled_by: str,
    reason: str,
    late: bool,
    acting_user: User | None,
    channel: str = "in_person",
) -> Appointment:
    now = clock.now()
    changed = Appointment.objects.filter(
        pk=appointment.pk, status__in=(AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
    ).update(
        status=AppointmentStatus.CANCELLED,
        cancelled_at=now,
        cancelled_by=cancelled_by,
        cancel_reason=reason,
        late_cancellation=late,
        invitation_sequence=F("invitation_sequence") + 1,
    )
    if not changed:
        raise RuleViolation("This appointment was changed a moment ago: look again.", code="stale")
    appointment.refresh_from_db()
    cancel_reminders(appointment, reason="The appointment was cancelled.")
    _offer_to_the_waitlist(appointment, appointment.starts_at, appointment.ends_at)
    queue_invitation(appointment, method="CANCEL")
    _record(
        appointment,
        action="appointment.cancelled",
        acting_user=acting_user,
        summary=f"Cancelled by {CancelledBy(cancelled_by).label.lower()}: {describe(appointment)}",
        by_patient=cancelled_by == CancelledBy.PATIENT,
        channel=channel,
        changed_fields=["status", "cancelled_by", "cancel_reason"],
    )
    return appointment


def check_reschedule_appointment(
    appointment: Appointment,
    *,
    starts_at: datetime,
    provider: Person | None = None,
    acting_user: User | None,
    override_reason: str = "",
) -> Appointment:
    """Move a booked appointment to another open time (and provider). The old time is free and
    its reminders withdrawn in the same transaction. Audit: appointment.rescheduled."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise RuleViolation("Only a booked appointment can be moved.", code="not_booked")
    now = clock.now()
    provider = provider or appointment.provider
    location, appointment_type = appointment.location, appointment.appointment_type
    _check_parties(appointment.patient, provider, location, appointment_type)
    starts_at = _check_start(starts_at, now)
    override_reason = _check_override(override_reason, acting_user, overbook=False)
    broken = booking_rules_broken(
        appointment.patient, appointment_type, starts_at, location, now=now, ignore=appointment
    )
    if broken and not override_reason:
        raise RuleViolation(broken[0], code="booking_rule")
    if not _in_schedule(provider, location, appointment_type, starts_at, now):
        raise _not_open(provider, location, appointment_type, starts_at)
    return do_reschedule_appointment(
        appointment,
        starts_at=starts_at,
        provider=provider,
        acting_user=acting_user,
        override_reason=override_reason,
    )


def do_reschedule_appointment(
    appointment: Appointment,
    *,
    starts_at: datetime,
    provider: Person,
    acting_user: User | None,
    override_reason: str,
) -> Appointment:
    before, before_end, before_provider = (
        appointment.starts_at,
        appointment.ends_at,
        appointment.provider_id,
    )
    appointment_type, location = appointment.appointment_type, appointment.location
    try:
        with transaction.atomic():
            cancel_reminders(appointment, reason="The appointment was moved.")
            group = group_key_for(appointment_type, starts_at)
            changed = Appointment.objects.filter(
                pk=appointment.pk, status=AppointmentStatus.BOOKED, starts_at=before
            ).update(
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=appointment.duration_minutes),
                provider=provider,
                group_key=group or uuid.uuid4().hex,
                override_reason=override_reason or appointment.override_reason,
                # (the patient confirmed the old time, not this one; their calendar moves it)
                confirmed_at=None,
                invitation_sequence=F("invitation_sequence") + 1,
            )
            if not changed:
                raise RuleViolation(
                    "This appointment was changed a moment ago: look again.", code="stale"
                )
            appointment.refresh_from_db()
            queue_reminders(appointment)
            _offer_to_the_waitlist(appointment, before, before_end, provider_id=before_provider)
            queue_invitation(appointment)
            _record(
                appointment,
                action="appointment.rescheduled",
                acting_user=acting_user,
                summary=f"Moved: {appointment_type.name}, from {_when(before, location)} to "
                f"{_when(starts_at, location)}",
                changed_fields=["starts_at", "ends_at", "provider"],
            )
    except IntegrityError as error:
        if conflict_in(error) is None:
            raise
        raise _taken(provider, appointment.location, appointment_type, starts_at) from None
    return appointment


def _offer_to_the_waitlist(
    appointment: Appointment, starts_at: datetime, ends_at: datetime, *, provider_id: int = 0
) -> None:
    """The time this visit held is free: noted in this transaction for the waitlist."""
    from carebond.scheduling.waitlist_actions import note_freed_time  # (it books through here)

    note_freed_time(
        appointment,
        starts_at=starts_at,
        ends_at=ends_at,
        provider_id=provider_id or appointment.provider_id,
    )


# --- the visit's steps -----------------------------------------------------------------------

# Each step of a visit: the statuses it may follow, the status it sets (if any), the moment it
# notes, and how the timeline says it.
_STEPS: dict[str, tuple[tuple[str, ...], str | None, str, str]] = {
    "arrive": (
        (AppointmentStatus.BOOKED,),
        AppointmentStatus.ARRIVED,
        "arrived_at",
        "Arrived",
    ),
    "room": (
        (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN),
        None,
        "roomed_at",
        "Taken to a room",
    ),
    "see": (
        (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN),
        None,
        "seen_at",
        "Seen by the provider",
    ),
    "complete": (
        (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN),
        AppointmentStatus.FULFILLED,
        "completed_at",
        "Visit completed",
    ),
}
STEP_NAMES = tuple(_STEPS)
# A visit not arrived this long after its start may be marked a no-show.
NOSHOW_GRACE = timedelta(minutes=15)


def check_visit_step(
    appointment: Appointment, *, step: str, acting_user: User | None
) -> Appointment:
    """Move a visit on: arrived (at the desk or a kiosk), roomed, seen, completed. Steps are
    taken in order and each once; the moments give waiting-room time and visit length.
    Audit: appointment.<step>."""
    if step not in _STEPS:
        raise InvalidInput(f"Unknown step {step[:40]!r}.", field="step")
    allowed, _, moment, _ = _STEPS[step]
    if appointment.status not in allowed:
        raise RuleViolation(
            f"This visit is {appointment.get_status_display().lower()}: it cannot be marked "
            f"{_STEPS[step][3].lower()} now.",
            code="wrong_step",
        )
    if getattr(appointment, moment) is not None:
        raise RuleViolation(f"{_STEPS[step][3]} is already noted.", code="step_done")
    return do_visit_step(appointment, step=step, acting_user=acting_user)


@transaction.atomic
def do_visit_step(appointment: Appointment, *, step: str, acting_user: User | None) -> Appointment:
    allowed, status, moment, words = _STEPS[step]
    now = clock.now()
    change: dict[str, object] = {moment: now}
    if status is not None:
        change["status"] = status
    if step == "complete" and appointment.seen_at is None:
        change["seen_at"] = now
    changed = Appointment.objects.filter(
        pk=appointment.pk, status__in=allowed, **{f"{moment}__isnull": True}
    ).update(**change)
    if not changed:
        raise RuleViolation("This visit was changed a moment ago: look again.", code="stale")
    appointment.refresh_from_db()
    _record(
        appointment,
        action=f"appointment.{step}",
        acting_user=acting_user,
        summary=f"{words}: {describe(appointment)}",
        by_patient=step == "arrive" and acting_user is None,
        changed_fields=list(change),
    )
    return appointment


def check_mark_noshow(appointment: Appointment, *, acting_user: User | None) -> Appointment:
    """A booked visit whose patient never came, once the grace period after its start has
    passed. Audit: appointment.noshow."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise RuleViolation("Only a booked visit can be a no-show.", code="not_booked")
    if clock.now() < appointment.starts_at + NOSHOW_GRACE:
        minutes = int(NOSHOW_GRACE.total_seconds() // 60)
        raise RuleViolation(
            f"A visit is a no-show {minutes} minutes after its start, not before.", code="too_early"
        )
    return do_mark_noshow(appointment, acting_user=acting_user)


@transaction.atomic
def do_mark_noshow(appointment: Appointment, *, acting_user: User | None) -> Appointment:
    changed = Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.NOSHOW
    )
    if not changed:
        raise RuleViolation("This visit was changed a moment ago: look again.", code="stale")
    appointment.refresh_from_db()
    _record(
        appointment,
        action="appointment.noshow",
        acting_user=acting_user,
        summary=f"Did not come: {describe(appointment)}",
        changed_fields=["status"],
    )
    return appointment


def do_open_join_page(appointment: Appointment) -> None:
    """The patient opened their video visit's page (a read of their own visit, by its link).
    Audit: appointment.join_page_opened."""
    _opened_by_patient(appointment, action="appointment.join_page_opened", link="join link")


def do_open_invitation(appointment: Appointment) -> None:
    """The patient downloaded their visit's calendar file (a read of their own visit, by its
    signed link). Audit: appointment.invitation_downloaded."""
    _opened_by_patient(
        appointment, action="appointment.invitation_downloaded", link="calendar link"
    )


def _opened_by_patient(appointment: Appointment, *, action: str, link: str) -> None:
    record_audit(
        actor=None,
        action=action,
        target=appointment,
        organization=appointment.organization,
        patient=appointment.patient,
        actor_label=f"patient ({link})",
    )
