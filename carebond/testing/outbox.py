"""Many queued messages at once, as the actions leave them (one outbox row each): for the
worker-kill test and the dispatch benchmark, which need thousands quickly."""

from __future__ import annotations

import uuid

from carebond.core import clock
from carebond.core.models import Organization
from carebond.messaging.models import Message, MessageStatus, Sender
from carebond.people.models import Person


def queue_many(
    organization: Organization,
    people: list[Person],
    count: int,
    *,
    tag: str,
    purpose: str,
    text_from: str,
    email_from: str,
) -> None:
    """``count`` messages, half texts and half emails, round the people, from the
    organisation's senders with these addresses (their rates apply); bodies are
    "<tag> message <n>" (unique, so a duplicate at a provider shows), urgent (any hour)."""
    now = clock.now()
    senders = {s.address: s for s in Sender.objects.filter(organization=organization)}
    addresses = {p.pk: {c.system: c.value for c in p.contact_points.all()} for p in people}
    domain = email_from.rsplit("@", 1)[-1]
    rows = []
    for n in range(count):
        person = people[n % len(people)]
        text = n % 2 == 0
        public_id = uuid.uuid4()
        rows.append(
            Message(
                organization=organization,
                public_id=public_id,
                person=person,
                direction="outbound",
                channel="sms" if text else "email",
                purpose=purpose,
                to_address=addresses[person.pk]["phone" if text else "email"],
                from_address=text_from if text else email_from,
                sender=senders.get(text_from if text else email_from),
                subject="" if text else f"{tag} message {n}",
                body=f"{tag} message {n}",
                message_id_header="" if text else f"<{public_id}@{domain}>",
                urgent=True,
                status=MessageStatus.QUEUED,
                idempotency_key=f"{tag}-{n}",
                due_at=now,
                created_at=now,
            )
        )
    Message.objects.bulk_create(rows, batch_size=2000)
