"""Reads of the messaging app: the inbox, a thread, templates, and counts for home panels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.db.models import Q, QuerySet

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.errors import InvalidInput
from carebond.messaging import compliance
from carebond.messaging.actions import find_template, merge_values
from carebond.messaging.keywords import normalise
from carebond.messaging.models import (
    Conversation,
    ConversationStatus,
    InboxNote,
    Message,
    MessageChannel,
    MessageStatus,
    MessageTemplate,
    RevocationRequest,
    RevocationStatus,
    SecureNote,
)
from carebond.messaging.office_hours import schedule_for
from carebond.messaging.wording import render
from carebond.people.models import ContactSystem, Person, PersonKind
from carebond.people.selectors import people_reached_at

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.core.models import Organization

INBOX_VIEWS = ("waiting", "mine", "triage", "all", "closed")


def list_conversations(
    user: User, *, view: str = "waiting", limit: int = 100, topic: str = ""
) -> list[Conversation]:
    """The inbox page's list (of one topic's conversations, when ``topic`` is given): an
    audited read (names and numbers of the people writing in)."""
    found = _conversations(user, view=view, limit=limit, topic=topic)
    if found:
        record_access(
            actor=user, target=None, action="conversations.listed", organization=user.organization
        )
    return found


def oldest_waiting(user: User, *, limit: int) -> list[Conversation]:
    """The few conversations waiting longest, for the home panel (the way into the inbox, as the
    patients-you-worked-with panel is into People)."""
    return _conversations(user, view="waiting", limit=limit)


def _conversations(user: User, *, view: str, limit: int, topic: str = "") -> list[Conversation]:
    """The shared inbox. ``waiting``: open conversations with a message to answer, oldest wait
    first; ``mine``: assigned to the user; ``triage``: from numbers nobody or several people
    have; ``closed``. Snoozed conversations come back when their time is up."""
    now = clock.now()
    base = Conversation.objects.filter(organization_id=user.organization_id).select_related(
        "person", "assigned_to", "sender", "viewing_by"
    )
    if topic:
        base = base.filter(topic=topic)
    awake = _awake(now)
    chosen: QuerySet[Conversation]
    if view == "waiting":
        chosen = base.filter(awake, waiting_since__isnull=False).order_by("waiting_since", "id")
    elif view == "mine":
        chosen = base.filter(awake, assigned_to=user)
    elif view == "triage":
        chosen = base.filter(awake, person__isnull=True)
    elif view == "closed":
        chosen = base.filter(status=ConversationStatus.CLOSED)
    else:
        chosen = base.filter(awake)
    return list(chosen[:limit])


def _awake(now: datetime) -> Q:
    """Open, or snoozed until a time now past."""
    return Q(status=ConversationStatus.OPEN) | Q(
        status=ConversationStatus.SNOOZED, snoozed_until__lte=now
    )


def count_waiting(user: User) -> int:
    return Conversation.objects.filter(
        _awake(clock.now()), organization_id=user.organization_id, waiting_since__isnull=False
    ).count()


@dataclass
class Thread:
    conversation: Conversation
    messages: list[Message]
    notes: list[InboxNote]
    revocations: list[RevocationRequest]


# A conversation page shows its newest messages; older ones stay stored (and on the timeline).
THREAD_LENGTH = 500


def get_thread(user: User, conversation: Conversation) -> Thread:
    """A conversation's newest messages and its notes, oldest first. An audited PHI read."""
    person = conversation.person
    record_access(
        actor=user,
        action="conversation.viewed",
        target=conversation,
        patient=person if person is not None and person.kind == PersonKind.PATIENT else None,
    )
    newest = (
        Message.objects.filter(conversation=conversation)
        .select_related("person", "conversation", "campaign")
        .order_by("-created_at", "-id")
    )
    messages = list(reversed(newest[:THREAD_LENGTH]))
    return Thread(
        conversation=conversation,
        messages=messages,
        notes=list(conversation.notes.select_related("author")),
        revocations=list(
            RevocationRequest.objects.filter(
                message__conversation=conversation, status=RevocationStatus.PENDING
            ).select_related("message")
        ),
    )


def list_templates(organization_id: int) -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(organization_id=organization_id))


def count_pending_revocations(user: User) -> int:
    """Replies that read like an opt-out and wait for staff (a count: no PHI is read)."""
    return RevocationRequest.objects.filter(
        organization_id=user.organization_id, status=RevocationStatus.PENDING
    ).count()


def conversation_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    """How the audit trail names conversations: with the person's name, or the number."""
    conversations = Conversation.objects.filter(
        organization_id=organization_id, public_id__in=public_ids
    ).select_related("person")
    return {
        str(c.public_id): f"Conversation with {c.person.display_name if c.person else c.address}"
        for c in conversations
    }


def message_names(organization_id: int, public_ids: list[str]) -> dict[str, str]:
    """How the audit trail names messages: what and to or from whom (never the words)."""
    messages = Message.objects.filter(
        organization_id=organization_id, public_id__in=public_ids
    ).select_related("person")
    names = {}
    for m in messages:
        who = m.person.display_name if m.person else (m.to_address or m.from_address)
        what = m.get_purpose_display() or "Message"
        way = "to" if m.direction == "outbound" else "from"
        names[str(m.public_id)] = f"{what} {m.get_channel_display().lower()} {way} {who}"
    return names


def list_messages_of_person(person_id: int, *, limit: int = 10) -> list[Message]:
    return list(
        Message.objects.filter(person_id=person_id)
        .select_related("person", "conversation", "campaign")
        .order_by("-created_at", "-id")[:limit]
    )


def people_on_the_number(user: User, conversation: Conversation) -> list[Person]:
    """Who a triage conversation might be with: the people who have its number (a household
    shares one). Their names are shown to inbox users on the conversation page: an audited
    read."""
    if conversation.channel != MessageChannel.SMS:
        return []
    found = people_reached_at(
        conversation.organization_id, system=ContactSystem.PHONE, value=conversation.address
    )
    if found:
        record_access(
            actor=user, target=None, action="people.on_the_number", organization=user.organization
        )
    return found


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    waited_minutes: int | None  # office minutes since the oldest unanswered message
    overdue: bool  # past the reply target


def with_reply_clock(
    organization: Organization, conversations: list[Conversation]
) -> list[InboxRow]:
    """Each conversation with how long it has waited in office time, and whether that is past
    the reply target (settings.MESSAGING_REPLY_TARGET_MINUTES, in office minutes)."""
    schedule = schedule_for(organization)
    now = clock.now()
    target = settings.MESSAGING_REPLY_TARGET_MINUTES
    rows = []
    for conversation in conversations:
        waited = None
        if conversation.waiting_since is not None:
            waited = int(schedule.office_seconds(conversation.waiting_since, now) // 60)
        rows.append(InboxRow(conversation, waited, waited is not None and waited > target))
    return rows


CANNED_PREFIX = "canned_"


def canned_replies(organization: Organization) -> list[tuple[str, str]]:
    """(key, name) of the organisation's canned replies (editable templates named canned_*)."""
    seen: dict[str, str] = {}
    for template in MessageTemplate.objects.filter(
        organization=organization, key__startswith=CANNED_PREFIX, channel=MessageChannel.SMS
    ).order_by("key", "language"):
        seen.setdefault(template.key, template.name.removeprefix("Canned: "))
    return list(seen.items())


def canned_reply_text(conversation: Conversation, key: str) -> str:
    """A canned reply in the person's language, filled in for them; "" for an unknown key."""
    if not key.startswith(CANNED_PREFIX) or conversation.person is None:
        return ""
    person = conversation.person
    try:
        template = find_template(
            person.organization,
            key=key,
            channel=MessageChannel.SMS,
            language=person.preferred_language,
        )
    except InvalidInput:
        return ""
    values = merge_values(person, language=template.language, extra={})
    return render(subject="", body_text=template.body_text, body_html="", values=values).body_text


def find_secure_note(public_id: UUID) -> SecureNote | None:
    """A secure reply by its link (public: the birth date is asked before anything shows)."""
    return (
        SecureNote.objects.select_related("person", "organization")
        .filter(public_id=public_id)
        .first()
    )


def messages_with_key_prefix(organization_id: int, prefix: str) -> QuerySet[Message]:
    """The messages another app queued under keys it made (``<prefix>:...``): an appointment's
    reminders, to withdraw them when it is cancelled or moved."""
    return Message.objects.filter(
        organization_id=organization_id, idempotency_key__startswith=f"{prefix}:"
    )


def quiet_hours_until(person: Person, *, purpose: str, at: datetime) -> datetime | None:
    """When the person's quiet hours end, if ``at`` falls in them (their time zone, or every
    zone they might be in): another app's messages that cannot wait, such as a waitlist offer
    that expires, are not started at night."""
    allowed = compliance.next_allowed_time(person, purpose=purpose, at=at)
    return allowed if allowed > at else None


def blocked_reasons(organization_id: int, prefixes: list[str]) -> dict[str, str]:
    """Why messages another app queued under these key prefixes were never sent (blocked by
    the rules: no consent, no number, an opt-out), the first reason per prefix, in one query:
    an appointment's reminders that will not go, for staff to see beside the visit."""
    if not prefixes:
        return {}
    under = Q()
    for prefix in prefixes:
        under |= Q(idempotency_key__startswith=f"{prefix}:")
    found: dict[str, str] = {}
    for key, reason in (
        Message.objects.filter(under, organization_id=organization_id)
        .filter(status=MessageStatus.BLOCKED)
        .order_by("due_at", "id")
        .values_list("idempotency_key", "status_reason")
    ):
        prefix = next(p for p in prefixes if key.startswith(f"{p}:"))
        found.setdefault(prefix, reason)
    return found


def reply_words(message: Message) -> str:
    """An inbound text's words as keywords are read ("  sí. " -> "SI"): another app's reply
    handler reads its own words the same way."""
    return normalise(message.body)
