"""Span-level redaction for display (docs/methods.md §5.2, display rules): what looks like a
patient's identifiers is replaced by "[removed]" and the rest of the comment is shown as
written.

Removed: e-mail addresses; phone numbers (7 to 15 digits with the usual separators, "+1 (555)
123-4567", "612 345 678"; a social security number reads as one too); full dates with a year,
as a date of birth is written ("03/14/1962", "1962-03-14", "March 14, 1962", "14 de marzo de
1962"); record numbers ("MRN 12345", "patient ID: A12345") and any run of six digits or more.
Dates without a year ("on 3/14") and times ("at 10:30") stay: they identify no one.
"""

from __future__ import annotations

import re
from typing import Final

from carebond.surveys.comments.results import TextSpan
from carebond.surveys.comments.text import merge_spans

REMOVED: Final = "[removed]"

_MONTHS_EN = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTHS_ES = (
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    r"noviembre|diciembre"
)
PATTERNS: Final = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    # dates with a year
    re.compile(r"(?<![\d/.-])\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?![\d/.-])"),
    re.compile(r"(?<![\d/.-])\d{4}[/.-]\d{1,2}[/.-]\d{1,2}(?![\d/.-])"),
    re.compile(rf"\b(?:{_MONTHS_EN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.IGNORECASE),
    re.compile(
        rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS_EN})\.?,?\s+\d{{4}}\b",
        re.IGNORECASE,
    ),
    re.compile(rf"\b\d{{1,2}}\s+de\s+(?:{_MONTHS_ES})\s+(?:de|del)\s+\d{{4}}\b", re.IGNORECASE),
    # record numbers
    re.compile(
        r"\b(?:mrn|medical record(?: number| no\.?| #)?|record (?:number|no\.?|#)|patient id|"
        r"id|expediente|historia cl[ií]nica|n[uú]mero de paciente)\s*(?:number|no\.?|#|:)?\s*"
        r"(?:is|was|es|:|#)?\s*[A-Z]{0,3}-?\d{4,}\b",
        re.IGNORECASE,
    ),
    re.compile(r"\d{6,}"),
)
# A phone number: digits and separators, 7 to 15 digits in all.
_PHONE_CANDIDATE = re.compile(r"(?<![\w/.-])\+?\(?\d[\d\s().-]{5,}\d(?![\w/]|[.-]\d)")
_PHONE_SHAPE = re.compile(r"^\+?(?:\(\d{1,4}\)|\d{1,4})(?:[\s.-]?\(?\d{1,4}\)?){1,5}$")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _PHONE_CANDIDATE.finditer(text):
        candidate = match.group(0).rstrip()
        digits = sum(char.isdigit() for char in candidate)
        if 7 <= digits <= 15 and _PHONE_SHAPE.match(candidate):
            spans.append((match.start(), match.start() + len(candidate)))
    return spans


def redaction_spans(text: str) -> tuple[TextSpan, ...]:
    """What redact() removes, as spans of the original text (overlaps joined)."""
    spans = _phone_spans(text)
    for pattern in PATTERNS:
        spans += [match.span() for match in pattern.finditer(text)]
    return tuple(TextSpan(text[start:end], start, end) for start, end in merge_spans(spans))


def redact(text: str, spans: tuple[TextSpan, ...] | None = None) -> str:
    """`text` with each span of redaction_spans() replaced by "[removed]"."""
    parts = []
    position = 0
    for span in redaction_spans(text) if spans is None else spans:
        parts += [text[position : span.start], REMOVED]
        position = span.end
    parts.append(text[position:])
    return "".join(parts)
