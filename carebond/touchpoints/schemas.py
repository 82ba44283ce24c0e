"""Typed edges of the timeline API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from ninja import Field, Schema

from carebond.core.dates import PAST_TIMES
from carebond.core.schemas import CleanStr, Column, InputSchema, PastTime, RecordDate
from carebond.touchpoints.models import Touchpoint

MAX_SUMMARY = 4000  # as check_log_touchpoint enforces


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
    kind: Annotated[CleanStr, Column(Touchpoint, "kind")]
    channel: Annotated[CleanStr, Column(Touchpoint, "channel")] = ""
    direction: Annotated[CleanStr, Column(Touchpoint, "direction")] = ""
    occurred_at: PastTime | None = Field(
        default=None,
        description=f"With a time zone, e.g. 2026-11-20T14:30:00-06:00; {PAST_TIMES.describe()}.",
    )
    moment_of_truth: Annotated[CleanStr, Column(Touchpoint, "moment_of_truth")] | None = None
    sentiment: float | None = Field(default=None, ge=-1.0, le=1.0)
    outcome: Annotated[CleanStr, Column(Touchpoint, "outcome")] = ""
    summary: Annotated[CleanStr, Column(Touchpoint, "summary", max_length=MAX_SUMMARY)] = ""


class TimelineQuery(Schema):
    kind: Annotated[str, Column(Touchpoint, "kind")] = ""
    channel: Annotated[str, Column(Touchpoint, "channel")] = ""
    staff: UUID | None = None
    since: RecordDate | None = None
    until: RecordDate | None = None
    page: int = Field(default=1, ge=1, le=10_000)
