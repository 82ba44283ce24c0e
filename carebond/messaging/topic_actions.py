"""Topics of the questions that come in (docs/messaging.md, "Topics"): an app registers a topic
in core's registry (billing questions) with how to recognise it and who answers it. An inbound
message on a topic tags its conversation, is kept as a question (when it came, when staff
answered it) for the topic's figures, and hands the conversation, when nobody has it, to the
first of the topic's handlers with room for it. Keywords (STOP, START, HELP) are never a
question: they are acted on at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core.registry import InboundTopic, inbound_topics
from carebond.messaging.actions import capacity_of, open_load
from carebond.messaging.keywords import Intent, read_intent
from carebond.messaging.models import Conversation, Message, TopicQuestion

if TYPE_CHECKING:
    from carebond.accounts.models import User

logger = logging.getLogger("carebond.messaging")


def tag_inbound(message: Message, conversation: Conversation) -> str:
    """Read a stored inbound message for the registered topics; the first that matches tags
    the conversation, and is kept as a waiting question unless one on it already waits.
    Returns the topic's key ('' for none). A topic whose check fails is left out, alone: the
    message still waits in the inbox. Audit: conversation.tagged, conversation.assigned."""
    if read_intent(message.body) is not Intent.NONE:
        return ""
    words = f"{message.subject}\n{message.body}"
    for topic in inbound_topics():
        try:
            with transaction.atomic():
                if topic.matches(words):
                    _ask(message, conversation, topic)
                    return topic.key
        except Exception as error:
            logger.error(
                "Topic %s failed on message %s (%s)",
                topic.key,
                message.public_id,
                type(error).__name__,
            )
    return ""


def _ask(message: Message, conversation: Conversation, topic: InboundTopic) -> None:
    current = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if current.topic != topic.key:
        current.topic = topic.key
        current.save(update_fields=["topic", "updated_at"])
        conversation.topic = topic.key
        record_audit(
            actor=None,
            action="conversation.tagged",
            target=current,
            organization=current.organization,
            changed_fields=["topic"],
        )
    waiting = TopicQuestion.objects.filter(
        conversation=current, topic=topic.key, answered_at__isnull=True
    ).exists()
    if not waiting:
        TopicQuestion.objects.create(
            organization_id=current.organization_id,
            conversation=current,
            message=message,
            topic=topic.key,
            asked_at=message.created_at,
        )
    if current.assigned_to_id is None:
        handler = _handler_with_room(topic, current.organization_id)
        if handler is not None:
            current.assigned_to = handler
            current.save(update_fields=["assigned_to", "updated_at"])
            conversation.assigned_to = handler
            record_audit(
                actor=None,
                action="conversation.assigned",
                target=current,
                organization=current.organization,
                changed_fields=["assigned_to"],
            )


def _handler_with_room(topic: InboundTopic, organization_id: int) -> User | None:
    """The topic's handler with the most room among those with any (their open conversations
    under their inbox capacity); the app's order breaks ties. None: nobody has room, and the
    conversation waits in the shared inbox."""
    wanted = topic.handlers(organization_id)
    users = get_user_model().objects.filter(
        pk__in=wanted, organization_id=organization_id, is_active=True
    )
    found = {user.pk: user for user in users}
    best: tuple[int, int] | None = None
    chosen = None
    for rank, pk in enumerate(wanted):
        user = found.get(pk)
        if user is None:
            continue
        room = capacity_of(user) - open_load(user)
        if room > 0 and (best is None or (-room, rank) < best):
            best, chosen = (-room, rank), user
    return chosen
