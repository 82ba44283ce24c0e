"""The results of the comment analysis: frozen dataclasses, plain values, no database.

Offsets (`start`, `end`) are always character offsets into the comment exactly as it was given
(Python string indexes, `end` exclusive), so `text[start:end]` is the span a page highlights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

SentimentLabel = Literal["positive", "negative", "neutral", "unknown"]
Language = Literal["en", "es"]

LANGUAGES: Final[tuple[Language, ...]] = ("en", "es")

# VADER's thresholds (docs/methods.md §5.1), used for both languages.
POSITIVE_THRESHOLD: Final = 0.05
NEGATIVE_THRESHOLD: Final = -0.05


def label_for(compound: float) -> SentimentLabel:
    """positive at >= 0.05, negative at <= -0.05, neutral between."""
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


@dataclass(frozen=True)
class TextSpan:
    """A piece of the comment: its text and where it is."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Clause:
    """One clause: the comment is cut at sentence ends and at "but / however" ("pero / sin
    embargo"); the connective itself belongs to no clause. `themes` are theme keys."""

    text: str
    start: int
    end: int
    compound: float
    label: SentimentLabel
    themes: tuple[str, ...]


@dataclass(frozen=True)
class ThemeResult:
    """A theme found in the comment. Its sentiment is that of the clauses carrying it: the mean
    of their compound scores, labelled with the same thresholds. `matches` are the words that
    put the theme there (empty for "other"); `clauses` are indexes into CommentAnalysis.clauses.
    `name` and `name_es` are the theme's English and Spanish labels."""

    key: str
    name: str
    name_es: str
    label: SentimentLabel
    compound: float
    matches: tuple[TextSpan, ...]
    clauses: tuple[int, ...]


@dataclass(frozen=True)
class Flag:
    """A safety or urgency concern a manager should read (wrong medication, a fall, chest
    pain...). Detection only: routing is the app's. `name` and `name_es` are its labels."""

    key: str
    name: str
    name_es: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class PraisedStaff:
    """A member of staff named in a positive clause. `name` is the entry of `staff_names` as it
    was given; `text`, `start` and `end` are the mention in the comment."""

    name: str
    text: str
    start: int
    end: int
    clause: int


@dataclass(frozen=True)
class CommentAnalysis:
    """Everything the analysis says about one comment.

    `analysed` is False for a language the analysis does not read: then `compound` is None, the
    label is "unknown" and nothing else is guessed (the redaction, which needs no language, is
    still done). An empty comment is analysed: neutral, 0.0, no clauses.
    """

    language: str
    analysed: bool
    compound: float | None
    label: SentimentLabel
    clauses: tuple[Clause, ...]
    themes: tuple[ThemeResult, ...]
    flags: tuple[Flag, ...]
    praised_staff: tuple[PraisedStaff, ...]
    redacted_text: str
    redactions: tuple[TextSpan, ...]

    @property
    def mixed(self) -> bool:
        """A positive clause and a negative one in the same comment."""
        labels = {clause.label for clause in self.clauses}
        return "positive" in labels and "negative" in labels

    def theme(self, key: str) -> ThemeResult | None:
        return next((theme for theme in self.themes if theme.key == key), None)
