"""Writes of campaigns and recalls: create one for a segment, launch it (each recipient's
message queued for its slot, throttled to the sender's rate), cancel it, and mark it finished
when nothing of it is left to send.

A launched campaign is ordinary outbox rows: the same rules refuse a message when it is queued
(stored as ``blocked`` with the reason, which is the campaign's exclusion list) and again just
before it is sent (an opt-out in between wins).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.errors import InvalidFields, InvalidInput, RuleViolation
from carebond.core.models import Organization
from carebond.messaging.actions import cancel_queued_messages, check_queue_message, pick_sender
from carebond.messaging.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageChannel,
    MessagePurpose,
    MessageStatus,
    MessageTemplate,
)
from carebond.messaging.segments import check_segment, segment_people

if TYPE_CHECKING:
    from carebond.accounts.models import User

# What a campaign may be for: appointments come from scheduling, replies from the inbox.
CAMPAIGN_PURPOSES = (MessagePurpose.MARKETING, MessagePurpose.SURVEY, MessagePurpose.CARE)
# Links go on the organisation's own domain: public shorteners are what carriers filter as spam.
PUBLIC_SHORTENERS = frozenset(
    {
        "bit.ly",
        "tinyurl.com",
        "t.co",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
    }
)
FURTHEST_START = timedelta(days=90)


def campaign_templates(organization: Organization) -> list[tuple[str, str, str]]:
    """(key, channel, name) of the templates a campaign may send, once per key and channel."""
    seen: dict[tuple[str, str], str] = {}
    for template in MessageTemplate.objects.filter(
        organization=organization, purpose__in=CAMPAIGN_PURPOSES
    ).order_by("key", "channel", "language"):
        seen.setdefault((template.key, template.channel), template.name)
    return [(key, channel, name) for (key, channel), name in seen.items()]


@transaction.atomic
def check_create_campaign(
    organization: Organization,
    *,
    name: str,
    template_key: str,
    channel: str,
    segment: dict[str, Any],
    link: str = "",
    acting_user: User,
) -> Campaign:
    """A draft: nothing is queued until it is launched. Audit: campaign.created."""
    errors: list[InvalidInput] = []
    name = name.strip()
    if not name:
        errors.append(InvalidInput("Give the campaign a name.", field="name"))
    template = MessageTemplate.objects.filter(
        organization=organization, key=template_key, channel=channel
    ).first()
    if template is None:
        errors.append(
            InvalidInput(f"There is no template {template_key!r} for {channel}.", field="template")
        )
    elif template.purpose not in CAMPAIGN_PURPOSES:
        errors.append(
            InvalidInput(
                f"{template.name} is an {template.get_purpose_display().lower()} message: "
                "campaigns send marketing, survey or care messages.",
                field="template",
            )
        )
    try:
        rules = check_segment(segment)
    except InvalidFields as error:
        errors.extend(error.errors)
    try:
        link = check_link(link)
    except InvalidInput as error:
        errors.append(error)
    if errors:
        raise InvalidFields(errors)
    assert template is not None
    campaign = Campaign.objects.create(
        organization=organization,
        name=name[:200],
        template_key=template.key,
        channel=channel,
        purpose=template.purpose,
        segment=rules.as_json(),
        link=link,
        created_by=acting_user,
    )
    record_audit(actor=acting_user, action="campaign.created", target=campaign)
    return campaign


def check_link(link: str) -> str:
    """An https link on a domain of the organisation's, never a public shortener."""
    link = link.strip()
    if not link:
        return ""
    parts = urlsplit(link)
    if parts.scheme != "https" or not parts.hostname:
        raise InvalidInput("The link must be a full https:// address.", field="link")
    if parts.hostname.lower().removeprefix("www.") in PUBLIC_SHORTENERS:
        raise InvalidInput(
            f"{parts.hostname} is a public link shortener, which carriers treat as spam: link "
            "to your own website instead.",
            field="link",
        )
    return link


@transaction.atomic
def check_launch_campaign(
    campaign: Campaign, *, start_at: datetime | None, acting_user: User
) -> int:
    """Queue each recipient's message for its slot: the sender's rate apart, from ``start_at``
    (now when not given). Returns how many will be sent; the rest are stored as blocked, with
    the reason. Audit: campaign.launched (and each message's own event)."""
    now = clock.now()
    start = start_at or now
    if start < now - timedelta(minutes=1):
        raise InvalidInput("Choose a start time that is not in the past.", field="start_at")
    if start > now + FURTHEST_START:
        raise InvalidInput("Start within 90 days.", field="start_at")
    sender = pick_sender(
        campaign.organization_id, channel=campaign.channel, purpose=campaign.purpose
    )
    if sender is None:
        raise RuleViolation(
            f"No sender is set up for {campaign.get_purpose_display().lower()} "
            f"{MessageChannel(campaign.channel).label.lower()}s.",
            code="no_sender",
        )
    if not claim(
        Campaign,
        campaign.pk,
        where={"status": CampaignStatus.DRAFT},
        change={"status": CampaignStatus.SCHEDULED, "launched_at": now, "scheduled_for": start},
    ):
        raise RuleViolation("This campaign was launched already.", code="campaign_launched")
    queued = 0
    spacing = timedelta(seconds=1 / max(1, sender.per_second))
    people = segment_people(campaign.organization_id, check_segment(campaign.segment))
    for person in people.select_related("organization"):
        message = check_queue_message(
            person,
            purpose=campaign.purpose,
            channel=campaign.channel,
            template_key=campaign.template_key,
            idempotency_key=f"campaign:{campaign.public_id}:{person.public_id}",
            extra={"link": campaign.link} if campaign.link else {},
            acting_user=acting_user,
            campaign=campaign,
            not_before=start + spacing * queued,
        )
        queued += message.status == MessageStatus.QUEUED
    campaign.refresh_from_db()
    record_audit(actor=acting_user, action="campaign.launched", target=campaign)
    return queued


@transaction.atomic
def do_cancel_campaign(campaign: Campaign, *, acting_user: User) -> int:
    """Stop what has not gone yet. Returns how many messages were cancelled.
    Audit: campaign.cancelled."""
    if not claim(
        Campaign,
        campaign.pk,
        where={"status__in": [CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]},
        change={"status": CampaignStatus.CANCELLED, "finished_at": clock.now()},
    ):
        raise RuleViolation("Only a draft or scheduled campaign can be cancelled.")
    cancelled = cancel_queued_messages(
        Message.objects.filter(campaign=campaign), reason="The campaign was cancelled."
    )
    campaign.refresh_from_db()
    record_audit(actor=acting_user, action="campaign.cancelled", target=campaign)
    return cancelled


def scan_finished_campaigns() -> int:
    """A scheduled campaign with nothing left to send is finished."""
    finished = 0
    for campaign in Campaign.objects.filter(status=CampaignStatus.SCHEDULED):
        left = Message.objects.filter(
            campaign=campaign, status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
        )
        if not left.exists():
            finished += claim(
                Campaign,
                campaign.pk,
                where={"status": CampaignStatus.SCHEDULED},
                change={"status": CampaignStatus.FINISHED, "finished_at": clock.now()},
            )
    return finished
