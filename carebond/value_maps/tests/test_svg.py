"""The drawn map: values above consequences above attributes, and few crossings."""

from __future__ import annotations

import re

from carebond.value_maps.analysis import Code, Ladder, LadderStudy, MapEdge, analyze
from carebond.value_maps.svg import assign_rows, count_crossings, layout, order_rows, render_map


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
