"""Replies to appointment reminders by text: "C" confirms the visit, "N" cancels it.

Messaging hands every inbound text that is no compliance keyword to ``handle_reply`` (an
``InboundReplyHandler``) before it waits for staff. The words:

- **confirm:** C, Y, YES, SI (SÍ), CONFIRM, CONFIRMAR.
- **cancel:** N or NO. Never CANCEL: by law (FCC 24-18) CANCEL, like STOP, revokes consent to
  texts, and messaging acts on it as such before anything else reads the text. A reminder that
  said "reply CANCEL" would make the patient opt out of every text while believing they had
  only cancelled a visit; N, NO and C are on no revocation list, in English or in Spanish.

A reply is resolved safely: when it could mean several visits (one patient's several in the
coming week, or those of several people sharing the number) it is answered with a numbered
question ("which visit? 1 ..., 2 ..."), and the next "1" or "2" from that number acts on the
chosen one. A cancellation goes through the ordinary cancel action, by the patient: the time is
free at once, and one within the type's notice is refused ("please call"; the text then waits
for staff). A reply that names no visit (none in the coming week, a number with no open
question) is left to staff.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.errors import RuleViolation
from carebond.messaging.actions import format_time
from carebond.messaging.inbound_actions import check_answer_inbound
from carebond.messaging.selectors import reply_words
from carebond.people.models import ContactSystem, Person
from carebond.people.selectors import people_reached_at
from carebond.scheduling.actions import _record, check_cancel_appointment
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    CancelledBy,
    ReminderQuestion,
    ReplyIntent,
)

if TYPE_CHECKING:
    from carebond.messaging.models import Message

CONFIRM_WORDS = frozenset({"C", "Y", "YES", "SI", "CONFIRM", "CONFIRMAR"})
CANCEL_WORDS = frozenset({"N", "NO"})
# The visits a reply may be about: those of the coming week (reminders go 72 hours ahead by
# default; a type may remind up to a week ahead).
REPLY_WINDOW = timedelta(days=8)
# How long a "which visit?" question waits for its numbered answer.
QUESTION_OPEN_FOR = timedelta(hours=24)
MOST_CHOICES = 9
ANSWERABLE = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)


def handle_reply(message: Message) -> bool:
    """Act on a reply to a reminder; True when it was one (and was answered)."""
    if message.channel != "sms" or message.direction != "inbound":
        return False
    word = reply_words(message)
    if re.fullmatch(r"\d{1,2}", word):
        return _answer_question(message, int(word))
    if word in CONFIRM_WORDS:
        intent = ReplyIntent.CONFIRM
    elif word in CANCEL_WORDS:
        intent = ReplyIntent.CANCEL
    else:
        return False
    visits = upcoming_visits(message)
    if not visits:
        return False  # nothing to confirm: staff answer
    if len(visits) == 1:
        return _act(message, visits[0], intent)
    _ask_which(message, visits, intent)
    return True


def _people(message: Message) -> list[Person]:
    return people_reached_at(
        message.organization_id, system=ContactSystem.PHONE, value=message.from_address
    )


def upcoming_visits(message: Message) -> list[Appointment]:
    """The booked visits of the coming week of everyone who has the number, soonest first."""
    now = clock.now()
    return list(
        Appointment.objects.filter(
            organization_id=message.organization_id,
            patient__in=_people(message),
            status__in=ANSWERABLE,
            starts_at__gt=now,
            starts_at__lte=now + REPLY_WINDOW,
        )
        .select_related("patient", "location", "appointment_type", "organization")
        .order_by("starts_at", "id")[:MOST_CHOICES]
    )


def _act(message: Message, appointment: Appointment, intent: str) -> bool:
    if appointment.status not in ANSWERABLE:
        return False  # cancelled or seen since the question: staff answer
    extra: dict[str, object] = {"appointment_time": appointment.starts_at}
    if intent == ReplyIntent.CONFIRM:
        do_confirm_appointment(appointment, message=message)
        template, resolved = "visit_confirmed", True
    else:
        try:
            check_cancel_appointment(
                appointment,
                cancelled_by=CancelledBy.PATIENT,
                reason="The patient replied N to a reminder.",
                acting_user=None,
                channel="sms",
            )
            template, resolved = "visit_cancelled", True
        except RuleViolation as refused:
            if refused.code != "cancel_notice":
                return False
            # Within the notice: the patient is asked to call, and staff see the text.
            template, resolved = "visit_call_to_cancel", False
    check_answer_inbound(
        message,
        template_key=template,
        extra=extra,
        resolved=resolved,
        about=appointment.patient,
    )
    return True


@transaction.atomic
def do_confirm_appointment(appointment: Appointment, *, message: Message) -> Appointment:
    """The patient confirmed by text (once; a second "C" changes nothing).
    Audit: appointment.confirmed; a touchpoint on the patient's timeline."""
    changed = Appointment.objects.filter(
        pk=appointment.pk, status__in=ANSWERABLE, confirmed_at__isnull=True
    ).update(confirmed_at=clock.now())
    appointment.refresh_from_db()
    if changed:
        _record(
            appointment,
            action="appointment.confirmed",
            acting_user=None,
            summary=f"Confirmed by text reply ({message.public_id})",
            by_patient=True,
            channel="sms",
            changed_fields=["confirmed_at"],
        )
    return appointment


def _choice_words(visits: list[Appointment], *, language: str) -> str:
    """ "1 Mon 2 Mar at 9:00 AM, Main clinic; 2 ..." with first names when the visits are
    several people's (they share the number the reminders went to)."""
    several = len({v.patient_id for v in visits}) > 1
    choices = []
    for n, visit in enumerate(visits, start=1):
        when = format_time(visit.starts_at, zone=location_zone(visit.location), language=language)
        who = f"{visit.patient.preferred_name or visit.patient.given_name}, " if several else ""
        choices.append(f"{n} {who}{when}, {visit.location.name}")
    return "; ".join(choices)


@transaction.atomic
def _ask_which(message: Message, visits: list[Appointment], intent: str) -> ReminderQuestion:
    """Audit: reminder_question.asked (what was asked is the answer message's)."""
    now = clock.now()
    question = ReminderQuestion.objects.create(
        organization_id=message.organization_id,
        address=message.from_address,
        intent=intent,
        choices=[str(v.public_id) for v in visits],
        asked_at=now,
        expires_at=now + QUESTION_OPEN_FOR,
    )
    patients = {v.patient_id: v.patient for v in visits}
    about = next(iter(patients.values())) if len(patients) == 1 else None
    language = (about.preferred_language if about else "") or message.organization.default_language
    record_audit(
        actor=None,
        action="reminder_question.asked",
        target=question,
        organization=message.organization,
        patient=about,
    )
    check_answer_inbound(
        message,
        template_key="which_visit",
        extra={"choices": _choice_words(visits, language=language.split("-")[0].lower())},
        resolved=True,
        about=about,
    )
    return question


def _answer_question(message: Message, number: int) -> bool:
    """A numbered answer to the newest open "which visit?" asked of this number."""
    question = (
        ReminderQuestion.objects.select_for_update()
        .filter(
            organization_id=message.organization_id,
            address=message.from_address,
            answered_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .first()
    )
    if question is None:
        return False
    if not 1 <= number <= len(question.choices):
        visits = list(
            Appointment.objects.filter(
                organization_id=message.organization_id, public_id__in=question.choices
            ).select_related("patient", "location")
        )
        visits.sort(key=lambda v: question.choices.index(str(v.public_id)))
        _ask_which(message, visits, question.intent)
        ReminderQuestion.objects.filter(pk=question.pk).update(answered_at=clock.now())
        return True
    chosen = (
        Appointment.objects.filter(
            organization_id=message.organization_id, public_id=question.choices[number - 1]
        )
        .select_related("patient", "location", "appointment_type", "organization")
        .first()
    )
    ReminderQuestion.objects.filter(pk=question.pk).update(answered_at=clock.now())
    if chosen is None:
        return False
    return _act(message, chosen, question.intent)
