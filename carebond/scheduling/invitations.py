"""Calendar invitations (.ics, RFC 5545 and iTIP, RFC 5546) for a patient's visits.

A booking's confirmation email carries an invitation (``METHOD:REQUEST``) that mail programs
offer to add to the calendar; moving the visit sends it again with the same ``UID`` and a
higher ``SEQUENCE``, so the calendar moves the entry instead of adding a second one; cancelling
sends ``METHOD:CANCEL``, which removes it. Staff and the patient can also download the visit's
file (``METHOD:PUBLISH``: a copy to keep, not an invitation to answer).

What an invitation says is the minimum necessary (HHS): the practice, the place (or the video
link) and the time; never the visit type, the provider or the reason, which may reveal a
specialty or a condition to whoever sees the patient's calendar.
"""

from __future__ import annotations

from datetime import UTC
from typing import TYPE_CHECKING, Literal

from django.conf import settings
from django.core import signing
from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress, vText

from carebond.core import clock
from carebond.messaging.actions import Attachment, check_queue_message, pick_sender
from carebond.people.models import ContactSystem
from carebond.people.selectors import contact_address
from carebond.scheduling.models import Appointment, AppointmentStatus, VisitMode

if TYPE_CHECKING:
    from carebond.messaging.models import Message

Method = Literal["REQUEST", "CANCEL", "PUBLISH"]

SALT = "carebond.scheduling.calendar"
# A visit may be booked half a year ahead; its calendar link works a year from the booking.
LINK_DAYS = 365

WORDS = {
    "en": {
        "summary": "Visit at {organization}",
        "video": "Video visit with {organization}",
        "join": "Join your video visit: {link}",
        "call": "To change or cancel it, call {number}.",
        "place": "Video visit",
    },
    "es": {
        "summary": "Cita en {organization}",
        "video": "Consulta por video con {organization}",
        "join": "Entre a su consulta por video: {link}",
        "call": "Para cambiarla o cancelarla, llame al {number}.",
        "place": "Consulta por video",
    },
}


def language_of(appointment: Appointment) -> str:
    language = (appointment.patient.preferred_language or "").split("-")[0].lower()
    return language if language in WORDS else "en"


def invitation_uid(appointment: Appointment) -> str:
    """The same for every version of one visit's invitation, whatever the deployment."""
    return f"appointment-{appointment.public_id}@carebond"


def join_url(appointment: Appointment) -> str:
    """The patient's video visit page (telehealth visits; "" otherwise)."""
    telehealth = appointment.appointment_type.mode == VisitMode.TELEHEALTH
    if not telehealth or not appointment.telehealth_token:
        return ""
    path = reverse("visits:join", kwargs={"token": appointment.telehealth_token})
    return settings.BASE_URL.rstrip("/") + path


def calendar_url(appointment: Appointment) -> str:
    """The patient's download link for the visit's file: signed, naming the visit only."""
    token = signing.dumps({"a": str(appointment.public_id)}, salt=SALT, compress=True)
    return settings.BASE_URL.rstrip("/") + reverse("visits:calendar", kwargs={"token": token})


def visit_named_by(token: str) -> str | None:
    """The appointment's public id a calendar link names (None: forged, mangled or expired)."""
    try:
        found = signing.loads(token, salt=SALT, max_age=LINK_DAYS * 24 * 3600)
    except signing.BadSignature:
        return None
    return found.get("a") if isinstance(found, dict) else None


def visit_for_link(token: str) -> Appointment | None:
    """The visit a patient's calendar link names (None for a link that names none)."""
    public_id = visit_named_by(token)
    if public_id is None:
        return None
    return (
        Appointment.objects.filter(public_id=public_id)
        .select_related("patient", "location", "organization", "appointment_type")
        .first()
    )


def build_invitation(appointment: Appointment, *, method: Method) -> str:
    """The visit as an iCalendar file, in the patient's language."""
    words = WORDS[language_of(appointment)]
    organization = appointment.organization
    location = appointment.location
    link = join_url(appointment)
    calendar = Calendar()
    calendar.add("prodid", "-//CareBond//Scheduling//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", invitation_uid(appointment))
    event.add("sequence", appointment.invitation_sequence)
    event.add("dtstamp", clock.now().astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add(
        "summary",
        (words["video"] if link else words["summary"]).format(organization=organization.name),
    )
    event.add("location", words["place"] if link else _place(location.name, location.address))
    lines = [words["join"].format(link=link)] if link else []
    if location.phone:
        lines.append(words["call"].format(number=location.phone))
    if lines:
        event.add("description", "\n".join(lines))
    if link:
        event.add("url", link)
    cancelled = method == "CANCEL" or appointment.status == AppointmentStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    sender = pick_sender(appointment.organization_id, channel="email", purpose="appointment")
    if sender is not None:
        organizer = vCalAddress(f"mailto:{sender.address}")
        organizer.params["cn"] = vText(organization.name)
        event.add("organizer", organizer)
    email = contact_address(appointment.patient, system=ContactSystem.EMAIL)
    if email and method != "PUBLISH":
        attendee = vCalAddress(f"mailto:{email}")
        attendee.params["cn"] = vText(appointment.patient.display_name)
        attendee.params["partstat"] = vText("ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")  # answers come by text or by phone
        event.add("attendee", attendee)
    calendar.add_component(event)
    return str(calendar.to_ical(), "utf-8")


def _place(name: str, address: str) -> str:
    return f"{name}, {address}" if address else name


def queue_invitation(appointment: Appointment, *, method: Method = "REQUEST") -> Message | None:
    """Email the patient the visit's invitation (booked or moved: REQUEST; cancelled:
    CANCEL), in the caller's transaction and through messaging's rules. A patient without an
    email address gets none (their reminders come by text). One message per version of the
    invitation (the idempotency key names its sequence)."""
    patient = appointment.patient
    if not contact_address(patient, system=ContactSystem.EMAIL):
        return None
    cancelled = method == "CANCEL"
    link = join_url(appointment)
    template = "appointment_cancelled" if cancelled else "appointment_invitation"
    return check_queue_message(
        patient,
        purpose="appointment",
        channel="email",
        template_key=template if cancelled or not link else f"{template}_video",
        idempotency_key=f"invitation:{appointment.public_id}:{appointment.invitation_sequence}",
        extra={
            "location": appointment.location.name,
            "appointment_time": appointment.starts_at,
            "link": calendar_url(appointment),
            "join_link": link,
        },
        acting_user=None,
        urgent=True,  # it answers the booking: not held for quiet hours
        attachments=(
            Attachment(
                "visit.ics",
                f"text/calendar; method={method}",
                build_invitation(appointment, method=method),
            ),
        ),
    )
