"""Dominant pathways from attributes to values, with strength and support (methods.md §1.3)."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from carebond.value_maps.analysis.matrix import ImplicationMatrix
from carebond.value_maps.analysis.study import (
    MAX_PATHS,
    MAX_STEPS,
    LadderStudy,
    natural_key,
)
from carebond.value_maps.analysis.value_map import ValueMap

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
