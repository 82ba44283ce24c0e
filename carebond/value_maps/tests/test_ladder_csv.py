"""Reading ladders from CSV: every bad input named by row, nothing accepted from a rejected file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carebond.value_maps.analysis import COUNT_UNITS, Code, Ladder, implication_matrix
from carebond.value_maps.ladder_csv import LadderFile, read_ladder_csv

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "samples" / "ladders.csv"
HEADER = "respondent,segment,ladder,position,code,label,level"

GOOD_ROWS = [
    "R1,patient,L1,1,A1,same-day appointments,A_c",
    "R1,patient,L1,2,C1,less waiting,C_f",
    "R1,patient,L1,3,V1,peace of mind,V_t",
    "R2,clinician,L1,1,A1,same-day appointments,A_c",
    "R2,clinician,L1,2,V1,peace of mind,V_t",
]


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows]).encode()


def rejected(ladder_file: LadderFile) -> list[str]:
    """The errors as the command prints them, after checking nothing was accepted."""
    assert not ladder_file.accepted
    assert ladder_file.study is None
    assert ladder_file.rungs == ()
    return [str(error) for error in ladder_file.errors]


def test_a_good_file_becomes_a_study() -> None:
    # when a clean file is read
    ladder_file = read_ladder_csv(csv_of(*GOOD_ROWS))
    # then every row is a rung, there is nothing to report, and the ladders are assembled
    assert ladder_file.accepted
    assert ladder_file.warnings == ()
    assert len(ladder_file.rungs) == 5
    assert ladder_file.study is not None
    assert ladder_file.study.codes == (
        Code("A1", "same-day appointments", "A_c"),
        Code("C1", "less waiting", "C_f"),
        Code("V1", "peace of mind", "V_t"),
    )
    assert ladder_file.study.ladders == (
        Ladder("R1", "L1", ("A1", "C1", "V1"), "patient"),
        Ladder("R2", "L1", ("A1", "V1"), "clinician"),
    )


def test_the_shipped_sample_reads_cleanly() -> None:
    ladder_file = read_ladder_csv(SAMPLE.read_bytes())
    assert ladder_file.accepted
    assert ladder_file.warnings == ()
    assert ladder_file.study is not None
    assert ladder_file.study.segments == ("chronic care", "new patient")


def test_header_case_order_bom_semicolons_and_level_case_are_forgiven() -> None:
    # given a spreadsheet export: BOM, semicolons, shuffled capitalised header, lower-case levels
    data = "\ufeff" + "\n".join(
        [
            "Code;Level;Respondent;Ladder;Position;Segment;Label",
            "A1;a_c;R1;L1;1;;same-day",
            "V1;v;R1;L1;2;;peace of mind",
            "",
        ]
    )
    ladder_file = read_ladder_csv(data.encode())
    # then it reads like the canonical form, with no segment and a blank label left blank
    assert ladder_file.study is not None
    assert ladder_file.study.codes == (
        Code("A1", "same-day", "A_c"),
        Code("V1", "peace of mind", "V"),
    )
    assert ladder_file.study.ladders == (Ladder("R1", "L1", ("A1", "V1"), ""),)


def test_a_code_without_any_label_is_labelled_with_its_id() -> None:
    ladder_file = read_ladder_csv(csv_of("R1,,L1,1,A1,,A", "R1,,L1,2,V1,,V"))
    assert ladder_file.study is not None
    assert ladder_file.study.code("A1").label == "A1"


@pytest.mark.parametrize(
    ("rows", "errors"),
    [
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,y,Value"],
            [
                "row 3, level: 'Value' is not a level; use A, C, V or a subtype A_c, A_a, C_f, "
                "C_p, V_i, V_t."
            ],
            id="unknown level",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,C1,y,C", "R1,,L1,4,V1,z,V"],
            [
                "row 4, position: ladder L1 of respondent R1 has no position 3; "
                "it jumps from 2 to 4."
            ],
            id="gap in positions",
        ),
        pytest.param(
            ["R1,,L1,2,A1,x,A", "R1,,L1,3,V1,z,V"],
            [
                "row 2, position: ladder L1 of respondent R1 has no position 1; "
                "positions start at 1."
            ],
            id="positions not starting at 1",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,z,V", "R2,,L1,1,A1,x,A"],
            ["row 4: ladder L1 of respondent R2 has one rung; a ladder links two codes or more."],
            id="one rung",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,z,V", "R1,,L1,2,V1,z,V"],
            ["row 4: Duplicate row: it repeats row 3."],
            id="duplicate row",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,z,V", "R1,,L1,2,V2,w,V"],
            ["row 4, position: ladder L1 of respondent R1 already has position 2 on row 3."],
            id="two rungs at one position",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,C1,y,C_f", "R2,,L1,1,A1,x,A", "R2,,L1,2,C1,y,C_p"],
            ["row 5, level: code C1 is C_p here but C_f on row 3; a code has one level."],
            id="a code with two levels",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,,2,V1,z,V", ",,L1,3,V2,z,V"],
            [
                "row 2: ladder L1 of respondent R1 has one rung; a ladder links two codes or more.",
                "row 3, ladder: is empty.",
                "row 4, respondent: is empty.",
            ],
            id="empty required cells",
        ),
        pytest.param(
            ["R1,,L1,one,A1,x,A", "R1,,L1,0,V1,z,V", "R1,,L1,2,C>1,z,C"],
            [
                "row 2, position: 'one' is not a whole number of 1 or more.",
                "row 3, position: '0' is not a whole number of 1 or more.",
                "row 4, code: 'C>1' contains '>', which joins codes in reports.",
            ],
            id="bad position and code",
        ),
        pytest.param(
            ["R1,,L1,1,B1,x,A", "R1,,L1,2,V1,z,V", "R2,,L1,1,A1,x,A", "R2,,L1,2,b1,y,V_t"],
            ["row 5, level: code b1 is V_t here but A on row 2 (B1); a code has one level."],
            id="codes differing in case are one code, with two levels",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,z,V", "R2,,L1,1,a1,x,A", "R2,,L1,2,V1,z,V"],
            [
                "row 4, code: code a1 is written A1 on row 2; codes that differ only in case are "
                "one code, so write it the same way each time."
            ],
            id="a code written two ways",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,z,V", "r1,,L1,1,A1,x,A", "r1,,L1,2,V1,z,V"],
            [
                "row 4, respondent: respondent r1 is written R1 on row 2; respondents that differ "
                "only in case are one respondent, so write it the same way each time.",
                "row 5, respondent: respondent r1 is written R1 on row 2; respondents that differ "
                "only in case are one respondent, so write it the same way each time.",
            ],
            id="a respondent written two ways",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,V1,z,V", "R1,,l1,3,V2,z,V", "R2,,l1,1,A1,x,A"],
            [
                "row 4, ladder: ladder l1 of respondent R1 is written L1 on row 2; ladder ids "
                "that differ only in case are one ladder, so write it the same way each time.",
                "row 5: ladder l1 of respondent R2 has one rung; a ladder links two codes or more.",
            ],
            id="a ladder id written two ways (per respondent)",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A", "R1,,L1,2,C1,y,C", "R1,,l1,x,C2,z,C", "R1,,L1,4,V1,w,V"],
            ["row 4, position: 'x' is not a whole number of 1 or more."],
            id="an unreadable row of a ladder written another way: one problem, not a gap too",
        ),
        pytest.param(
            ["R1,,L1,1,A&1,x,A", "R1,,L1,2,V 1,z,V", "R1,,L1,3,V#2,w,V"],
            [
                f"row {row}, code: {code!r} is not a code: a code's short id is 1 to 20 "
                "letters, digits, '-', '_' or '.', e.g. C3."
                for row, code in ((2, "A&1"), (3, "V 1"), (4, "V#2"))
            ],
            id="codes that would break links",
        ),
        pytest.param(
            ["R1,patient,L1,1,A1,x,A", "R1,clinician,L1,2,V1,z,V"],
            [
                "row 3, segment: respondent R1 is in segment 'clinician' here but 'patient' on "
                "row 2; a respondent has one segment."
            ],
            id="a respondent in two segments",
        ),
        pytest.param(
            ["R1,,L1,1,A1,x,A,extra", "R1,,L1,2,V1,z,V"],
            ["row 2: The row has 8 cells; the header has 7 columns."],
            id="too many cells",
        ),
    ],
)
def test_bad_rows_are_named_and_reject_the_whole_file(rows: list[str], errors: list[str]) -> None:
    # when a file with bad rows is read
    ladder_file = read_ladder_csv(csv_of(*rows))
    # then each problem names its row (the header is row 1) and nothing is accepted
    assert rejected(ladder_file) == errors


def test_every_problem_is_reported_at_once() -> None:
    # given problems on three different rows
    ladder_file = read_ladder_csv(
        csv_of("R1,,L1,1,A1,x,Q", "R1,,L1,2,V1,z,V", "R2,,L1,x,A1,x,A", "R3,,L1,1,A1,x,A")
    )
    # then all are listed, in row order
    assert [error.row for error in ladder_file.errors] == [2, 4, 5]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(b"", "row 1: The file is empty.", id="empty"),
        pytest.param(b"\n  \n", "row 1: The file is empty.", id="blank"),
        pytest.param(
            HEADER.encode(), "row 1: The file has a header but no rungs below it.", id="header only"
        ),
        pytest.param(
            csv_of("R1,,L1,1,A1,caf\xe9,A").replace(b"caf\xc3\xa9", b"caf\xe9"),
            "row 2: The file is not UTF-8 text: byte 67 (0xE9, on line 2) cannot "
            "be read as UTF-8. It was "
            "probably saved as Latin-1 or Windows-1252; save it as 'CSV UTF-8' and try again.",
            id="latin-1",
        ),
        pytest.param(
            HEADER.encode("utf-16"),
            "row 1: The file is UTF-16 text; save it as 'CSV UTF-8'.",
            id="utf-16",
        ),
        pytest.param(
            csv_of("R1,,L1,1,A1,x,A", header="respondent,ladder,position,code,label,level,notes"),
            "row 1: Wrong header: missing column(s) segment; unknown column(s) 'notes'. The header "
            "must be respondent,segment,ladder,position,code,label,level.",
            id="wrong header",
        ),
        pytest.param(
            csv_of("R1,,L1,1,A1,x,A", header=HEADER + ",level"),
            "row 1: Wrong header: repeated column(s) level. The header must be "
            "respondent,segment,ladder,position,code,label,level.",
            id="repeated header",
        ),
        pytest.param(
            b"\n" + csv_of("R1,,L1,1,A1,x,A"),
            "row 1: The first row must be the header: "
            "respondent,segment,ladder,position,code,label,level.",
            id="header not on row 1",
        ),
        pytest.param(
            csv_of('R1,,L1,1,A1,"x"y,A'),
            "row 2: Row 2 cannot be read as CSV (',' expected after '\"'); check its quotes.",
            id="bad quotes",
        ),
    ],
)
def test_unreadable_files_are_rejected_with_one_clear_error(data: bytes, error: str) -> None:
    assert rejected(read_ladder_csv(data)) == [error]


def test_warnings_accept_the_file() -> None:
    # given a ladder that goes down from a value to an attribute and repeats a code, and a code
    # labelled two ways
    ladder_file = read_ladder_csv(
        csv_of(
            "R1,,L1,1,C1,less waiting,C_p",
            "R1,,L1,2,C2,understand,C_f",
            "R1,,L1,3,V1,peace of mind,V",
            "R1,,L1,4,A1,same-day,A",
            "R1,,L1,5,C1,shorter waits,C_p",
        )
    )
    # then the file is accepted and each warning names its row
    assert ladder_file.accepted
    assert ladder_file.study is not None
    assert [str(warning) for warning in ladder_file.warnings] == [
        "row 3: ladder L1 of respondent R1 goes down in level from C1 (C_p, position 1) to C2 "
        "(C_f, position 2).",
        "row 5: ladder L1 of respondent R1 goes down in level from V1 (V, position 3) to A1 "
        "(A, position 4).",
        "row 6, label: code C1 is labelled 'shorter waits' here but 'less waiting' on row 2; the "
        "first label is used.",
        "row 6: ladder L1 of respondent R1 repeats code C1 (positions 1 and 5); a code does not "
        "imply itself, so that link is not counted.",
    ]
    assert ladder_file.study.code("C1").label == "less waiting"


def test_a_plain_level_next_to_a_subtype_is_not_a_step_down() -> None:
    # given C_p followed by plain C: neither is above the other
    ladder_file = read_ladder_csv(csv_of("R1,,L1,1,C1,x,C_p", "R1,,L1,2,C2,y,C"))
    assert ladder_file.accepted
    assert ladder_file.warnings == ()


@settings(max_examples=50, deadline=None)
@given(order=st.permutations(range(15)))
def test_the_order_of_rows_changes_nothing(order: list[int]) -> None:
    # given the shipped sample with its rows shuffled
    header, *rows = SAMPLE.read_text().splitlines()
    shuffled = "\n".join([header, *(rows[k] for k in order)]).encode()
    # when both are read and counted
    original = read_ladder_csv(SAMPLE.read_bytes()).study
    reordered = read_ladder_csv(shuffled).study
    assert original is not None
    assert reordered is not None
    # then the study and its matrices are the same
    assert reordered == original
    for unit in COUNT_UNITS:
        one = implication_matrix(original, count_unit=unit)
        two = implication_matrix(reordered, count_unit=unit)
        assert (one.direct, one.indirect) == (two.direct, two.indirect)
