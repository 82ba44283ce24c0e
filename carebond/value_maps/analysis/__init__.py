"""Means-end chain analysis of laddering interviews (docs/methods.md §1), as pure functions.

A study is a set of ladders: each one a respondent's chain of codes from an attribute (A) through
consequences (C) to a value (V). From the ladders we build the summary implication matrix (two
integer matrices, direct and indirect, §1.2), the cut-off table that tells the analyst how much of
the data each cut-off keeps (§1.3), the hierarchical value map at a chosen cut-off (§1.3), the
structural indices abstractness and centrality (§1.4) and the dominant pathways from attributes to
values (§1.3). Everything here is deterministic and independent of the order of the ladders, so a
stored study, the command line and the value-map page all show the same numbers.

No database and no Django: the stored-study API, the SVG map and the demo build on these types.
The parts: study (levels, codes, ladders), matrix (implication matrix, cut-off table),
value_map (the HVM and the structural indices), pathways; this module puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass

from carebond.value_maps.analysis.matrix import (
    CutoffRow,
    ImplicationMatrix,
    Matrix,
    Relation,
    cutoff_table,
    implication_matrix,
    suggest_cutoff,
)
from carebond.value_maps.analysis.pathways import (
    Pathway,
    Pathways,
    dominant_pathways,
)
from carebond.value_maps.analysis.study import (
    COUNT_UNITS,
    DEFAULT_KEEP_SHARE,
    LEVEL_NAMES,
    LEVELS,
    MATRIX_CHOICES,
    MAX_PATHS,
    MAX_STEPS,
    SUBLEVELS,
    Code,
    CountUnit,
    Ladder,
    LadderStudy,
    MatrixChoice,
    StudySummary,
    abstraction_order,
    level_rank,
    main_level,
    natural_key,
    summarize,
)
from carebond.value_maps.analysis.value_map import (
    CodeIndex,
    MapEdge,
    MapNode,
    StructuralIndices,
    ValueMap,
    hierarchical_value_map,
    structural_indices,
)

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


__all__ = [
    "COUNT_UNITS",
    "DEFAULT_KEEP_SHARE",
    "LEVELS",
    "LEVEL_NAMES",
    "MATRIX_CHOICES",
    "MAX_PATHS",
    "MAX_STEPS",
    "SUBLEVELS",
    "Code",
    "CodeIndex",
    "CountUnit",
    "CutoffRow",
    "ImplicationMatrix",
    "JsonObject",
    "Ladder",
    "LadderAnalysis",
    "LadderStudy",
    "MapEdge",
    "MapNode",
    "Matrix",
    "MatrixChoice",
    "Pathway",
    "Pathways",
    "Relation",
    "SegmentComparison",
    "SharedLink",
    "StructuralIndices",
    "StudySummary",
    "ValueMap",
    "abstraction_order",
    "analysis_as_json",
    "analyze",
    "compare_segments",
    "comparison_as_json",
    "cutoff_table",
    "dominant_pathways",
    "hierarchical_value_map",
    "implication_matrix",
    "level_rank",
    "main_level",
    "natural_key",
    "structural_indices",
    "suggest_cutoff",
    "summarize",
]
