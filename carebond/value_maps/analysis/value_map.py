"""The hierarchical value map at a cut-off (methods.md §1.3), with its graph helpers, and the
structural indices abstractness and centrality (§1.4)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carebond.value_maps.analysis.matrix import ImplicationMatrix
from carebond.value_maps.analysis.study import Code, MatrixChoice

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
