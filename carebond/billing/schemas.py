"""Typed edges of the billing API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StringConstraints

from carebond.core.schemas import CleanStr, InputSchema, RecordDate

Status = Literal[
    "with_insurer", "open", "partially_paid", "paid", "overdue", "in_collections", "cancelled"
]
Source = Literal["csv", "fhir_claim", "fhir_eob"]
# A CSV file's text, as the import page takes it (5 MB).
MAX_CSV_CHARACTERS = 5 * 1024 * 1024


class StatementOut(Schema):
    id: UUID
    patient_id: UUID
    statement_id: str = Field(description="The statement's id in the system it came from.")
    statement_date: date
    amount_billed: str = Field(description="A decimal amount with two places: '120.50'.")
    amount_due: str | None = Field(
        description="What the patient owes ('0.00': nothing); null while with the insurer."
    )
    currency: str = Field(description="ISO 4217 code, e.g. USD.")
    status: Status
    source: Source
    recorded_at: datetime
    updated_at: datetime


class StatementQuery(Schema):
    status: Status | None = None
    source: Source | None = None
    patient: UUID | None = Field(default=None, description="One patient's statements.")
    since: RecordDate | None = Field(default=None, description="Statement dates from this day.")
    until: RecordDate | None = Field(default=None, description="Statement dates to this day.")
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=10_000_000)


class StatementListOut(Schema):
    total: int
    statements: list[StatementOut]


class StatementImportIn(InputSchema):
    csv: Annotated[CleanStr, StringConstraints(min_length=1, max_length=MAX_CSV_CHARACTERS)] = (
        Field(description="The file's text: a header row, then one statement per row.")
    )
    dry_run: bool = Field(default=False, description="Check only: write nothing.")


class StatementImportOut(Schema):
    dry_run: bool
    rows: int
    created: int
    updated: int
    unchanged: int
    ignored_columns: list[str]
