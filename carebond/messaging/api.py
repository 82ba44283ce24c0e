"""The messaging API: the shared inbox's conversations and replies, and a person's messages
(read, and queue one from a template). Mounted at /messaging and under /people."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.audit.recording import record_access
from carebond.core.errors import InvalidInput
from carebond.messaging import actions
from carebond.messaging.access import INBOX_USERS, access_conversation
from carebond.messaging.campaign_actions import check_link
from carebond.messaging.models import Conversation, Message
from carebond.messaging.schemas import (
    ConversationDetailOut,
    ConversationOut,
    ConversationQuery,
    MessageIn,
    MessageOut,
    ReplyIn,
)
from carebond.messaging.selectors import get_thread, list_conversations, list_messages_of_person
from carebond.messaging.wording import MERGE_FIELDS
from carebond.people.access import access_person
from carebond.people.models import PersonKind

router = Router(tags=["messaging"])
people_router = Router(tags=["messaging"])
AUTH = policy_auth(INBOX_USERS)
PERSON_MESSAGES = 100
# Merge fields filled from the person's and organisation's records, never by the caller.
COMPUTED_FIELDS = frozenset(
    {"preferred_name", "organization", "call_back_number", "unsubscribe_link"}
)


def message_out(message: Message) -> MessageOut:
    return MessageOut(
        id=message.public_id,
        direction=message.direction,
        channel=message.channel,
        purpose=message.purpose,
        status=message.status,
        status_reason=message.status_reason,
        error_code=message.error_code,
        subject=message.subject,
        body=message.body,
        to_address=message.to_address,
        from_address=message.from_address,
        template=message.template_key,
        language=message.language,
        created_at=message.created_at,
        due_at=message.due_at,
        sent_at=message.sent_at,
        delivered_at=message.delivered_at,
        person_id=message.person.public_id if message.person else None,
        conversation_id=message.conversation.public_id if message.conversation else None,
        campaign_id=message.campaign.public_id if message.campaign else None,
    )


def conversation_out(conversation: Conversation) -> ConversationOut:
    assignee = conversation.assigned_to
    return ConversationOut(
        id=conversation.public_id,
        person_id=conversation.person.public_id if conversation.person else None,
        channel=conversation.channel,
        address=conversation.address,
        sender=conversation.sender.label if conversation.sender else "",
        status=conversation.status,
        unread=conversation.unread,
        waiting_since=conversation.waiting_since,
        last_message_at=conversation.last_message_at,
        assigned_to=assignee.username if assignee else None,
        topic=conversation.topic,
    )


@router.get(
    "/conversations",
    response=list[ConversationOut],
    auth=AUTH,
    summary="The shared inbox: waiting (oldest first), mine, triage or closed (audited read)",
)
def conversations(request: HttpRequest, query: Query[ConversationQuery]) -> list[ConversationOut]:
    return [conversation_out(c) for c in list_conversations(acting_user(request), view=query.view)]


@router.get(
    "/conversations/{conversation_id}",
    response=ConversationDetailOut,
    auth=AUTH,
    summary="A conversation and its messages (audited read)",
)
def conversation(request: HttpRequest, conversation_id: UUID) -> ConversationDetailOut:
    user = acting_user(request)
    found = access_conversation(user, conversation_id)
    thread = get_thread(user, found)
    return ConversationDetailOut(
        **conversation_out(found).model_dump(),
        messages=[message_out(m) for m in thread.messages],
    )


@router.post(
    "/conversations/{conversation_id}/replies",
    response={201: MessageOut},
    auth=AUTH,
    summary="Reply in a conversation (queued; the worker sends it)",
)
def reply(request: HttpRequest, conversation_id: UUID, payload: ReplyIn) -> Status[MessageOut]:
    user = acting_user(request)
    found = access_conversation(user, conversation_id)
    message = actions.check_reply(
        found, body=payload.body, acting_user=user, key=str(payload.key or "")
    )
    return Status(201, message_out(message))


@people_router.get(
    "/{person_id}/messages",
    response=list[MessageOut],
    auth=AUTH,
    summary="A person's newest messages, both ways (audited read)",
)
def person_messages(request: HttpRequest, person_id: UUID) -> list[MessageOut]:
    user = acting_user(request)
    person = access_person(user, person_id)
    found = list_messages_of_person(person.pk, limit=PERSON_MESSAGES)
    record_access(
        actor=user,
        action="messages.listed",
        target=person,
        patient=person if person.kind == PersonKind.PATIENT else None,
    )
    return [message_out(m) for m in found]


@people_router.post(
    "/{person_id}/messages",
    response={201: MessageOut},
    auth=AUTH,
    summary="Queue a message to a person from a template (checked by every rule; a refused "
    "one is stored as blocked, with the reason)",
)
def queue_message(request: HttpRequest, person_id: UUID, payload: MessageIn) -> Status[MessageOut]:
    user = acting_user(request)
    person = access_person(user, person_id)
    message = actions.check_queue_message(
        person,
        purpose=payload.purpose,
        channel=payload.channel,
        template_key=payload.template,
        idempotency_key=f"api:{person.public_id}:{payload.idempotency_key}",
        extra=_merge_fields(payload.fields),
        urgent=payload.urgent,
        acting_user=user,
    )
    return Status(201, message_out(message))


def _merge_fields(fields: dict[str, str]) -> dict[str, object]:
    """Only the allow-listed merge fields a caller may give (the person's own are filled from
    the record); a time is read as ISO 8601 with its zone."""
    given = sorted(set(MERGE_FIELDS) - COMPUTED_FIELDS)
    unknown = sorted(set(fields) - set(given))
    if unknown:
        raise InvalidInput(
            f"Merge field(s) {', '.join(unknown)} cannot be given; give any of: "
            f"{', '.join(given)}.",
            field="fields",
        )
    values: dict[str, object] = dict(fields)
    if fields.get("link"):
        values["link"] = check_link(fields["link"])
    if "appointment_time" in fields:
        try:
            when = datetime.fromisoformat(fields["appointment_time"])
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise InvalidInput(
                "appointment_time must be ISO 8601 with a time zone, e.g. "
                "2026-12-04T15:30:00-06:00.",
                field="fields.appointment_time",
            )
        values["appointment_time"] = when
    return values
