"""Patients booking their own visits: hold a time, confirm who they are, book; then move or
cancel by the link they are given.

A time a patient chooses is **held** (``SelfBooking``) for ``HOLD_MINUTES``: open times count
it as taken, so nobody else is offered it. Holds of one provider are taken one at a time (the
provider's row is locked while the time is checked and the hold written), so twenty patients
pressing the same time get one hold and nineteen "this time was just taken" with the next open
times, as staff do. The booking itself goes through ``check_book_appointment`` (the schedule,
the type's rules, new or established, the database's no-double-booking constraint).

While the time is held the patient proves who they are: their birth date and a one-time code
sent to the phone or email on file (a new patient: to the one they give). What the page says
never depends on whether a record matched: no match, no code, the same words. Wrong codes are
counted (``MAX_WRONG_CODES`` releases the time), codes per booking and per phone or email, and
bookings started per device, are limited. The patient's record is matched, or created for a new
patient, only when the code is right.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Sum

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Location, Organization
from carebond.messaging.actions import format_time
from carebond.messaging.requested_actions import do_queue_requested_message
from carebond.people.actions import (
    ContactInput,
    PersonInput,
    check_create_person,
    clean_person_input,
    do_add_related_person,
)
from carebond.people.models import (
    ContactSystem,
    ContactUse,
    Person,
    PersonKind,
    PersonStatus,
    RelationshipType,
)
from carebond.people.selectors import people_reached_at
from carebond.people.validation import normalize_email, normalize_phone, validate_birth_date
from carebond.scheduling.actions import (
    SlotTaken,
    _check_start,
    _taken,
    check_book_appointment,
    check_cancel_appointment,
    check_reschedule_appointment,
)
from carebond.scheduling.availability import group_key_for, location_zone, open_times
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentType,
    BookedVia,
    CancelledBy,
    SelfBooking,
    SelfBookingStatus,
)
from carebond.scheduling.selfbooking_links import manage_url

HOLD_MINUTES = 10
MAX_WRONG_CODES = 5
MAX_CODES_PER_BOOKING = 3
CODES_PER_CONTACT_PER_HOUR = 5
BOOKINGS_PER_DEVICE_PER_HOUR = 10
# Who a caregiver may be to the patient they book for.
CAREGIVERS = (
    RelationshipType.PARENT,
    RelationshipType.GUARDIAN,
    RelationshipType.CAREGIVER,
    RelationshipType.SPOUSE,
    RelationshipType.CHILD,
    RelationshipType.OTHER,
)
_ACTOR = "patient (booking page)"


def _keyed(kind: str, value: str) -> str:
    """A keyed hash: rate limits count devices and addresses without storing them."""
    message = f"carebond.selfbooking.{kind}:{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def client_key(address: str) -> str:
    return _keyed("client", address)


# --- holding a time --------------------------------------------------------------------------


def check_hold_time(
    appointment_type: AppointmentType,
    *,
    provider: Person,
    location: Location,
    starts_at: datetime,
    language: str,
    client: str,
) -> SelfBooking:
    """Hold an open time while the patient confirms who they are. Refused: a type not booked
    online, a time passed, outside the hours or the type's rules, or taken (with the next
    open times); too many bookings started from one device. Audit: self_booking.held."""
    if not appointment_type.online:
        raise InvalidInput("This visit is not booked online: call the practice.", field="type")
    _check_offered(appointment_type, provider, location)
    now = clock.now()
    starts_at = _check_start(starts_at, now)
    started = SelfBooking.objects.filter(
        client_key=client, created_at__gt=now - timedelta(hours=1)
    ).count()
    if started >= BOOKINGS_PER_DEVICE_PER_HOUR:
        raise RuleViolation(
            "Too many bookings were started from this device: try again in an hour, or call the "
            "practice.",
            code="rate_limited",
        )
    return do_hold_time(
        appointment_type,
        provider=provider,
        location=location,
        starts_at=starts_at,
        language=language if language in ("en", "es") else "en",
        client=client,
    )


def _check_offered(appointment_type: AppointmentType, provider: Person, location: Location) -> None:
    organization_id = appointment_type.organization_id
    if provider.kind != PersonKind.STAFF or provider.organization_id != organization_id:
        raise InvalidInput("Choose one of the practice's providers.", field="provider")
    if location.organization_id != organization_id:
        raise InvalidInput("Choose one of the practice's locations.", field="location")
    if not appointment_type.active:
        raise InvalidInput("This visit is not booked online: call the practice.", field="type")
    offered_by = set(appointment_type.providers.values_list("id", flat=True))
    if offered_by and provider.pk not in offered_by:
        raise InvalidInput("This provider does not offer this visit.", field="provider")


def _refusal(
    appointment_type: AppointmentType, provider: Person, location: Location, starts_at: datetime
) -> RuleViolation:
    """Why a time the patient chose is not open: taken (by a visit or another patient's hold),
    left out by the type's rules, or outside the hours."""
    day = starts_at.astimezone(location_zone(location)).date()
    in_hours = any(
        t.starts_at == starts_at
        for t in open_times(
            location=location,
            providers=[provider],
            appointment_type=appointment_type,
            first_day=day,
            last_day=day,
            now=clock.now(),
            apply_rules=False,
        )
    )
    if in_hours:
        return RuleViolation(
            "This time cannot be booked online (too soon or too far ahead): choose one of the "
            "times shown.",
            code="booking_rule",
        )
    ends_at = starts_at + appointment_type.duration
    overlapping = Q(starts_at__lt=ends_at, ends_at__gt=starts_at, provider=provider)
    taken = (
        Appointment.objects.filter(overlapping, status__in=LIVE_STATUSES).exists()
        or SelfBooking.objects.filter(
            overlapping, status=SelfBookingStatus.HELD, hold_expires_at__gt=clock.now()
        ).exists()
    )
    if taken:
        return _taken(provider, location, appointment_type, starts_at)
    when = format_time(starts_at, zone=location_zone(location), language="en")
    outside = _taken(
        provider,
        location,
        appointment_type,
        starts_at,
        why=f"{when} is outside the practice's hours for this visit.",
    )
    outside.code = "outside_hours"
    return outside


@transaction.atomic
def do_hold_time(
    appointment_type: AppointmentType,
    *,
    provider: Person,
    location: Location,
    starts_at: datetime,
    language: str,
    client: str,
) -> SelfBooking:
    # One hold of a provider at a time: the lock makes the check and the write one step, so two
    # patients pressing the same time cannot both hold it.
    Person.objects.select_for_update().filter(pk=provider.pk).first()
    now = clock.now()
    day = starts_at.astimezone(location_zone(location)).date()
    open_now = any(
        t.starts_at == starts_at
        for t in open_times(
            location=location,
            providers=[provider],
            appointment_type=appointment_type,
            first_day=day,
            last_day=day,
            now=now,
        )
    )
    if not open_now:
        raise _refusal(appointment_type, provider, location, starts_at)
    token = secrets.token_urlsafe(24)
    booking = SelfBooking.objects.create(
        organization_id=appointment_type.organization_id,
        token=token,
        appointment_type=appointment_type,
        provider=provider,
        location=location,
        starts_at=starts_at,
        ends_at=starts_at + appointment_type.duration,
        group_key=group_key_for(appointment_type, starts_at) or f"hold:{token}",
        created_at=now,
        hold_expires_at=now + timedelta(minutes=HOLD_MINUTES),
        language=language,
        client_key=client,
    )
    record_audit(actor=None, action="self_booking.held", target=booking, actor_label=_ACTOR)
    return booking


def check_live_hold(booking: SelfBooking) -> None:
    """The hold's link still holds its time: not used, not run out, not locked."""
    if booking.status == SelfBookingStatus.BOOKED:
        raise RuleViolation(
            "This link was already used: the visit is booked. To change it, use the link you "
            "were given when you booked.",
            code="used",
        )
    if booking.status == SelfBookingStatus.RELEASED or clock.now() >= booking.hold_expires_at:
        raise RuleViolation(
            "This time is no longer held for you: choose a time again.", code="hold_expired"
        )


# --- who the visit is for --------------------------------------------------------------------


@dataclass(frozen=True)
class Claimant:
    """Who the visit is for, as typed: a patient of the practice (birth date and the phone or
    email on file) or a new one (name too); and, when someone books for a person in their care,
    who they are."""

    new_patient: bool
    birth_date: date | None
    contact: str
    given_name: str = ""
    family_name: str = ""
    caregiver_name: str = ""
    caregiver_relationship: str = ""


def _clean_contact(organization: Organization, contact: str) -> tuple[str, str]:
    contact = contact.strip()
    if not contact:
        raise InvalidInput("Give a mobile number or an email address.", field="contact")
    if "@" in contact:
        return ContactSystem.EMAIL, normalize_email(contact, field="contact")
    return ContactSystem.PHONE, normalize_phone(
        contact, region=organization.country, field="contact"
    )


def check_send_code(booking: SelfBooking, *, claimant: Claimant) -> SelfBooking:
    """Send a one-time code for the held time: to the phone or email on file when the birth
    date and that phone or email match one patient (nothing is sent otherwise, and the page
    says the same), or to a new patient's own. Audit: self_booking.code_sent."""
    check_live_hold(booking)
    if claimant.birth_date is None:
        raise InvalidInput(
            "Give the date of birth of the person the visit is for.", field="birth_date"
        )
    validate_birth_date(claimant.birth_date)
    if claimant.birth_date > clock.now().date():
        raise InvalidInput("A date of birth cannot be in the future.", field="birth_date")
    system, value = _clean_contact(booking.organization, claimant.contact)
    given, family = claimant.given_name.strip(), claimant.family_name.strip()
    if claimant.new_patient and not (given and family):
        raise InvalidInput("Give the first and last name of the new patient.", field="given_name")
    if len(given) > 100 or len(family) > 100 or len(claimant.caregiver_name.strip()) > 200:
        raise InvalidInput("Keep names under 100 characters.", field="given_name")
    caregiver = claimant.caregiver_name.strip()
    if caregiver and claimant.caregiver_relationship not in CAREGIVERS:
        raise InvalidInput(
            "Say who you are to the person the visit is for.", field="caregiver_relationship"
        )
    if booking.codes_sent >= MAX_CODES_PER_BOOKING:
        raise RuleViolation(
            "We have sent the most codes for one booking: choose a time again, or call the "
            "practice.",
            code="rate_limited",
        )
    return do_send_code(
        booking,
        claimant=Claimant(
            new_patient=claimant.new_patient,
            birth_date=claimant.birth_date,
            contact=value,
            given_name=given if claimant.new_patient else "",
            family_name=family if claimant.new_patient else "",
            caregiver_name=caregiver,
            caregiver_relationship=claimant.caregiver_relationship if caregiver else "",
        ),
        system=system,
    )


@transaction.atomic
def do_send_code(booking: SelfBooking, *, claimant: Claimant, system: str) -> SelfBooking:
    now = clock.now()
    booking.new_patient = claimant.new_patient
    booking.birth_date = claimant.birth_date
    booking.contact_system, booking.contact_value = system, claimant.contact
    booking.contact_key = _keyed("contact", claimant.contact)
    booking.given_name, booking.family_name = claimant.given_name, claimant.family_name
    booking.caregiver_name = claimant.caregiver_name
    booking.caregiver_relationship = claimant.caregiver_relationship
    sent_lately = (
        SelfBooking.objects.filter(
            contact_key=booking.contact_key, code_sent_at__gt=now - timedelta(hours=1)
        ).aggregate(n=Sum("codes_sent"))["n"]
        or 0
    )
    patient = None if booking.new_patient else _matching_patient(booking)
    code = f"{secrets.randbelow(10**6):06d}"
    reachable = (booking.new_patient or patient is not None) and (
        sent_lately < CODES_PER_CONTACT_PER_HOUR
    )
    # No match, or too many codes to this address lately: no code is sent and none is right,
    # and the page says what it always says.
    booking.code_hash = _code_hash(booking, code) if reachable else ""
    booking.codes_sent += 1
    booking.code_sent_at = now
    booking.save()
    if reachable:
        do_queue_requested_message(
            booking.organization,
            person=patient,
            channel="sms" if system == ContactSystem.PHONE else "email",
            address=claimant.contact,
            subject=CODE_SUBJECT[booking.language],
            body=CODE_WORDS[booking.language].format(
                code=code, organization=booking.organization.name, minutes=HOLD_MINUTES
            ),
            language=booking.language,
            idempotency_key=f"self-booking:{booking.public_id}:code:{booking.codes_sent}",
        )
    record_audit(
        actor=None,
        action="self_booking.code_sent" if reachable else "self_booking.code_withheld",
        target=booking,
        patient=patient,
        actor_label=_ACTOR,
    )
    return booking


CODE_SUBJECT = {"en": "Your booking code", "es": "Su código para reservar"}
# The minimum necessary: no visit type, provider or reason.
CODE_WORDS = {
    "en": "{code} is your code to book at {organization}. It works for {minutes} minutes. "
    "If you did not ask for it, ignore this message.",
    "es": "{code} es su código para reservar en {organization}. Sirve por {minutes} minutos. "
    "Si no lo pidió, ignore este mensaje.",
}
BOOKED_SUBJECT = {"en": "Your visit is booked", "es": "Su cita está reservada"}
BOOKED_WORDS = {
    "en": "Your visit at {location} on {when} is booked. To move or cancel it: {link}",
    "es": "Su cita en {location} el {when} está reservada. Para cambiarla o cancelarla: {link}",
}


def _code_hash(booking: SelfBooking, code: str) -> str:
    return _keyed("code", f"{booking.token}:{code}")


def _matching_patient(booking: SelfBooking) -> Person | None:
    """The one living patient with this birth date and this phone or email (a new patient's
    name too); None when there is none, or more than one (the practice sorts those out)."""
    found = [
        person
        for person in people_reached_at(
            booking.organization_id, system=booking.contact_system, value=booking.contact_value
        )
        if person.kind == PersonKind.PATIENT
        and person.birth_date == booking.birth_date
        and person.status != PersonStatus.DECEASED
        and (
            not booking.new_patient
            or person.family_name.casefold() == booking.family_name.casefold()
        )
    ]
    return found[0] if len(found) == 1 else None


# --- confirming ------------------------------------------------------------------------------


def check_confirm_code(booking: SelfBooking, *, code: str) -> Appointment:
    """The code is right: book the held time. Each wrong code is counted (kept even though the
    call fails); the fifth releases the time. Audit: self_booking.booked, appointment.booked."""
    check_live_hold(booking)
    code = "".join(ch for ch in code if ch.isdigit())
    # Each try is counted before its code is compared, by a conditional update: of many tries
    # at once, no more than the allowed number are ever compared.
    counted = SelfBooking.objects.filter(
        pk=booking.pk, status=SelfBookingStatus.HELD, wrong_codes__lt=MAX_WRONG_CODES
    ).update(wrong_codes=F("wrong_codes") + 1)
    right = (
        bool(counted)
        and bool(booking.code_hash)
        and hmac.compare_digest(_code_hash(booking, code), booking.code_hash)
    )
    if right:
        SelfBooking.objects.filter(pk=booking.pk).update(wrong_codes=F("wrong_codes") - 1)
    else:
        booking.refresh_from_db(fields=["wrong_codes"])
        if not counted or booking.wrong_codes >= MAX_WRONG_CODES:
            release_hold(booking, why="self_booking.locked")
            raise RuleViolation(
                "Too many wrong codes: the time is no longer held. Choose a time again, or call "
                "the practice.",
                code="locked",
            )
        raise InvalidInput(
            "That code is not right: check the latest message we sent, and try again.",
            field="code",
        )
    return do_confirm_booking(booking)


@transaction.atomic
def do_confirm_booking(booking: SelfBooking) -> Appointment:
    """The record is matched or created now (never before the code was right), the caregiver
    noted, and the time booked as any booking is. Anything refused (a rule, new or established,
    the time taken after all) leaves nothing written and the hold as it was."""
    claimed = SelfBooking.objects.filter(pk=booking.pk, status=SelfBookingStatus.HELD).update(
        status=SelfBookingStatus.BOOKED, booked_at=clock.now()
    )
    if not claimed:
        raise RuleViolation("This link was already used: the visit is booked.", code="used")
    patient = _matching_patient(booking) or _new_patient(booking)
    if booking.caregiver_name:
        _note_caregiver(patient, booking)
    try:
        appointment = check_book_appointment(
            patient,
            provider=booking.provider,
            location=booking.location,
            appointment_type=booking.appointment_type,
            starts_at=booking.starts_at,
            acting_user=None,
            via=BookedVia.ONLINE,
        )
    except SlotTaken:
        # It was open when held: someone booked it since (staff, past the hold on their screen).
        raise _taken(
            booking.provider, booking.location, booking.appointment_type, booking.starts_at
        ) from None
    booking.status, booking.appointment = SelfBookingStatus.BOOKED, appointment
    booking.save(update_fields=["appointment"])
    record_audit(
        actor=None,
        action="self_booking.booked",
        target=booking,
        patient=patient,
        actor_label=_ACTOR,
    )
    do_queue_requested_message(
        booking.organization,
        person=patient,
        channel="sms" if booking.contact_system == ContactSystem.PHONE else "email",
        address=booking.contact_value,
        subject=BOOKED_SUBJECT[booking.language],
        body=BOOKED_WORDS[booking.language].format(
            location=booking.location.name,
            when=format_time(
                booking.starts_at, zone=location_zone(booking.location), language=booking.language
            ),
            link=manage_url(appointment),
        ),
        language=booking.language,
        idempotency_key=f"self-booking:{booking.public_id}:booked",
    )
    return appointment


def _new_patient(booking: SelfBooking) -> Person:
    system = booking.contact_system
    return check_create_person(
        booking.organization,
        PersonInput(
            kind=PersonKind.PATIENT,
            given_name=booking.given_name,
            family_name=booking.family_name,
            birth_date=booking.birth_date,
            preferred_language=booking.language,
            contacts=[
                ContactInput(
                    system,
                    booking.contact_value,
                    use=ContactUse.MOBILE if system == ContactSystem.PHONE else ContactUse.HOME,
                )
            ],
        ),
        acting_user=None,
    )


def _note_caregiver(patient: Person, booking: SelfBooking) -> None:
    """The person who booked for the patient, as a related person with the contact they gave
    (once: a caregiver already recorded with that contact is not added again). They may not
    discuss the patient's care until the patient says so."""
    already = patient.relationships.filter(
        related__contact_points__value=booking.contact_value
    ).exists()
    if already:
        return
    given, _, family = booking.caregiver_name.rpartition(" ")
    related = clean_person_input(
        patient.organization,
        PersonInput(
            kind=PersonKind.RELATED,
            given_name=given,
            family_name=family,
            contacts=[ContactInput(booking.contact_system, booking.contact_value)],
        ),
    )
    do_add_related_person(
        patient,
        related,
        relationship=booking.caregiver_relationship,
        is_emergency_contact=False,
        may_discuss_care=False,
        acting_user=None,
    )


# --- holds that run out ----------------------------------------------------------------------


def release_hold(booking: SelfBooking, *, why: str = "self_booking.released") -> bool:
    """Free a held time (it ran out, or too many wrong codes). Audit: ``why``."""
    with transaction.atomic():
        released = SelfBooking.objects.filter(pk=booking.pk, status=SelfBookingStatus.HELD).update(
            status=SelfBookingStatus.RELEASED
        )
        if released:
            record_audit(
                actor=None,
                action=why,
                target=booking,
                organization=booking.organization,
                actor_label="carebond worker" if why == "self_booking.released" else _ACTOR,
            )
    return bool(released)


def scan_expired_holds() -> int:
    """Holds whose time ran out: released (open times already leave them out; this keeps the
    rows honest). Each is claimed on its own, so two workers never release one twice."""
    expired = SelfBooking.objects.filter(
        status=SelfBookingStatus.HELD, hold_expires_at__lte=clock.now()
    ).select_related("organization")
    return sum(release_hold(booking) for booking in expired[:1000])


# --- moving and cancelling by the patient's link ---------------------------------------------


def _check_notice(appointment: Appointment) -> None:
    hours = appointment.appointment_type.cancel_notice_hours
    if appointment.starts_at - clock.now() < timedelta(hours=hours):
        raise RuleViolation(
            f"Visits are changed online up to {hours} hours ahead: please call the practice.",
            code="cancel_notice",
        )


def check_patient_cancel(appointment: Appointment) -> Appointment:
    """The patient cancels by their link, up to the type's notice. Audit: appointment.cancelled."""
    return check_cancel_appointment(
        appointment,
        cancelled_by=CancelledBy.PATIENT,
        reason="Cancelled online by the patient",
        acting_user=None,
    )


def check_patient_move(appointment: Appointment, *, starts_at: datetime) -> Appointment:
    """The patient moves their visit by their link, up to the type's notice, to another open
    time with the same provider. Audit: appointment.rescheduled."""
    _check_notice(appointment)
    hours = appointment.appointment_type.cancel_notice_hours
    if starts_at - clock.now() < timedelta(hours=hours):  # (or it could no longer be changed)
        raise RuleViolation(
            f"Choose a time more than {hours} hours ahead, or call the practice.",
            code="cancel_notice",
        )
    return check_reschedule_appointment(appointment, starts_at=starts_at, acting_user=None)


def do_open_visit_page(appointment: Appointment) -> None:
    """The patient opened their visit's link (a read of their own visit). Audit:
    appointment.visit_page_opened."""
    record_audit(
        actor=None,
        action="appointment.visit_page_opened",
        target=appointment,
        organization=appointment.organization,
        patient=appointment.patient,
        actor_label="patient (visit link)",
    )
