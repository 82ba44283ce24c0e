"""Statements from a practice-management system's CSV export (statement_csv reads the file):
the whole file in one transaction, all or nothing. A file with any problem writes nothing and
names every problem by row and column; a statement imported before (the same statement id) is
updated in place, never added twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from carebond.billing.actions import (
    StatementInput,
    StatementToWrite,
    do_write_statements,
    statement_problems,
)
from carebond.billing.models import CSV_SYSTEM, BillingStatement, StatementSource
from carebond.billing.statement_csv import CsvRead, CsvStatement, Problem, read_statement_csv
from carebond.core.csv_files import UnreadableCsv
from carebond.core.models import Organization
from carebond.people.actions import MRN_SYSTEM
from carebond.people.models import Identifier, Person, PersonKind, PersonStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User

# StatementInput's fields -> the file's columns (for the actions' checks).
_COLUMN_OF = {"external_id": "statement_id"}


@dataclass
class StatementImport:
    """What an import did or would do. ``errors`` non-empty: nothing was written."""

    errors: list[Problem] = field(default_factory=list)
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run


@transaction.atomic
def check_import_statements(
    organization: Organization, data: bytes, *, dry_run: bool = False, acting_user: User | None
) -> StatementImport:
    """Read a CSV of statements and record them, all or nothing: each row's patient must be a
    patient of the organisation (by MRN, or by system|value), and a statement imported before
    keeps its patient. Audit: billing.statement.recorded / billing.statement.updated per
    statement (the patient named); nothing for statements that did not change."""
    try:
        read = read_statement_csv(data)
    except UnreadableCsv as error:
        return StatementImport(errors=[Problem(error.row, error.message)], dry_run=dry_run)
    outcome = StatementImport(dry_run=dry_run, rows=len(read.statements) + _bad_rows(read))
    outcome.ignored_columns = read.ignored
    outcome.errors = list(read.errors)  # the rows read well are checked on: every problem at once
    patients = _patients(organization, read.statements)
    existing = _existing(organization, [s.statement_id for s in read.statements])
    items: list[StatementToWrite] = []
    for statement in read.statements:
        item = _item(read, statement, patients, existing, outcome.errors)
        if item is not None:
            items.append(item)
    outcome.errors.sort(key=lambda p: p.row)
    if outcome.errors or dry_run:
        outcome.created = sum(1 for item in items if item.existing is None)
        outcome.updated = len(items) - outcome.created
        return outcome
    written = do_write_statements(
        items,
        organization=organization,
        origin_system=CSV_SYSTEM,
        acting_user=acting_user,
        import_run=uuid.uuid4(),
    )
    for one in written:
        setattr(outcome, one.outcome, getattr(outcome, one.outcome) + 1)
    return outcome


def _bad_rows(read: CsvRead) -> int:
    return len({problem.row for problem in read.errors if problem.row > 1})


def _item(
    read: CsvRead,
    statement: CsvStatement,
    patients: dict[tuple[str, str], Person],
    existing: dict[str, BillingStatement],
    errors: list[Problem],
) -> StatementToWrite | None:
    """One row as a statement to write, or its problems added to ``errors``."""
    key = (MRN_SYSTEM, statement.patient_mrn) if statement.patient_mrn else None
    key = key or statement.patient_identifier
    assert key is not None
    patient_column = read.columns["patient_mrn" if statement.patient_mrn else "patient_identifier"]
    patient = patients.get(key)
    found: list[Problem] = []
    if patient is None:
        what = "MRN" if statement.patient_mrn else "identifier"
        found.append(
            Problem(statement.row, f"no patient here has the {what} {key[1]!r}.", patient_column)
        )
    data = StatementInput(
        external_id=statement.statement_id,
        statement_date=statement.statement_date,
        amount_billed=statement.amount_billed,
        amount_due=statement.amount_due,
        status=statement.status,
        source=StatementSource.CSV,
        currency=statement.currency,
    )
    for problem in statement_problems(data):
        column = _COLUMN_OF.get(problem.field or "", problem.field or "")
        found.append(Problem(statement.row, problem.message, read.columns.get(column, column)))
    before = existing.get(statement.statement_id)
    if before is not None and patient is not None and before.patient_id != patient.pk:
        found.append(
            Problem(
                statement.row,
                f"statement {statement.statement_id} was imported for another patient; a "
                "statement does not move between patients.",
                patient_column,
            )
        )
    if found:
        errors.extend(found)
        return None
    assert patient is not None
    return StatementToWrite(patient.pk, data, before)


def _chunks(values: list[str], size: int = 900) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _patients(
    organization: Organization, statements: list[CsvStatement]
) -> dict[tuple[str, str], Person]:
    """The patient each (system, value) names in the organisation: a record merged into
    another is the surviving one; a person who is not a patient is nobody's here."""
    wanted = {(MRN_SYSTEM, s.patient_mrn) for s in statements if s.patient_mrn}
    wanted |= {s.patient_identifier for s in statements if s.patient_identifier}
    found: dict[tuple[str, str], Person] = {}
    values = sorted({value for _, value in wanted})
    for chunk in _chunks(values):
        rows = Identifier.objects.filter(organization=organization, value__in=chunk).select_related(
            "person__merged_into"
        )
        for identifier in rows:
            key = (identifier.system, identifier.value)
            person = identifier.person
            if person.status == PersonStatus.MERGED and person.merged_into is not None:
                person = person.merged_into
            if key in wanted and person.kind == PersonKind.PATIENT:
                found[key] = person
    return found


def _existing(organization: Organization, statement_ids: list[str]) -> dict[str, BillingStatement]:
    """The statements imported before, locked: a concurrent import waits for this one."""
    found: dict[str, BillingStatement] = {}
    for chunk in _chunks(sorted(statement_ids)):
        rows = BillingStatement.objects.select_for_update().filter(
            Q(external_id__in=chunk), organization=organization, origin_system=CSV_SYSTEM
        )
        found.update({row.external_id: row for row in rows})
    return found
