"""The demo organisation built by each test itself: building it twice is safe, and its inbox and
the front desk's home are right at any hour. (Its sections, read from one shared build:
test_demo_sections.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from carebond.accounts.models import User
from carebond.demo.builder import build_demo
from carebond.interop.models import ImportRun, StoredResource
from carebond.messaging.models import (
    Conversation,
    Message,
    MessageStatus,
    SecureNote,
)
from carebond.people.models import Person
from carebond.scheduling.models import Appointment
from carebond.touchpoints.models import Touchpoint

pytestmark = pytest.mark.demo


@pytest.mark.django_db
def test_building_the_demo_twice_changes_nothing() -> None:
    first = build_demo(seed=42)
    counts = (
        Person.objects.count(),
        Touchpoint.objects.count(),
        ImportRun.objects.count(),
        StoredResource.objects.count(),
        Message.objects.count(),
        SecureNote.objects.count(),
        Appointment.objects.count(),
    )

    second = build_demo(seed=42)

    assert second.organization == first.organization
    assert (
        Person.objects.count(),
        Touchpoint.objects.count(),
        ImportRun.objects.count(),
        StoredResource.objects.count(),
        Message.objects.count(),
        SecureNote.objects.count(),
        Appointment.objects.count(),
    ) == counts


CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.django_db
def test_the_demo_front_desk_sees_the_weeks_online_bookings_on_its_home(
    client_for: Callable[[User], Client],
) -> None:
    demo = build_demo(seed=42, size="small")
    online = Appointment.objects.filter(organization=demo.organization, booked_via="online")
    assert online.count() >= 3
    desk = User.objects.get(organization=demo.organization, username="frontdesk")
    home = client_for(desk).get("/").content.decode()
    assert 'data-testid="online-bookings"' in home
    assert "booked by Marisol Ortega (Parent)" in home


# Built late on a Saturday night (quiet hours, the office closed) and on a weekday morning.
@pytest.mark.parametrize(
    "built_at",
    [datetime(2026, 12, 5, 23, 30, tzinfo=CHICAGO), datetime(2026, 12, 7, 10, 0, tzinfo=CHICAGO)],
    ids=["saturday-night", "monday-morning"],
)
@pytest.mark.django_db
def test_the_demo_inbox_shows_a_secure_reply_and_an_email_reply_at_any_hour(
    built_at: datetime, client_for: Callable[[User], Client]
) -> None:
    with time_machine.travel(built_at, tick=False):
        build_demo(seed=42)
        clinician = client_for(User.objects.get(username="clinician"))
        inbox = clinician.get("/messaging/inbox/").content.decode()
        note = SecureNote.objects.get()
        secure = note.conversation
        email = Conversation.objects.get(channel="email")
        assert secure is not None
        assert secure.person is not None
        assert email.person is not None

        # both wait for an answer in the inbox a newcomer opens
        for conversation in (secure, email):
            assert f"/messaging/inbox/{conversation.public_id}/" in inbox
        assert secure.person != email.person

        # the secure reply: the text carries the link, not the words, and went out at once
        page = clinician.get(f"/messaging/inbox/{secure.public_id}/").content.decode()
        link = f"/messaging/secure/{note.public_id}/"
        assert link in page
        assert "cholesterol" not in page
        assert "Can I book the recheck" in page  # the patient's answer, after reading it
        [link_text] = Message.objects.filter(conversation=secure, direction="outbound")
        assert (link_text.status, link_text.due_at) == (MessageStatus.SENT, built_at)
        assert note.opened_at == built_at
        birth_date = secure.person.birth_date
        assert birth_date is not None
        opened = Client().post(link, {"birth_date": birth_date.isoformat()})
        assert "cholesterol results are back" in opened.content.decode()

        # the email reply: the patient answered the practice's email by email
        page = clinician.get(f"/messaging/inbox/{email.public_id}/").content.decode()
        assert f"Email with {email.address}" in page
        question, answer, reply = Message.objects.filter(conversation=email).order_by("id")
        assert [(m.direction, m.status) for m in (question, answer, reply)] == [
            ("inbound", MessageStatus.RECEIVED),
            ("outbound", MessageStatus.SENT),
            ("inbound", MessageStatus.RECEIVED),
        ]
        assert answer.due_at == built_at
        assert answer.message_id_header
        assert reply.person == email.person
        assert reply.body == "Wonderful, thank you! May my daughter come in with me for the visit?"
        assert reply.body in page
        assert (email.waiting_since, email.unread) == (built_at, 1)
