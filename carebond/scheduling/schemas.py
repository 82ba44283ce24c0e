"""Typed edges of the scheduling API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from carebond.core.schemas import CleanStr, InputSchema


class AppointmentOut(Schema):
    id: UUID
    patient_id: UUID
    provider_id: UUID
    location_id: UUID
    appointment_type: str = Field(description="The visit type's key.")
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    time_zone: str
    status: str = Field(description="FHIR Appointment.status.")
    overbooked: bool
    booked_via: str
    cancelled_by: str
    cancel_reason: str
    late_cancellation: bool
    arrived_at: datetime | None
    roomed_at: datetime | None
    seen_at: datetime | None
    completed_at: datetime | None
    confirmed_at: datetime | None = Field(
        default=None, description="When the patient confirmed (a reply to a reminder)."
    )


class DayQuery(Schema):
    location: UUID
    day: date


class OpenTimesQuery(Schema):
    location: UUID
    appointment_type: UUID
    provider: UUID | None = Field(
        default=None, description="None: first available across providers."
    )
    day: date = Field(
        description="The day (one provider), or the first day searched (first available)."
    )


class OpenTimeOut(Schema):
    provider_id: UUID
    starts_at: datetime
    ends_at: datetime
    seats_left: int


class BookingIn(InputSchema):
    patient: UUID
    provider: UUID
    location: UUID
    appointment_type: UUID
    starts_at: datetime = Field(description="ISO 8601 with its offset, on a whole minute.")
    override_reason: Annotated[CleanStr, Field(max_length=300)] = ""
    overbook: bool = False


class RescheduleIn(InputSchema):
    starts_at: datetime
    provider: UUID | None = None
    override_reason: Annotated[CleanStr, Field(max_length=300)] = ""


class CancelIn(InputSchema):
    cancelled_by: Literal["patient", "provider", "clinic"]
    reason: Annotated[CleanStr, Field(min_length=1, max_length=300)]


class StepIn(InputSchema):
    step: Literal["arrive", "room", "see", "complete", "noshow"]


class AdherenceQuery(Schema):
    group_by: Literal["provider", "location", "appointment_type"] = "provider"
    days: int = Field(default=90, ge=30, le=365, description="The period: 30, 90 or 365 days.")


class AdherenceOut(Schema):
    group: str
    visits: int
    completed: int
    no_shows: int
    late_cancellations: int
    cancellations: int
    show_rate: float | None
    no_show_rate: float | None
    late_cancel_rate: float | None
    lead_days: float | None = Field(description="Median days from booking to the visit.")
    wait_minutes: float | None = Field(description="Median minutes from arriving to the room.")


class ScheduleQuery(Schema):
    location: UUID | None = Field(default=None, description="Only the schedules at this place.")
    provider: UUID | None = Field(default=None, description="Only this provider's schedules.")


class ScheduleOut(Schema):
    id: UUID = Field(description="The schedule's id (also its FHIR Schedule id).")
    provider_id: UUID
    location_id: UUID
    starts_on: date = Field(description="The first day its applied templates cover.")
    ends_on: date | None = Field(description="The last day (none: open-ended).")
    active: bool = Field(description="In force today or ahead.")
