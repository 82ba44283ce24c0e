"""Typed edges of the value-maps API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema

from carebond.core.schemas import Column
from carebond.value_maps.models import Segment


class StudyOut(Schema):
    id: UUID
    title: str
    question: str
    segments: list[str]
    respondents: int
    codes: int
    created_at: datetime


class AnalysisQuery(Schema):
    cutoff: int | None = Field(None, ge=1, le=10_000, description="Default: the suggested one.")
    segment: Annotated[str, Column(Segment, "name")] | None = Field(
        None, description="One segment's respondents."
    )
    unit: Literal["respondent", "ladder"] = "respondent"
    cutoff_on: Literal["direct", "total"] = Field(
        "direct", description="Cut-off on direct links (D) or direct + indirect (T)."
    )
    indices_on: Literal["direct", "total"] = Field(
        "direct", description="Abstractness and centrality on D (default) or T."
    )


class RungOut(Schema):
    position: int
    code: str
    label: str
    level: str
    words: str


class LadderOut(Schema):
    id: UUID
    respondent: str
    person: str = Field(description="The linked person's name; empty when anonymous.")
    segment: str
    ladder: str
    rungs: list[RungOut]
