"""Typed edges of the messaging API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from carebond.core.schemas import CleanStr, Column, InputSchema
from carebond.messaging.models import MessageTemplate

MAX_REPLY = 1600  # as check_reply enforces for a text
MAX_FIELD = 500


class MessageOut(Schema):
    id: UUID
    direction: str
    channel: str
    purpose: str
    status: str
    status_reason: str
    error_code: str
    subject: str
    body: str
    to_address: str
    from_address: str
    template: str
    language: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    person_id: UUID | None
    conversation_id: UUID | None
    campaign_id: UUID | None


class ConversationOut(Schema):
    id: UUID
    person_id: UUID | None
    channel: str
    address: str
    sender: str
    status: str
    unread: int
    waiting_since: datetime | None
    last_message_at: datetime | None
    assigned_to: str | None
    topic: str = Field(
        default="", description="What its latest question was about ('billing'); '' for none."
    )


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut] = Field(description="The newest 500, oldest first.")


class ConversationQuery(Schema):
    view: Literal["waiting", "mine", "triage", "closed"] = "waiting"


class ReplyIn(InputSchema):
    body: Annotated[CleanStr, Field(min_length=1, max_length=MAX_REPLY)]
    key: UUID | None = Field(
        default=None, description="A one-time key: the same key twice queues one reply."
    )


class MessageIn(InputSchema):
    template: Annotated[CleanStr, Column(MessageTemplate, "key")]
    channel: Literal["sms", "email"]
    purpose: Literal["appointment", "care", "survey", "recovery", "marketing", "staff", "referral"]
    # (the stored key is "api:<person id>:" and this: 150 leaves room in the 200 column)
    idempotency_key: Annotated[CleanStr, Field(min_length=1, max_length=150)] = Field(
        description="Your key for this message: sending it again returns the first one."
    )
    fields: dict[
        Annotated[str, Field(max_length=40)], Annotated[CleanStr, Field(max_length=MAX_FIELD)]
    ] = Field(
        default_factory=dict,
        max_length=20,
        description="Merge fields the template uses beyond the person's own (location, link, "
        "free_text, staff_name...).",
    )
    urgent: bool = False
