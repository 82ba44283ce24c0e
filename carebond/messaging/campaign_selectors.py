"""Reads of campaigns: the list, a draft's preview (who would get it, who would not and why),
and a launched campaign's results."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.messaging import compliance
from carebond.messaging.actions import SYSTEM_FOR_CHANNEL, find_template, merge_values
from carebond.messaging.models import (
    CONSENT_PURPOSE,
    Campaign,
    Direction,
    Message,
    MessageChannel,
    MessageStatus,
    OptedOutNumber,
)
from carebond.messaging.segments import check_segment, segment_people
from carebond.messaging.wording import render
from carebond.people.models import ConsentRecord, ConsentStatus, Person
from carebond.people.selectors import contact_address

if TYPE_CHECKING:
    from carebond.accounts.models import User

# A preview checks the rules for this many recipients (a larger segment is counted in full,
# and its exclusions estimated from these).
PREVIEW_LIMIT = 2000
PREVIEW_ROWS = 100
# A reply within this long of a campaign message counts as a reply to it.
REPLY_WINDOW = timedelta(days=14)


def list_campaigns(organization_id: int) -> list[Campaign]:
    return list(Campaign.objects.filter(organization_id=organization_id)[:200])


@dataclass(frozen=True)
class Recipient:
    person: Person
    will_send: bool
    reason: str
    held: bool = False  # deferred to the end of the person's quiet hours


@dataclass
class Preview:
    described: str
    total: int
    checked: int
    sending: int = 0
    held: int = 0
    excluded: list[tuple[str, int]] = field(default_factory=list)
    rows: list[Recipient] = field(default_factory=list)

    @property
    def estimated(self) -> bool:
        return self.checked < self.total


def preview_campaign(
    user: User, campaign: Campaign, *, start_at: datetime | None = None
) -> Preview:
    """Who would get the campaign if it started at ``start_at``, and who would not, with the
    reason for each (the same rules as sending). An audited read of the recipients' names."""
    at = start_at or clock.now()
    segment = check_segment(campaign.segment)
    people = segment_people(campaign.organization_id, segment)
    preview = Preview(described=segment.describe(), total=people.count(), checked=0)
    reasons: Counter[str] = Counter()
    for person in people.select_related("organization")[:PREVIEW_LIMIT]:
        recipient = _recipient(campaign, person, at=at)
        preview.checked += 1
        if recipient.will_send:
            preview.sending += 1
            preview.held += recipient.held
        else:
            reasons[recipient.reason] += 1
        if len(preview.rows) < PREVIEW_ROWS:
            preview.rows.append(recipient)
    preview.excluded = reasons.most_common()
    record_access(actor=user, action="campaign.previewed", target=campaign)
    return preview


def _recipient(campaign: Campaign, person: Person, *, at: datetime) -> Recipient:
    address = contact_address(person, system=SYSTEM_FOR_CHANNEL[campaign.channel])
    if not address:
        what = "phone number" if campaign.channel == MessageChannel.SMS else "email address"
        return Recipient(person, False, f"No {what}.")
    template = find_template(
        person.organization,
        key=campaign.template_key,
        channel=campaign.channel,
        language=person.preferred_language,
    )
    extra: dict[str, object] = {"link": campaign.link} if campaign.link else {}
    body = render(
        subject="",
        body_text=template.body_text,
        body_html="",
        values=merge_values(person, language=template.language, extra=extra),
    ).body_text
    decision = compliance.decide(
        person,
        channel=campaign.channel,
        purpose=campaign.purpose,
        body=body,
        at=at,
        address=address,
        check_reassigned=False,  # (a paid look-up: asked once, when the message is queued)
    )
    if not decision.allowed:
        return Recipient(person, False, _general(decision))
    held = decision.send_at is not None and decision.send_at > at
    reason = "Held for their quiet hours." if held else "Will be sent."
    return Recipient(person, True, reason, held=held)


def _general(decision: compliance.Decision) -> str:
    """The reason without the date or count that makes each person's different, so that the
    exclusions group (the rows keep the full reason)."""
    return {
        "opted_out": "Opted out.",
        "no_consent": "No consent on record.",
        "cap": "Frequency cap reached.",
        "deceased": "Deceased.",
        "merged": "Merged record.",
        "too_long": "Too long for a message without consent.",
        "reassigned": "Number disconnected since consent (maybe someone else's now).",
    }.get(decision.code, decision.reason)


@dataclass(frozen=True)
class Results:
    recipients: int
    by_status: dict[str, int]
    replied: int
    opted_out: int

    @property
    def sent(self) -> int:
        return sum(self.by_status.get(s, 0) for s in (MessageStatus.SENT, MessageStatus.DELIVERED))


def campaign_results(campaign: Campaign) -> Results:
    """Sent, delivered, failed, blocked; replies from recipients within two weeks of their
    message; opt-outs of the campaign's purpose since it was launched. Counts only."""
    messages = Message.objects.filter(campaign=campaign)
    by_status = {
        row["status"]: row["n"] for row in messages.values("status").annotate(n=Count("id"))
    }
    went = messages.filter(status__in=[MessageStatus.SENT, MessageStatus.DELIVERED])
    first_sent = went.order_by("sent_at").values_list("sent_at", flat=True).first()
    replied = 0
    if first_sent is not None:
        replied = (
            Message.objects.filter(
                organization_id=campaign.organization_id,
                direction=Direction.INBOUND,
                person__in=went.values("person"),
                created_at__gte=first_sent,
                created_at__lte=first_sent + REPLY_WINDOW,
            )
            .values("person")
            .distinct()
            .count()
        )
    opted_out = 0
    if campaign.launched_at is not None:
        purpose = CONSENT_PURPOSE[campaign.purpose]
        opted_out = (
            ConsentRecord.objects.filter(
                person__in=messages.values("person"),
                channel=campaign.channel,
                purpose=purpose,
                status=ConsentStatus.REVOKED,
                recorded_at__gte=campaign.launched_at,
            )
            .values("person")
            .distinct()
            .count()
        )
        opted_out += OptedOutNumber.objects.filter(
            organization_id=campaign.organization_id,
            purpose=purpose,
            created_at__gte=campaign.launched_at,
            address__in=messages.filter(person__isnull=True).values("to_address"),
        ).count()
    return Results(
        recipients=sum(by_status.values()),
        by_status=by_status,
        replied=replied,
        opted_out=opted_out,
    )
