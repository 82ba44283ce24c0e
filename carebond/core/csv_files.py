"""Reading a CSV file someone uploaded: UTF-8 text (a byte-order mark is fine), comma, semicolon
or tab as the spreadsheet wrote it, a header on row 1. Every importer reads files through here,
so a file is refused the same way everywhere, naming the row where it stops being readable."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from carebond.core.errors import InvalidInput


class UnreadableCsv(InvalidInput):
    """The file cannot be read at all; ``row`` is where it stops being readable (from 1)."""

    def __init__(self, message: str, *, row: int) -> None:
        super().__init__(message, field="file", code=f"line:{row}")
        self.row = row


@dataclass(frozen=True)
class CsvTable:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (row number in the file, cells), blank rows left out


def decode_csv(data: bytes) -> str:
    """The file's text. Anything but UTF-8 is refused whole, naming where it stops being UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableCsv("The file is UTF-16 text; save it as 'CSV UTF-8'.", row=1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data.count(b"\n", 0, error.start) + 1
        byte = f"byte {error.start} (0x{data[error.start]:02X}, on line {row})"
        raise UnreadableCsv(
            f"The file is not UTF-8 text: {byte} cannot be read as UTF-8. It was probably "
            "saved as Latin-1 or Windows-1252; save it as 'CSV UTF-8' and try again.",
            row=row,
        ) from error
    if "\x00" in text:
        row = text.count("\n", 0, text.index("\x00")) + 1
        raise UnreadableCsv("The file contains a NUL character; it is not CSV text.", row=row)
    return text


def delimiter_of(text: str) -> str:
    """Comma, or the semicolon or tab some spreadsheets write, judged from the header line."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(data: bytes, *, header_hint: str = "") -> CsvTable:
    """Decode and split into a header and its rows. ``header_hint`` completes the message when
    the header is missing ("the header must be: ...")."""
    text = decode_csv(data)
    if not text.strip():
        raise UnreadableCsv("The file is empty.", row=1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=True)
    records: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                records.append((number, cells))
    except csv.Error as error:
        raise UnreadableCsv(
            f"Row {number + 1} cannot be read as CSV ({error}); check its quotes.", row=number + 1
        ) from error
    if not records:
        raise UnreadableCsv("The file is empty.", row=1)
    if records[0][0] != 1:
        hint = f": {header_hint}" if header_hint else " (the column names)"
        raise UnreadableCsv(f"The first row must be the header{hint}.", row=1)
    return CsvTable(headers=[h.strip() for h in records[0][1]], rows=records[1:])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(row: list[object]) -> list[object]:
    """A row for a CSV someone will open in a spreadsheet: every text cell that a spreadsheet
    would run as a formula (=, +, -, @, tab, carriage return first) gets a leading quote, so it
    stays text (CSV injection). Numbers stay numbers."""
    return [
        "'" + cell if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
        for cell in row
    ]
