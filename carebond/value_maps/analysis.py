"""Means-end chain analysis of laddering interviews (docs/methods.md §1), as pure functions.

A study is a set of ladders: each one a respondent's chain of codes from an attribute (A) through
consequences (C) to a value (V). From the ladders we build the summary implication matrix (two
integer matrices, direct and indirect, §1.2), the cut-off table that tells the analyst how much of
the data each cut-off keeps (§1.3), the hierarchical value map at a chosen cut-off (§1.3), the
structural indices abstractness and centrality (§1.4) and the dominant pathways from attributes to
values (§1.3). Everything here is deterministic and independent of the order of the ladders, so a
stored study, the command line and the value-map page all show the same numbers.

No database and no Django: the stored-study API, the SVG map and the demo build on these types.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
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


# --- the hierarchical value map (§1.3) --------------------------------------------------------


@dataclass(frozen=True)
class MapNode:
    """A code on the map: ``mentions`` counts the units (respondents or ladders) that used it,
    ``respondents`` the respondents who did, which sets its size whatever the unit."""

    code: Code
    mentions: int
    respondents: int = 0


@dataclass(frozen=True)
class MapEdge:
    """A link of the map. Kept links are solid with weight M[i][j]; an ``indirect`` link is
    drawn dashed with weight T[i][j]. ``in_cycle`` marks links on a cycle, to flag, not draw."""

    source: str
    target: str
    weight: int
    indirect: bool = False
    in_cycle: bool = False


@dataclass(frozen=True)
class ValueMap:
    """The HVM at one cut-off: nodes, kept and dashed indirect edges, and any cycles found."""

    cutoff: int
    on: MatrixChoice
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    cycles: tuple[tuple[str, ...], ...]

    @property
    def acyclic(self) -> bool:
        return not self.cycles

    @property
    def kept_edges(self) -> tuple[MapEdge, ...]:
        return tuple(edge for edge in self.edges if not edge.indirect)

    @property
    def indirect_edges(self) -> tuple[MapEdge, ...]:
        return tuple(edge for edge in self.edges if edge.indirect)


def hierarchical_value_map(
    matrix: ImplicationMatrix, cutoff: int, *, on: MatrixChoice = "direct"
) -> ValueMap:
    """The HVM of §1.3 at cut-off c.

    1. Keep (i, j) when M[i][j] ≥ c (M = D by default, T as the variant), weight M[i][j].
    2. Add a dashed indirect edge i→j when T[i][j] ≥ c, the cell was not kept, and the kept
       edges give no path i⇝j (R&G: consider indirect relations too, without repeating a chain
       the map already shows).
    3. Nodes are the codes that touch an edge, kept or dashed (a dashed edge's ends are drawn
       even when no kept link touches them, or the edge would hang in the air).
    4. Check for cycles (C1→C2→C1 usually means a coding problem): each strongly connected group
       of codes is reported once as a cycle, and its edges are marked ``in_cycle``.
    """
    if cutoff < 1:
        raise ValueError("The cut-off must be 1 or more.")
    kept_cells = matrix.matrix(on)
    total = matrix.total
    size = len(matrix.codes)
    kept = {
        (i, j): kept_cells[i][j]
        for i in range(size)
        for j in range(size)
        if kept_cells[i][j] >= cutoff
    }
    successors: dict[int, list[int]] = defaultdict(list)
    for i, j in kept:
        successors[i].append(j)
    indirect: dict[tuple[int, int], int] = {}
    for i in range(size):
        reachable = _reachable(i, successors)
        for j in range(size):
            if i != j and (i, j) not in kept and total[i][j] >= cutoff and j not in reachable:
                indirect[(i, j)] = total[i][j]
    all_edges = {**kept, **indirect}
    groups = _strongly_connected(size, all_edges)
    group_of = {k: number for number, group in enumerate(groups) for k in group}
    edges = tuple(
        MapEdge(
            source=matrix.codes[i].id,
            target=matrix.codes[j].id,
            weight=weight,
            indirect=(i, j) in indirect,
            in_cycle=i in group_of and group_of[i] == group_of.get(j),
        )
        for (i, j), weight in sorted(all_edges.items())
    )
    on_map = sorted({k for pair in all_edges for k in pair})
    return ValueMap(
        cutoff=cutoff,
        on=on,
        nodes=tuple(
            MapNode(
                matrix.codes[k],
                matrix.mentions[k],
                matrix.respondents[k] if matrix.respondents else matrix.mentions[k],
            )
            for k in on_map
        ),
        edges=edges,
        cycles=tuple(
            tuple(matrix.codes[k].id for k in _one_cycle(group, all_edges)) for group in groups
        ),
    )


def _reachable(start: int, successors: Mapping[int, Sequence[int]]) -> set[int]:
    seen: set[int] = set()
    queue = deque(successors.get(start, ()))
    while queue:
        node = queue.popleft()
        if node not in seen:
            seen.add(node)
            queue.extend(successors.get(node, ()))
    return seen


def _strongly_connected(size: int, edges: Mapping[tuple[int, int], int]) -> list[list[int]]:
    """Groups of two or more codes that all reach each other (Tarjan), smallest index first."""
    successors: dict[int, list[int]] = defaultdict(list)
    for i, j in sorted(edges):
        successors[i].append(j)
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    groups: list[list[int]] = []

    def visit(node: int) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        on_stack.add(node)
        for nxt in successors[node]:
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            group: list[int] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in range(size):
        if node not in order:
            visit(node)
    return sorted(groups)


def _one_cycle(group: list[int], edges: Mapping[tuple[int, int], int]) -> list[int]:
    """A shortest cycle through the group's first code, staying inside the group."""
    members = set(group)
    start = group[0]
    previous: dict[int, int] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(j for (i, j) in edges if i == node and j in members):
            if nxt == start:
                cycle = [node]
                while cycle[-1] != start:
                    cycle.append(previous[cycle[-1]])
                return cycle[::-1]
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    raise AssertionError("a strongly connected group always has a cycle")


# --- structural indices (§1.4) ----------------------------------------------------------------


@dataclass(frozen=True)
class CodeIndex:
    """Abstractness and centrality of one code on M (D or T, named in ``StructuralIndices``).

    Abstractness = in / (in + out): 1 for a pure end (a value), 0 for a pure means. Centrality
    = (in + out) / Σ M: the share of all links that touch the code, so centralities sum to 2.
    Either is None when undefined (a code with no links; a matrix with no relations).
    """

    code: Code
    in_degree: int
    out_degree: int
    abstractness: float | None
    centrality: float | None


@dataclass(frozen=True)
class StructuralIndices:
    """Per-code indices plus the matrix-wide descriptors; ``on`` says which matrix (§1.7)."""

    on: MatrixChoice
    codes: tuple[CodeIndex, ...]
    relations: int
    active_cells: int

    @property
    def density(self) -> float:
        """Non-zero cells / K(K-1), the possible cells off the diagonal."""
        possible = len(self.codes) * (len(self.codes) - 1)
        return self.active_cells / possible if possible else 0.0

    def of(self, code_id: str) -> CodeIndex:
        for index in self.codes:
            if index.code.id == code_id:
                return index
        raise KeyError(code_id)


def structural_indices(
    matrix: ImplicationMatrix, *, on: MatrixChoice = "direct"
) -> StructuralIndices:
    """Pieters, Baumgartner & Allen (1995) indices on D by default (§1.4)."""
    cells = matrix.matrix(on)
    relations = sum(sum(row) for row in cells)
    indices = []
    for k, code in enumerate(matrix.codes):
        in_degree = sum(row[k] for row in cells)
        out_degree = sum(cells[k])
        touching = in_degree + out_degree
        indices.append(
            CodeIndex(
                code=code,
                in_degree=in_degree,
                out_degree=out_degree,
                abstractness=in_degree / touching if touching else None,
                centrality=touching / relations if relations else None,
            )
        )
    return StructuralIndices(
        on=on,
        codes=tuple(indices),
        relations=relations,
        active_cells=sum(1 for row in cells for count in row if count),
    )


# --- dominant pathways (§1.3) -----------------------------------------------------------------


@dataclass(frozen=True)
class Pathway:
    """A maximal attribute-to-value path of the map.

    ``strength`` = Σ over every ordered pair a < b of the path of T[p_a][p_b] (R&G: count the
    direct and indirect links among the chain's elements). ``support`` = respondents with a
    ladder that contains the whole path in order (other rungs may sit in between); ``ladders``
    counts those ladders. ``uses_indirect`` when the path follows a dashed edge.
    """

    codes: tuple[str, ...]
    strength: int
    support: int
    ladders: int
    uses_indirect: bool

    @property
    def key(self) -> str:
        return ">".join(self.codes)


@dataclass(frozen=True)
class Pathways:
    """Every maximal A→…→V path of a map, strongest first. ``complete`` is False when the
    enumeration stopped at ``MAX_PATHS`` paths or ``MAX_STEPS`` steps (a map far too dense to
    read: raise the cut-off)."""

    ranked: tuple[Pathway, ...]
    complete: bool

    def top(self, count: int = 5) -> tuple[Pathway, ...]:
        return self.ranked[:count]


def dominant_pathways(
    study: LadderStudy, matrix: ImplicationMatrix, value_map: ValueMap
) -> Pathways:
    """The dominant perceptual orientations of §1.3, ranked by strength, then support.

    ``matrix`` must be the study's matrix and ``value_map`` a map drawn from it. Paths follow
    the map's edges, kept and dashed; they start at any attribute and end at a value, and a path
    that sits inside a longer one (A2→C2→V1 inside A1→A2→C2→V1) is not listed on its own.
    """
    levels = {node.code.id: node.code.main_level for node in value_map.nodes}
    successors: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for edge in value_map.edges:
        successors[edge.source].append((edge.target, edge.indirect))
    found, complete = _attribute_to_value_paths(levels, successors)
    inner = _inner_paths(found)
    total = matrix.total
    position = {code.id: k for k, code in enumerate(matrix.codes)}
    # Which ladders use each code: only ladders using every code of a path can hold it.
    ladders_using: dict[str, set[int]] = defaultdict(set)
    for number, ladder in enumerate(study.ladders):
        for rung in ladder.rungs:
            ladders_using[rung].add(number)
    pathways = []
    for codes, uses_indirect in found.items():
        if codes in inner:
            continue
        at = [position[code] for code in codes]
        candidates = set.intersection(*(ladders_using[code] for code in codes))
        holders = [
            study.ladders[number]
            for number in candidates
            if _in_order(codes, study.ladders[number].rungs)
        ]
        pathways.append(
            Pathway(
                codes=codes,
                strength=sum(
                    total[at[a]][at[b]] for a in range(len(at)) for b in range(a + 1, len(at))
                ),
                support=len({ladder.respondent for ladder in holders}),
                ladders=len(holders),
                uses_indirect=uses_indirect,
            )
        )
    pathways.sort(
        key=lambda p: (-p.strength, -p.support, -len(p.codes), [position[c] for c in p.codes])
    )
    return Pathways(ranked=tuple(pathways), complete=complete)


def _attribute_to_value_paths(
    levels: Mapping[str, str], successors: Mapping[str, Sequence[tuple[str, bool]]]
) -> tuple[dict[tuple[str, ...], bool], bool]:
    """Every simple path from an attribute that ends at a value, with whether it used a dashed
    edge; False as the second item when the enumeration stopped early.

    Codes that reach no value are left out first (a path through them never ends at a value).
    Even so, a dense map has exponentially many simple paths, most of them dead ends (their
    value is already on the path), so the walk stops after ``MAX_STEPS`` steps, whatever it has
    found, as well as after ``MAX_PATHS`` paths.
    """
    found: dict[tuple[str, ...], bool] = {}
    useful = _reaching_a_value(levels, successors)
    starts = sorted(
        (code for code, level in levels.items() if level == "A" and code in useful),
        key=natural_key,
    )
    steps = 0
    for start in starts:
        path = [start]
        on_path = {start}
        dashed = [False]
        pending = [iter(successors.get(start, ()))]
        while pending:
            for nxt, indirect in pending[-1]:
                if nxt in on_path or nxt not in useful:
                    continue
                steps += 1
                if steps > MAX_STEPS:
                    return found, False
                path.append(nxt)
                on_path.add(nxt)
                dashed.append(dashed[-1] or indirect)
                if levels[nxt] == "V":
                    found[tuple(path)] = dashed[-1]
                    if len(found) >= MAX_PATHS:
                        return found, False
                pending.append(iter(successors.get(nxt, ())))
                break
            else:
                pending.pop()
                dashed.pop()
                on_path.discard(path.pop())
    return found, True


def _reaching_a_value(
    levels: Mapping[str, str], successors: Mapping[str, Sequence[tuple[str, bool]]]
) -> set[str]:
    """The codes with a path to a value (values included)."""
    predecessors: dict[str, list[str]] = defaultdict(list)
    for source, targets in successors.items():
        for target, _ in targets:
            predecessors[target].append(source)
    reached = {code for code, level in levels.items() if level == "V"}
    queue = deque(reached)
    while queue:
        for previous in predecessors.get(queue.popleft(), ()):
            if previous not in reached:
                reached.add(previous)
                queue.append(previous)
    return reached


def _inner_paths(found: Iterable[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """Every path that runs contiguously inside a longer path that was found."""
    inner: set[tuple[str, ...]] = set()
    for path in found:
        for start in range(len(path)):
            for end in range(start + 2, len(path) + 1):
                if end - start < len(path):
                    inner.add(path[start:end])
    return inner


def _in_order(path: Sequence[str], rungs: Sequence[str]) -> bool:
    remaining = iter(rungs)
    return all(code in remaining for code in path)


# --- the whole analysis, per study or per segment ---------------------------------------------


@dataclass(frozen=True)
class LadderAnalysis:
    """Every §1 result for one study or segment, with the settings that produced them (§1.7:
    persist the settings with each HVM). ``cutoff_suggested`` when the cut-off was not given."""

    segment: str | None
    count_unit: CountUnit
    cutoff: int
    cutoff_suggested: bool
    cutoff_on: MatrixChoice
    indices_on: MatrixChoice
    summary: StudySummary
    matrix: ImplicationMatrix
    indices: StructuralIndices
    cutoff_table: tuple[CutoffRow, ...]
    value_map: ValueMap
    pathways: Pathways


def analyze(
    study: LadderStudy,
    *,
    segment: str | None = None,
    cutoff: int | None = None,
    count_unit: CountUnit = "respondent",
    cutoff_on: MatrixChoice = "direct",
    indices_on: MatrixChoice = "direct",
) -> LadderAnalysis:
    """Matrix, indices, cut-off table, map and pathways of a study, or of one of its segments.

    Without a cut-off, the map is drawn at ``suggest_cutoff`` of the table and the result says
    so; the analyst should still read the table.
    """
    scope = study if segment is None else study.for_segment(segment)
    matrix = implication_matrix(scope, count_unit=count_unit)
    table = cutoff_table(matrix, on=cutoff_on)
    chosen = suggest_cutoff(table) if cutoff is None else cutoff
    value_map = hierarchical_value_map(matrix, chosen, on=cutoff_on)
    return LadderAnalysis(
        segment=segment,
        count_unit=count_unit,
        cutoff=chosen,
        cutoff_suggested=cutoff is None,
        cutoff_on=cutoff_on,
        indices_on=indices_on,
        summary=summarize(scope),
        matrix=matrix,
        indices=structural_indices(matrix, on=indices_on),
        cutoff_table=table,
        value_map=value_map,
        pathways=dominant_pathways(scope, matrix, value_map),
    )


@dataclass(frozen=True)
class SharedLink:
    """A map link both segments keep, with its weight in each."""

    source: str
    target: str
    first: int
    second: int

    @property
    def key(self) -> str:
        return f"{self.source}>{self.target}"


@dataclass(frozen=True)
class SegmentComparison:
    """Two segments side by side: the codes each one used (whatever the cut-off) and the links
    each one's map keeps, split into those unique to either and those they share."""

    first: LadderAnalysis
    second: LadderAnalysis
    codes_only_first: tuple[str, ...]
    codes_only_second: tuple[str, ...]
    codes_shared: tuple[str, ...]
    links_only_first: tuple[Relation, ...]
    links_only_second: tuple[Relation, ...]
    links_shared: tuple[SharedLink, ...]


def compare_segments(
    study: LadderStudy,
    first: str,
    second: str,
    *,
    cutoff: int | None = None,
    count_unit: CountUnit = "respondent",
    cutoff_on: MatrixChoice = "direct",
    indices_on: MatrixChoice = "direct",
) -> SegmentComparison:
    """Analyse two segments with the same settings and set their codes and map links side by
    side. With no cut-off given, each segment's map uses its own suggested cut-off (segments
    often differ in size); both cut-offs are in the result."""
    one, two = (
        analyze(
            study,
            segment=segment,
            cutoff=cutoff,
            count_unit=count_unit,
            cutoff_on=cutoff_on,
            indices_on=indices_on,
        )
        for segment in (first, second)
    )
    codes_one = [code.id for code in one.matrix.codes]
    codes_two = [code.id for code in two.matrix.codes]
    links_one = {(e.source, e.target): e.weight for e in one.value_map.kept_edges}
    links_two = {(e.source, e.target): e.weight for e in two.value_map.kept_edges}
    order = {code.id: k for k, code in enumerate(study.codes)}

    def link_order(pair: tuple[str, str]) -> tuple[int, int]:
        return order[pair[0]], order[pair[1]]

    return SegmentComparison(
        first=one,
        second=two,
        codes_only_first=tuple(c for c in codes_one if c not in codes_two),
        codes_only_second=tuple(c for c in codes_two if c not in codes_one),
        codes_shared=tuple(c for c in codes_one if c in codes_two),
        links_only_first=tuple(
            Relation(s, t, links_one[(s, t)])
            for s, t in sorted(links_one.keys() - links_two.keys(), key=link_order)
        ),
        links_only_second=tuple(
            Relation(s, t, links_two[(s, t)])
            for s, t in sorted(links_two.keys() - links_one.keys(), key=link_order)
        ),
        links_shared=tuple(
            SharedLink(s, t, links_one[(s, t)], links_two[(s, t)])
            for s, t in sorted(links_one.keys() & links_two.keys(), key=link_order)
        ),
    )


# --- plain data for JSON (the command line's --json, later the API and the map page) ---------

JsonObject = dict[str, object]


def analysis_as_json(analysis: LadderAnalysis, *, top: int = 5) -> JsonObject:
    """The analysis as plain JSON data. Matrices are ``{"A1>C1": 2}`` over non-empty cells;
    ratios are unrounded floats (round when showing them)."""
    matrix = analysis.matrix
    summary = analysis.summary
    return {
        "settings": {
            "segment": analysis.segment,
            "count_unit": analysis.count_unit,
            "cutoff": analysis.cutoff,
            "cutoff_suggested": analysis.cutoff_suggested,
            "cutoff_on": analysis.cutoff_on,
            "indices_on": analysis.indices_on,
        },
        "summary": {
            "respondents": summary.respondents,
            "ladders": summary.ladders,
            "codes": summary.codes,
            "rungs": summary.rungs,
            "mean_ladder_length": summary.mean_ladder_length,
            "ladders_per_respondent": summary.ladders_per_respondent,
        },
        "codes": [
            {"code": code.id, "label": code.label, "level": code.level, "mentions": mentions}
            for code, mentions in zip(matrix.codes, matrix.mentions, strict=True)
        ],
        "matrices": {
            which: {relation.key: relation.count for relation in matrix.relations(which)}
            for which in ("direct", "indirect")
        },
        "indices": {
            "on": analysis.indices.on,
            "relations": analysis.indices.relations,
            "active_cells": analysis.indices.active_cells,
            "density": analysis.indices.density,
            "codes": {
                index.code.id: {
                    "in": index.in_degree,
                    "out": index.out_degree,
                    "abstractness": index.abstractness,
                    "centrality": index.centrality,
                }
                for index in analysis.indices.codes
            },
        },
        "cutoff_table": [
            {
                "cutoff": row.cutoff,
                "links_kept": row.links_kept,
                "relations_kept": row.relations_kept,
                "relations_total": row.relations_total,
                "active_cells": row.active_cells,
                "share_relations": row.share_relations,
                "share_active_cells": row.share_active_cells,
            }
            for row in analysis.cutoff_table
        ],
        "hvm": {
            "cutoff": analysis.value_map.cutoff,
            "on": analysis.value_map.on,
            "nodes": [
                {
                    "code": node.code.id,
                    "label": node.code.label,
                    "level": node.code.level,
                    "mentions": node.mentions,
                }
                for node in analysis.value_map.nodes
            ],
            "edges": [
                {
                    "from": edge.source,
                    "to": edge.target,
                    "weight": edge.weight,
                    "indirect": edge.indirect,
                    "in_cycle": edge.in_cycle,
                }
                for edge in analysis.value_map.edges
            ],
            "cycles": [list(cycle) for cycle in analysis.value_map.cycles],
        },
        "dominant_paths": [
            {
                "path": list(pathway.codes),
                "strength": pathway.strength,
                "support": pathway.support,
                "ladders": pathway.ladders,
                "uses_indirect": pathway.uses_indirect,
            }
            for pathway in analysis.pathways.top(top)
        ],
        "dominant_paths_complete": analysis.pathways.complete,
    }


def comparison_as_json(comparison: SegmentComparison, *, top: int = 5) -> JsonObject:
    """Both segments' analyses and what sets them apart, as plain JSON data."""
    first, second = comparison.first.segment, comparison.second.segment
    return {
        "segments": [first, second],
        "codes": {
            "only_first": list(comparison.codes_only_first),
            "only_second": list(comparison.codes_only_second),
            "shared": list(comparison.codes_shared),
        },
        "links": {
            "only_first": {r.key: r.count for r in comparison.links_only_first},
            "only_second": {r.key: r.count for r in comparison.links_only_second},
            "shared": {
                link.key: {"first": link.first, "second": link.second}
                for link in comparison.links_shared
            },
        },
        "first": analysis_as_json(comparison.first, top=top),
        "second": analysis_as_json(comparison.second, top=top),
    }
