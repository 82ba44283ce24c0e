"""The summary implication matrix (methods.md §1.2) and the cut-off table (§1.3)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from carebond.value_maps.analysis.study import (
    COUNT_UNITS,
    DEFAULT_KEEP_SHARE,
    Code,
    CountUnit,
    LadderStudy,
    MatrixChoice,
)

# --- the summary implication matrix (§1.2) ----------------------------------------------------

Matrix = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Relation:
    """One non-empty cell of a matrix: ``source`` implies ``target`` ``count`` times."""

    source: str
    target: str
    count: int

    @property
    def key(self) -> str:
        """'A1>C1', the key of the JSON outputs."""
        return f"{self.source}>{self.target}"


@dataclass(frozen=True)
class ImplicationMatrix:
    """The summary implication matrix as two integer matrices, D (direct) and I (indirect).

    Rows are "from", columns "to", both in the order of ``codes``; the diagonal is always 0.
    R&G print a cell as ``direct.indirect`` (4.02); we never encode it as a float (§1.2).
    ``mentions[k]`` counts the units (respondents or ladders) that used code k;
    ``respondents[k]`` the respondents who did, whatever the unit: the node size of the map
    (§1.3: how many respondents mentioned the code). ``count_unit`` is part of the result
    because it changes every number (§1.7).
    """

    codes: tuple[Code, ...]
    direct: Matrix
    indirect: Matrix
    mentions: tuple[int, ...]
    count_unit: CountUnit
    respondents: tuple[int, ...] = ()

    @cached_property
    def total(self) -> Matrix:
        """T = D + I."""
        return tuple(
            tuple(d + i for d, i in zip(d_row, i_row, strict=True))
            for d_row, i_row in zip(self.direct, self.indirect, strict=True)
        )

    def matrix(self, which: MatrixChoice | Literal["indirect"]) -> Matrix:
        if which == "direct":
            return self.direct
        return self.indirect if which == "indirect" else self.total

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {code.id: k for k, code in enumerate(self.codes)}

    def index(self, code_id: str) -> int:
        """The row and column of a code (KeyError when the study does not use it)."""
        return self._positions[code_id]

    def count(
        self, source: str, target: str, which: MatrixChoice | Literal["indirect"] = "direct"
    ) -> int:
        return self.matrix(which)[self.index(source)][self.index(target)]

    def relations(
        self, which: MatrixChoice | Literal["indirect"] = "direct"
    ) -> tuple[Relation, ...]:
        """The non-empty cells, row by row."""
        cells = self.matrix(which)
        return tuple(
            Relation(self.codes[i].id, self.codes[j].id, cells[i][j])
            for i in range(len(self.codes))
            for j in range(len(self.codes))
            if cells[i][j]
        )


def implication_matrix(
    study: LadderStudy, *, count_unit: CountUnit = "respondent"
) -> ImplicationMatrix:
    """D and I of §1.2, counting each (i, j) at most once per respondent (or per ladder).

    Direct: j comes immediately after i in a ladder. Indirect: j comes after i with at least one
    rung in between; every later rung counts, up to the last one (the open-source tool in §1.6
    misses the last rung). Self-implications (a code repeated in a ladder) are dropped.
    """
    if count_unit not in COUNT_UNITS:
        raise ValueError(f"count_unit must be one of {COUNT_UNITS}, not {count_unit!r}.")
    position = {code.id: k for k, code in enumerate(study.codes)}
    direct_by_unit: dict[tuple[str, ...], set[tuple[int, int]]] = defaultdict(set)
    indirect_by_unit: dict[tuple[str, ...], set[tuple[int, int]]] = defaultdict(set)
    used_by_unit: dict[tuple[str, ...], set[int]] = defaultdict(set)
    used_by_respondent: dict[str, set[int]] = defaultdict(set)
    for ladder in study.ladders:
        unit = (
            (ladder.respondent,) if count_unit == "respondent" else (ladder.respondent, ladder.id)
        )
        rungs = [position[rung] for rung in ladder.rungs]
        used_by_unit[unit].update(rungs)
        used_by_respondent[ladder.respondent].update(rungs)
        for p, source in enumerate(rungs):
            for q in range(p + 1, len(rungs)):
                if rungs[q] == source:
                    continue
                pairs = direct_by_unit if q == p + 1 else indirect_by_unit
                pairs[unit].add((source, rungs[q]))
    size = len(study.codes)
    return ImplicationMatrix(
        codes=study.codes,
        direct=_count_cells(direct_by_unit.values(), size),
        indirect=_count_cells(indirect_by_unit.values(), size),
        mentions=tuple(sum(1 for used in used_by_unit.values() if k in used) for k in range(size)),
        count_unit=count_unit,
        respondents=tuple(
            sum(1 for used in used_by_respondent.values() if k in used) for k in range(size)
        ),
    )


def _count_cells(pairs_per_unit: Iterable[set[tuple[int, int]]], size: int) -> Matrix:
    cells = [[0] * size for _ in range(size)]
    for pairs in pairs_per_unit:
        for source, target in pairs:
            cells[source][target] += 1
    return tuple(tuple(row) for row in cells)


# --- the cut-off table (§1.3) -----------------------------------------------------------------


@dataclass(frozen=True)
class CutoffRow:
    """What one cut-off c keeps: cells with M ≥ c, and their share of relations and cells.

    ``share_relations`` is the map's representativeness (§1.3): Σ M over kept cells / Σ M.
    ``share_active_cells`` is kept cells / cells with M ≥ 1.
    """

    cutoff: int
    links_kept: int
    relations_kept: int
    relations_total: int
    active_cells: int

    @property
    def share_relations(self) -> float:
        return self.relations_kept / self.relations_total if self.relations_total else 0.0

    @property
    def share_active_cells(self) -> float:
        return self.links_kept / self.active_cells if self.active_cells else 0.0


def cutoff_table(
    matrix: ImplicationMatrix, *, on: MatrixChoice = "direct"
) -> tuple[CutoffRow, ...]:
    """One row for every cut-off from 1 to the largest cell, so the analyst sees the trade-off
    before choosing (§1.3, §1.7: "always show the table")."""
    counts = [count for row in matrix.matrix(on) for count in row if count]
    total = sum(counts)
    return tuple(
        CutoffRow(
            cutoff=c,
            links_kept=sum(1 for count in counts if count >= c),
            relations_kept=sum(count for count in counts if count >= c),
            relations_total=total,
            active_cells=len(counts),
        )
        for c in range(1, max(counts, default=0) + 1)
    )


def suggest_cutoff(table: Sequence[CutoffRow], *, keep_share: float = DEFAULT_KEEP_SHARE) -> int:
    """The largest cut-off that still keeps ``keep_share`` of the relations (1 at least).

    Only a starting point [D, §1.3]: the analyst reads the table and may choose another.
    On §1.5 it gives 2 (81.8% kept; 3 would keep 27.3%), the cut-off the worked example uses.
    """
    keeping = [row.cutoff for row in table if row.share_relations >= keep_share]
    return max(keeping, default=1)
