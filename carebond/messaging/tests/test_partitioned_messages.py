"""Messages are partitioned on PostgreSQL, so nothing points at one with a database foreign key
and the idempotency key is kept unique by a trigger: what those constraints did still holds,
on both databases, whether a message is deleted or removed by retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction

from carebond.audit.history_actions import scan_retention
from carebond.core.models import Organization
from carebond.messaging.models import (
    Conversation,
    Message,
    OptedOutNumber,
    RevocationRequest,
    TopicQuestion,
)

pytestmark = pytest.mark.django_db

PHONE = "+13125550123"


def inbound(organization: Organization, key: str, when: datetime) -> Message:
    return Message.objects.create(
        organization=organization,
        direction="inbound",
        channel="sms",
        to_address="+13125550100",
        from_address=PHONE,
        body="No more texts please",
        status="received",
        idempotency_key=key,
        due_at=when,
        created_at=when,
    )


def links_to(message: Message) -> tuple[OptedOutNumber, RevocationRequest, TopicQuestion]:
    conversation = Conversation.objects.create(
        organization=message.organization, channel="sms", address=PHONE
    )
    return (
        OptedOutNumber.objects.create(
            organization=message.organization,
            address=PHONE,
            purpose="care",
            message=message,
            created_at=message.created_at,
        ),
        RevocationRequest.objects.create(organization=message.organization, message=message),
        TopicQuestion.objects.create(
            organization=message.organization,
            conversation=conversation,
            message=message,
            topic="billing",
            asked_at=message.created_at,
        ),
    )


def assert_links_released(
    opted_out: OptedOutNumber, revocation: RevocationRequest, question: TopicQuestion
) -> None:
    opted_out.refresh_from_db()
    assert opted_out.message_id is None  # SET_NULL: the opt-out itself stays
    assert not RevocationRequest.objects.filter(pk=revocation.pk).exists()  # CASCADE
    assert not TopicQuestion.objects.filter(pk=question.pk).exists()  # CASCADE


def test_deleting_a_message_nulls_or_removes_what_points_at_it(org_a: Organization) -> None:
    # given a message an opt-out, a revocation request and a topic question point at
    message = inbound(org_a, "in:1", datetime(2026, 11, 3, tzinfo=UTC))
    linked = links_to(message)
    # when the message is deleted
    message.delete()
    # then the opt-out forgets it, the request and the question go with it
    assert_links_released(*linked)


def test_retention_of_messages_releases_what_points_at_them(
    org_a: Organization, settings: Any
) -> None:
    # given a message of 2015 with links, and one of this year
    old = inbound(org_a, "in:old", datetime(2015, 4, 2, tzinfo=UTC))
    linked = links_to(old)
    recent = inbound(org_a, "in:new", datetime(2026, 12, 1, tzinfo=UTC))
    settings.RETENTION_YEARS = {"audit": 6, "touchpoints": None, "messages": 4}
    # when retention runs
    with time_machine.travel(datetime(2026, 12, 5, tzinfo=UTC), tick=False):
        scan_retention()
    # then the old message is gone, its links released as a foreign key would, the new one kept
    assert not Message.objects.filter(pk=old.pk).exists()
    assert_links_released(*linked)
    assert Message.objects.filter(pk=recent.pk).exists()


def test_an_idempotency_key_is_used_once_per_organisation(
    org_a: Organization, org_b: Organization
) -> None:
    # given a message with a key
    inbound(org_a, "reminder:42", datetime(2026, 11, 3, tzinfo=UTC))
    # when another message of the organisation takes the same key, months later
    with pytest.raises(IntegrityError), transaction.atomic():
        inbound(org_a, "reminder:42", datetime(2027, 2, 3, tzinfo=UTC))
    # then it is refused; another organisation may use the key
    inbound(org_b, "reminder:42", datetime(2027, 2, 3, tzinfo=UTC))
    assert Message.objects.filter(idempotency_key="reminder:42").count() == 2
