"""The one CSV reader every importer uses: what it forgives and what it refuses, with the row."""

from __future__ import annotations

import pytest

from carebond.core.csv_files import UnreadableCsv, read_csv


@pytest.mark.parametrize(
    "data",
    [
        b"name,dob\nAna,1980-01-02\n",
        b"\xef\xbb\xbfname,dob\r\nAna,1980-01-02\r\n",  # Excel's 'CSV UTF-8' with a BOM
        b"name;dob\nAna;1980-01-02\n",  # a semicolon spreadsheet
        b"name\tdob\nAna\t1980-01-02\n",
    ],
    ids=["plain", "bom-crlf", "semicolons", "tabs"],
)
def test_what_spreadsheets_write_is_read_alike(data: bytes) -> None:
    table = read_csv(data)
    assert table.headers == ["name", "dob"]
    assert table.rows == [(2, ["Ana", "1980-01-02"])]


def test_blank_rows_are_skipped_but_keep_their_numbers() -> None:
    assert read_csv(b"a,b\n\n1,2\n").rows == [(3, ["1", "2"])]


@pytest.mark.parametrize(
    ("data", "row", "words"),
    [
        (b"", 1, "empty"),
        (b"a,b\n1,caf\xe9\n", 2, "not UTF-8"),
        ("a,b\n".encode("utf-16"), 1, "UTF-16"),
        (b"a,b\n1,\x002\n", 2, "NUL"),
        (b'a,b\n1,"x"y\n', 2, "check its quotes"),
        (b"\n\na,b\n", 1, "header"),
    ],
    ids=["empty", "latin-1", "utf-16", "nul", "quotes", "header late"],
)
def test_an_unreadable_file_is_refused_naming_the_row(data: bytes, row: int, words: str) -> None:
    with pytest.raises(UnreadableCsv, match=words) as refused:
        read_csv(data)
    assert refused.value.row == row
    assert refused.value.field == "file"
