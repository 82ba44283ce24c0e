"""Typed edges of the waitlist API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from carebond.core.schemas import CleanStr, InputSchema, RecordDate
from carebond.scheduling.waitlist_actions import MAX_NOTE

TimeOfDayName = Literal["morning", "afternoon", "evening"]


class WaitlistQuery(Schema):
    status: Literal["active", "booked", "removed"] = "active"


class WaitlistOfferOut(Schema):
    id: UUID
    starts_at: datetime = Field(description="The freed time offered.")
    provider_id: UUID
    location_id: UUID
    status: str = Field(
        description="sent, accepted, declined, expired, taken, withdrawn or unreachable."
    )
    sent_at: datetime
    expires_at: datetime
    answered_at: datetime | None


class WaitlistEntryOut(Schema):
    id: UUID
    patient_id: UUID
    appointment_type: str = Field(description="The visit type's key.")
    providers: list[UUID] = Field(description="None: any provider.")
    locations: list[UUID] = Field(description="None: any location.")
    weekdays: list[int] = Field(description="0 Monday ... 6 Sunday; none: any day.")
    times_of_day: list[str] = Field(description="morning, afternoon, evening; none: any time.")
    earliest: RecordDate | None
    latest: RecordDate | None
    note: str
    status: str = Field(description="active (waiting), booked or removed.")
    added_at: datetime
    added_via: str
    appointment_id: UUID | None = Field(description="The visit booked from the waitlist.")
    removed_reason: str
    offers: list[WaitlistOfferOut]


class WaitlistEntryIn(InputSchema):
    patient: UUID
    appointment_type: UUID
    providers: list[UUID] = Field(default_factory=list, max_length=20)
    locations: list[UUID] = Field(default_factory=list, max_length=20)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(default_factory=list, max_length=7)
    times_of_day: list[TimeOfDayName] = Field(default_factory=list, max_length=3)
    earliest: RecordDate | None = None
    latest: RecordDate | None = None
    note: Annotated[CleanStr, Field(max_length=MAX_NOTE)] = ""


class WaitlistRemoveIn(InputSchema):
    reason: Annotated[CleanStr, Field(max_length=200)] = ""
