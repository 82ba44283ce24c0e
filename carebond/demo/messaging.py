"""The demo's messaging: senders, the built-in templates in English and Spanish, reminders on
their way through the outbox, and an inbox with unanswered texts, a STOP, a reply in Spanish,
a reply that reads like an opt-out and a number nobody has; and this morning's check-up recall,
finished, with its results. Every inbound text goes through the same code as the provider's
webhook."""

from __future__ import annotations

import random
from datetime import timedelta

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.models import Organization
from carebond.demo.people import DemoPeople
from carebond.messaging.actions import (
    check_add_sender,
    check_queue_message,
    ensure_built_in_templates,
)
from carebond.messaging.campaign_actions import (
    check_create_campaign,
    check_launch_campaign,
    scan_finished_campaigns,
)
from carebond.messaging.dispatch_actions import mark_sent, record_sent
from carebond.messaging.inbound_actions import do_receive_text, do_record_delivery
from carebond.messaging.models import (
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    Sender,
)
from carebond.messaging.office_hours_actions import check_set_office_hours
from carebond.people.actions import check_record_consent
from carebond.people.models import ContactSystem, Person
from carebond.people.selectors import contact_address

CLINIC_LINE = "+12175550100"
NEWS_LINE = "+12175550177"

EN_REPLIES = (
    "Running about 10 minutes late, sorry!",
    "Can I move my appointment to next week?",
    "Do I need to bring anything for my visit?",
    "Is there parking at the clinic?",
)
SPANISH_REPLY = "¿Puedo cambiar mi cita para el jueves por la tarde? Gracias"


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
        address="hello@riverbend.example",
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
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)
        message.status = MessageStatus.SENDING
        record_sent(mark_sent([(message, f"SMdemo-recall-{index}")]))
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
