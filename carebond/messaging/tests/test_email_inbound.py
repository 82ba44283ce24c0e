"""Email replies posted raw by the mail system: matched to the message they answer, stored
once, quoted text cut, a request to stop sent to staff; bad calls refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from carebond.messaging.actions import check_queue_message
from carebond.messaging.dispatch_actions import dispatch_due_messages
from carebond.messaging.models import Conversation, Message, RevocationRequest
from carebond.people.models import Person
from carebond.testing.fixtures import Mailbox

TOKEN = "inbound-secret-for-tests"


@pytest.fixture
def inbound(settings: Any) -> Client:
    settings.MESSAGING_INBOUND_EMAIL_TOKEN = TOKEN
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def _post(client: Client, raw: str) -> Any:
    return client.post("/messaging/email/inbound", raw.encode(), content_type="message/rfc822")


def _reply(
    *,
    answers: str = "",
    sender: str = "rosa.diaz@example.org",
    to: str = "clinic@example.org",
    body: str,
) -> str:
    headers = f"In-Reply-To: {answers}\r\nReferences: {answers}\r\n" if answers else ""
    return (
        f"From: Rosa Diaz <{sender}>\r\nTo: {to}\r\nSubject: Re: your visit\r\n"
        f"Message-ID: <reply-{abs(hash(body))}@mail.example>\r\n{headers}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    )


def _sent_reminder(patient: Person) -> Message:
    message = check_queue_message(
        patient,
        purpose="appointment",
        channel="email",
        template_key="appointment_reminder",
        idempotency_key="appt-email",
        extra={"location": "Main clinic"},
        acting_user=None,
    )
    dispatch_due_messages()
    message.refresh_from_db()
    return message


def test_a_reply_lands_in_the_persons_conversation_once_without_the_quote(
    patient: Person, smtp_server: Mailbox, afternoon: object, inbound: Client
) -> None:
    reminder = _sent_reminder(patient)
    raw = _reply(
        answers=reminder.message_id_header,
        body="Can we make it 4 pm instead?\r\n\r\nOn Wed, 4 Mar 2026, Alder wrote:\r\n> Hi Rosa",
    )
    first, again = _post(inbound, raw), _post(inbound, raw)
    assert (first.status_code, again.status_code) == (201, 201)
    [received] = Message.objects.filter(direction="inbound")
    assert (received.person, received.body) == (patient, "Can we make it 4 pm instead?")
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.address) == ("email", "rosa.diaz@example.org")
    assert patient.touchpoints.filter(kind="message", direction="inbound").count() == 1


def test_a_reply_to_the_emails_own_reply_address_finds_it_without_threading_headers(
    patient: Person, smtp_server: Mailbox, afternoon: object, inbound: Client, settings: Any
) -> None:
    # given a reminder sent with a reply address of its own
    settings.MESSAGING_REPLY_DOMAIN = "reply.alder.example"
    reminder = _sent_reminder(patient)
    [email] = smtp_server.messages
    reply_to = email["Reply-To"]
    assert reply_to.startswith("reply+")
    assert reply_to.endswith("@reply.alder.example")
    # when the patient answers from a mail program that drops In-Reply-To and References
    response = _post(inbound, _reply(to=reply_to, body="Is there parking?"))
    # then the answer is in the patient's conversation, from the reminder's organisation
    assert response.status_code == 201
    received = Message.objects.get(direction="inbound")
    assert (received.person, received.organization_id) == (patient, reminder.organization_id)
    # and a made-up reply address finds nothing (no organisation receives it)
    forged = reply_to.replace("reply+", "reply+0")[:-1]
    assert _post(inbound, _reply(to=forged, body="Hi")).status_code == 404
    other = "reply+" + "0" * 48 + "@reply.alder.example"
    assert _post(inbound, _reply(to=other, body="Hi")).status_code == 404
    assert Message.objects.filter(direction="inbound").count() == 1


def test_a_reply_asking_to_stop_waits_for_staff(
    patient: Person, smtp_server: Mailbox, afternoon: object, inbound: Client
) -> None:
    reminder = _sent_reminder(patient)
    _post(inbound, _reply(answers=reminder.message_id_header, body="Unsubscribe"))
    request = RevocationRequest.objects.get()
    assert (request.person, request.status) == (patient, "pending")


def test_a_new_email_from_an_unknown_address_goes_to_triage(
    patient: Person, inbound: Client
) -> None:
    response = _post(inbound, _reply(sender="someone@else.example", body="Hello?"))
    assert response.status_code == 201
    assert Conversation.objects.get().person is None


@pytest.mark.parametrize(
    ("raw", "status", "reason"),
    [
        ("garbage without headers", 422, "The email has no sender address (From)."),
        ("From: a@b.example\r\nTo: clinic@example.org\r\n\r\nhi", 422, "no Message-ID"),
        (
            "From: a@b.example\r\nTo: nobody@nowhere.example\r\nMessage-ID: <x@y>\r\n\r\nhi",
            404,
            "No organisation receives email at this address.",
        ),
    ],
)
def test_bad_email_is_refused_with_the_reason(
    raw: str, status: int, reason: str, patient: Person, inbound: Client
) -> None:
    response = _post(inbound, raw)
    assert response.status_code == status
    assert reason in response.content.decode()
    assert not Message.objects.exists()


def test_without_the_token_nothing_is_stored(patient: Person, settings: Any) -> None:
    settings.MESSAGING_INBOUND_EMAIL_TOKEN = TOKEN
    response = _post(Client(HTTP_AUTHORIZATION="Bearer wrong"), _reply(body="hi"))
    assert response.status_code == 403
    settings.MESSAGING_INBOUND_EMAIL_TOKEN = ""
    assert _post(Client(HTTP_AUTHORIZATION="Bearer "), _reply(body="hi")).status_code == 403
    assert not Message.objects.exists()
