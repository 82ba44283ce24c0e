"""Messages a person asked for a moment ago on a public page: a one-time code that proves the
phone or email is theirs, and what they booked. They answer the person's own request, like the
automatic replies to a text: no consent record is needed (marketing or any other), and they are
not held for quiet hours (the person is waiting for them). They go to the address the person
typed, with or without a record behind it: a new patient has none until their booking is
confirmed."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.models import Organization
from carebond.messaging.actions import do_queue_message, pick_sender
from carebond.messaging.models import (
    Direction,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    Sender,
)
from carebond.people.models import Person


def _sender(organization: Organization, channel: str) -> Sender | None:
    """The number or address appointment messages go from (else care messages')."""
    return pick_sender(
        organization.pk, channel=channel, purpose=MessagePurpose.APPOINTMENT
    ) or pick_sender(organization.pk, channel=channel, purpose=MessagePurpose.CARE)


@transaction.atomic
def do_queue_requested_message(
    organization: Organization,
    *,
    person: Person | None,
    channel: str,
    address: str,
    subject: str,
    body: str,
    language: str,
    idempotency_key: str,
) -> Message:
    """Queue it now, to ``address``. Audit: message.queued (message.blocked when the
    organisation has no sender for the channel). The same key twice: the first row."""
    sender = _sender(organization, channel)
    if person is not None:
        return do_queue_message(
            person,
            purpose=MessagePurpose.REPLY,
            channel=channel,
            sender=sender,
            subject=subject,
            body=body,
            language=language,
            idempotency_key=idempotency_key,
            urgent=True,
            replying=True,
            acting_user=None,
            to_address=address,
        )
    existing = Message.objects.filter(
        organization_id=organization.pk, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        return existing
    now = clock.now()
    message = Message(
        organization_id=organization.pk,
        person=None,
        direction=Direction.OUTBOUND,
        channel=channel,
        purpose=MessagePurpose.REPLY,
        sender=sender,
        to_address=address,
        from_address=sender.address if sender else "",
        subject=subject,
        body=body,
        language=language,
        urgent=True,
        status=MessageStatus.QUEUED if sender else MessageStatus.BLOCKED,
        status_reason="" if sender else f"No sender is set up for {channel} messages.",
        idempotency_key=idempotency_key,
        due_at=now,
        created_at=now,
    )
    if channel == MessageChannel.EMAIL and sender is not None:
        message.message_id_header = f"<{message.public_id}@{sender.address.rsplit('@', 1)[-1]}>"
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:  # the same request twice at once: the first is the message
        return Message.objects.get(organization_id=organization.pk, idempotency_key=idempotency_key)
    record_audit(
        actor=None,
        action="message.queued" if sender else "message.blocked",
        target=message,
        organization=organization,
    )
    return message
