"""Who reaches the inbox and the templates; another organisation's conversation looks missing;
a bad form field comes back at its field, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.messaging.inbound_actions import do_receive_text
from carebond.messaging.models import Conversation, Message, Sender
from carebond.messaging.tests.conftest import PATIENT_PHONE
from carebond.people.models import Person

KEY = "4f6c1b0e-5d1a-4a57-9d3c-2f1e8a7b6c5d"  # the reply form's one-time key


@pytest.fixture
def conversation(patient: Person, senders: dict[str, Sender]) -> Conversation:
    do_receive_text(senders["care"], from_number=PATIENT_PHONE, body="Hello", provider_id="SM1")
    return Conversation.objects.get()


@pytest.mark.parametrize(
    ("role", "inbox", "templates"),
    [
        ("admin", 200, 200),
        ("manager", 200, 200),
        ("clinician", 200, 403),
        ("front_desk", 200, 403),
        ("liaison", 200, 403),
        ("analyst", 403, 403),
    ],
)
def test_each_role_reaches_what_it_should(
    role: str,
    inbox: int,
    templates: int,
    users_a: dict[str, User],
    conversation: Conversation,
    client_for: Callable[[User], Client],
) -> None:
    client = client_for(users_a[role])
    assert client.get("/messaging/inbox/").status_code == inbox
    assert client.get(f"/messaging/inbox/{conversation.public_id}/").status_code == inbox
    assert client.get("/messaging/templates/").status_code == templates


def test_another_organisations_conversation_looks_missing_and_takes_no_reply(
    conversation: Conversation, outsider_b: User, client_for: Callable[[User], Client]
) -> None:
    client = client_for(outsider_b)
    assert client.get(f"/messaging/inbox/{conversation.public_id}/").status_code == 404
    response = client.post(
        f"/messaging/inbox/{conversation.public_id}/reply/", {"body": "hi", "key": KEY}
    )
    assert response.status_code == 404
    assert not Message.objects.filter(direction="outbound").exists()


def test_an_empty_reply_and_a_past_snooze_are_refused_at_their_fields(
    conversation: Conversation, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    client = client_for(users_a["front_desk"])
    url = f"/messaging/inbox/{conversation.public_id}"
    empty = client.post(f"{url}/reply/", {"body": "   ", "key": KEY})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()
    snooze = client.post(f"{url}/status/", {"status": "snoozed", "until": "2001-01-01T09:00"})
    assert snooze.status_code == 422
    assert "Snooze until a time in the future." in snooze.content.decode()
    conversation.refresh_from_db()
    assert conversation.status == "open"


def test_opening_a_conversation_is_an_audited_read_and_shows_who_else_has_it_open(
    conversation: Conversation, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    client_for(users_a["clinician"]).get(f"/messaging/inbox/{conversation.public_id}/")
    page = client_for(users_a["front_desk"]).get(f"/messaging/inbox/{conversation.public_id}/")
    assert "has this conversation open too" in page.content.decode()
    from carebond.audit.models import AuditEvent

    assert (
        AuditEvent.objects.filter(
            action="conversation.viewed", target_id=str(conversation.public_id)
        ).count()
        == 2
    )


def test_a_reply_goes_to_the_number_the_conversation_is_with(
    conversation: Conversation,
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    # given the person's phone was removed from their record since they wrote in
    patient.contact_points.filter(system="phone").delete()
    # when staff answer
    response = client_for(users_a["front_desk"]).post(
        f"/messaging/inbox/{conversation.public_id}/reply/", {"body": "See you at 4.", "key": KEY}
    )
    # then the reply is queued to the number that wrote
    assert response.status_code == 302
    reply = Message.objects.get(direction="outbound")
    assert (reply.to_address, reply.status) == (PATIENT_PHONE, "queued")


def test_the_inbox_list_is_an_audited_read(
    conversation: Conversation, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    from carebond.audit.models import AuditEvent

    page = client_for(users_a["clinician"]).get("/messaging/inbox/")
    assert "Rosa Diaz" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="conversations.listed", actor=users_a["clinician"]
    ).exists()


def test_a_long_conversation_shows_its_newest_messages(
    conversation: Conversation,
    senders: dict[str, Sender],
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("carebond.messaging.selectors.THREAD_LENGTH", 3)
    for n in range(2, 6):
        do_receive_text(
            senders["care"], from_number=PATIENT_PHONE, body=f"Text {n}", provider_id=f"SM{n}"
        )
    page = client_for(users_a["front_desk"]).get(f"/messaging/inbox/{conversation.public_id}/")
    text = page.content.decode()
    assert [f"Text {n}" in text for n in range(2, 6)] == [False, True, True, True]
    assert text.index("Text 3") < text.index("Text 5")


def test_pressing_send_twice_queues_one_reply(
    conversation: Conversation, users_a: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    client = client_for(users_a["front_desk"])
    url = f"/messaging/inbox/{conversation.public_id}/reply/"
    for _ in range(2):
        assert client.post(url, {"body": "See you at 4.", "key": KEY}).status_code == 302
    assert Message.objects.filter(direction="outbound").count() == 1
    # and the next reply (a new form, a new key) is its own message
    client.post(url, {"body": "Bring your card.", "key": "0b7f5e9a-2c64-4d1b-8f3a-6e2d9c1a4b70"})
    assert Message.objects.filter(direction="outbound").count() == 2


def test_a_canned_reply_starts_the_reply_in_the_persons_language(
    conversation: Conversation,
    patient: Person,
    users_a: dict[str, User],
    client_for: Callable[[User], Client],
) -> None:
    Person.objects.filter(pk=patient.pk).update(preferred_language="es")
    client = client_for(users_a["front_desk"])
    url = f"/messaging/inbox/{conversation.public_id}/"
    page = client.get(url, {"canned": "canned_reschedule"}).content.decode()
    assert "Podemos cambiar su cita. Responda con dos días" in page
    assert "+1 312 555 0100" in page  # the call-back number filled in
    # an unknown key starts an empty reply
    assert "Podemos cambiar" not in client.get(url, {"canned": "nonsense"}).content.decode()
