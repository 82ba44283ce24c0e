"""Typed edges of the timeline API."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Field, Schema
from pydantic import AwareDatetime

from carebond.core.schemas import CleanStr, InputSchema


class TouchpointOut(Schema):
    id: UUID
    kind: str
    channel: str
    direction: str
    occurred_at: datetime
    moment_of_truth: str
    sentiment: float | None
    outcome: str
    summary: str
    staff_id: UUID | None
    source_type: str
    source_id: str


class TimelineOut(Schema):
    items: list[TouchpointOut]
    page: int
    has_next: bool


class TouchpointIn(InputSchema):
    kind: CleanStr
    channel: CleanStr = ""
    direction: CleanStr = ""
    occurred_at: AwareDatetime | None = Field(
        default=None, description="With a time zone, e.g. 2026-11-20T14:30:00-06:00"
    )
    moment_of_truth: CleanStr | None = None
    sentiment: float | None = None
    outcome: CleanStr = ""
    summary: CleanStr = ""


class TimelineQuery(Schema):
    kind: str = ""
    channel: str = ""
    staff: UUID | None = None
    since: date | None = None
    until: date | None = None
    page: int = Field(default=1, ge=1, le=10_000)
