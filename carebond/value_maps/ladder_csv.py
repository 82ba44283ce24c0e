"""Reading laddering interviews from CSV: one row per rung, a per-row error report, all or nothing.

The file has the header ``respondent,segment,ladder,position,code,label,level`` (any order, any
case) and one row per rung: respondent R1's ladder L1 is the rows with respondent R1 and ladder
L1, bottom rung at position 1. ``segment`` (e.g. patient, clinician) and ``label`` may be blank;
``level`` is A, C or V, or one of the subtypes of docs/methods.md §1.1 (A_c, A_a, C_f, C_p,
V_i, V_t). Rows may come in any order.

Every problem is reported with its row (the header is row 1); a file with any error yields no
study at all, so nothing from it can be analysed or stored. Warnings (a ladder that goes down in
level, a code repeated in a ladder, a code with two labels) are reported but accept the file.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, replace

from carebond.core.csv_files import UnreadableCsv, read_csv
from carebond.value_maps.analysis import (
    LEVELS,
    SUBLEVELS,
    Code,
    Ladder,
    LadderStudy,
    abstraction_order,
)

HEADER: tuple[str, ...] = ("respondent", "segment", "ladder", "position", "code", "label", "level")
_REQUIRED = ("respondent", "ladder", "position", "code", "level")
# Levels are read without regard to case ('c_p' is C_p).
_LEVEL_SPELLINGS = {level.casefold(): level for level in (*LEVELS, *SUBLEVELS)}
_LEVEL_HINT = f"use {', '.join(LEVELS)} or a subtype {', '.join(SUBLEVELS)}"
# A code's short id, here and in the code book: it goes into links and reports as it is.
CODE_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")
CODE_KEY_HINT = "a code's short id is 1 to 20 letters, digits, '-', '_' or '.', e.g. C3"


@dataclass(frozen=True)
class Problem:
    """An error or a warning about one row (the header is row 1), and the column if one."""

    row: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Rung:
    """One row of the file, read and checked on its own."""

    row: int
    respondent: str
    segment: str
    ladder: str
    position: int
    code: str
    label: str
    level: str

    @property
    def where(self) -> str:
        return f"ladder {self.ladder} of respondent {self.respondent}"


@dataclass(frozen=True)
class LadderFile:
    """What the file holds. ``study`` is None and ``rungs`` empty when the file was rejected."""

    rungs: tuple[Rung, ...]
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    study: LadderStudy | None

    @property
    def accepted(self) -> bool:
        return not self.errors


class _Unreadable(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def read_ladder_csv(data: bytes) -> LadderFile:
    """Check every row and every ladder; build the study only if nothing is wrong."""
    try:
        table = read_csv(data, header_hint=",".join(HEADER))
        columns = _columns(table.headers)
    except UnreadableCsv as unreadable:
        return _rejected([Problem(unreadable.row, unreadable.message)])
    except _Unreadable as unreadable:
        return _rejected([unreadable.problem])
    if not table.rows:
        return _rejected([Problem(1, "The file has a header but no rungs below it.")])
    errors: list[Problem] = []
    rungs: list[Rung] = []
    # Ladders with a row that could not be read are not checked further (no "missing position"
    # after a row whose position was unreadable: one problem, one line).
    unfinished: set[tuple[str, str]] = set()
    for row, cells in table.rows:
        rung = _read_row(row, cells, columns, errors)
        if rung is not None:
            rungs.append(rung)
        else:
            unfinished.add(_ladder_key(cells, columns))
    _check_respondent_spelling(rungs, errors)
    rungs = _check_ladder_spelling(rungs, errors)
    rungs = _without_duplicates(rungs, errors)
    levels, labels, warnings = _codes(rungs, errors)
    _check_segments(rungs, errors)
    ladders = _ladders(rungs)
    for (respondent, ladder_id), ladder in ladders.items():
        if (respondent.casefold(), ladder_id.casefold()) not in unfinished:
            _check_positions(ladder, errors)
            _check_order(ladder, levels, warnings)
    if errors:
        return _rejected(errors, warnings)
    study = LadderStudy(
        codes=tuple(Code(code, labels[code] or code, level) for code, level in levels.items()),
        ladders=tuple(
            Ladder(
                respondent=respondent,
                id=ladder_id,
                rungs=tuple(rung.code for rung in ladder),
                segment=ladder[0].segment,
            )
            for (respondent, ladder_id), ladder in ladders.items()
        ),
    )
    return LadderFile(rungs=tuple(rungs), errors=(), warnings=_by_row(warnings), study=study)


def _rejected(errors: list[Problem], warnings: list[Problem] | None = None) -> LadderFile:
    return LadderFile(
        rungs=(), errors=_by_row(errors), warnings=_by_row(warnings or []), study=None
    )


def _by_row(problems: list[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda problem: problem.row))


# --- the file and its header ------------------------------------------------------------------


def _columns(header: list[str]) -> dict[str, int]:
    """Where each column is. Missing, unknown or repeated columns reject the file."""
    names = [cell.strip().casefold() for cell in header]
    problems = []
    missing = [name for name in HEADER if name not in names]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in HEADER]
    if unknown:
        problems.append(f"unknown column(s) {', '.join(repr(name) for name in unknown)}")
    repeated = sorted({name for name in names if name in HEADER and names.count(name) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    if problems:
        raise _Unreadable(
            Problem(
                1,
                f"Wrong header: {'; '.join(problems)}. The header must be {','.join(HEADER)}.",
            )
        )
    return {name: names.index(name) for name in HEADER}


# --- one row ----------------------------------------------------------------------------------


def _ladder_key(cells: list[str], columns: dict[str, int]) -> tuple[str, str]:
    respondent, ladder = (
        cells[columns[name]].strip() if columns[name] < len(cells) else ""
        for name in ("respondent", "ladder")
    )
    return respondent.casefold(), ladder.casefold()  # as ladders are told apart


def _read_row(
    row: int, cells: list[str], columns: dict[str, int], errors: list[Problem]
) -> Rung | None:
    """The row as a rung, or None after adding its problems to ``errors``."""
    count = len(errors)
    if len(cells) > len(HEADER) and any(cell.strip() for cell in cells[len(HEADER) :]):
        errors.append(
            Problem(row, f"The row has {len(cells)} cells; the header has {len(HEADER)} columns.")
        )
    value = {
        name: cells[index].strip() if index < len(cells) else "" for name, index in columns.items()
    }
    for name in _REQUIRED:
        if not value[name]:
            errors.append(Problem(row, "is empty.", name))
    position = value["position"]
    if position and not (position.isascii() and position.isdigit() and int(position) >= 1):
        errors.append(Problem(row, f"{position!r} is not a whole number of 1 or more.", "position"))
    if ">" in value["code"]:
        errors.append(
            Problem(row, f"{value['code']!r} contains '>', which joins codes in reports.", "code")
        )
    elif value["code"] and not CODE_KEY_PATTERN.match(value["code"]):
        errors.append(Problem(row, f"{value['code']!r} is not a code: {CODE_KEY_HINT}.", "code"))
    level = _LEVEL_SPELLINGS.get(value["level"].casefold())
    if value["level"] and level is None:
        errors.append(Problem(row, f"{value['level']!r} is not a level; {_LEVEL_HINT}.", "level"))
    if len(errors) > count or level is None:
        return None
    return Rung(
        row=row,
        respondent=value["respondent"],
        segment=value["segment"],
        ladder=value["ladder"],
        position=int(position),
        code=value["code"],
        label=value["label"],
        level=level,
    )


# --- across rows ------------------------------------------------------------------------------


def _without_duplicates(rungs: list[Rung], errors: list[Problem]) -> list[Rung]:
    """One rung per position of a ladder; a second one is an error naming the first."""
    first: dict[tuple[str, str, int], Rung] = {}
    kept = []
    for rung in rungs:
        key = (rung.respondent, rung.ladder, rung.position)
        earlier = first.get(key)
        if earlier is None:
            first[key] = rung
            kept.append(rung)
        elif _same_cells(rung, earlier):
            errors.append(Problem(rung.row, f"Duplicate row: it repeats row {earlier.row}."))
        else:
            errors.append(
                Problem(
                    rung.row,
                    f"{rung.where} already has position {rung.position} on row {earlier.row}.",
                    "position",
                )
            )
    return kept


def _same_cells(one: Rung, other: Rung) -> bool:
    return (one.segment, one.code, one.label, one.level) == (
        other.segment,
        other.code,
        other.label,
        other.level,
    )


def _codes(
    rungs: list[Rung], errors: list[Problem]
) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """Each code's one level (two levels are an error) and label (two labels: a warning).

    Codes are told apart without regard to case, as the code book does (C3 and c3 are one
    code): a code written two ways is an error naming the row, and so is one with two levels."""
    levels: dict[str, Rung] = {}
    labels: dict[str, Rung] = {}
    warnings = []
    for rung in rungs:
        defining = levels.setdefault(rung.code.casefold(), rung)
        if rung.level != defining.level:
            spelled = f" ({defining.code})" if defining.code != rung.code else ""
            errors.append(
                Problem(
                    rung.row,
                    f"code {rung.code} is {rung.level} here but {defining.level} on row "
                    f"{defining.row}{spelled}; a code has one level.",
                    "level",
                )
            )
            continue
        if rung.code != defining.code:
            errors.append(
                Problem(
                    rung.row,
                    f"code {rung.code} is written {defining.code} on row {defining.row}; codes "
                    "that differ only in case are one code, so write it the same way each time.",
                    "code",
                )
            )
            continue
        if not rung.label:
            continue
        labelled = labels.setdefault(rung.code, rung)
        if rung.label != labelled.label:
            warnings.append(
                Problem(
                    rung.row,
                    f"code {rung.code} is labelled {rung.label!r} here but {labelled.label!r} on "
                    f"row {labelled.row}; the first label is used.",
                    "label",
                )
            )
    return (
        {rung.code: rung.level for rung in levels.values()},
        {
            rung.code: labels[rung.code].label if rung.code in labels else ""
            for rung in levels.values()
        },
        warnings,
    )


def _check_respondent_spelling(rungs: list[Rung], errors: list[Problem]) -> None:
    """Respondents are told apart without regard to case, as the study does (R1 and r1 are one
    respondent): one written two ways is an error naming the row."""
    first: dict[str, Rung] = {}
    for rung in rungs:
        earlier = first.setdefault(rung.respondent.casefold(), rung)
        if rung.respondent != earlier.respondent:
            errors.append(
                Problem(
                    rung.row,
                    f"respondent {rung.respondent} is written {earlier.respondent} on row "
                    f"{earlier.row}; respondents that differ only in case are one respondent, so "
                    "write it the same way each time.",
                    "respondent",
                )
            )


def _check_ladder_spelling(rungs: list[Rung], errors: list[Problem]) -> list[Rung]:
    """Ladder ids are told apart without regard to case within a respondent, as the study
    does when a file is imported (L1 and l1 are one ladder): one written two ways is an error.
    The rungs come back with the first spelling, so the ladder's other checks see one ladder."""
    first: dict[tuple[str, str], Rung] = {}
    spelled: list[Rung] = []
    for rung in rungs:
        earlier = first.setdefault((rung.respondent.casefold(), rung.ladder.casefold()), rung)
        if rung.ladder != earlier.ladder:
            errors.append(
                Problem(
                    rung.row,
                    f"ladder {rung.ladder} of respondent {rung.respondent} is written "
                    f"{earlier.ladder} on row {earlier.row}; ladder ids that differ only in case "
                    "are one ladder, so write it the same way each time.",
                    "ladder",
                )
            )
        spelled.append(replace(rung, ladder=earlier.ladder))
    return spelled


def _check_segments(rungs: list[Rung], errors: list[Problem]) -> None:
    """A respondent belongs to one segment, so each ladder does too."""
    first: dict[str, Rung] = {}
    for rung in rungs:
        earlier = first.setdefault(rung.respondent, rung)
        if rung.segment != earlier.segment:
            errors.append(
                Problem(
                    rung.row,
                    f"respondent {rung.respondent} is in segment {rung.segment!r} here but "
                    f"{earlier.segment!r} on row {earlier.row}; a respondent has one segment.",
                    "segment",
                )
            )


def _ladders(rungs: list[Rung]) -> dict[tuple[str, str], list[Rung]]:
    """The rungs of each ladder, bottom first."""
    ladders: dict[tuple[str, str], list[Rung]] = defaultdict(list)
    for rung in rungs:
        ladders[(rung.respondent, rung.ladder)].append(rung)
    for ladder in ladders.values():
        ladder.sort(key=lambda rung: rung.position)
    return dict(ladders)


def _check_positions(ladder: list[Rung], errors: list[Problem]) -> None:
    """Positions run 1, 2, 3… with no gap, and a ladder links at least two codes."""
    if len(ladder) == 1:
        rung = ladder[0]
        errors.append(
            Problem(rung.row, f"{rung.where} has one rung; a ladder links two codes or more.")
        )
    expected = 1
    for rung in ladder:
        if rung.position != expected:
            gap = (
                f"it jumps from {expected - 1} to {rung.position}"
                if expected > 1
                else "positions start at 1"
            )
            errors.append(
                Problem(rung.row, f"{rung.where} has no position {expected}; {gap}.", "position")
            )
            return
        expected += 1


def _check_order(ladder: list[Rung], levels: dict[str, str], warnings: list[Problem]) -> None:
    """Warn when a ladder steps down in abstraction (V before A) or repeats a code."""
    seen: dict[str, Rung] = {}
    for lower, upper in itertools.pairwise(ladder):
        if lower.code not in levels or upper.code not in levels:
            continue  # a code written two ways: already an error
        if abstraction_order(levels[lower.code], levels[upper.code]) > 0:
            warnings.append(
                Problem(
                    upper.row,
                    f"{upper.where} goes down in level from {lower.code} "
                    f"({levels[lower.code]}, position {lower.position}) to {upper.code} "
                    f"({levels[upper.code]}, position {upper.position}).",
                )
            )
    for rung in ladder:
        earlier = seen.setdefault(rung.code, rung)
        if earlier is not rung:
            warnings.append(
                Problem(
                    rung.row,
                    f"{rung.where} repeats code {rung.code} (positions {earlier.position} and "
                    f"{rung.position}); a code does not imply itself, so that link is not counted.",
                )
            )
