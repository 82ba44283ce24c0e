"""The analysis against docs/methods.md §1.5, to the printed numbers, plus its invariants."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carebond.core.errors import InvalidInput
from carebond.value_maps.analysis import (
    COUNT_UNITS,
    MATRIX_CHOICES,
    Code,
    ImplicationMatrix,
    Ladder,
    LadderStudy,
    MapEdge,
    MatrixChoice,
    analyze,
    compare_segments,
    cutoff_table,
    dominant_pathways,
    hierarchical_value_map,
    implication_matrix,
    structural_indices,
    suggest_cutoff,
    summarize,
)
from carebond.value_maps.ladder_csv import read_ladder_csv

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "samples" / "ladders.csv"

# §1.5: the seven codes and the four one-ladder respondents.
CODES = (
    Code("A1", "same-day appointments", "A_c"),
    Code("A2", "doctor explains clearly", "A_a"),
    Code("C1", "less waiting", "C_f"),
    Code("C2", "understand my condition", "C_f"),
    Code("C3", "feel in control", "C_p"),
    Code("V1", "peace of mind", "V_t"),
    Code("V2", "independence", "V_i"),
)
WORKED_LADDERS = {
    "R1": ("A1", "C1", "C3", "V1"),
    "R2": ("A2", "C2", "C3", "V1"),
    "R3": ("A1", "C1", "V2"),
    "R4": ("A2", "C2", "C3", "V1"),
}


def study_of(*ladders: tuple[str, tuple[str, ...]], codes: tuple[Code, ...] = CODES) -> LadderStudy:
    """A study with one ladder per (respondent, rungs) pair, numbered L1, L2… per respondent."""
    numbered: list[Ladder] = []
    for respondent, rungs in ladders:
        count = sum(1 for ladder in numbered if ladder.respondent == respondent)
        numbered.append(Ladder(respondent, f"L{count + 1}", rungs))
    return LadderStudy(codes=codes, ladders=tuple(numbered))


@pytest.fixture(scope="module")
def worked_example() -> LadderStudy:
    """§1.5 as the shipped sample file holds it (docs/samples/ladders.csv)."""
    study = read_ladder_csv(SAMPLE.read_bytes()).study
    assert study is not None
    return study


@pytest.fixture(scope="module")
def matrix(worked_example: LadderStudy) -> ImplicationMatrix:
    return implication_matrix(worked_example)


def test_the_shipped_sample_is_the_worked_example(worked_example: LadderStudy) -> None:
    # given the sample file read from disk
    # then it holds exactly the codes and ladders printed in §1.5
    assert worked_example.codes == CODES
    assert {ladder.respondent: ladder.rungs for ladder in worked_example.ladders} == (
        WORKED_LADDERS
    )
    summary = summarize(worked_example)
    assert (summary.respondents, summary.ladders, summary.codes, summary.rungs) == (4, 4, 7, 15)
    assert summary.mean_ladder_length == 3.75


def test_the_implication_matrix_is_the_printed_one(matrix: ImplicationMatrix) -> None:
    # when the matrix is built per respondent (the default)
    direct = {relation.key: relation.count for relation in matrix.relations("direct")}
    indirect = {relation.key: relation.count for relation in matrix.relations("indirect")}
    # then every cell is the §1.5 table's direct/indirect pair, and blanks are 0/0
    assert matrix.count_unit == "respondent"
    assert direct == {"A1>C1": 2, "A2>C2": 2, "C1>C3": 1, "C1>V2": 1, "C2>C3": 2, "C3>V1": 3}
    assert indirect == {
        "A1>C3": 1,
        "A1>V1": 1,
        "A1>V2": 1,
        "A2>C3": 2,
        "A2>V1": 2,
        "C1>V1": 1,
        "C2>V1": 2,
    }


def test_the_totals_are_the_printed_ones(matrix: ImplicationMatrix) -> None:
    # then Σ D = 11 over 6 active cells; Σ I = 10; Σ T = 21
    assert sum(map(sum, matrix.direct)) == 11
    assert len(matrix.relations("direct")) == 6
    assert sum(map(sum, matrix.indirect)) == 10
    assert sum(map(sum, matrix.total)) == 21
    assert all(matrix.total[k][k] == 0 for k in range(len(matrix.codes)))


def test_indices_on_d_are_the_printed_ones(matrix: ImplicationMatrix) -> None:
    # when abstractness and centrality are computed on D
    indices = structural_indices(matrix)
    # then the §1.5 table comes back to the printed three decimals
    printed = {
        "A1": (0, 2, 0.000, 0.182),
        "A2": (0, 2, 0.000, 0.182),
        "C1": (2, 2, 0.500, 0.364),
        "C2": (2, 2, 0.500, 0.364),
        "C3": (3, 3, 0.500, 0.545),
        "V1": (3, 0, 1.000, 0.273),
        "V2": (1, 0, 1.000, 0.091),
    }
    computed = {}
    for index in indices.codes:
        assert index.abstractness is not None
        assert index.centrality is not None
        computed[index.code.id] = (
            index.in_degree,
            index.out_degree,
            round(index.abstractness, 3),
            round(index.centrality, 3),
        )
    assert computed == printed
    assert indices.on == "direct"
    assert indices.relations == 11


def test_indices_on_t_change_as_printed(matrix: ImplicationMatrix) -> None:
    # when the indices use T = D + I instead
    c3 = structural_indices(matrix, on="total").of("C3")
    # then C3 has abstractness 0.667 and centrality 0.429 (§1.5)
    assert c3.abstractness is not None
    assert c3.centrality is not None
    assert (round(c3.abstractness, 3), round(c3.centrality, 3)) == (0.667, 0.429)


def test_the_cutoff_table_is_the_printed_one(matrix: ImplicationMatrix) -> None:
    # when the table is computed for every cut-off
    table = cutoff_table(matrix)
    # then it has the rows of §1.5: 11/11, 9/11 = 81.8%, 3/11 = 27.3%; 6/6, 4/6, 1/6
    rows = [
        (
            row.cutoff,
            row.links_kept,
            f"{row.relations_kept}/{row.relations_total}",
            round(100 * row.share_relations, 1),
            f"{row.links_kept}/{row.active_cells}",
            round(100 * row.share_active_cells, 1),
        )
        for row in table
    ]
    assert rows == [
        (1, 6, "11/11", 100.0, "6/6", 100.0),
        (2, 4, "9/11", 81.8, "4/6", 66.7),
        (3, 1, "3/11", 27.3, "1/6", 16.7),
    ]


def test_the_suggested_cutoff_is_the_one_the_worked_example_uses(
    matrix: ImplicationMatrix,
) -> None:
    # given the table (c=2 keeps 81.8%, c=3 keeps 27.3%)
    # then the largest cut-off keeping two-thirds is 2
    assert suggest_cutoff(cutoff_table(matrix)) == 2
    # and a stricter target falls back to keeping everything
    assert suggest_cutoff(cutoff_table(matrix), keep_share=0.9) == 1


def test_the_map_at_cutoff_2_is_the_printed_one(matrix: ImplicationMatrix) -> None:
    # when the HVM is drawn at c = 2
    value_map = hierarchical_value_map(matrix, 2)
    # then it keeps A1→C1, A2→C2, C2→C3, C3→V1 with their D weights; the A1 branch dead-ends at
    # C1, V2 is off the map, nothing is dashed and there is no cycle
    assert value_map.edges == (
        MapEdge("A1", "C1", 2),
        MapEdge("A2", "C2", 2),
        MapEdge("C2", "C3", 2),
        MapEdge("C3", "V1", 3),
    )
    assert [node.code.id for node in value_map.nodes] == ["A1", "A2", "C1", "C2", "C3", "V1"]
    assert [node.mentions for node in value_map.nodes] == [2, 2, 2, 2, 3, 3]
    assert value_map.indirect_edges == ()
    assert value_map.acyclic


def test_the_indirect_check_adds_nothing_for_the_printed_reason(matrix: ImplicationMatrix) -> None:
    # then T[A1][V1] and T[C1][V1] are 1, below c = 2, and A2⇝V1, C2⇝V1 have kept paths
    assert matrix.count("A1", "V1", "total") == 1
    assert matrix.count("C1", "V1", "total") == 1
    assert matrix.count("A2", "V1", "total") == 2
    assert matrix.count("C2", "V1", "total") == 2


def test_the_dominant_orientation_is_the_printed_one(
    worked_example: LadderStudy, matrix: ImplicationMatrix
) -> None:
    # when the pathways of the map at c = 2 are ranked
    pathways = dominant_pathways(worked_example, matrix, hierarchical_value_map(matrix, 2))
    # then the only attribute-to-value path is A2→C2→C3→V1: strength 13, support 2 (R2, R4)
    assert [(p.key, p.strength, p.support, p.ladders) for p in pathways.ranked] == [
        ("A2>C2>C3>V1", 13, 2, 2)
    ]
    assert pathways.complete


def test_analyze_bundles_every_result_with_its_settings(worked_example: LadderStudy) -> None:
    # when the whole analysis runs without a cut-off
    analysis = analyze(worked_example)
    # then the suggested cut-off 2 is used, and said to be suggested
    assert (analysis.cutoff, analysis.cutoff_suggested) == (2, True)
    assert (analysis.count_unit, analysis.cutoff_on, analysis.indices_on) == (
        "respondent",
        "direct",
        "direct",
    )
    assert analysis.pathways.top(1)[0].strength == 13
    # and a given cut-off is used as given
    assert analyze(worked_example, cutoff=3).value_map.edges == (MapEdge("C3", "V1", 3),)


# --- counting conventions ---------------------------------------------------------------------


def test_per_respondent_counts_a_link_once_per_respondent_per_ladder_once_per_ladder() -> None:
    # given R1 says A1→C1→V1 twice (two ladders) and R2 once
    study = study_of(
        ("R1", ("A1", "C1", "V1")), ("R1", ("A1", "C1", "V1")), ("R2", ("A1", "C1", "V1"))
    )
    # when counted per respondent, then per ladder
    per_respondent = implication_matrix(study)
    per_ladder = implication_matrix(study, count_unit="ladder")
    # then the talkative respondent counts once, or twice per ladder (§1.2)
    assert per_respondent.count("A1", "C1") == 2
    assert per_respondent.count("A1", "V1", "indirect") == 2
    assert per_ladder.count("A1", "C1") == 3
    assert per_ladder.count("A1", "V1", "indirect") == 3
    assert per_respondent.mentions[per_respondent.index("A1")] == 2
    assert per_ladder.mentions[per_ladder.index("A1")] == 3


def test_a_respondent_can_count_once_as_direct_and_once_as_indirect() -> None:
    # given one respondent with C1 right after A1 in one ladder and two rungs later in another
    study = study_of(("R1", ("A1", "C1", "V1")), ("R1", ("A1", "C2", "C1", "V1")))
    matrix = implication_matrix(study)
    # then both cells count that respondent
    assert (matrix.count("A1", "C1"), matrix.count("A1", "C1", "indirect")) == (1, 1)


def test_indirect_relations_reach_the_last_rung() -> None:
    # given a five-rung ladder (the open-source tool of §1.6 misses its last rung)
    study = study_of(("R1", ("A1", "A2", "C1", "C3", "V1")))
    matrix = implication_matrix(study)
    # then the first rung implies the last one indirectly
    assert matrix.count("A1", "V1", "indirect") == 1
    assert matrix.count("A2", "V1", "indirect") == 1
    assert sum(map(sum, matrix.indirect)) == 6  # 4·3/2 ordered pairs minus the 4 direct ones


def test_a_repeated_code_never_implies_itself() -> None:
    # given a ladder that comes back to C1
    matrix = implication_matrix(study_of(("R1", ("A1", "C1", "C3", "C1", "V1"))))
    # then the diagonal stays 0 and the loop shows as C1→C3 and C3→C1
    assert all(matrix.total[k][k] == 0 for k in range(len(matrix.codes)))
    assert (matrix.count("C1", "C3"), matrix.count("C3", "C1")) == (1, 1)


# --- the map: dashed edges, cycles, maximal paths ---------------------------------------------


def test_a_dashed_indirect_edge_shows_a_relation_no_kept_path_carries() -> None:
    # given three respondents who all go from A1 to V1, each through a different consequence
    study = study_of(
        ("R1", ("A1", "C1", "V1")), ("R2", ("A1", "C2", "V1")), ("R3", ("A1", "C3", "V1"))
    )
    matrix = implication_matrix(study)
    # when the map is drawn at c = 2 (no direct link reaches it)
    value_map = hierarchical_value_map(matrix, 2)
    # then A1⇢V1 is drawn dashed with T = 3, and its ends are on the map
    assert value_map.edges == (MapEdge("A1", "V1", 3, indirect=True),)
    assert [node.code.id for node in value_map.nodes] == ["A1", "V1"]
    # and it is the dominant path, marked as using a dashed link
    pathways = dominant_pathways(study, matrix, value_map)
    assert [(p.key, p.strength, p.support, p.uses_indirect) for p in pathways.ranked] == [
        ("A1>V1", 3, 3, True)
    ]


def test_a_cycle_is_flagged() -> None:
    # given two respondents coding C1 before C2 and two coding C2 before C1
    study = study_of(
        ("R1", ("A1", "C1", "C2", "V1")),
        ("R2", ("A1", "C1", "C2", "V1")),
        ("R3", ("A1", "C2", "C1", "V1")),
        ("R4", ("A1", "C2", "C1", "V1")),
    )
    # when the map is drawn at c = 2
    value_map = hierarchical_value_map(implication_matrix(study), 2)
    # then the cycle C1→C2→C1 is reported and its edges are marked
    assert value_map.cycles == (("C1", "C2"),)
    assert not value_map.acyclic
    assert {(e.source, e.target) for e in value_map.edges if e.in_cycle} == {
        ("C1", "C2"),
        ("C2", "C1"),
    }


def test_only_maximal_paths_are_listed() -> None:
    # given ladders that climb from a concrete to an abstract attribute and on to two values
    study = study_of(
        ("R1", ("A1", "A2", "C1", "V2", "V1")),
        ("R2", ("A1", "A2", "C1", "V2", "V1")),
    )
    matrix = implication_matrix(study)
    pathways = dominant_pathways(study, matrix, hierarchical_value_map(matrix, 2))
    # then A2→C1→V2 and A1→A2→C1→V2 sit inside the longest path and are not listed
    assert [p.key for p in pathways.ranked] == ["A1>A2>C1>V2>V1"]
    # strength counts every ordered pair: 10 pairs of T = 2
    assert pathways.ranked[0].strength == 20


# --- segments ---------------------------------------------------------------------------------


def test_a_segment_is_analysed_on_its_own_ladders(worked_example: LadderStudy) -> None:
    # when only the chronic-care respondents (R2, R4) are analysed
    analysis = analyze(worked_example, segment="chronic care")
    # then only their codes and links count
    assert [code.id for code in analysis.matrix.codes] == ["A2", "C2", "C3", "V1"]
    assert {r.key: r.count for r in analysis.matrix.relations("direct")} == {
        "A2>C2": 2,
        "C2>C3": 2,
        "C3>V1": 2,
    }
    assert analysis.summary.respondents == 2
    assert analysis.segment == "chronic care"


def test_two_segments_side_by_side(worked_example: LadderStudy) -> None:
    # when new patients and chronic-care patients are compared at the same cut-off
    comparison = compare_segments(worked_example, "new patient", "chronic care", cutoff=1)
    # then the codes and map links unique to each, and the shared ones, are listed
    assert comparison.codes_only_first == ("A1", "C1", "V2")
    assert comparison.codes_only_second == ("A2", "C2")
    assert comparison.codes_shared == ("C3", "V1")
    assert [r.key for r in comparison.links_only_first] == ["A1>C1", "C1>C3", "C1>V2"]
    assert [r.key for r in comparison.links_only_second] == ["A2>C2", "C2>C3"]
    assert [(link.key, link.first, link.second) for link in comparison.links_shared] == [
        ("C3>V1", 1, 2)
    ]


def test_an_unknown_segment_is_refused_by_name(worked_example: LadderStudy) -> None:
    with pytest.raises(InvalidInput) as raised:
        analyze(worked_example, segment="staff")
    assert raised.value.message == (
        "No ladders in segment 'staff'; segments in the study: chronic care, new patient."
    )


# --- invariants -------------------------------------------------------------------------------

_POOL = (
    Code("A1", "a1", "A_c"),
    Code("A2", "a2", "A_a"),
    Code("A3", "a3", "A"),
    Code("C1", "c1", "C_f"),
    Code("C2", "c2", "C_p"),
    Code("C3", "c3", "C"),
    Code("V1", "v1", "V_i"),
    Code("V2", "v2", "V_t"),
)

ladders_strategy = st.lists(
    st.tuples(
        st.sampled_from(["R1", "R2", "R3", "R4", "R5"]),
        st.lists(st.sampled_from([code.id for code in _POOL]), min_size=2, max_size=6).map(tuple),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(ladders=ladders_strategy, on=st.sampled_from(MATRIX_CHOICES))
def test_centralities_sum_to_two(
    ladders: list[tuple[str, tuple[str, ...]]], on: MatrixChoice
) -> None:
    # given any ladders; CEN_k = (in_k + out_k) / Σ M with the diagonal excluded (§1.4)
    matrix = implication_matrix(study_of(*ladders, codes=_POOL))
    indices = structural_indices(matrix, on=on)
    if indices.relations == 0:  # only self-links: centrality is undefined
        assert all(index.centrality is None for index in indices.codes)
        return
    # then every link touches two codes, so the centralities sum to 2
    assert sum(index.centrality or 0.0 for index in indices.codes) == pytest.approx(2.0)
    assert all(
        index.abstractness is None or 0.0 <= index.abstractness <= 1.0 for index in indices.codes
    )


@settings(max_examples=100, deadline=None)
@given(ladders=ladders_strategy, data=st.data())
def test_the_matrices_do_not_depend_on_the_order_of_ladders(
    ladders: list[tuple[str, tuple[str, ...]]], data: st.DataObject
) -> None:
    # given the same ladders in another order
    shuffled = data.draw(st.permutations(ladders))
    for unit in COUNT_UNITS:
        # when both are counted
        one = implication_matrix(study_of(*ladders, codes=_POOL), count_unit=unit)
        two = implication_matrix(study_of(*shuffled, codes=_POOL), count_unit=unit)
        # then the matrices are the same
        assert (one.direct, one.indirect, one.mentions) == (two.direct, two.indirect, two.mentions)


@settings(max_examples=100, deadline=None)
@given(ladders=ladders_strategy)
def test_per_ladder_counts_never_fall_below_per_respondent_counts(
    ladders: list[tuple[str, tuple[str, ...]]],
) -> None:
    study = study_of(*ladders, codes=_POOL)
    per_respondent = implication_matrix(study)
    per_ladder = implication_matrix(study, count_unit="ladder")
    for small, large in (
        (per_respondent.direct, per_ladder.direct),
        (per_respondent.indirect, per_ladder.indirect),
    ):
        assert all(
            a <= b
            for row_a, row_b in zip(small, large, strict=True)
            for a, b in zip(row_a, row_b, strict=True)
        )


# --- dense maps: the path walk always ends ----------------------------------------------------

DENSE_CONSEQUENCES = tuple(f"C{n}" for n in range(2, 14))


def _dense_study(*, through_c1: bool) -> LadderStudy:
    """A1→C1→V1 once, plus one respondent per ordered pair of twelve consequences (A1→Ci→Cj).
    With ``through_c1`` C1 is one of the twelve, so every consequence reaches the value, but
    only through C1."""
    consequences = ("C1", *DENSE_CONSEQUENCES[:11]) if through_c1 else DENSE_CONSEQUENCES
    codes = (
        Code("A1", "a", "A"),
        Code("C1", "c1", "C"),
        *(Code(c, c, "C") for c in DENSE_CONSEQUENCES),
        Code("V1", "v", "V"),
    )
    ladders = [("R0", ("A1", "C1", "V1"))]
    ladders += [
        (f"R-{one}-{two}", ("A1", one, two))
        for one in consequences
        for two in consequences
        if one != two
    ]
    return study_of(*ladders, codes=codes)


def test_dead_ends_are_pruned_so_a_small_dense_study_is_analysed_whole() -> None:
    # given the one ladder reaching a value and 132 ladders among twelve other consequences
    study = _dense_study(through_c1=False)
    # when it is analysed at the suggested cut-off (1: every link on the map)
    analysis = analyze(study)
    assert analysis.cutoff == 1
    assert len(analysis.value_map.edges) >= 132
    # then the walk skips the consequences that reach no value, and the result is complete
    assert analysis.pathways.complete
    assert [p.key for p in analysis.pathways.ranked] == ["A1>C1>V1"]


def test_a_walk_through_too_many_dead_ends_stops_and_says_so() -> None:
    # given twelve consequences all linked to each other that reach the value only through C1
    study = _dense_study(through_c1=True)
    # when it is analysed at cut-off 1
    analysis = analyze(study, cutoff=1)
    # then the walk stops at its step limit and says the list is incomplete
    assert not analysis.pathways.complete
    assert all(p.codes[0] == "A1" and p.codes[-1] == "V1" for p in analysis.pathways.ranked)
