"""Phrase rules: multi-word patterns that carry a valence of their own (VADER's -4..+4 scale).

A lexicon gives single words a valence; healthcare complaints are often phrases whose words
carry none ("waited 90 minutes", "did not listen", "no one called back") or the wrong one
("nobody apologized": "apologized" is +1.3 on its own). A rule's valence replaces those of its
words: the scorer sees the phrase as one token with the rule's valence, so the usual
heuristics still apply around it (a booster before it, a negation before it, "but", "!").

Rules are tried in order and a later rule never takes words an earlier one has taken, so a
specific rule ("did not listen", -2.5) is listed before a general one ("listened", +1.5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from carebond.surveys.comments.text import FoldedText

ValenceOf = Callable[[re.Match[str]], float | None]


@dataclass(frozen=True)
class PhraseRule:
    """`pattern` is matched on folded text (lower case, no accents). The valence is `valence`,
    or `valence_of(match)` when it depends on the words (a wait's length); None means the rule
    does not apply to this match. `rewrite`, instead of a valence, gives words for the scorer
    to read in place of the phrase ("nobody" read as "not anyone", a negation it knows)."""

    key: str
    pattern: re.Pattern[str]
    valence: float | None = None
    valence_of: ValenceOf | None = None
    rewrite: str | None = None

    def valence_for(self, match: re.Match[str]) -> float | None:
        if self.valence_of is not None:
            return self.valence_of(match)
        return self.valence


@dataclass(frozen=True)
class PhraseHit:
    """A rule that applied: the original span, and its valence or rewrite."""

    key: str
    start: int
    end: int
    valence: float | None
    rewrite: str | None


def rule(
    key: str,
    pattern: str,
    valence: float | None = None,
    *,
    valence_of: ValenceOf | None = None,
    rewrite: str | None = None,
) -> PhraseRule:
    return PhraseRule(key, re.compile(pattern), valence, valence_of, rewrite)


def find_phrases(text: FoldedText, rules: Sequence[PhraseRule]) -> list[PhraseHit]:
    """The rules that apply to `text`, earlier rules first, no two sharing a character; in
    the order they appear."""
    taken: list[tuple[int, int]] = []
    hits: list[PhraseHit] = []
    for phrase_rule in rules:
        for match in phrase_rule.pattern.finditer(text.folded):
            if match.start() == match.end():
                continue
            if any(match.start() < end and start < match.end() for start, end in taken):
                continue
            valence = phrase_rule.valence_for(match)
            if valence is None and phrase_rule.rewrite is None:
                continue
            taken.append((match.start(), match.end()))
            start, end = text.to_original(match.start(), match.end())
            hits.append(PhraseHit(phrase_rule.key, start, end, valence, phrase_rule.rewrite))
    return sorted(hits, key=lambda hit: hit.start)


def wait_valence(minutes: float | None) -> float | None:
    """The valence of a wait on the day, by its length: two hours or more -2.6, half an hour
    or more -2.0, a quarter of an hour or more -1.0, ten minutes or less +1.0 (a short wait is
    praise), nothing in between (a plain fact)."""
    if minutes is None:
        return None
    if minutes >= 120:
        return -2.6
    if minutes >= 30:
        return -2.0
    if minutes >= 15:
        return -1.0
    if minutes <= 10:
        return 1.0
    return None


def delay_valence(minutes: float | None) -> float | None:
    """The valence of a delay counted in days or more (for an appointment, a call, a refund):
    a week or more -1.8; less than a week, nothing."""
    if minutes is None or minutes < 7 * 1440:
        return None
    return -1.8


def time_valence(minutes: float | None) -> float | None:
    """A wait counted in minutes or hours is a wait on the day (wait_valence); one counted in
    days, weeks or months is a delay (delay_valence)."""
    if minutes is not None and minutes >= 1440:
        return delay_valence(minutes)
    return wait_valence(minutes)
