"""The value-maps API: studies, a study's analysis (the JSON of `carebond ladder analyze
--json`), and its ladders (editors only: respondents may be linked to people)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from carebond.accounts.auth import acting_user, policy_auth
from carebond.core.schemas import Column
from carebond.value_maps.access import VALUE_MAP_EDITORS, VALUE_MAP_READERS, access_study
from carebond.value_maps.analysis import analysis_as_json
from carebond.value_maps.models import Segment
from carebond.value_maps.selectors import (
    get_analysis,
    ladder_warnings,
    list_ladders,
    list_segments,
    list_studies,
)

router = Router(tags=["value maps"])


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


@router.get("/studies", response=list[StudyOut], auth=policy_auth(VALUE_MAP_READERS))
def studies(request: HttpRequest) -> list[StudyOut]:
    user = acting_user(request)
    return [
        StudyOut(
            id=study.public_id,
            title=study.title,
            question=study.question,
            segments=[segment.name for segment in list_segments(study)],
            respondents=study.respondent_count,  # type: ignore[attr-defined]
            codes=study.code_count,  # type: ignore[attr-defined]
            created_at=study.created_at,
        )
        for study in list_studies(user=user)
    ]


@router.get(
    "/studies/{study_id}/analysis",
    response=dict[str, Any],
    auth=policy_auth(VALUE_MAP_READERS),
)
def analysis(request: HttpRequest, study_id: UUID, query: Query[AnalysisQuery]) -> dict[str, Any]:
    """The same JSON as `carebond ladder analyze --json` on the study's ladders: settings,
    summary, codes, matrices, indices, cut-off table, map, dominant paths and warnings.
    Aggregates only (respondents are counted, never named): the analyst may read it."""
    user = acting_user(request)
    study = access_study(user, study_id)
    stored, result = get_analysis(
        study,
        segment=query.segment,
        cutoff=query.cutoff,
        count_unit=query.unit,
        cutoff_on=query.cutoff_on,
        indices_on=query.indices_on,
    )
    output = analysis_as_json(result)
    output["warnings"] = ladder_warnings(stored)
    return output


@router.get(
    "/studies/{study_id}/ladders",
    response=list[LadderOut],
    auth=policy_auth(VALUE_MAP_EDITORS),
)
def ladders(request: HttpRequest, study_id: UUID) -> list[LadderOut]:
    """Every ladder with the respondent's words; linked people are named (an audited read)."""
    user = acting_user(request)
    study = access_study(user, study_id)
    return [
        LadderOut(
            id=UUID(row.public_id),
            respondent=row.respondent,
            person=row.person,
            segment=row.segment,
            ladder=row.key,
            rungs=[
                RungOut(position=position, code=r.code, label=r.label, level=r.level, words=r.words)
                for position, r in enumerate(row.rungs, start=1)
            ],
        )
        for row in list_ladders(user=user, study=study)
    ]
