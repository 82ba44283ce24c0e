"""The drawn map: values above consequences above attributes, and few crossings."""

from __future__ import annotations

import itertools
import re

from carebond.value_maps.analysis import Code, Ladder, LadderStudy, MapEdge, analyze
from carebond.value_maps.svg import (
    assign_rows,
    count_crossings,
    label_lines,
    label_width,
    layout,
    order_rows,
    render_map,
)


def _edge(source: str, target: str) -> MapEdge:
    return MapEdge(source, target, 1)


def test_rows_put_values_on_top_and_climb_within_a_level() -> None:
    levels = {"A1": "A_c", "C1": "C_f", "C3": "C_p", "V1": "V_t"}
    edges = [_edge("A1", "C1"), _edge("C1", "C3"), _edge("C3", "V1")]
    assert assign_rows(levels, edges) == [["A1"], ["C1"], ["C3"], ["V1"]]


def test_barycentre_sweeps_remove_avoidable_crossings() -> None:
    # given two chains drawn crossed in code order: A1 -> C2 and A2 -> C1
    edges = [_edge("A1", "C2"), _edge("A2", "C1"), _edge("C1", "V2"), _edge("C2", "V1")]
    rows = [["A1", "A2"], ["C1", "C2"], ["V1", "V2"]]
    assert count_crossings(rows, edges) == 2
    # when ordered
    ordered, crossings = order_rows(rows, edges)
    # then nothing crosses
    assert crossings == 0 == count_crossings(ordered, edges)


def _study() -> LadderStudy:
    codes = tuple(
        Code(key, key, level)
        for key, level in (("A1", "A"), ("A2", "A"), ("C1", "C"), ("C2", "C"), ("V1", "V"))
    )
    ladders = tuple(
        Ladder(f"R{n}", "L1", rungs)
        for n, rungs in enumerate(
            [("A1", "C2", "V1"), ("A1", "C2", "V1"), ("A2", "C1", "V1"), ("A2", "C1", "V1")]
        )
    )
    return LadderStudy(codes=codes, ladders=ladders)


def test_the_svg_has_a_node_per_code_an_edge_per_link_and_tooltips() -> None:
    analysis = analyze(_study(), cutoff=1)
    svg = render_map(analysis, words={"V1": [("R0", "I trust <them>")]}, link="?code=")
    assert len(re.findall(r'class="vm-node"', svg)) == 5
    assert len(re.findall(r'class="vm-edge"', svg)) == 4
    assert "I trust &lt;them&gt;" in svg
    assert "<them>" not in svg
    assert 'href="?code=V1#ladders"' in svg
    placed = layout(analysis).nodes
    assert placed["V1"].y < placed["C1"].y < placed["A1"].y
    assert layout(analysis).crossings == 0


def test_an_empty_map_says_to_lower_the_cutoff() -> None:
    svg = render_map(analyze(_study(), cutoff=9))
    assert "lower the cut-off" in svg
    assert 'data-edges="0"' in svg


def test_a_code_is_url_encoded_in_its_link() -> None:
    # given a code stored before codes were checked on import: '&', '#' and a space in it
    codes = (Code("A&1 #x", "odd", "A"), Code("V1", "v", "V"))
    study = LadderStudy(codes=codes, ladders=(Ladder("R1", "L1", ("A&1 #x", "V1")),))
    # when the map links each code to its ladders
    svg = render_map(analyze(study, cutoff=1), link="?cutoff=1&code=")
    # then the code is one query value, whatever it holds
    assert 'href="?cutoff=1&amp;code=A%261%20%23x#ladders"' in svg
    assert 'data-code="A&amp;1 #x"' in svg


def test_node_size_is_by_respondents_even_when_counting_ladders() -> None:
    # given R1 naming A1 in three ladders, and R2 and R3 naming A2 once each
    codes = (Code("A1", "a1", "A"), Code("A2", "a2", "A"), Code("V1", "v", "V"))
    ladders = (
        *(Ladder("R1", f"L{n}", ("A1", "V1")) for n in (1, 2, 3)),
        Ladder("R2", "L1", ("A2", "V1")),
        Ladder("R3", "L1", ("A2", "V1")),
    )
    analysis = analyze(LadderStudy(codes=codes, ladders=ladders), cutoff=1, count_unit="ladder")
    # when the map is drawn counting ladders
    nodes = layout(analysis).nodes
    # then A2 (two respondents) is drawn larger than A1 (one respondent, three ladders)
    assert nodes["A2"].radius > nodes["A1"].radius
    svg = render_map(analysis)
    assert "A1 a1 (A): mentioned by 1 respondent in 3 ladders" in svg


def test_long_labels_wrap_and_no_two_labels_of_a_row_meet() -> None:
    # given six consequences with long labels in one row, as in the demo study
    labels = (
        "understand my condition",
        "patients follow through",
        "can explore what matters",
        "feel listened to",
        "same-day appointments available",
        "portal messages answered",
    )
    codes = (
        *(Code(f"C{n}", label, "C") for n, label in enumerate(labels, start=1)),
        Code("V1", "trust", "V"),
    )
    ladders = tuple(Ladder(f"R{n}", "L1", (f"C{n}", "V1")) for n in range(1, 7))
    analysis = analyze(LadderStudy(codes=codes, ladders=ladders), cutoff=1)
    # when the map is laid out
    nodes = layout(analysis).nodes
    row = sorted((nodes[f"C{n}"] for n in range(1, 7)), key=lambda node: node.x)
    # then labels go on two lines of at most 22 characters, split at a space
    assert label_lines("same-day appointments available") == ["same-day appointments", "available"]
    assert label_lines("feel listened to") == ["feel listened to"]
    # and neighbours in a row stand further apart than half their labels' widths
    for left, right in itertools.pairwise(row):
        assert right.x - left.x >= (label_width(left.label) + label_width(right.label)) / 2
    svg = render_map(analysis)
    assert ">understand</tspan>" in svg
    assert ">my condition</tspan>" in svg
