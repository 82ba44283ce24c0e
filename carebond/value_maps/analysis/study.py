"""Levels of abstraction (methods.md §1.1), and the study: codes, ladders, a summary."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from carebond.core.errors import InvalidInput

# --- levels of abstraction (§1.1) -------------------------------------------------------------

# The three levels and their optional subtypes, from concrete to abstract.
LEVELS: tuple[str, ...] = ("A", "C", "V")
SUBLEVELS: tuple[str, ...] = ("A_c", "A_a", "C_f", "C_p", "V_i", "V_t")
LEVEL_NAMES: dict[str, str] = {
    "A": "attribute",
    "A_c": "concrete attribute",
    "A_a": "abstract attribute",
    "C": "consequence",
    "C_f": "functional consequence",
    "C_p": "psychosocial consequence",
    "V": "value",
    "V_i": "instrumental value",
    "V_t": "terminal value",
}

CountUnit = Literal["respondent", "ladder"]
COUNT_UNITS: tuple[CountUnit, ...] = ("respondent", "ladder")
# Which matrix a cut-off or an index is computed on: D alone, or T = D + I (§1.3, §1.4).
MatrixChoice = Literal["direct", "total"]
MATRIX_CHOICES: tuple[MatrixChoice, ...] = ("direct", "total")

# §1.3 [K, source not verified]: a map should keep roughly two-thirds of the relations.
DEFAULT_KEEP_SHARE = 2 / 3
# Path enumeration is exponential in the worst case; a readable map (≤ 25 nodes) stays far below.
MAX_PATHS = 5_000
# ...and so is the walk that finds them (dead ends included): it stops after this many steps.
MAX_STEPS = 200_000


def main_level(level: str) -> str:
    """'A', 'C' or 'V' for a level or subtype ('C_p' -> 'C')."""
    return level[0]


def level_rank(level: str) -> int:
    """0 for attributes, 1 for consequences, 2 for values: the HVM's rows from the bottom."""
    return LEVELS.index(main_level(level))


def abstraction_order(lower: str, higher: str) -> int:
    """Negative when ``lower`` is less abstract than ``higher``, 0 when tied, positive when above.

    Subtypes are compared only when both levels have one (C_f below C_p, V_i below V_t);
    a plain 'C' is neither above nor below 'C_p'.
    """
    by_level = level_rank(lower) - level_rank(higher)
    if by_level or lower not in SUBLEVELS or higher not in SUBLEVELS:
        return by_level
    return SUBLEVELS.index(lower) - SUBLEVELS.index(higher)


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort 'C2' before 'C10', so codes and respondents list the way people number them."""
    return tuple(
        (0, int(part)) if part.isascii() and part.isdigit() else (1, part.casefold())
        for part in re.split(r"([0-9]+)", text)
        if part
    )


# --- the study: codes and ladders -------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """A summary content code (§1.1): its short id ('C3'), a label and its level ('C_p')."""

    id: str
    label: str
    level: str

    @property
    def main_level(self) -> str:
        return main_level(self.level)


@dataclass(frozen=True)
class Ladder:
    """One elicited chain of one respondent, bottom rung first: ('A1', 'C1', 'C3', 'V1')."""

    respondent: str
    id: str
    rungs: tuple[str, ...]
    segment: str = ""


def _code_order(code: Code) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    return level_rank(code.level), natural_key(code.id)


@dataclass(frozen=True)
class LadderStudy:
    """The codes and ladders of one laddering study (or of one segment of it).

    Codes are kept in the canonical order the matrix and the tables use: attributes, then
    consequences, then values, each in natural order of their ids. Ladders are sorted by
    respondent and ladder id, so no result depends on the order the rows came in.
    """

    codes: tuple[Code, ...]
    ladders: tuple[Ladder, ...]

    def __post_init__(self) -> None:
        known = {code.id for code in self.codes}
        if len(known) != len(self.codes):
            raise ValueError("Each code id must appear once in a study.")
        for code in self.codes:
            if code.level not in LEVEL_NAMES:
                raise ValueError(f"Code {code.id} has the unknown level {code.level!r}.")
        seen: set[tuple[str, str]] = set()
        for ladder in self.ladders:
            if (ladder.respondent, ladder.id) in seen:
                raise ValueError(f"Respondent {ladder.respondent} has two ladders {ladder.id}.")
            seen.add((ladder.respondent, ladder.id))
            unknown = [rung for rung in ladder.rungs if rung not in known]
            if unknown:
                raise ValueError(f"Ladder {ladder.id} uses unknown codes: {', '.join(unknown)}.")
        object.__setattr__(self, "codes", tuple(sorted(self.codes, key=_code_order)))
        object.__setattr__(
            self,
            "ladders",
            tuple(
                sorted(
                    self.ladders, key=lambda la: (natural_key(la.respondent), natural_key(la.id))
                )
            ),
        )

    def code(self, code_id: str) -> Code:
        for code in self.codes:
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    @property
    def respondents(self) -> tuple[str, ...]:
        return tuple(sorted({ladder.respondent for ladder in self.ladders}, key=natural_key))

    @property
    def segments(self) -> tuple[str, ...]:
        """The named segments ('' — no segment — is left out)."""
        return tuple(
            sorted({ladder.segment for ladder in self.ladders if ladder.segment}, key=natural_key)
        )

    def for_segment(self, segment: str) -> LadderStudy:
        """The ladders of one segment, with only the codes those ladders use."""
        if segment not in self.segments:
            known = ", ".join(self.segments) or "none"
            raise InvalidInput(
                f"No ladders in segment {segment!r}; segments in the study: {known}.",
                field="segment",
                code="unknown_segment",
            )
        ladders = tuple(ladder for ladder in self.ladders if ladder.segment == segment)
        used = {rung for ladder in ladders for rung in ladder.rungs}
        return LadderStudy(
            codes=tuple(code for code in self.codes if code.id in used), ladders=ladders
        )


@dataclass(frozen=True)
class StudySummary:
    """The descriptors §1.4 suggests reporting next to the map."""

    respondents: int
    ladders: int
    codes: int
    rungs: int

    @property
    def mean_ladder_length(self) -> float:
        return self.rungs / self.ladders if self.ladders else 0.0

    @property
    def ladders_per_respondent(self) -> float:
        return self.ladders / self.respondents if self.respondents else 0.0


def summarize(study: LadderStudy) -> StudySummary:
    return StudySummary(
        respondents=len(study.respondents),
        ladders=len(study.ladders),
        codes=len(study.codes),
        rungs=sum(len(ladder.rungs) for ladder in study.ladders),
    )
