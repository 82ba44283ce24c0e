"""The messaging API: conversations and replies, a person's messages, and queueing one from a
template, with the same rules and audit as the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.messaging.models import Conversation, Message
from carebond.messaging.tests.test_inbound import text_in
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider

MISSING = "00000000-0000-4000-8000-000000000000"
REPLY = {"body": "Yes, see you at 4.", "key": "6d1f4c2e-8a3b-4c5d-9e7f-1a2b3c4d5e6f"}


def test_a_client_reads_the_inbox_and_replies_once_per_key(
    patient: Person,
    sms_provider: SmsProvider,
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
) -> None:
    text_in("Can I come at 4?")
    client = api_for(users_a["front_desk"])
    [listed] = client.get("/api/v1/messaging/conversations").json()
    assert (listed["person_id"], listed["unread"]) == (str(patient.public_id), 1)
    detail = client.get(f"/api/v1/messaging/conversations/{listed['id']}").json()
    assert [m["body"] for m in detail["messages"]] == ["Can I come at 4?"]
    url = f"/api/v1/messaging/conversations/{listed['id']}/replies"
    first = client.post(url, REPLY, content_type="application/json")
    again = client.post(url, REPLY, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert Message.objects.filter(direction="outbound").count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"conversations.listed", "conversation.viewed"} <= actions


def test_a_reply_naming_a_diagnosis_is_refused_at_its_field(
    patient: Person,
    sms_provider: SmsProvider,
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
) -> None:
    text_in("Results?")
    client = api_for(users_a["clinician"])
    [listed] = client.get("/api/v1/messaging/conversations").json()
    response = client.post(
        f"/api/v1/messaging/conversations/{listed['id']}/replies",
        {"body": "Your biopsy was fine"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "body"
    assert not Message.objects.filter(direction="outbound").exists()


def test_queueing_from_a_template_checks_the_fields_and_the_rules(
    patient: Person,
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
    afternoon: object,
) -> None:
    client = api_for(users_a["front_desk"])
    url = f"/api/v1/people/{patient.public_id}/messages"
    reminder = {
        "template": "appointment_reminder",
        "channel": "sms",
        "purpose": "appointment",
        "idempotency_key": "visit-77:72h",
        "fields": {"location": "Main clinic", "appointment_time": "2026-03-06T15:30:00-06:00"},
    }
    unknown = client.post(
        url,
        {**reminder, "fields": {"preferred_name": "Boss", "colour": "red"}},
        content_type="application/json",
    )
    assert unknown.status_code == 422
    assert unknown.json()["message"].startswith(
        "Merge field(s) colour, preferred_name cannot be given"
    )
    no_zone = client.post(
        url,
        {**reminder, "fields": {"appointment_time": "2026-03-06T15:30"}},
        content_type="application/json",
    )
    assert no_zone.json()["field"] == "fields.appointment_time"
    assert not Message.objects.exists()
    queued = client.post(url, reminder, content_type="application/json")
    assert queued.status_code == 201
    assert queued.json()["status"] == "queued"
    assert "Fri 6 Mar" in queued.json()["body"]
    # a marketing text without consent is stored as blocked, with the reason
    recall = client.post(
        url,
        {**reminder, "template": "recall", "purpose": "marketing", "idempotency_key": "r1"},
        content_type="application/json",
    )
    assert (recall.json()["status"], recall.json()["status_reason"]) == (
        "blocked",
        "No consent for marketing by text message.",
    )
    listed = client.get(url).json()
    assert len(listed) == 2
    assert AuditEvent.objects.filter(action="messages.listed").count() == 1


def test_the_analyst_and_another_organisation_get_nothing(
    patient: Person,
    sms_provider: SmsProvider,
    users_a: dict[str, User],
    outsider_b: User,
    api_for: Callable[[User], Client],
) -> None:
    text_in("hello")
    assert api_for(users_a["analyst"]).get("/api/v1/messaging/conversations").status_code == 403
    outsider = api_for(outsider_b)
    assert outsider.get("/api/v1/messaging/conversations").json() == []
    assert outsider.get(f"/api/v1/people/{patient.public_id}/messages").status_code == 404


@pytest.fixture(params=["token", "session"])
def signed_in(
    request: Any, api_for: Callable[[User], Client], client_for: Callable[[User], Client]
) -> Callable[[User], Client]:
    """Both ways into the API: a Bearer token, and the browser's signed-in session."""
    return api_for if request.param == "token" else client_for


@pytest.fixture
def waiting(patient: Person, sms_provider: SmsProvider) -> Conversation:
    """A text from the patient, waiting in organisation A's inbox."""
    text_in("Can I come at 4?")
    return Conversation.objects.get()


def _read_and_answer(client: Client, conversation_id: object) -> tuple[Any, Any]:
    url = f"/api/v1/messaging/conversations/{conversation_id}"
    detail = client.get(url)
    reply = client.post(f"{url}/replies", REPLY, content_type="application/json")
    return detail, reply


def _nothing_written(conversation: Conversation) -> None:
    assert not Message.objects.filter(direction="outbound").exists()
    assert not AuditEvent.objects.filter(action="conversation.viewed").exists()
    conversation.refresh_from_db()
    assert (conversation.unread, conversation.waiting_since is not None) == (1, True)


def test_another_organisation_finds_no_conversation_to_read_or_answer(
    waiting: Conversation, patient: Person, outsider_b: User, signed_in: Callable[[User], Client]
) -> None:
    # given a text waiting in organisation A's inbox, and organisation B's administrator
    client = signed_in(outsider_b)

    # when they read and answer it, and a conversation nobody has
    detail, reply = _read_and_answer(client, waiting.public_id)
    missing_detail, missing_reply = _read_and_answer(client, MISSING)
    queued = client.post(
        f"/api/v1/people/{patient.public_id}/messages",
        {"template": "care_message", "channel": "sms", "purpose": "care", "idempotency_key": "x"},
        content_type="application/json",
    )

    # then A's conversation looks missing, word for word, and nothing was written
    assert detail.status_code == missing_detail.status_code == 404
    assert detail.json() == missing_detail.json()
    assert reply.status_code == missing_reply.status_code == 404
    assert reply.json() == missing_reply.json()
    assert queued.status_code == 404
    assert "Can I come" not in detail.content.decode()
    _nothing_written(waiting)


def test_a_colleague_whose_role_has_no_inbox_may_not_read_or_answer(
    waiting: Conversation,
    patient: Person,
    users_a: dict[str, User],
    signed_in: Callable[[User], Client],
) -> None:
    # given a text waiting in the inbox, and the analyst of the same organisation
    client = signed_in(users_a["analyst"])

    # when they read the conversation, answer it and read the person's messages
    detail, reply = _read_and_answer(client, waiting.public_id)
    listed = client.get(f"/api/v1/people/{patient.public_id}/messages")

    # then their role is refused (the words never shown) and nothing was written
    for response in (detail, reply, listed):
        assert response.status_code == 403
        assert response.json()["message"] == "Your role does not allow this."
    _nothing_written(waiting)
    assert not AuditEvent.objects.filter(action="messages.listed").exists()


def test_one_idempotency_key_for_two_people_queues_two_messages(
    patient: Person,
    users_a: dict[str, User],
    api_for: Callable[[User], Client],
    afternoon: object,
) -> None:
    from carebond.people.tests.factories import make_patient

    other = make_patient(patient.organization, "Ben", "Okoro", phone="+13125550177")
    client = api_for(users_a["front_desk"])
    body = {
        "template": "appointment_reminder",
        "channel": "sms",
        "purpose": "appointment",
        "idempotency_key": "visit-1",
        "fields": {"link": "https://bit.ly/x"},
    }
    shortened = client.post(
        f"/api/v1/people/{patient.public_id}/messages", body, content_type="application/json"
    )
    assert shortened.status_code == 422
    assert shortened.json()["field"] == "link"
    body["fields"] = {"location": "Main clinic"}
    for person in (patient, other):
        answer = client.post(
            f"/api/v1/people/{person.public_id}/messages", body, content_type="application/json"
        )
        assert answer.json()["person_id"] == str(person.public_id)
    assert Message.objects.count() == 2
