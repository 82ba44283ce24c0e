"""The demo history's texts (history.py): a reminder the day before each visit of the last
year (the practice called before), patients' questions answered by staff in office hours (the
inbox's reply time), and a few patients who answered a reminder with STOP (their texts end
there; the opt-out rate). Each text is on the patient's timeline, as the worker and the webhook
put it there."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from carebond.demo.history import Context, Patient, Written
from carebond.messaging.actions import pick_sender
from carebond.messaging.models import (
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    Sender,
)
from carebond.messaging.office_hours import Schedule, schedule_for
from carebond.people.models import ConsentMethod, ConsentRecord, ConsentStatus, Purpose
from carebond.scheduling.actions import reminder_key
from carebond.scheduling.models import AppointmentStatus
from carebond.touchpoints.actions import record_touchpoints
from carebond.touchpoints.models import MomentOfTruth, Touchpoint

QUESTIONS_A_MONTH_PER_100 = 9
"""Patients' questions by text in a month, per hundred patients."""
OPT_OUTS = 3
REMINDER_DAYS = 365
"""The practice has texted reminders for the last year (before, it called)."""
QUESTIONS = {
    "en": (
        "Can I move my appointment to next week?",
        "Do I need to fast before my blood test?",
        "Is there parking at the clinic?",
        "Can you send my school form for my son?",
        "Running 10 minutes late, sorry!",
        "Can I get a refill before my visit?",
    ),
    "es": (
        "¿Puedo cambiar mi cita para la próxima semana?",
        "¿Tengo que estar en ayunas para el análisis?",
        "¿Hay estacionamiento en la clínica?",
    ),
}
ANSWERS = {
    "en": (
        "Happy to help: we moved it, and you will get a new reminder.",
        "Yes, nothing to eat after midnight; water is fine.",
        "Yes, free parking behind the building.",
        "Done: the form is at the front desk for pickup.",
        "No problem, see you soon.",
        "Your pharmacy has the refill request.",
    ),
    "es": (
        "Con gusto: cambiamos su cita y le llegará un nuevo recordatorio.",
        "Sí, nada de comer después de la medianoche; puede tomar agua.",
        "Sí, hay estacionamiento gratis detrás del edificio.",
    ),
}
REMINDER = {
    "en": "Riverbend Family Health: reminder of your visit at {place} on {when:%a %b %d at "
    "%I:%M %p}. Reply C to confirm, or call 217-555-0100 to change it. Reply STOP to opt out.",
    "es": "Riverbend Family Health: le recordamos su cita en {place} el {when:%d/%m a las "
    "%H:%M}. Responda C para confirmar o llame al 217-555-0100 para cambiarla. Responda STOP "
    "para no recibir más mensajes.",
}
STOPPED = (
    "Riverbend Family Health: you will get no more texts from this number. Reply START to get "
    "them again."
)


class _Texts:
    """The rows being written, and the conversations they belong to."""

    def __init__(self, context: Context, sender: Sender) -> None:
        self.context = context
        self.sender = sender
        self.messages: list[Message] = []
        self.touchpoints: list[Touchpoint] = []
        self.consents: list[ConsentRecord] = []
        self.conversations = {
            conversation.address: conversation
            for conversation in Conversation.objects.filter(
                organization=context.organization, channel=MessageChannel.SMS, sender=sender
            )
        }
        self.new_conversations: list[Conversation] = []

    def conversation(self, patient: Patient) -> Conversation:
        found = self.conversations.get(patient.phone)
        if found is None:
            found = Conversation(
                organization=self.context.organization,
                person=patient.person,
                channel=MessageChannel.SMS,
                address=patient.phone,
                sender=self.sender,
                status=ConversationStatus.CLOSED,
            )
            self.conversations[patient.phone] = found
            self.new_conversations.append(found)
        return found

    def add(
        self,
        patient: Patient,
        *,
        inbound: bool,
        body: str,
        at: datetime,
        key: str,
        purpose: str = "",
        template: str = "",
        conversation: Conversation | None = None,
        by_staff: bool = False,
        summary: str = "",
    ) -> Message:
        staff = self.context.users.get("frontdesk") if by_staff else None
        ours, theirs = self.sender.address, patient.phone
        message = Message(
            organization=self.context.organization,
            person=patient.person,
            conversation=conversation,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            channel=MessageChannel.SMS,
            purpose=purpose,
            sender=self.sender,
            to_address=ours if inbound else theirs,
            from_address=theirs if inbound else ours,
            body=body,
            template_key=template,
            language="es" if patient.spanish else "en",
            status=MessageStatus.RECEIVED if inbound else MessageStatus.DELIVERED,
            idempotency_key=key,
            due_at=at,
            attempts=0 if inbound else 1,
            handed_over_at=None if inbound else at,
            provider_id=f"SMhistory{len(self.messages):07d}",
            created_at=at,
            sent_at=at,
            delivered_at=None if inbound else at + timedelta(seconds=4),
            recorded_at=at,
            created_by=staff,
        )
        self.messages.append(message)
        self.touchpoints.append(
            Touchpoint(
                organization=self.context.organization,
                person=patient.person,
                kind="message",
                channel=MessageChannel.SMS,
                direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                occurred_at=at,
                moment_of_truth=MomentOfTruth.COMMUNICATIONS,
                summary=summary or ("Text received" if inbound else "Text sent"),
                source_type="messaging.message",
                source_id=str(message.public_id),
                recorded_by=staff,
                recorded_at=at,
            )
        )
        return message

    def write(self) -> None:
        Conversation.objects.bulk_create(self.new_conversations)
        Message.objects.bulk_create(self.messages, batch_size=500)
        record_touchpoints(self.touchpoints)
        ConsentRecord.objects.bulk_create(self.consents)
        for conversation in self.new_conversations:
            last = max(
                (m.created_at for m in self.messages if m.conversation is conversation),
                default=None,
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message_at=last, created_at=last, updated_at=last
            )


def write_texts(context: Context, written: Written, rng: random.Random) -> None:
    sender = pick_sender(context.organization.pk, channel="sms", purpose="appointment")
    if sender is None:
        return
    texts = _Texts(context, sender)
    _survey_consent(context, written, texts, rng)
    _reminders(context, written, texts, rng)
    _questions(context, texts, schedule_for(context.organization), rng)
    texts.write()


def _survey_consent(context: Context, written: Written, texts: _Texts, rng: random.Random) -> None:
    """At their first visit of the two years the desk asked each patient with a mobile number
    whether the practice may text them its surveys; most said yes."""
    first_visit: dict[int, datetime] = {}
    for visit, patient in written.visits:
        day = visit.starts_at
        if patient.phone and day.date() >= context.start:
            first_visit[patient.person.pk] = min(day, first_visit.get(patient.person.pk, day))
    for patient in context.patients:
        asked = first_visit.get(patient.person.pk)
        if asked is None or rng.random() >= 0.85:
            continue
        patient.survey_texts = True
        texts.consents.append(
            ConsentRecord(
                organization=context.organization,
                person=patient.person,
                channel="sms",
                purpose=Purpose.SURVEY,
                status=ConsentStatus.GRANTED,
                method=ConsentMethod.VERBAL,
                recorded_at=asked - timedelta(minutes=10),
                recorded_by=context.users.get("frontdesk"),
            )
        )


def _reminders(context: Context, written: Written, texts: _Texts, rng: random.Random) -> None:
    """The day before each visit (booked by then, not cancelled before), a text to the patients
    who agreed to appointment texts; three patients who never had a text from the demo's recent
    sections answer one of theirs with STOP."""
    first = datetime.combine(
        context.yesterday - timedelta(days=REMINDER_DAYS), time(), context.zone
    )
    visits = sorted(
        (
            (v, p)
            for v, p in written.visits
            if v.starts_at >= first and p.phone and p.appointment_texts
        ),
        key=lambda pair: pair[0].starts_at,
    )
    candidates = sorted(
        {p.person.pk: p for _, p in visits if not p.texted_recently and not p.ending}.values(),
        key=lambda p: p.person.pk,
    )
    stopping = {p.person.pk for p in rng.sample(candidates, min(OPT_OUTS, len(candidates)))}
    reminded: dict[int, int] = {}
    for visit, patient in visits:
        at = visit.starts_at - timedelta(hours=24)
        if at <= visit.booked_at or at >= context.now:
            continue
        if visit.status == AppointmentStatus.CANCELLED and (visit.cancelled_at or at) <= at:
            continue
        if patient.texts_stopped is not None:
            continue
        language = "es" if patient.spanish else "en"
        texts.add(
            patient,
            inbound=False,
            body=REMINDER[language].format(
                place=visit.location.name, when=visit.starts_at.astimezone(context.zone)
            ),
            at=at,
            key=f"{reminder_key(visit)}:24h",  # (as the booking queues it)
            purpose=MessagePurpose.APPOINTMENT,
            template="appointment_reminder",
            summary="Appointment text sent (appointment_reminder)",
        )
        reminded[patient.person.pk] = reminded.get(patient.person.pk, 0) + 1
        if patient.person.pk in stopping and reminded[patient.person.pk] >= 3:
            _stop(texts, patient, at + timedelta(minutes=rng.randint(3, 90)))


def _stop(texts: _Texts, patient: Patient, at: datetime) -> None:
    """STOP in answer to a reminder: consent revoked for what the clinic line sends, a
    confirmation back, and no more texts."""
    conversation = texts.conversation(patient)
    stop = texts.add(
        patient,
        inbound=True,
        body="STOP",
        at=at,
        key=f"inbound:sms:SMhistory-stop-{patient.person.pk}",
        conversation=conversation,
    )
    evidence = (
        f"Text STOP from {patient.phone} to {texts.sender.address} at {at.isoformat()} "
        f"(provider id {stop.provider_id})."
    )
    for purpose in (Purpose.APPOINTMENT, Purpose.CARE, Purpose.SURVEY):
        texts.consents.append(
            ConsentRecord(
                organization=texts.context.organization,
                person=patient.person,
                channel="sms",
                purpose=purpose,
                status=ConsentStatus.REVOKED,
                method=ConsentMethod.SMS_KEYWORD,
                recorded_at=at,
                evidence=evidence,
            )
        )
    texts.add(
        patient,
        inbound=False,
        body=STOPPED,
        at=at + timedelta(seconds=2),
        key=f"auto:opt_out_confirmation:{stop.public_id}",
        purpose=MessagePurpose.REPLY,
        template="opt_out_confirmation",
        conversation=conversation,
        summary="Automatic reply text sent (opt_out_confirmation)",
    )
    patient.texts_stopped = at


def _office_reply(schedule: Schedule, asked: datetime, minutes: int) -> datetime:
    """When a reply ``minutes`` of office time after ``asked`` goes out."""
    left = timedelta(minutes=minutes)
    day = asked.astimezone(schedule.zone).date()
    for _ in range(14):
        for opens, closes in schedule.openings(day):
            start = max(opens, asked)
            if start >= closes:
                continue
            if start + left <= closes:
                return start + left
            left -= closes - start
        day += timedelta(days=1)
    return asked + timedelta(minutes=minutes)


def _questions(context: Context, texts: _Texts, schedule: Schedule, rng: random.Random) -> None:
    """Patients' questions, day and evening, each answered by the front desk in office time."""
    month = context.start
    per_month = max(3, round(len(context.patients) * QUESTIONS_A_MONTH_PER_100 / 100))
    while month <= context.yesterday:
        days = ((month.replace(day=28) + timedelta(days=4)).replace(day=1) - month).days
        for _ in range(per_month):
            day = month + timedelta(days=rng.randrange(days))
            patient = rng.choice(context.patients)
            if not _may_text(patient, day) or day > context.yesterday:
                continue
            if patient.texted_recently:
                continue  # (their conversation is the recent sections' story)
            asked = datetime.combine(day, time(7), context.zone) + timedelta(
                minutes=rng.randrange(0, 14 * 60)
            )
            language = "es" if patient.spanish else "en"
            pick = rng.randrange(len(QUESTIONS[language]))
            minutes = rng.choice((4, 9, 15, 25, 40, 60, 90, 150, 240, 420))
            replied = _office_reply(schedule, asked, minutes)
            if replied >= context.now - timedelta(minutes=5) or (
                patient.texts_stopped is not None and replied >= patient.texts_stopped
            ):
                continue
            conversation = texts.conversation(patient)
            question = len(texts.messages)
            texts.add(
                patient,
                inbound=True,
                body=QUESTIONS[language][pick],
                at=asked,
                key=f"inbound:sms:SMhistory-q{question}",
                conversation=conversation,
            )
            # Keyed by its question: two evening questions of one patient are both answered
            # when the office opens, at the same moment.
            texts.add(
                patient,
                inbound=False,
                body=ANSWERS[language][pick],
                at=replied,
                key=f"reply:history:q{question}",
                purpose=MessagePurpose.CARE,
                conversation=conversation,
                by_staff=True,
                summary="Care text sent",
            )
        month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _may_text(patient: Patient, day: date) -> bool:
    if not patient.phone or (patient.joined and day < patient.joined):
        return False
    if patient.left and day > patient.left:
        return False
    return patient.texts_stopped is None or day < patient.texts_stopped.date()
