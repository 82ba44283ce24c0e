"""carebond ladder analyze: the shipped example end to end, and the exit statuses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from carebond.cli import main

DOCS = Path(__file__).resolve().parents[3] / "docs"
SAMPLE = DOCS / "samples" / "ladders.csv"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `carebond ladder analyze ...` as the shell would; (exit status, stdout, stderr)."""
    try:
        main(["ladder", "analyze", *args])
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    status, out, err = run(capsys, *args, "--json")
    assert (status, err) == (0, "")
    result: dict[str, Any] = json.loads(out)
    return result


def test_json_on_the_shipped_example_is_the_worked_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # when the shipped sample (docs/methods.md §1.5) is analysed
    result = run_json(capsys, str(SAMPLE))
    # then the matrices, indices, cut-off table and dominant path are the printed ones
    assert result["matrices"] == {
        "direct": {"A1>C1": 2, "A2>C2": 2, "C1>C3": 1, "C1>V2": 1, "C2>C3": 2, "C3>V1": 3},
        "indirect": {
            "A1>C3": 1,
            "A1>V1": 1,
            "A1>V2": 1,
            "A2>C3": 2,
            "A2>V1": 2,
            "C1>V1": 1,
            "C2>V1": 2,
        },
    }
    indices = result["indices"]
    assert indices["on"] == "direct"
    assert {
        code: (v["in"], v["out"], round(v["abstractness"], 3), round(v["centrality"], 3))
        for code, v in indices["codes"].items()
    } == {
        "A1": (0, 2, 0.0, 0.182),
        "A2": (0, 2, 0.0, 0.182),
        "C1": (2, 2, 0.5, 0.364),
        "C2": (2, 2, 0.5, 0.364),
        "C3": (3, 3, 0.5, 0.545),
        "V1": (3, 0, 1.0, 0.273),
        "V2": (1, 0, 1.0, 0.091),
    }
    assert [
        (row["cutoff"], row["links_kept"], row["relations_kept"], row["active_cells"])
        for row in result["cutoff_table"]
    ] == [(1, 6, 11, 6), (2, 4, 9, 6), (3, 1, 3, 6)]
    assert result["settings"] == {
        "segment": None,
        "count_unit": "respondent",
        "cutoff": 2,
        "cutoff_suggested": True,
        "cutoff_on": "direct",
        "indices_on": "direct",
    }
    assert [(e["from"], e["to"], e["weight"]) for e in result["hvm"]["edges"]] == [
        ("A1", "C1", 2),
        ("A2", "C2", 2),
        ("C2", "C3", 2),
        ("C3", "V1", 3),
    ]
    assert result["dominant_paths"] == [
        {
            "path": ["A2", "C2", "C3", "V1"],
            "strength": 13,
            "support": 2,
            "ladders": 2,
            "uses_indirect": False,
        }
    ]
    assert result["warnings"] == []


def test_options_reach_the_analysis(capsys: pytest.CaptureFixture[str]) -> None:
    # when a segment, a cut-off, per-ladder counting and T-based indices are asked for
    result = run_json(
        capsys,
        str(SAMPLE),
        "--segment",
        "new patient",
        "--cutoff",
        "1",
        "--unit",
        "ladder",
        "--indices-on",
        "total",
    )
    # then the result is that segment's, with the settings recorded
    assert result["settings"] == {
        "segment": "new patient",
        "count_unit": "ladder",
        "cutoff": 1,
        "cutoff_suggested": False,
        "cutoff_on": "direct",
        "indices_on": "total",
    }
    assert result["matrices"]["direct"] == {"A1>C1": 2, "C1>C3": 1, "C1>V2": 1, "C3>V1": 1}
    assert [(p["path"], p["strength"], p["support"]) for p in result["dominant_paths"]] == [
        (["A1", "C1", "C3", "V1"], 7, 1),
        (["A1", "C1", "V2"], 4, 1),
    ]


def test_two_segments_compared(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_json(capsys, str(SAMPLE), "--compare", "new patient", "chronic care")
    assert result["segments"] == ["new patient", "chronic care"]
    assert result["codes"] == {
        "only_first": ["A1", "C1", "V2"],
        "only_second": ["A2", "C2"],
        "shared": ["C3", "V1"],
    }
    assert result["links"]["shared"] == {"C3>V1": {"first": 1, "second": 2}}


def test_the_text_report_shows_the_tables(capsys: pytest.CaptureFixture[str]) -> None:
    # when the report is printed for a person to read
    status, out, err = run(capsys, str(SAMPLE))
    # then it has the matrix as direct/indirect cells, the cut-off table and the dominant path
    assert (status, err) == (0, "")
    assert "│ A1        │ 2/0 │     │ 0/1 │ 0/1 │ 0/1 │" in out
    assert "Totals: sum D = 11 over 6 active cells; sum I = 10; sum T = 21." in out
    assert "│ C3   │  3 │   3 │        0.500 │      0.545 │" in out
    assert "│     2 * │          4 │       9/11 = 81.8% │           4/6 = 66.7% │" in out
    assert "│ 1 │ A2 -> C2 -> C3 -> V1 │       13 │           2 │       2 │" in out


def test_the_guide_shows_the_real_report(capsys: pytest.CaptureFixture[str]) -> None:
    # given the report pasted into docs/value_maps.md
    status, out, _ = run(capsys, str(SAMPLE))
    # then it is exactly what the command prints today
    assert status == 0
    assert (
        f"$ carebond ladder analyze docs/samples/ladders.csv\n{out}```"
        in (DOCS / "value_maps.md").read_text()
    )


def test_a_rejected_file_prints_one_line_per_problem_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # given a file with an unknown level and a one-rung ladder
    path = tmp_path / "bad.csv"
    path.write_text(
        "respondent,segment,ladder,position,code,label,level\n"
        "R1,,L1,1,A1,x,A\nR1,,L1,2,V1,y,Value\nR2,,L1,1,A1,x,A\nR2,,L1,2,V1,y,V\n"
        "R3,,L1,1,A1,x,A\n"
    )
    # when it is analysed
    status, out, err = run(capsys, str(path), "--json")
    # then stderr names each row, nothing is printed on stdout and the status is 1
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        "row 3, level: 'Value' is not a level; use A, C, V or a subtype A_c, A_a, C_f, C_p, "
        "V_i, V_t.",
        "row 6: ladder L1 of respondent R3 has one rung; a ladder links two codes or more.",
        "Rejected: 2 problem(s); nothing analysed.",
    ]


def test_warnings_go_to_stderr_and_into_the_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "down.csv"
    path.write_text(
        "respondent,segment,ladder,position,code,label,level\nR1,,L1,1,V1,y,V\nR1,,L1,2,A1,x,A\n"
    )
    status, out, err = run(capsys, str(path), "--json")
    warning = (
        "row 3: ladder L1 of respondent R1 goes down in level from V1 (V, position 1) to A1 "
        "(A, position 2)."
    )
    assert status == 0
    assert err.splitlines() == [f"warning: {warning}"]
    assert json.loads(out)["warnings"] == [warning]


def test_a_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, str(tmp_path / "nowhere.csv"))
    assert (status, out) == (2, "")
    assert err == f"Cannot read {tmp_path / 'nowhere.csv'}: No such file or directory.\n"


def test_an_unknown_segment_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, str(SAMPLE), "--segment", "staff")
    assert (status, out) == (2, "")
    assert err == (
        "No ladders in segment 'staff'; segments in the study: chronic care, new patient.\n"
    )


def test_a_map_without_a_path_says_so_instead_of_an_empty_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # at cut-off 3 counted per ladder, no link chain of the worked example reaches a value
    status, out, _ = run(capsys, str(SAMPLE), "--cutoff", "3", "--unit", "ladder")
    assert status == 0
    assert "No path on this map runs from an attribute to a value." in out
    assert "Dominant paths" not in out
