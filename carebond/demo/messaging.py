"""The demo's messaging: senders, the built-in templates in English and Spanish, reminders on
their way through the outbox, and an inbox with unanswered texts, a STOP, a reply in Spanish,
a reply that reads like an opt-out, a number nobody has, a secure reply with the patient's
answer, and an email conversation with the patient's reply by email; and this morning's
check-up recall, finished, with its results. Every inbound text and email goes through the same
code as the provider's webhook and the mail system's post."""

from __future__ import annotations

import random
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Organization
from carebond.demo.people import DemoPeople
from carebond.messaging.actions import (
    check_add_sender,
    check_queue_message,
    check_reply,
    ensure_built_in_templates,
)
from carebond.messaging.campaign_actions import (
    check_create_campaign,
    check_launch_campaign,
    scan_finished_campaigns,
)
from carebond.messaging.dispatch_actions import mark_sent, record_sent
from carebond.messaging.email_inbound_actions import do_receive_email
from carebond.messaging.inbound_actions import do_receive_text, do_record_delivery
from carebond.messaging.models import (
    Conversation,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    Sender,
)
from carebond.messaging.office_hours_actions import check_set_office_hours
from carebond.messaging.secure_note_actions import check_open_secure_note, check_send_secure_reply
from carebond.people.actions import check_record_consent
from carebond.people.models import ContactSystem, Person
from carebond.people.selectors import contact_address, people_reached_at

CLINIC_LINE = "+12175550100"
NEWS_LINE = "+12175550177"

EN_REPLIES = (
    "Running about 10 minutes late, sorry!",
    "Can I move my appointment to next week?",
    "Do I need to bring anything for my visit?",
    "Is there parking at the clinic?",
)
SPANISH_REPLY = "¿Puedo cambiar mi cita para el jueves por la tarde? Gracias"
CLINIC_EMAIL = "hello@riverbend.example"
# Words too sensitive for a text: they stay in CareBond behind the patient's birth date.
SECURE_WORDS = (
    "Your cholesterol results are back: LDL 142 mg/dL, a little above the goal of 130. Nothing "
    "urgent. Dr. Raman suggests more walking and fewer fried foods for now, and a recheck in "
    "three months. Reply or call us with any questions."
)


def _phone(person: Person) -> str:
    return contact_address(person, system=ContactSystem.PHONE)


def build_messaging(
    organization: Organization, *, rng: random.Random, people: DemoPeople, users: dict[str, User]
) -> None:
    ensure_built_in_templates(organization)
    if Sender.objects.filter(organization=organization).exists():
        return  # built before: the demo is built once
    clinic = check_add_sender(
        organization,
        channel=MessageChannel.SMS,
        address=CLINIC_LINE,
        label="Clinic line",
        purposes=[
            MessagePurpose.APPOINTMENT,
            MessagePurpose.CARE,
            MessagePurpose.SURVEY,
            MessagePurpose.SERVICE_RECOVERY,
            MessagePurpose.REPLY,
        ],
        per_second=1,
    )
    check_add_sender(
        organization,
        channel=MessageChannel.SMS,
        address=NEWS_LINE,
        label="News and recalls",
        purposes=[MessagePurpose.MARKETING],
        per_second=1,
    )
    check_add_sender(
        organization,
        channel=MessageChannel.EMAIL,
        address=CLINIC_EMAIL,
        label="Riverbend email",
        purposes=[p for p in MessagePurpose.values if p != MessagePurpose.REPLY],
        per_second=10,
    )
    patients = [p for p in people.patients if _phone(p)]
    chosen = rng.sample(patients, k=min(8, len(patients)))
    now = clock.now()
    # Reminders for the coming days: the worker sends them (held until morning at night).
    for index, patient in enumerate(chosen[:4]):
        check_queue_message(
            patient,
            purpose=MessagePurpose.APPOINTMENT,
            channel=MessageChannel.SMS,
            template_key="appointment_reminder",
            idempotency_key=f"demo-reminder-{index}",
            extra={
                "location": "Riverbend Main Clinic",
                "appointment_time": (now + timedelta(days=index + 2)).replace(
                    hour=14 + index, minute=0, second=0, microsecond=0
                ),
            },
            acting_user=users["frontdesk"],
        )
    # The inbox: texts waiting for an answer.
    for index, patient in enumerate(chosen[:3]):
        do_receive_text(
            clinic,
            from_number=_phone(patient),
            body=EN_REPLIES[index],
            provider_id=f"SMdemo{index}",
        )
    spanish = next((p for p in patients if p.preferred_language.startswith("es")), chosen[3])
    do_receive_text(
        clinic, from_number=_phone(spanish), body=SPANISH_REPLY, provider_id="SMdemo-es"
    )
    do_receive_text(clinic, from_number=_phone(chosen[4]), body="STOP", provider_id="SMdemo-stop")
    do_receive_text(
        clinic,
        from_number=_phone(chosen[5]),
        body="Please no more texts, I get my reminders by email",
        provider_id="SMdemo-maybe",
    )
    do_receive_text(
        clinic,
        from_number="+12175558888",
        body="Hi, this is Dana's daughter, can someone call me about her visit?",
        provider_id="SMdemo-unknown",
    )
    _recall_campaign(organization, rng=rng, patients=patients, manager=users["manager"])
    # The sample's last two, else others: nobody already in the inbox.
    taken = set(
        Conversation.objects.filter(organization=organization).values_list("person", flat=True)
    )
    others = [p for p in (*chosen[6:], *patients) if p.pk not in taken]
    asking = next(p for p in others if p.birth_date and _writes_alone(p, ContactSystem.PHONE))
    writing = next(p for p in others if p != asking and _writes_alone(p, ContactSystem.EMAIL))
    _secure_reply(clinic, patient=asking, clinician=users["clinician"])
    _email_reply(organization, patient=writing, front_desk=users["frontdesk"])
    # Set after the demo's texts came in, so that they are the same at any hour of building.
    check_set_office_hours(
        organization,
        hours="\n".join(
            [f"{day} 08:00-12:00, 13:00-17:00" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")]
            + ["Sat 09:00-12:00"]
        ),
        closures="2026-12-25 Christmas Day\n2027-01-01 New Year's Day",
        acting_user=users["manager"],
    )


def _recall_campaign(
    organization: Organization, *, rng: random.Random, patients: list[Person], manager: User
) -> None:
    """This morning's check-up recall, finished: most of those not seen for a year had signed
    the news-texts form; the carrier reported deliveries and one landline; two people answered,
    one with STOP."""
    for patient in patients:
        if rng.random() < 0.6:
            check_record_consent(
                patient,
                channel="sms",
                purpose="marketing",
                status="granted",
                method="written",
                evidence="Signed the news-and-recall texts form at check-in.",
                acting_user=None,
            )
    campaign = check_create_campaign(
        organization,
        name="Check-up recall: no visit in 6 months",
        template_key="recall",
        channel=MessageChannel.SMS,
        segment={"no_visit_months": 6},
        link="https://riverbend.example/book",
        acting_user=manager,
    )
    check_launch_campaign(campaign, start_at=None, acting_user=manager)
    # What the worker and the carrier did with it (the demo plays it out at once).
    sent = list(Message.objects.filter(campaign=campaign, status=MessageStatus.QUEUED))
    for index, message in enumerate(sent):
        _played_out_sent(message, provider_id=f"SMdemo-recall-{index}")
        landline = index == len(sent) - 1
        do_record_delivery(
            organization.pk,
            provider_id=f"SMdemo-recall-{index}",
            status="undelivered" if landline else "delivered",
            error_code="30006" if landline else "",
        )
    news = Sender.objects.get(organization=organization, address=NEWS_LINE)
    answers = ["Yes! Can I come in next Tuesday morning?", "STOP"]
    for index, (message, body) in enumerate(zip(sent, answers, strict=False)):
        do_receive_text(
            news, from_number=message.to_address, body=body, provider_id=f"SMdemo-recall-re{index}"
        )
    scan_finished_campaigns()


def _writes_alone(person: Person, system: str) -> bool:
    """An English speaker (the demo's words are English) whose number or address is theirs
    alone: what comes from a shared one waits in triage, unanswerable until linked."""
    address = contact_address(person, system=system)
    return (
        person.preferred_language == "en"
        and bool(address)
        and people_reached_at(person.organization_id, system=system, value=address) == [person]
    )


def _played_out_sent(message: Message, *, provider_id: str) -> None:
    """What the worker does with a message it claims and hands over (the demo plays it out at
    once: the carrier reports on it, or the patient answers it, next)."""
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)
    message.status = MessageStatus.SENDING
    record_sent(mark_sent([(message, provider_id)]))


def _secure_reply(clinic: Sender, *, patient: Person, clinician: User) -> None:
    """A patient asks for their results by text; the clinician answers with a secure reply
    (the text carries only a link), which the patient opens with their birth date and thanks
    them for, so the conversation waits again with the secure reply in it."""
    phone = _phone(patient)
    question = do_receive_text(
        clinic,
        from_number=phone,
        body="Hi, are my blood test results back yet?",
        provider_id="SMdemo-results",
    )
    assert question.conversation is not None
    link_text = check_send_secure_reply(
        question.conversation, body=SECURE_WORDS, acting_user=clinician, key="demo-secure-reply"
    )
    _played_out_sent(link_text, provider_id="SMdemo-secure-link")
    note = patient.secure_notes.get()
    check_open_secure_note(note, birth_date=patient.birth_date)
    do_receive_text(
        clinic,
        from_number=phone,
        body="Thank you, I read it. Can I book the recheck for a Saturday morning?",
        provider_id="SMdemo-results-thanks",
    )


def _email_reply(organization: Organization, *, patient: Person, front_desk: User) -> None:
    """A patient writes by email, the front desk answers by email, and the patient's reply to
    that answer (threaded by In-Reply-To and References, the quoted answer below it) waits."""
    address = contact_address(patient, system=ContactSystem.EMAIL)
    name = f"{patient.given_name} {patient.family_name}"
    question = do_receive_email(
        _raw_email(
            sender=f"{name} <{address}>",
            subject="Parking at the Northside clinic",
            message_id=f"<demo-parking@{address.split('@')[1]}>",
            body="Hello, is there parking at the Northside Family Clinic? I use a walker.\n\n"
            + name,
        )
    )
    assert question.conversation is not None
    answer = check_reply(
        question.conversation,
        body=f"Hello {patient.given_name}, yes: free parking behind the building, with two "
        "accessible spaces by the side door, and we can meet you there with a wheelchair. "
        "Jordan, front desk",
        acting_user=front_desk,
        key="demo-email-answer",
    )
    _played_out_sent(answer, provider_id=answer.message_id_header)
    sent_at = format_datetime(clock.now().astimezone(ZoneInfo(organization.time_zone)))
    do_receive_email(
        _raw_email(
            sender=f"{name} <{address}>",
            subject="Re: Parking at the Northside clinic",
            message_id=f"<demo-parking-re@{address.split('@')[1]}>",
            answers=[question.message_id_header, answer.message_id_header],
            body="Wonderful, thank you! May my daughter come in with me for the visit?\n\n"
            f"On {sent_at}, {organization.name} <{CLINIC_EMAIL}> wrote:\n> "
            + answer.body.replace("\n", "\n> "),
        )
    )


def _raw_email(
    *, sender: str, subject: str, message_id: str, body: str, answers: list[str] | None = None
) -> bytes:
    """The raw email the mail system posts to /messaging/email/inbound."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = CLINIC_EMAIL
    email["Subject"] = subject
    email["Message-ID"] = message_id
    if answers:
        email["In-Reply-To"] = answers[-1]
        email["References"] = " ".join(answers)
    email.set_content(body)
    return email.as_bytes()
