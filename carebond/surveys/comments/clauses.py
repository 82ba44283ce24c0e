"""Clauses (docs/methods.md §5.2, pipeline step 1): a comment cut at sentence ends and at the
contrastive connectives "but / however" (Spanish "pero / sin embargo"), with offsets.

Whole-comment sentiment hides mixed feedback ("the doctor was great but the billing office is a
nightmare"); clause by clause, each part keeps its own sentiment and themes. The connective
belongs to neither clause, so the scorer sees each part plainly. A sentence ends at ".", "!",
"?" or "…" followed by space, or at a line break; not after a title or a common abbreviation
("Dr. Lee", "Dra. Ruiz", "a.m."), an initial ("J. Smith") or inside a number ("1.5").
"""

from __future__ import annotations

import re
from typing import Final

from carebond.surveys.comments.results import Language

# Titles never end a sentence ("Dr. Lee"); other abbreviations do when a capital follows
# ("at 9 a.m. The nurse...").
TITLES: Final = frozenset(
    {"dr", "dra", "drs", "dres", "mr", "mrs", "ms", "mx", "st", "sr", "sra", "srta", "jr",
     "prof", "lic", "ing", "enf", "av", "avda", "ud", "uds"}
)  # fmt: skip
ABBREVIATIONS: Final = frozenset(
    {"vs", "etc", "e.g", "i.e", "a.m", "p.m", "approx", "dept", "tel", "ext", "apt", "min",
     "mins", "hr", "hrs", "aprox", "núm"}
)  # fmt: skip

SENTENCE_END = re.compile("[.!?\u2026]+[\"'\u201d\u2019)\\]]*(?=\\s|$)|\n\\s*")
CONNECTIVES: Final[dict[Language, re.Pattern[str]]] = {
    # "nothing but praise", "anything but pleasant", "all but": not a contrast
    "en": re.compile(
        r"(?<!\bnothing )(?<!\banything )(?<!\ball )\b(?:but|however)\b", re.IGNORECASE
    ),
    "es": re.compile(r"\b(?:pero|sin embargo)\b", re.IGNORECASE),
}
TRIM = " \t\r\n,;:-\u2013\u2014"
WORD = re.compile(r"\w")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the "." at `dot` ends an abbreviation or an initial rather than a sentence."""
    if text[dot] != ".":
        return False
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    if word in TITLES or (len(word) == 1 and text[start].isupper()):
        return True
    if word in ABBREVIATIONS:
        following = text[dot + 1 :].lstrip()
        return not following or not following[0].isupper()
    return False


def split_sentences(text: str) -> list[tuple[int, int]]:
    """The sentences of `text` as (start, end) offsets, untrimmed, covering the whole text."""
    spans = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        if match.group(0)[0] == "." and _is_abbreviation(text, match.start()):
            continue
        end = match.end() if not match.group(0)[0].isspace() else match.start()
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start] in TRIM:
        start += 1
    while end > start and text[end - 1] in TRIM:
        end -= 1
    if not WORD.search(text, start, end):
        return None
    return start, end


def split_clauses(text: str, language: Language) -> tuple[tuple[int, int], ...]:
    """The clauses of `text` as (start, end) offsets, in order; none for an empty text."""
    connective = CONNECTIVES[language]
    clauses = []
    for sentence_start, sentence_end in split_sentences(text):
        start = sentence_start
        for match in connective.finditer(text, sentence_start, sentence_end):
            piece = _trimmed(text, start, match.start())
            if piece:
                clauses.append(piece)
            start = match.end()
        piece = _trimmed(text, start, sentence_end)
        if piece:
            clauses.append(piece)
    return tuple(clauses)
