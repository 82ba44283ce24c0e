"""Typed edges of the surveys API. Questionnaires and responses go out as FHIR JSON (the same
resources as /fhir/R4), described here as objects."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import BeforeValidator

from carebond.core.schemas import CleanStr, Column, InputSchema, RecordDate
from carebond.surveys.models import Instrument

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value: Any) -> Any:
    """A day written as YYYY-MM-DD (pydantic alone would read '0' as a timestamp)."""
    if isinstance(value, str) and not _ISO_DAY.match(value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


IsoDay = Annotated[RecordDate, BeforeValidator(_iso_day)]
InvitationStatusCode = Literal["queued", "sent", "not_sent", "cancelled"]
ResponseStatusCode = Literal["in-progress", "stopped", "completed"]
CaseStatusCode = Literal["open", "contacted", "closed", "all"]


VersionNumber = Annotated[int, Field(ge=1, le=2**31 - 1, description="The version's number.")]


class Page(Schema):
    limit: int = Field(default=50, ge=1, le=200, description="Rows per page.")
    offset: int = Field(default=0, ge=0, le=1_000_000, description="Rows to skip.")


class VersionOut(Schema):
    id: UUID = Field(description="The version's id: its Questionnaire's id in FHIR.")
    number: int
    status: str = Field(description="draft, published or retired.")
    created_at: datetime
    published_at: datetime | None


class InstrumentOut(Schema):
    id: UUID
    key: str
    name: str
    name_es: str
    kind: str
    moment: str
    anonymous: bool
    languages: list[str]
    fallback_language: str
    built_in: bool
    description: str
    url: str = Field(description="Its Questionnaire url (every version): urn:uuid:<id>.")
    versions: list[VersionOut] = Field(description="Newest first.")


class ImportOut(Schema):
    instrument: InstrumentOut
    version: int = Field(description="The draft the Questionnaire became.")
    created: bool = Field(description="A new instrument (else a draft of the one it names).")
    renamed: dict[str, str] = Field(
        description="linkIds rewritten as CareBond question ids: as sent -> as kept."
    )


class InvitationQuery(Page):
    wave: UUID | None = None
    status: InvitationStatusCode | None = None


class InvitationIn(InputSchema):
    person: UUID
    instrument: Annotated[CleanStr, Column(Instrument, "key")] = Field(
        description="The instrument's key, e.g. post-visit."
    )


class InvitationOut(Schema):
    id: UUID
    person_id: UUID
    instrument_id: UUID
    instrument: str = Field(description="The instrument's key.")
    version: int
    wave_id: UUID
    wave: str
    channel: str
    language: str
    status: str
    not_sent_reason: str
    created_at: datetime
    send_after: datetime
    sent_at: datetime | None
    reminded_at: datetime | None
    expires_at: datetime
    responded: bool
    response_id: UUID | None = Field(description="The identified response, once answered.")


class ResponseQuery(Page):
    instrument: Annotated[str, Column(Instrument, "key")] | None = Field(
        default=None, description="An instrument's key."
    )
    status: ResponseStatusCode | None = None
    since: IsoDay | None = Field(
        default=None, description="Answered on or after this day (the organisation's time)."
    )


class ResponseOut(Schema):
    id: UUID = Field(description="Its QuestionnaireResponse id.")
    instrument_id: UUID
    instrument: str
    version: int
    person_id: UUID
    status: str = Field(description="FHIR QuestionnaireResponse.status.")
    language: str
    started_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    may_contact: bool
    location_id: UUID | None


class CaseQuery(Page):
    status: CaseStatusCode = "open"
    mine: bool = False


class CaseOut(Schema):
    id: UUID
    person_id: UUID
    source: str
    status: str
    opened_at: datetime
    due_at: datetime
    first_contact_at: datetime | None
    escalated_at: datetime | None
    closed_at: datetime | None
    outcome: str
    overdue: bool
    is_grievance: bool
    location_id: UUID | None
    owner: str = Field(description="The owner's user name ('' when none).")
    response_id: UUID | None


class StepOut(Schema):
    at: datetime
    kind: str
    channel: str
    note: str
    by: str


class AnswerOut(Schema):
    question: str
    answer: str


class CaseDetailOut(CaseOut):
    summary: str
    grievance_received_on: date | None
    grievance_due_on: date | None
    written_response_on: date | None
    steps: list[StepOut]
    answers: list[AnswerOut]


FhirJson = dict[str, Any]
