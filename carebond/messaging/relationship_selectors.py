"""What the relationship-health score reads from messaging (docs/analytics.md, "Relationship
health"): each patient's messages, reduced to whether a message sent reached them and whether
they wrote to the practice. Words are never read.

No access check here: the caller (analytics) holds its own policy and audits the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from carebond.core.models import Organization
from carebond.messaging.models import Direction, Message, MessageStatus

# An outbound message reached the person (True) or could not (False); the others (queued,
# blocked by the rules, cancelled, not known) say nothing about whether the person is reachable.
_REACHED: dict[str, bool] = {
    MessageStatus.SENT: True,
    MessageStatus.DELIVERED: True,
    MessageStatus.FAILED: False,
}


@dataclass(frozen=True)
class MessageRecord:
    """One message: ``inbound`` (the person wrote), else ``reached`` for one sent."""

    day: date
    inbound: bool
    reached: bool


def message_records(
    organization_id: int, *, since: date, person_ids: Iterable[int] | None = None
) -> dict[int, list[MessageRecord]]:
    """{person id: their messages from ``since`` on, oldest first, dated in the organisation's
    time zone}."""
    messages = Message.objects.filter(
        organization_id=organization_id,
        person__isnull=False,
        created_at__gte=datetime.combine(since, time.min, UTC),
    ).filter(status__in=[*_REACHED, MessageStatus.RECEIVED])
    if person_ids is not None:
        messages = messages.filter(person_id__in=set(person_ids))
    zone = ZoneInfo(Organization.objects.get(pk=organization_id).time_zone)
    found: dict[int, list[MessageRecord]] = defaultdict(list)
    for person_id, created_at, direction, status in (
        messages.order_by("created_at", "id")
        .values_list("person_id", "created_at", "direction", "status")
        .iterator(chunk_size=5000)
    ):
        inbound = direction == Direction.INBOUND
        found[person_id].append(
            MessageRecord(
                day=created_at.astimezone(zone).date(),
                inbound=inbound,
                reached=inbound or _REACHED.get(status, False),
            )
        )
    return found
