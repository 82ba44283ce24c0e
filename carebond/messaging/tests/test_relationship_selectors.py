"""What relationship health reads from messaging: whether each message sent reached the
person, and the messages they sent; messages the rules held back say nothing either way."""

from __future__ import annotations

from datetime import UTC, date, datetime

from carebond.core.models import Organization
from carebond.messaging.models import Message, MessageStatus
from carebond.messaging.relationship_selectors import MessageRecord, message_records
from carebond.people.tests.factories import make_patient


def test_messages_are_read_as_reached_failed_or_from_the_person(org_a: Organization) -> None:
    patient = make_patient(org_a, "Rosa", "Diaz")
    rows = [
        ("outbound", MessageStatus.DELIVERED, 1),
        ("outbound", MessageStatus.FAILED, 2),
        ("inbound", MessageStatus.RECEIVED, 3),
        ("outbound", MessageStatus.BLOCKED, 4),  # not sent (no consent): says nothing
        ("outbound", MessageStatus.SENT, 5),
    ]
    for direction, status, day in rows:
        at = datetime(2026, 2, day, 12, tzinfo=UTC)
        Message.objects.create(
            organization=org_a,
            person=patient,
            direction=direction,
            channel="sms",
            to_address="+1",
            from_address="+1",
            body="x",
            status=status,
            idempotency_key=f"k{day}",
            due_at=at,
            created_at=at,
        )
    # when read from 2 February on
    found = message_records(org_a.pk, since=date(2026, 2, 2), person_ids=[patient.pk])
    # then the first is before the day asked, and the blocked one is left out
    assert found[patient.pk] == [
        MessageRecord(date(2026, 2, 2), inbound=False, reached=False),
        MessageRecord(date(2026, 2, 3), inbound=True, reached=True),
        MessageRecord(date(2026, 2, 5), inbound=False, reached=True),
    ]
