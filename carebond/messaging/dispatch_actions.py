"""The worker's half of the outbox: claim due messages, check the rules once more, hand each to
its channel, and write down the answer.

Exactly once up to the provider's acceptance:
- a batch is claimed by one UPDATE (``queued`` -> ``sending``) of rows this transaction holds,
  committed before anything is sent, so two workers never hold the same row;
- just before the channel gets a message, the row notes the hand-over (``handed_over_at``,
  the claim renewed: a worker whose claim was taken back sends nothing);
- as soon as the provider takes it, ``sending`` -> ``sent`` with the provider's id; the
  batch's touchpoints and audit events follow in one transaction (``recorded_at``);
- a worker killed in between leaves the row ``sending``: ``scan_stale_sends`` queues it again
  if it was never handed over, else asks the provider whether it took it (texts) and marks it
  sent or queues it again; a channel that cannot be asked (plain SMTP) marks it ``uncertain``
  for staff: never sent twice. The scan also writes the touchpoints and audit events of sent
  messages whose worker died before it wrote them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When

from carebond.audit.recording import record_audit, record_audit_many
from carebond.core import clock
from carebond.core.claims import claim
from carebond.messaging import compliance
from carebond.messaging.attachments import unpack
from carebond.messaging.channels import channel_for
from carebond.messaging.channels.base import Channel, Outgoing, SendFailure
from carebond.messaging.models import (
    CampaignStatus,
    Direction,
    Message,
    MessagePurpose,
    MessageStatus,
    Sender,
)
from carebond.messaging.reply_addresses import reply_address
from carebond.messaging.unsubscribe_links import unsubscribe_headers
from carebond.people.models import PersonKind
from carebond.touchpoints.actions import record_touchpoints
from carebond.touchpoints.models import MomentOfTruth, Touchpoint

logger = logging.getLogger("carebond.messaging")

BATCH = 100


def backoff(attempt: int) -> timedelta:
    """Exponential backoff with jitter: about 30 s, 1, 2, 4 min... capped at an hour."""
    ceiling = min(3600.0, 30.0 * 2 ** max(0, attempt - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 (jitter)


def claim_due(limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due messages for this worker in one UPDATE, no faster than each
    sender's rate allows (``throttle``). The rows are this transaction's while it runs (locked
    with SKIP LOCKED on PostgreSQL, so other workers pass them by; SQLite runs one writing
    transaction at a time), so every row it names is taken."""
    now = clock.now()
    with transaction.atomic():
        due = (
            Message.objects.filter(status=MessageStatus.QUEUED, due_at__lte=now)
            .filter(
                Q(sender__isnull=True)
                | Q(sender__throttled_until__isnull=True)
                | Q(sender__throttled_until__lte=now)
            )
            .order_by("due_at", "id")
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = throttle(list(due.values_list("id", "sender_id")[:limit]), now=now)
        taken = Message.objects.filter(id__in=ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if taken != len(ids):  # (never, while the rows are locked: then keep only ours)
            ours = set(
                Message.objects.filter(
                    id__in=ids, status=MessageStatus.SENDING, claimed_at=now
                ).values_list("id", flat=True)
            )
            ids = [pk for pk in ids if pk in ours]
        return ids


# The carrier's limit is per second: a sender may send its second's worth at once, then one
# more each 1/rate seconds (the generic cell rate algorithm, with one second of burst).
THROTTLE_WINDOW = timedelta(seconds=1)


def throttle(due: list[tuple[int, int | None]], *, now: datetime) -> list[int]:
    """Of the due (message, sender) pairs, those each sender's rate lets go now, in order;
    the senders' rates are used up accordingly, shared by every worker (each sender's row is
    locked while its share is worked out). Messages without a sender are never held."""
    wanted: dict[int, int] = {}
    for _, sender_id in due:
        if sender_id is not None:
            wanted[sender_id] = wanted.get(sender_id, 0) + 1
    senders = Sender.objects.filter(id__in=wanted).order_by("id")
    if connection.vendor == "postgresql":
        senders = senders.select_for_update()
    allowed: dict[int | None, int] = {None: len(due)}
    for sender in senders:
        gap = timedelta(seconds=1 / max(1, sender.per_second))
        # The moment the sender's next message would be on time (its "theoretical arrival").
        on_time = now
        if sender.throttled_until is not None:
            on_time = max(now, sender.throttled_until + THROTTLE_WINDOW - gap)
        room = int((now + THROTTLE_WINDOW - on_time) / gap + 1e-9)
        allowed[sender.pk] = count = max(0, min(room, wanted[sender.pk]))
        if count:
            throttled_until = on_time + gap * count - THROTTLE_WINDOW + gap
            Sender.objects.filter(pk=sender.pk).update(throttled_until=throttled_until)
    ids = []
    for pk, sender_id in due:
        if allowed.get(sender_id, 0) > 0:
            allowed[sender_id] -= 1
            ids.append(pk)
    return ids


def dispatch_due_messages(*, budget_seconds: float = 10.0) -> int:
    """Send what is due, batch after batch, until nothing is due or the budget is spent (the
    worker's other duties get their turn). Returns how many messages were handled.

    Each message is marked sent the moment its provider takes it; the batch's touchpoints and
    audit events are then written together (``record_sent``), which keeps the database's
    share of each send small."""
    deadline = time.monotonic() + budget_seconds
    handled = 0
    with open_channels() as channels:
        while time.monotonic() < deadline:
            ids = claim_due()
            if not ids:
                break
            batch = list(
                Message.objects.filter(id__in=ids)
                .select_related("person", "person__organization", "sender", "organization")
                .select_related("campaign")
                .order_by("due_at", "id")
            )
            ledger = compliance.Ledger.load(
                [m.person for m in batch if m.person is not None],
                numbers=[m.to_address for m in batch if m.channel == "sms"],
            )
            sent: list[Message] = []
            try:
                handled += send_batch(batch, channels, ledger, sent=sent, deadline=deadline)
            finally:
                record_sent(sent)
    return handled


@contextmanager
def open_channels() -> Iterator[dict[str, Channel | SendFailure]]:
    """The channels a round of sending uses, made once and closed at the end (the mail
    server's connection stays open from one email to the next)."""
    channels: dict[str, Channel | SendFailure] = {}
    try:
        yield channels
    finally:
        for channel in channels.values():
            if not isinstance(channel, SendFailure):
                channel.close()


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


def hand_over(messages: list[Message]) -> list[Message]:
    """Renew this worker's claim on the messages and note the hand-over, just before the
    channel gets them. Those whose claim was lost (the stale-send scan took them back from a
    worker it thought dead) are left out: leave them alone."""
    if not messages:
        return []
    now = clock.now()
    changed = 0
    for claimed_at in {m.claimed_at for m in messages}:  # (one claim: usually one UPDATE)
        changed += Message.objects.filter(
            id__in=[m.pk for m in messages if m.claimed_at == claimed_at],
            status=MessageStatus.SENDING,
            claimed_at=claimed_at,
        ).update(claimed_at=now, handed_over_at=now)
    if changed == len(messages):
        ours = {m.pk for m in messages}
    else:
        ours = set(
            Message.objects.filter(
                id__in=[m.pk for m in messages], claimed_at=now, handed_over_at=now
            ).values_list("id", flat=True)
        )
    held = [m for m in messages if m.pk in ours]
    for message in held:
        message.claimed_at = message.handed_over_at = now
    return held


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
    if message.channel == "email" and (answer_to := reply_address(message.public_id)):
        headers["Reply-To"] = answer_to
    return Outgoing(
        public_id=str(message.public_id),
        to=message.to_address,
        sender=message.from_address,
        text=message.body,
        subject=message.subject,
        html=message.body_html,
        headers=headers,
        status_callback=status_callback_url(message),
        attachments=unpack(message.attachments) if message.channel == "email" else (),
    )


def status_callback_url(message: Message) -> str:
    if message.channel != "sms" or not settings.BASE_URL:
        return ""
    return f"{settings.BASE_URL.rstrip('/')}/messaging/sms/status"


# How many messages a channel that can be asked what it took is handed in one go: a worker
# killed during the run leaves them handed over, and the stale-send scan asks the provider.
RUN = 25


def fresh_seconds() -> float:
    """How long a hand-over may be used to send on: a small part of the time after which the
    stale-send scan takes a claim back from a worker it thinks dead."""
    return float(settings.MESSAGING_CLAIM_SECONDS) / 8


def send_batch(
    batch: list[Message],
    channels: dict[str, Channel | SendFailure],
    ledger: compliance.Ledger | None = None,
    *,
    sent: list[Message],
    deadline: float = float("inf"),
) -> int:
    """Send claimed messages, or put them back, or give up on them, each with its reason;
    those sent are added to ``sent`` (their touchpoints and audit events are the caller's to
    write: ``record_sent``). Returns how many were handled; the rest (the budget ran out) go
    back to the queue untouched.

    Each message is handed over just before it is sent (its claim renewed, the moment noted),
    so a worker whose claim was taken back sends nothing. A channel that can be asked what it
    took (texts) has its messages handed over and marked sent a run at a time; one that
    cannot (plain SMTP) one by one, so that a killed worker leaves at most one email in doubt."""
    cleared = [m for m in batch if _cleared(m, ledger)]
    handled = len(batch) - len(cleared)
    by_channel: dict[str, list[Message]] = {}
    for message in cleared:
        by_channel.setdefault(message.channel, []).append(message)
    for kind, messages in by_channel.items():
        try:
            channel = _channel(kind, channels)
        except SendFailure as failure:
            for message in messages:
                _failed(message, failure)
            handled += len(messages)
            continue
        run = RUN if channel.can_reconcile else 1
        queue = messages
        while queue:
            if time.monotonic() >= deadline:  # the budget is spent: the next round sends them
                for message in queue:
                    _release(message)
                break
            # (timed from before the hand-over is written: a worker stalled while writing it
            # holds a claim the stale-send scan may already see as old)
            handed_at = time.monotonic()
            held, queue = hand_over(queue[:run]), queue[run:]
            taken = []
            for n, message in enumerate(held):
                if time.monotonic() - handed_at > fresh_seconds():
                    # The claims grow old (a slow provider, a busy machine): renew them before
                    # sending on, or the stale-send scan could take them back and send them too.
                    queue = held[n:] + queue
                    break
                handled += 1
                try:
                    taken.append((message, channel.send(outgoing(message))))
                except SendFailure as failure:
                    _failed(message, failure)
                except Exception as error:
                    _unexpected(message, error)
            sent += mark_sent(taken)
    return handled


def send_one(
    message: Message,
    channels: dict[str, Channel | SendFailure],
    ledger: compliance.Ledger | None = None,
) -> bool:
    """Send one claimed message (see send_batch). True when it was sent."""
    sent: list[Message] = []
    send_batch([message], channels, ledger, sent=sent)
    return bool(sent)


def _cleared(message: Message, ledger: compliance.Ledger | None) -> bool:
    """Whether the rules still let the message go now; if not, it is blocked, cancelled or
    put back for later, with the reason."""
    if message.status != MessageStatus.SENDING:
        return False
    try:
        return _check(message, ledger)
    except Exception as error:
        _unexpected(message, error)  # one broken message never stops the others
        return False


def _unexpected(message: Message, error: Exception) -> None:
    # The row stays ``sending``: the stale-send scan settles it, and gives up after the
    # allowed attempts.
    logger.error(
        "Sending message %s failed unexpectedly (%s)", message.public_id, type(error).__name__
    )


def _check(message: Message, ledger: compliance.Ledger | None) -> bool:
    now = clock.now()
    person = message.person
    if message.campaign is not None and message.campaign.status == CampaignStatus.CANCELLED:
        _finish(message, MessageStatus.CANCELLED, reason="The campaign was cancelled.", code="")
        return False
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
            ledger=ledger,
        )
        if not verdict.allowed:
            _finish(message, MessageStatus.BLOCKED, reason=verdict.reason, code=verdict.code)
            return False
        if verdict.send_at and verdict.send_at > now:
            _requeue(message, at=verdict.send_at, reason="Held for the recipient's quiet hours.")
            return False
    return True


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


def mark_sent(taken: list[tuple[Message, str]]) -> list[Message]:
    """``sending`` -> ``sent`` with each provider's id, once the provider took them: from here
    on no scan sends them again. Their touchpoints and audit events follow (``record_sent``).
    Returns the messages this call marked."""
    if not taken:
        return []
    now = clock.now()
    ids = [message.pk for message, _ in taken]
    provider_ids: Any = (
        Value(taken[0][1][:100])  # one email at a time: no need for a CASE per row
        if len(taken) == 1
        else Case(
            *(When(pk=message.pk, then=Value(pid[:100])) for message, pid in taken),
            default=F("provider_id"),
        )
    )
    changed = Message.objects.filter(id__in=ids, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT, sent_at=now, status_reason="", provider_id=provider_ids
    )
    if changed == len(taken):
        ours = set(ids)
    else:
        ours = set(
            Message.objects.filter(id__in=ids, status=MessageStatus.SENT, sent_at=now).values_list(
                "id", flat=True
            )
        )
    marked = []
    for message, provider_id in taken:
        if message.pk in ours:
            message.status, message.sent_at = MessageStatus.SENT, now
            message.provider_id = provider_id[:100]
            marked.append(message)
    return marked


@transaction.atomic
def record_sent(messages: list[Message]) -> int:
    """Write the touchpoints and audit events of sent messages, all or nothing, each once: a
    message whose records another worker or the scan already wrote is skipped.
    Audit: message.sent."""
    if not messages:
        return 0
    now = clock.now()
    unrecorded = Message.objects.filter(
        id__in=[m.pk for m in messages], sent_at__isnull=False, recorded_at__isnull=True
    )
    if connection.vendor == "postgresql":
        unrecorded = unrecorded.select_for_update(of=("self",))
    ours = set(unrecorded.values_list("id", flat=True))
    messages = [m for m in messages if m.pk in ours]
    Message.objects.filter(id__in=ours).update(recorded_at=now)
    record_touchpoints(
        [
            Touchpoint(
                organization_id=m.organization_id,
                person=m.person,
                kind="message",
                channel=m.channel,
                direction=Direction.OUTBOUND,
                occurred_at=m.sent_at or now,
                moment_of_truth=MomentOfTruth.COMMUNICATIONS,
                summary=_summary(m),
                source_type="messaging.message",
                source_id=str(m.public_id),
                recorded_by_id=m.created_by_id,
                recorded_at=now,
            )
            for m in messages
            if m.person is not None
        ]
    )
    by_organization: dict[int, list[Message]] = {}
    for m in messages:
        by_organization.setdefault(m.organization_id, []).append(m)
    for same in by_organization.values():
        record_audit_many(
            actor=None,
            action="message.sent",
            organization=same[0].organization,
            targets=[(m, _patient(m), ()) for m in same],
        )
    return len(messages)


def _summary(message: Message) -> str:
    what = MessagePurpose(message.purpose).label if message.purpose else "Message"
    how = "text" if message.channel == "sms" else "email"
    return f"{what} {how} sent" + (f" ({message.template_key})" if message.template_key else "")


def _patient(message: Message) -> object:
    person = message.person
    return person if person is not None and person.kind == PersonKind.PATIENT else None


def scan_stale_sends() -> int:
    """Messages a worker claimed and never finished (it was killed): ask the provider. And
    sent messages whose touchpoint and audit event a killed worker never wrote: write them."""
    cutoff = clock.now() - timedelta(seconds=settings.MESSAGING_CLAIM_SECONDS)
    stale = Message.objects.filter(
        status=MessageStatus.SENDING, claimed_at__lt=cutoff
    ).select_related("person", "organization")
    with open_channels() as channels:
        handled = sum(_reconcile(message, channels) for message in stale[:500])
    unrecorded = Message.objects.filter(
        direction=Direction.OUTBOUND, sent_at__lt=cutoff, recorded_at__isnull=True
    ).select_related("person", "organization")
    return handled + record_sent(list(unrecorded[:1000]))


def _reconcile(message: Message, channels: dict[str, Channel | SendFailure]) -> bool:
    """Take one stale message back and settle it: queued again, sent after all, uncertain
    or given up. False when another scan took it first."""
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
        return False
    message.claimed_at = taken_at
    if message.handed_over_at is None:  # the worker died before handing it over
        if not _given_up(message):
            _requeue(message, at=clock.now(), reason="Sent again: it was never handed over.")
        return True
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
            return True
        candidates = channel.find_accepted(
            outgoing(message), since=claimed_at - timedelta(minutes=1)
        )
    except SendFailure:
        Message.objects.filter(pk=message.pk, claimed_at=taken_at).update(claimed_at=claimed_at)
        return True
    provider_id = _not_yet_recorded(message, candidates)
    if provider_id:
        record_sent(mark_sent([(message, provider_id)]))
    elif not _given_up(message):
        _requeue(message, at=clock.now(), reason="Sent again: the provider never took it.")
    return True


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
