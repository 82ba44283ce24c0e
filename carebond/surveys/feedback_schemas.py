"""Typed edges of the "you said, we did" API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from carebond.core.schemas import CleanStr, Column, InputSchema, RecordDate
from carebond.surveys.feedback_actions import MAX_EVIDENCE
from carebond.surveys.models import FeedbackAction

StatusName = Literal["planned", "in_progress", "done"]
ThemeKey = Annotated[
    CleanStr,
    Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=40,
        description="A theme key: wait_time, access_scheduling, communication, courtesy_respect, "
        "billing_cost, environment, clinical_care, staff_praise, or one the comments carry.",
    ),
]
YouSaidEn = Annotated[CleanStr, Column(FeedbackAction, "you_said_en")]
YouSaidEs = Annotated[CleanStr, Column(FeedbackAction, "you_said_es")]
WeDidEn = Annotated[CleanStr, Column(FeedbackAction, "we_did_en")]
WeDidEs = Annotated[CleanStr, Column(FeedbackAction, "we_did_es")]
Evidence = Annotated[CleanStr, Field(max_length=MAX_EVIDENCE)]


class ActionQuery(Schema):
    status: StatusName | None = None
    theme: ThemeKey | None = None


class BaselineOut(Schema):
    since: date
    until: date
    comments: int = Field(description="Comments that mentioned the theme in the period.")
    negative: int = Field(description="How many of those mentions were negative.")


class MeasurementOut(Schema):
    since: date = Field(description="Comments received from this day on count (after done).")
    until: date
    comments: int = Field(description="Comments that mentioned the theme since the change.")
    negative: int
    compared: bool = Field(
        description="False below the anonymity minimum on either side: no shares, no test."
    )
    reason: str = Field(description="Why there is no comparison, when there is none.")
    negative_before_percent: float | None
    negative_after_percent: float | None
    change_points: float | None = Field(description="After minus before; a drop is negative.")
    p_value: float | None = Field(description="Two-proportion z test, two-sided.")
    change_low: float | None = Field(description="95% interval of the change, low end.")
    change_high: float | None
    significant: bool | None


class ActionOut(Schema):
    id: UUID
    theme: str
    theme_name: str
    location_id: UUID | None
    location_name: str
    you_said_en: str
    you_said_es: str
    we_did_en: str
    we_did_es: str
    owner_id: UUID | None
    owner_name: str
    due_on: date
    overdue: bool
    status: str = Field(description="planned, in_progress or done.")
    done_at: datetime | None
    evidence: str
    baseline: BaselineOut
    measurement: MeasurementOut | None = Field(description="Done actions only.")
    published_at: datetime | None
    public_url: str | None = Field(description="The public page, while published.")
    notified_at: datetime | None
    notified_queued: int
    notified_blocked: int = Field(description="Messages the contact rules refused.")
    created_at: datetime


class ActionIn(InputSchema):
    theme: ThemeKey
    location: UUID | None = Field(default=None, description="None: the whole organisation.")
    owner: UUID = Field(description="A manager or administrator of the organisation.")
    due_on: RecordDate
    you_said_en: YouSaidEn = ""
    you_said_es: YouSaidEs = ""
    we_did_en: WeDidEn = ""
    we_did_es: WeDidEs = ""
    status: StatusName = "planned"
    evidence: Evidence = ""


class ActionPatch(InputSchema):
    """Only the fields given change; the theme and location stay (the baseline is theirs)."""

    you_said_en: YouSaidEn | None = None
    you_said_es: YouSaidEs | None = None
    we_did_en: WeDidEn | None = None
    we_did_es: WeDidEs | None = None
    owner: UUID | None = None
    due_on: RecordDate | None = None
    status: StatusName | None = None
    evidence: Evidence | None = None


class PublishIn(InputSchema):
    notify: bool = Field(
        default=True, description="Also tell the respondents who raised the theme (with consent)."
    )
