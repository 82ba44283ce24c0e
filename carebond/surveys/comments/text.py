"""Text helpers shared by the analysis: case- and accent-folding that keeps offsets, spans, and
durations written in words or digits ("two hours", "90 minutes", "media hora")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class FoldedText:
    """A text lower-cased (casefold), stripped of accents, with a map back to the original.

    `origin[i]` is the index in `original` of the character `folded[i]` came from, and
    `origin[len(folded)]` is `len(original)`. Patterns are matched on `folded` ("Fernández",
    "fernandez" and "FERNANDEZ" all read "fernandez") and reported on `original`.
    """

    original: str
    folded: str
    origin: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original span of folded[start:end]: from the first character's origin up to the
        next folded character's origin, so accents written as combining marks stay inside."""
        return self.origin[start], self.origin[end]

    def spans(self, pattern: re.Pattern[str], group: int = 0) -> Iterator[tuple[int, int]]:
        """Original spans of every match of `pattern` in the folded text."""
        for match in pattern.finditer(self.folded):
            if match.start(group) < match.end(group):
                yield self.to_original(match.start(group), match.end(group))


APOSTROPHES: Final = "\u2019\u2018\u02bc\u00b4`"


def fold(text: str) -> FoldedText:
    """Casefold, strip accents, and read typographic apostrophes as "'"."""
    if text.isascii():
        return FoldedText(text, text.lower(), tuple(range(len(text) + 1)))
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            if part in APOSTROPHES:
                part = "'"
            for lowered in part.casefold():
                folded.append(lowered)
                origin.append(index)
    origin.append(len(text))
    return FoldedText(text, "".join(folded), tuple(origin))


def fold_word(text: str) -> str:
    """The folded form of a word or phrase, as the lexicons write them."""
    return fold(text).folded


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of folded words, longest first (so "no one" wins over "no")."""
    folded = {fold_word(word) for word in words}
    return "|".join(re.escape(word) for word in sorted(folded, key=lambda w: (-len(w), w)))


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, in order."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Durations. Numbers in words (English and Spanish, folded), the quantities people use for
# time ("a couple of hours", "un par de horas", "media hora"), and units in minutes.
NUMBER_WORDS: Final[dict[str, float]] = {
    # English
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty-five": 45, "forty five": 45, "fifty": 50,
    "sixty": 60, "ninety": 90, "a couple of": 2, "a couple": 2, "a few": 3, "several": 3,
    "half an": 0.5, "half a": 0.5, "many": 4,
    # Spanish
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15,
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cuarenta y cinco": 45, "cincuenta": 50,
    "sesenta": 60, "noventa": 90, "un par de": 2, "unos": 3, "unas": 3, "varios": 3,
    "varias": 3, "media": 0.5, "muchas": 4, "muchos": 4,
}  # fmt: skip
UNIT_MINUTES: Final[dict[str, float]] = {
    "minute": 1, "minutes": 1, "min": 1, "mins": 1, "minuto": 1, "minutos": 1,
    "hour": 60, "hours": 60, "hr": 60, "hrs": 60, "hora": 60, "horas": 60,
    "day": 1440, "days": 1440, "dia": 1440, "dias": 1440,
    "week": 10080, "weeks": 10080, "semana": 10080, "semanas": 10080,
    "month": 43200, "months": 43200, "mes": 43200, "meses": 43200,
}  # fmt: skip

NUMBER = r"(?:\d+(?:[.,]\d+)?|" + alternation(NUMBER_WORDS) + r")"
UNIT = r"(?:" + alternation(UNIT_MINUTES) + r")"
# "90 minutes", "two and a half hours", "una hora y media", "hours" (a bare plural: "for
# hours" counts as two)
DURATION = rf"(?P<number>{NUMBER})?[\s-]*(?:and a half\s+)?(?P<unit>{UNIT})\b(?P<half>\s+y media)?"


def duration_minutes(match: re.Match[str]) -> float | None:
    """Minutes of a DURATION match; a bare plural unit ("for hours", "meses") counts as two."""
    unit = match.group("unit")
    if unit is None:
        return None
    number_text = match.group("number")
    if number_text is None:
        if match.group("half"):
            number = 1.0  # "hora y media"
        elif unit.endswith("s"):
            number = 2.0
        else:
            return None
    elif number_text[0].isdigit():
        number = float(number_text.replace(",", "."))
    else:
        number = NUMBER_WORDS[number_text]
    if "and a half" in match.group(0) or match.group("half"):
        number += 0.5
    return number * UNIT_MINUTES[unit]
