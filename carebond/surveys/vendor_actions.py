"""Official survey results (CG-CAHPS, HCAHPS...) imported from the vendor's CSV file.

They are the vendor's figures, kept as given: never mixed with CareBond's own instruments'
scores, never recomputed, and never compared with them (CareBond's instruments are not CAHPS
surveys). One file is one transaction: a single bad row refuses the whole file, naming the row
and the column, and nothing is written. The same survey, measure, period start and location
imported again replaces the figures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from carebond.audit.recording import record_audit_many
from carebond.core import clock
from carebond.core.csv_files import read_csv
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidFields, InvalidInput
from carebond.core.models import Location, Organization
from carebond.surveys.models import VendorResult

if TYPE_CHECKING:
    from carebond.accounts.models import User

COLUMNS = (
    "survey",
    "measure",
    "period_start",
    "period_end",
    "location",
    "top_box",
    "mean_score",
    "n",
    "vendor",
)
OPTIONAL = frozenset({"location"})
HEADER = ",".join(COLUMNS)
MAX_ROWS = 10_000
MAX_ERRORS = 20
LIMITS = {"survey": 40, "measure": 120, "vendor": 120}


@dataclass(frozen=True)
class VendorImport:
    created: int
    updated: int


@dataclass(frozen=True)
class _Row:
    number: int
    survey: str
    measure: str
    period_start: date
    period_end: date
    location: Location | None
    top_box: float | None
    mean_score: float | None
    n: int
    vendor: str

    @property
    def key(self) -> tuple[str, str, date, int | None]:
        return (
            self.survey,
            self.measure,
            self.period_start,
            self.location.id if self.location else None,
        )


class _RowProblem(Exception):
    def __init__(self, column: str, why: str) -> None:
        super().__init__(why)
        self.column, self.why = column, why


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _text(cells: dict[str, str], column: str) -> str:
    value = cells.get(column, "").strip()
    if not value:
        raise _RowProblem(column, "empty; it is required")
    if len(value) > LIMITS[column]:
        raise _RowProblem(column, f"longer than {LIMITS[column]} characters")
    return value


def _date(cells: dict[str, str], column: str) -> date:
    value = cells.get(column, "").strip()
    if not value:
        raise _RowProblem(column, "empty; write the date as YYYY-MM-DD")
    for shape in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            parsed = datetime.strptime(value, shape).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
        problem = RECORD_DATES.problem(parsed)
        if problem:
            raise _RowProblem(column, problem)
        return parsed
    raise _RowProblem(column, f"{value!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")


def _score(cells: dict[str, str], column: str) -> float | None:
    value = cells.get(column, "").strip().removesuffix("%").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise _RowProblem(column, f"{value!r} is not a number") from None
    if not 0 <= number <= 100:
        raise _RowProblem(column, f"{value} is outside 0-100")
    return number


def _count(cells: dict[str, str]) -> int:
    value = cells.get("n", "").strip().replace(",", "")
    if not value.isdigit() or int(value) < 1:
        raise _RowProblem("n", f"{value!r} is not a whole number of responses (1 or more)")
    return int(value)


def _parse(cells: dict[str, str], number: int, places: dict[str, Location]) -> _Row:
    survey = _text(cells, "survey")
    measure = _text(cells, "measure")
    start = _date(cells, "period_start")
    end = _date(cells, "period_end")
    if end < start:
        raise _RowProblem("period_end", f"{end.isoformat()} is before the period's start")
    place = None
    name = cells.get("location", "").strip()
    if name:
        place = places.get(name.casefold())
        if place is None:
            raise _RowProblem("location", f"no location of this organisation is named {name!r}")
    top_box = _score(cells, "top_box")
    mean_score = _score(cells, "mean_score")
    if top_box is None and mean_score is None:
        raise _RowProblem("top_box", "give the top-box percentage or the mean score (or both)")
    return _Row(
        number,
        survey,
        measure,
        start,
        end,
        place,
        top_box,
        mean_score,
        _count(cells),
        _text(cells, "vendor"),
    )


def _problem(number: int, column: str, why: str) -> InvalidInput:
    return InvalidInput(f"row {number}, column {column}: {why}.", field="file")


def read_vendor_file(organization: Organization, data: bytes) -> list[_Row]:
    """Every row checked; InvalidInput (one per bad row, up to 20) when any is wrong."""
    table = read_csv(data, header_hint=HEADER)
    headers = [_header_name(cell) for cell in table.headers]
    missing = [c for c in COLUMNS if c not in headers and c not in OPTIONAL]
    if missing:
        raise _problem(1, missing[0], f"missing; the header must be: {HEADER}")
    if len(table.rows) > MAX_ROWS:
        raise InvalidInput(f"At most {MAX_ROWS:,} rows in one file.", field="file")
    if not table.rows:
        raise InvalidInput("The file has a header but no results.", field="file")
    places = {
        place.name.strip().casefold(): place
        for place in Location.objects.filter(organization=organization)
    }
    rows: list[_Row] = []
    errors: list[InvalidInput] = []
    first_of: dict[Any, int] = {}
    for number, cells in table.rows:
        named = dict(zip(headers, cells, strict=False))
        try:
            row = _parse(named, number, places)
        except _RowProblem as problem:
            errors.append(_problem(number, problem.column, problem.why))
        else:
            if row.key in first_of:
                errors.append(
                    _problem(
                        number,
                        "measure",
                        "the same survey, measure, period start and location as row "
                        f"{first_of[row.key]}",
                    )
                )
            first_of.setdefault(row.key, number)
            rows.append(row)
        if len(errors) >= MAX_ERRORS:
            break
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidFields(errors)
    return rows


@transaction.atomic
def check_import_vendor_results(
    organization: Organization, data: bytes, *, acting_user: User
) -> VendorImport:
    """Read the whole file, then write it in one transaction."""
    # One import at a time per organisation: a second waits, then sees the first's rows.
    Organization.objects.select_for_update().filter(pk=organization.pk).first()
    rows = read_vendor_file(organization, data)
    return do_import_vendor_results(organization, rows, acting_user=acting_user)


@transaction.atomic
def do_import_vendor_results(
    organization: Organization, rows: list[_Row], *, acting_user: User
) -> VendorImport:
    """Audit: vendor_result.imported for each new row, vendor_result.updated for each replaced
    one (with the fields that changed)."""
    now = clock.now()
    existing = {
        (r.survey, r.measure, r.period_start, r.location_id): r
        for r in VendorResult.objects.filter(organization=organization)
    }
    created: list[VendorResult] = []
    updated: list[tuple[VendorResult, list[str]]] = []
    for row in rows:
        values = {
            "period_end": row.period_end,
            "top_box": row.top_box,
            "mean_score": row.mean_score,
            "n": row.n,
            "vendor": row.vendor,
        }
        found = existing.get(row.key)
        if found is None:
            created.append(
                VendorResult.objects.create(
                    organization=organization,
                    survey=row.survey,
                    measure=row.measure,
                    period_start=row.period_start,
                    location=row.location,
                    imported_at=now,
                    **values,
                )
            )
            continue
        changed = [name for name, value in values.items() if getattr(found, name) != value]
        for name in changed:
            setattr(found, name, values[name])
        found.imported_at = now
        found.save(update_fields=[*changed, "imported_at"])
        updated.append((found, changed))
    if created:
        record_audit_many(
            actor=acting_user,
            action="vendor_result.imported",
            organization=organization,
            targets=[(result, None, ()) for result in created],
        )
    if updated:
        record_audit_many(
            actor=acting_user,
            action="vendor_result.updated",
            organization=organization,
            targets=[(result, None, changed) for result, changed in updated],
        )
    return VendorImport(len(created), len(updated))
