"""The worker's half of the outbox: claim due messages, check the rules once more, hand each to
its channel, and write down the answer.

Exactly once up to the provider's acceptance:
- a message is claimed by one conditional UPDATE (``queued`` -> ``sending``), committed before
  anything is sent, so two workers never hold the same row;
- after the provider takes it, ``sending`` -> ``sent`` with the provider's id, in one
  transaction with its touchpoint and audit event;
- just before the channel gets it, the row notes the hand-over (``handed_over_at``);
- a worker killed in between leaves the row ``sending``: ``scan_stale_sends`` queues it again
  if it was never handed over, else asks the provider whether it took it (texts) and marks it
  sent or queues it again; a channel that cannot be asked (plain SMTP) marks it ``uncertain``
  for staff: never sent twice.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.messaging import compliance
from carebond.messaging.channels import channel_for
from carebond.messaging.channels.base import Channel, Outgoing, SendFailure
from carebond.messaging.models import (
    CampaignStatus,
    Direction,
    Message,
    MessagePurpose,
    MessageStatus,
)
from carebond.messaging.unsubscribe_links import unsubscribe_headers
from carebond.people.models import PersonKind
from carebond.touchpoints.actions import record_touchpoint
from carebond.touchpoints.models import MomentOfTruth

logger = logging.getLogger("carebond.messaging")

BATCH = 100


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: about 30 s, 1, 2, 4 min... capped at an hour."""
    ceiling = min(3600.0, 30.0 * 2 ** max(0, attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 (jitter)


def claim_due(limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due messages for this worker: each by its own conditional UPDATE,
    so the list holds only the rows this worker changed (SKIP LOCKED keeps PostgreSQL workers
    off each other's rows; SQLite runs one writing transaction at a time)."""
    now = clock.now()
    with transaction.atomic():
        due = Message.objects.filter(status=MessageStatus.QUEUED, due_at__lte=now).order_by(
            "due_at", "id"
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        return [
            pk
            for pk in due.values_list("id", flat=True)[:limit]
            if claim(
                Message,
                pk,
                where={"status": MessageStatus.QUEUED},
                change={
                    "status": MessageStatus.SENDING,
                    "claimed_at": now,
                    "attempts": F("attempts") + 1,
                },
            )
        ]


def dispatch_due_messages(*, budget_seconds: float = 10.0) -> int:
    """Send what is due, batch after batch, until nothing is due or the budget is spent (the
    worker's other duties get their turn). Returns how many messages were handled."""
    deadline = time.monotonic() + budget_seconds
    handled = 0
    channels: dict[str, Channel | SendFailure] = {}
    while time.monotonic() < deadline:
        ids = claim_due()
        if not ids:
            break
        batch = Message.objects.filter(id__in=ids).select_related(
            "person", "person__organization", "sender", "organization", "campaign"
        )
        for message in batch.order_by("due_at", "id"):
            if time.monotonic() >= deadline:
                _release(message)  # the budget is spent: the next round sends it
                continue
            try:
                send_one(message, channels)
            except Exception as error:
                # The row stays ``sending``: the stale-send scan asks the provider about it.
                logger.error(
                    "Sending message %s failed unexpectedly (%s)",
                    message.public_id,
                    type(error).__name__,
                )
            handled += 1
    return handled


def _release(message: Message) -> None:
    """Give back a claimed message that was not tried (the claim's attempt is not counted)."""
    Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(
        status=MessageStatus.QUEUED,
        claimed_at=None,
        handed_over_at=None,
        attempts=F("attempts") - 1,
    )


def hand_over(message: Message) -> bool:
    """Renew this worker's claim and note the hand-over, just before the channel gets the
    message. False when the claim was lost (the stale-send scan took the row back from a
    worker it thought dead): then leave it alone."""
    now = clock.now()
    if not claim(
        Message,
        message.pk,
        where={"status": MessageStatus.SENDING, "claimed_at": message.claimed_at},
        change={"claimed_at": now, "handed_over_at": now},
    ):
        return False
    message.claimed_at = message.handed_over_at = now
    return True


def _channel(kind: str, channels: dict[str, Channel | SendFailure]) -> Channel:
    if kind not in channels:
        try:
            channels[kind] = channel_for(kind)
        except SendFailure as failure:
            channels[kind] = failure
    found = channels[kind]
    if isinstance(found, SendFailure):
        raise found
    return found


def outgoing(message: Message) -> Outgoing:
    headers = {"Message-ID": message.message_id_header} if message.message_id_header else {}
    # Every email but an automatic reply can be unsubscribed from in one click (RFC 8058).
    unsubscribable = message.purpose not in ("", MessagePurpose.REPLY)
    if message.channel == "email" and message.person is not None and unsubscribable:
        headers |= unsubscribe_headers(message.person, message.purpose)
    return Outgoing(
        public_id=str(message.public_id),
        to=message.to_address,
        sender=message.from_address,
        text=message.body,
        subject=message.subject,
        html=message.body_html,
        headers=headers,
        status_callback=status_callback_url(message),
    )


def status_callback_url(message: Message) -> str:
    if message.channel != "sms" or not settings.BASE_URL:
        return ""
    return f"{settings.BASE_URL.rstrip('/')}/messaging/sms/status"


def send_one(message: Message, channels: dict[str, Channel | SendFailure]) -> None:
    """Send one claimed message, or put it back, or give up on it, with the reason."""
    if message.status != MessageStatus.SENDING:
        return
    now = clock.now()
    person = message.person
    if message.campaign is not None and message.campaign.status == CampaignStatus.CANCELLED:
        _finish(message, MessageStatus.CANCELLED, reason="The campaign was cancelled.", code="")
        return
    if person is not None and message.purpose != MessagePurpose.REPLY:
        # A revocation, a death or a merge since the message was queued wins.
        verdict = compliance.decide(
            person,
            channel=message.channel,
            purpose=message.purpose,
            body=message.body,
            at=now,
            urgent=message.urgent,
            replying=message.conversation_id is not None,
            count_caps=False,
            address=message.to_address,
        )
        if not verdict.allowed:
            _finish(message, MessageStatus.BLOCKED, reason=verdict.reason, code=verdict.code)
            return
        if verdict.send_at and verdict.send_at > now:
            _requeue(message, at=verdict.send_at, reason="Held for the recipient's quiet hours.")
            return
    try:
        channel = _channel(message.channel, channels)
        if not hand_over(message):
            return
        provider_id = channel.send(outgoing(message))
    except SendFailure as failure:
        _failed(message, failure)
        return
    mark_sent(message, provider_id=provider_id)


def _requeue(message: Message, *, at: datetime, reason: str) -> None:
    """Back to the queue, if this worker still holds the claim."""
    Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(
        status=MessageStatus.QUEUED,
        due_at=at,
        status_reason=reason,
        claimed_at=None,
        handed_over_at=None,
    )


def _failed(message: Message, failure: SendFailure) -> None:
    if failure.ambiguous:
        # Maybe taken: never simply sent again. It stays handed over; once its claim is old,
        # the stale-send scan asks the provider (texts) or marks it uncertain (email).
        logger.warning("Message %s: outcome unknown (%s)", message.public_id, failure.code)
        return
    if failure.revoked and message.person is not None:
        from carebond.messaging.inbound_actions import record_provider_opt_out

        record_provider_opt_out(message)
    if failure.transient and message.attempts < settings.MESSAGING_MAX_ATTEMPTS:
        _requeue(
            message,
            at=clock.now() + backoff(message.attempts),
            reason=f"Attempt {message.attempts} failed: {failure.reason} Trying again.",
        )
        return
    if failure.transient:
        reason = f"Gave up after {message.attempts} attempts: {failure.reason}"
    else:
        reason = failure.reason
    _finish(message, MessageStatus.FAILED, reason=reason, code=failure.code)


@transaction.atomic
def _finish(message: Message, status: str, *, reason: str, code: str) -> None:
    """Audit: message.failed or message.blocked (the reason, never the words). Only while
    this worker still holds the claim."""
    changed = Message.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at
    ).update(status=status, status_reason=reason[:300], error_code=code[:40])
    if changed:
        record_audit(
            actor=None,
            action=f"message.{status}",
            target=message,
            organization=message.organization,
            patient=_patient(message),
        )


@transaction.atomic
def mark_sent(message: Message, *, provider_id: str) -> bool:
    """``sending`` -> ``sent``, with its touchpoint and audit event, all or nothing.
    Audit: message.sent."""
    now = clock.now()
    changed = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, provider_id=provider_id[:100], sent_at=now, status_reason=""
    )
    if not changed:
        return False
    if message.person is not None:
        record_touchpoint(
            message.person,
            kind="message",
            channel=message.channel,
            direction=Direction.OUTBOUND,
            occurred_at=now,
            moment_of_truth=MomentOfTruth.COMMUNICATIONS,
            summary=_summary(message),
            source=message,
            recorded_by=message.created_by,
        )
    record_audit(
        actor=None,
        action="message.sent",
        target=message,
        organization=message.organization,
        patient=_patient(message),
    )
    return True


def _summary(message: Message) -> str:
    what = MessagePurpose(message.purpose).label if message.purpose else "Message"
    how = "text" if message.channel == "sms" else "email"
    return f"{what} {how} sent" + (f" ({message.template_key})" if message.template_key else "")


def _patient(message: Message) -> object:
    person = message.person
    return person if person is not None and person.kind == PersonKind.PATIENT else None


def scan_stale_sends() -> int:
    """Messages a worker claimed and never finished (it was killed): ask the provider."""
    cutoff = clock.now() - timedelta(seconds=settings.MESSAGING_CLAIM_SECONDS)
    stale = Message.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=cutoff
    ).select_related("person", "organization")
    handled = 0
    channels: dict[str, Channel | SendFailure] = {}
    for message in stale[:500]:
        claimed_at = message.claimed_at
        assert claimed_at is not None
        # Take the row back from the dead worker first, so that two scans never both act on it.
        taken_at = clock.now()
        if not claim(
            Message,
            message.pk,
            where={"status": MessageStatus.SENDING, "claimed_at": claimed_at},
            change={"claimed_at": taken_at},
        ):
            continue
        message.claimed_at = taken_at
        handled += 1
        if message.handed_over_at is None:  # the worker died before handing it over
            if not _given_up(message):
                _requeue(message, at=clock.now(), reason="Sent again: it was never handed over.")
            continue
        try:
            channel = _channel(message.channel, channels)
            if not channel.can_reconcile:
                _finish(
                    message,
                    MessageStatus.UNCERTAIN,
                    reason="The sending worker stopped while handing this message to the mail "
                    "server, which cannot be asked whether it took it. Check with the "
                    "recipient before sending it again.",
                    code="uncertain",
                )
                continue
            candidates = channel.find_accepted(
                outgoing(message), since=claimed_at - timedelta(minutes=1)
            )
        except SendFailure:
            Message.objects.filter(pk=message.pk, claimed_at=taken_at).update(claimed_at=claimed_at)
            continue
        provider_id = _not_yet_recorded(message, candidates)
        if provider_id:
            mark_sent(message, provider_id=provider_id)
        elif not _given_up(message):
            _requeue(message, at=clock.now(), reason="Sent again: the provider never took it.")
    return handled


def _given_up(message: Message) -> bool:
    """A message whose sending never finished this many times is failed, not tried forever."""
    if message.attempts < settings.MESSAGING_MAX_ATTEMPTS:
        return False
    _finish(
        message,
        MessageStatus.FAILED,
        reason=f"Gave up after {message.attempts} attempts: sending never finished.",
        code="stalled",
    )
    return True


def _not_yet_recorded(message: Message, candidates: list[str]) -> str | None:
    """The first of the provider's ids that no other message has: two identical texts to one
    number in the same minutes must not both claim the same one."""
    recorded = set(
        Message.objects.filter(
            organization_id=message.organization_id, provider_id__in=candidates
        ).values_list("provider_id", flat=True)
    )
    return next((c for c in candidates if c not in recorded), None)
