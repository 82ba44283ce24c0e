"""Topics an app registers (InboundTopic): a message on one tags its conversation, is kept as
a question until staff answer it (a reply, or closing the conversation), and hands the
conversation nobody has to the topic's handler with the most room. Keywords are never a
question; a topic that fails leaves the message, stored, for staff."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.registry import InboundTopic, registered
from carebond.messaging.actions import check_reply, check_set_capacities, do_set_conversation_status
from carebond.messaging.email_inbound_actions import do_receive_email
from carebond.messaging.models import Conversation, TopicQuestion
from carebond.messaging.office_hours_actions import check_set_office_hours
from carebond.messaging.tests.test_inbound import text_in
from carebond.messaging.topic_selectors import list_question_timings, list_waiting_questions
from carebond.people.models import Person
from carebond.testing.sms_provider import SmsProvider

CHICAGO = ZoneInfo("America/Chicago")
HANDLERS: list[int] = []


def about_parking(text: str) -> bool:
    return "parking" in text.lower()


def broken(text: str) -> bool:
    raise RuntimeError("a bug in an app")


PARKING = InboundTopic("parking", "Parking", about_parking, lambda org: list(HANDLERS), "tests")


@pytest.fixture
def parking_topic(users_a: dict[str, User]) -> Iterator[None]:
    HANDLERS[:] = [users_a["front_desk"].pk, users_a["manager"].pk]
    with registered(PARKING):
        yield
    HANDLERS.clear()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=CHICAGO)


def test_a_question_on_a_topic_is_tagged_kept_and_handed_to_its_handler(
    patient: Person, users_a: dict[str, User], parking_topic: None, sms_provider: SmsProvider
) -> None:
    # when a patient asks about parking, twice before anyone answers
    text_in("Is there parking at the clinic?")
    text_in("Parking for a wheelchair van, I mean")
    # then the conversation is tagged and handed to the first handler (both have room)
    conversation = Conversation.objects.get()
    assert conversation.topic == "parking"
    assert conversation.get_topic_display() == "Parking"
    assert conversation.assigned_to == users_a["front_desk"]
    # one question, waiting (the second text is the same question)
    question = TopicQuestion.objects.get()
    assert (question.topic, question.answered_at) == ("parking", None)
    assert question.message.body == "Is there parking at the clinic?"
    actions = list(AuditEvent.objects.filter(target_type="messaging.conversation"))
    assert sorted(e.action for e in actions) == ["conversation.assigned", "conversation.tagged"]
    assert {e.actor_id for e in actions} == {None}


def test_keywords_and_other_words_are_no_question(
    patient: Person, parking_topic: None, sms_provider: SmsProvider
) -> None:
    text_in("STOP")
    text_in("Running ten minutes late")
    assert Conversation.objects.get().topic == ""
    assert not TopicQuestion.objects.exists()


def test_the_handler_with_the_most_room_gets_it_and_nobody_full(
    org_a: Organization,
    patient: Person,
    users_a: dict[str, User],
    parking_topic: None,
    sms_provider: SmsProvider,
) -> None:
    desk, manager = users_a["front_desk"], users_a["manager"]
    check_set_capacities(org_a, capacities={desk.pk: 0, manager.pk: 3}, acting_user=manager)
    text_in("Where is the parking?")
    assert Conversation.objects.get().assigned_to == manager
    # given nobody with room: the question waits in the shared inbox, tagged
    check_set_capacities(org_a, capacities={manager.pk: 1}, acting_user=manager)
    text_in("Parking question from another number", sender="+13125550177")
    other = Conversation.objects.get(address="+13125550177")
    assert (other.topic, other.assigned_to) == ("parking", None)


def test_a_conversation_someone_has_stays_with_them(
    patient: Person, users_a: dict[str, User], parking_topic: None, sms_provider: SmsProvider
) -> None:
    text_in("Hello")
    Conversation.objects.update(assigned_to=users_a["clinician"])
    text_in("And is there parking?")
    conversation = Conversation.objects.get()
    assert (conversation.topic, conversation.assigned_to) == ("parking", users_a["clinician"])


def test_a_reply_or_closing_answers_and_the_times_are_office_time(
    org_a: Organization,
    patient: Person,
    users_a: dict[str, User],
    parking_topic: None,
    sms_provider: SmsProvider,
) -> None:
    manager = users_a["manager"]
    check_set_office_hours(
        org_a, hours="Mon 08:00-17:00\nFri 08:00-17:00", closures="", acting_user=manager
    )
    with time_machine.travel(_at(6, 16, 30), tick=False):  # Friday 16:30
        text_in("Parking tomorrow?")
    conversation = Conversation.objects.get()
    with time_machine.travel(_at(9, 9, 0), tick=False):  # Monday 09:00: 90 office minutes
        check_reply(conversation, body="Yes, behind the building.", acting_user=manager)
    with time_machine.travel(_at(9, 10, 0), tick=False):
        text_in("And on Sunday, parking too?")  # a new question
        waiting_count, waiting = list_waiting_questions(org_a.pk, topic="parking")
    assert waiting_count == 1
    assert waiting[0].with_whom == patient.display_name
    with time_machine.travel(_at(9, 10, 30), tick=False):
        conversation.refresh_from_db()
        do_set_conversation_status(conversation, status="closed", acting_user=manager)
        timings = list_question_timings(
            org_a.pk, topic="parking", since=_at(1, 0), until=_at(10, 0)
        )
    assert [(t.answered_by, t.waited_minutes) for t in timings] == [("reply", 90), ("closed", 30)]
    assert list_waiting_questions(org_a.pk, topic="parking") == (0, [])


def test_an_email_subject_counts(
    patient: Person, parking_topic: None, sms_provider: SmsProvider
) -> None:
    raw = (
        "From: Rosa Diaz <rosa.diaz@example.org>\r\nTo: clinic@example.org\r\n"
        "Subject: Parking\r\nMessage-ID: <topic-1@mail.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nWhere do I leave the car?\r\n"
    )
    do_receive_email(raw.encode())
    assert Conversation.objects.get(channel="email").topic == "parking"


def test_a_topic_that_fails_leaves_the_message_for_staff(
    patient: Person, sms_provider: SmsProvider
) -> None:
    with registered(InboundTopic("broken", "Broken", broken, lambda org: [], "tests")):
        text_in("Hello there")
    conversation = Conversation.objects.get()
    assert conversation.waiting_since is not None
    assert conversation.topic == ""


def test_the_inbox_shows_the_tag_and_lists_one_topic(
    patient: Person,
    users_a: dict[str, User],
    parking_topic: None,
    client_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    text_in("Parking?")
    text_in("Running late", sender="+13125550177")
    desk = client_for(users_a["front_desk"])
    page = desk.get("/messaging/inbox/").content.decode()
    assert 'data-testid="topic">Parking<' in page
    only = desk.get("/messaging/inbox/?view=waiting&topic=parking").content.decode()
    assert "Rosa Diaz" in only
    assert "+13125550177" not in only
    # an unknown topic shows everything (it is no filter)
    assert "+13125550177" in desk.get("/messaging/inbox/?topic=nonsense").content.decode()


def test_the_api_says_the_topic(
    patient: Person,
    users_a: dict[str, User],
    parking_topic: None,
    api_for: Callable[[User], Client],
    sms_provider: SmsProvider,
) -> None:
    text_in("Parking?")
    body: Any = api_for(users_a["front_desk"]).get("/api/v1/messaging/conversations").json()
    assert [c["topic"] for c in body] == ["parking"]


def test_a_question_older_than_the_period_is_left_out(
    org_a: Organization, patient: Person, parking_topic: None, sms_provider: SmsProvider
) -> None:
    with time_machine.travel(_at(2, 10), tick=False):
        text_in("Parking?")
    timings = list_question_timings(
        org_a.pk, topic="parking", since=_at(3, 0), until=_at(3, 0) + timedelta(days=7)
    )
    assert timings == []
