"""Reading a CSV of statements as a practice-management system exports them: one statement per
row, named by its statement id, the patient by MRN (or another identifier), with the statement
date, the amounts billed and due, and the status. Columns go by name, in any order; names are
matched loosely ("Balance Due" is amount_due) and columns CareBond does not keep (a service
code, a diagnosis) are left out unread, and listed.

Pure reading: every problem is named by row and column ("row 4, column amount_due: ...");
matching patients and writing is import_actions'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from carebond.billing.models import StatementStatus
from carebond.core.csv_files import read_csv

HEADER = "statement_id,patient_mrn,statement_date,amount_billed,amount_due,status,currency"
MAX_ROWS = 50_000
# What each column may be called in an export (header cells folded: lower case, "_" for spaces).
COLUMNS: dict[str, tuple[str, ...]] = {
    "statement_id": (
        "statement_id",
        "statement",
        "statement_number",
        "statement_no",
        "invoice_id",
        "invoice_number",
    ),
    "patient_mrn": ("patient_mrn", "mrn", "medical_record_number", "chart_number"),
    "patient_identifier": ("patient_identifier", "identifier"),
    "statement_date": ("statement_date", "date", "statement_dt"),
    "amount_billed": ("amount_billed", "billed", "total_billed", "charges", "total_charges"),
    "amount_due": ("amount_due", "due", "balance", "balance_due", "patient_balance"),
    "status": ("status", "statement_status"),
    "currency": ("currency",),
}
REQUIRED = ("statement_id", "statement_date", "amount_billed", "amount_due", "status")
STATUS_WORDS: dict[str, str] = {
    **{status: status for status in StatementStatus.values},
    "partial": StatementStatus.PARTIALLY_PAID,
    "part_paid": StatementStatus.PARTIALLY_PAID,
    "past_due": StatementStatus.OVERDUE,
    "collections": StatementStatus.IN_COLLECTIONS,
    "sent_to_collections": StatementStatus.IN_COLLECTIONS,
    "canceled": StatementStatus.CANCELLED,
    "void": StatementStatus.CANCELLED,
    "voided": StatementStatus.CANCELLED,
    "pending_insurance": StatementStatus.WITH_INSURER,
    "insurance_pending": StatementStatus.WITH_INSURER,
    "pending": StatementStatus.WITH_INSURER,
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_AMOUNT = re.compile(r"^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")


@dataclass(frozen=True)
class Problem:
    row: int
    message: str
    column: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CsvStatement:
    """One row, read; the patient still to be found (by MRN, or by system|value)."""

    row: int
    statement_id: str
    patient_mrn: str
    patient_identifier: tuple[str, str] | None
    statement_date: date
    amount_billed: Decimal
    amount_due: Decimal | None
    status: str
    currency: str


@dataclass
class CsvRead:
    statements: list[CsvStatement] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # what -> the header as written
    positions: dict[str, int] = field(default_factory=dict)  # what -> its column, from 0
    ignored: list[str] = field(default_factory=list)  # headers not read


def fold_header(header: str) -> str:
    return re.sub(r"[\s\-.]+", "_", header.strip().lower()).strip("_")


def read_statement_csv(data: bytes) -> CsvRead:
    """Every row of the file, or every problem in it (by row and column)."""
    table = read_csv(data, header_hint=HEADER)
    read = CsvRead()
    for position, header in enumerate(table.headers):
        what = next((k for k, names in COLUMNS.items() if fold_header(header) in names), None)
        if what is None:
            if header:
                read.ignored.append(header)
        elif what in read.columns:
            read.errors.append(
                Problem(1, f"two columns are {what} ({read.columns[what]} and {header}).", header)
            )
        else:
            read.columns[what], read.positions[what] = header, position
    for what in REQUIRED:
        if what not in read.columns:
            read.errors.append(Problem(1, f"the file has no {what} column (the header: {HEADER})."))
    if "patient_mrn" not in read.columns and "patient_identifier" not in read.columns:
        read.errors.append(
            Problem(1, "the file has no patient_mrn (or patient_identifier) column.")
        )
    if len(table.rows) > MAX_ROWS:
        read.errors.append(Problem(1, f"a file holds at most {MAX_ROWS:,} statements."))
    if read.errors:
        return read
    seen: dict[str, int] = {}
    for number, cells in table.rows:
        statement = _read_row(read, number, cells)
        if statement is None:
            continue
        first = seen.setdefault(statement.statement_id, number)
        if first != number:
            read.errors.append(
                Problem(
                    number,
                    f"statement {statement.statement_id} is also on row {first}.",
                    read.columns["statement_id"],
                )
            )
            continue
        read.statements.append(statement)
    return read


def _read_row(read: CsvRead, number: int, cells: list[str]) -> CsvStatement | None:
    before = len(read.errors)

    def cell(what: str) -> str:
        index = read.positions.get(what)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def problem(what: str, message: str) -> None:
        read.errors.append(Problem(number, message, read.columns[what]))

    statement_id = cell("statement_id")
    if not statement_id:
        problem("statement_id", "empty: every statement needs its id.")
    elif len(statement_id) > 100:
        problem("statement_id", "longer than 100 characters.")
    mrn, identifier = cell("patient_mrn"), _identifier(cell("patient_identifier"))
    if not mrn and identifier is None:
        what = "patient_mrn" if "patient_mrn" in read.columns else "patient_identifier"
        written = cell("patient_identifier")
        problem(
            what,
            "not an identifier: write it as system|value." if written else "empty: whose is it?",
        )
    statement_date = _date(cell("statement_date"))
    if statement_date is None:
        problem("statement_date", "not a date: write it as YYYY-MM-DD (or MM/DD/YYYY).")
    billed, due = _amount(cell("amount_billed")), _amount(cell("amount_due"))
    if billed is None:
        problem("amount_billed", "not an amount: write it as 120.50.")
    if due is None and cell("amount_due"):
        problem("amount_due", "not an amount: write it as 120.50 (or leave it empty).")
    status = STATUS_WORDS.get(fold_header(cell("status")))
    if status is None:
        problem(
            "status",
            f"{cell('status')[:40]!r} is not a status; use one of "
            f"{', '.join(StatementStatus.values)}.",
        )
    currency = cell("currency").upper() or "USD"
    if len(read.errors) > before:
        return None
    assert statement_date is not None
    assert billed is not None
    assert status is not None
    return CsvStatement(
        row=number,
        statement_id=statement_id,
        patient_mrn=mrn,
        patient_identifier=identifier,
        statement_date=statement_date,
        amount_billed=billed,
        amount_due=due if cell("amount_due") else None,
        status=status,
        currency=currency,
    )


def _identifier(value: str) -> tuple[str, str] | None:
    system, bar, found = value.partition("|")
    if not bar or not system.strip() or not found.strip():
        return None
    return system.strip(), found.strip()


def _date(value: str) -> date | None:
    iso, us = _ISO_DATE.match(value), _US_DATE.match(value)
    try:
        if iso:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if us:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
    except ValueError:
        return None
    return None


def _amount(value: str) -> Decimal | None:
    """An amount as exports write it: 1234.5, 1,234.50 or $1,234.50."""
    match = _AMOUNT.match(value)
    if match is None:
        return None
    try:
        return Decimal(match.group(1).replace(",", "") + (match.group(2) or ""))
    except InvalidOperation:
        return None
