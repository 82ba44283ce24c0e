"""Patient comment analysis (docs/methods.md §5): sentiment by clause, themes, safety flags,
staff praise and redaction for display, in English and Spanish, as pure functions.

The pipeline of §5.2: (1) the comment is cut into clauses at sentence ends and at "but /
however" ("pero / sin embargo"), with offsets (clauses.py); (2) each clause gets its themes from
a keyword baseline (themes.py); (3) each clause gets its sentiment, and a theme the sentiment of
the clauses carrying it, so "the doctor was great but the billing office is a nightmare" is
praise for the doctor and a complaint about billing; (4) English sentiment is VADER with a small
healthcare override lexicon (english.py, english_lexicon.py); Spanish has its own lexicon method
built the same way (spanish.py, spanish_lexicon.py), never a translation. Safety flags
(flags.py), staff named in praise (staff.py) and the redacted text (redaction.py) come with it.

Nothing is downloaded and nothing is stored: the same comment always gives the same analysis.
A language other than English or Spanish is not analysed (label "unknown"): no guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean

from carebond.surveys.comments.clauses import split_clauses
from carebond.surveys.comments.english import english_compound
from carebond.surveys.comments.flags import FLAG_KINDS, find_flags
from carebond.surveys.comments.redaction import REMOVED, redact, redaction_spans
from carebond.surveys.comments.results import (
    LANGUAGES,
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    Clause,
    CommentAnalysis,
    Flag,
    Language,
    PraisedStaff,
    SentimentLabel,
    TextSpan,
    ThemeResult,
    label_for,
)
from carebond.surveys.comments.spanish import spanish_compound
from carebond.surveys.comments.staff import TITLED_NAME, find_staff
from carebond.surveys.comments.text import fold
from carebond.surveys.comments.themes import (
    OTHER,
    STAFF_PRAISE,
    THEMES,
    THEMES_BY_KEY,
    Theme,
    clause_themes,
    in_clause,
)

__all__ = [
    "FLAG_KINDS",
    "LANGUAGES",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "REMOVED",
    "THEMES",
    "THEMES_BY_KEY",
    "Clause",
    "CommentAnalysis",
    "Flag",
    "Language",
    "PraisedStaff",
    "SentimentLabel",
    "TextSpan",
    "Theme",
    "ThemeResult",
    "analyse_comment",
    "label_for",
    "normalise_language",
    "redact",
    "sentiment",
]


def normalise_language(language: str) -> Language | None:
    """ "en", "EN", "en-US", "es_MX" -> "en" / "es"; any other language -> None."""
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    if primary == "en":
        return "en"
    if primary == "es":
        return "es"
    return None


def sentiment(text: str, language: Language) -> float:
    """The compound score in [-1, 1] of a text taken whole (no clauses)."""
    return english_compound(text) if language == "en" else spanish_compound(text)


def _not_analysed(language: str, text: str) -> CommentAnalysis:
    redactions = redaction_spans(text)
    return CommentAnalysis(
        language=language,
        analysed=False,
        compound=None,
        label="unknown",
        clauses=(),
        themes=(),
        flags=(),
        praised_staff=(),
        redacted_text=redact(text, redactions),
        redactions=redactions,
    )


def analyse_comment(
    text: str, *, language: str, staff_names: Sequence[str] = ()
) -> CommentAnalysis:
    """Analyse one patient comment.

    `language` is the comment's language ("en", "es", or a tag such as "es-MX"); `staff_names`
    are the display names of the organisation's staff ("Maria Lopez", "Dr. Priya Raman"), for
    praise. Offsets in the result are into `text` as given.
    """
    code = normalise_language(language)
    if code is None:
        return _not_analysed(language, text)
    redactions = redaction_spans(text)
    spans = split_clauses(text, code)
    folded = fold(text)

    compounds = [sentiment(text[start:end], code) for start, end in spans]
    labels = [label_for(compound) for compound in compounds]
    themes = clause_themes(folded, spans, code)

    praised: dict[str, PraisedStaff] = {}
    for mention in find_staff(folded, staff_names):
        index = in_clause(spans, mention.start)
        if index is None or labels[index] != "positive":
            continue
        span = TextSpan(text[mention.start : mention.end], mention.start, mention.end)
        themes[index].setdefault(STAFF_PRAISE, []).append(span)
        praised.setdefault(
            mention.name,
            PraisedStaff(mention.name, span.text, span.start, span.end, clause=index),
        )
    for match in TITLED_NAME.finditer(text):
        index = in_clause(spans, match.start())
        if index is None or labels[index] != "positive":
            continue
        found = themes[index].setdefault(STAFF_PRAISE, [])
        if not any(span.start < match.end() and match.start() < span.end for span in found):
            found.append(TextSpan(match.group(0), match.start(), match.end()))
    if not any(themes):
        for clause_themes_found in themes:
            clause_themes_found[OTHER] = []

    clauses = tuple(
        Clause(
            text=text[start:end],
            start=start,
            end=end,
            compound=compound,
            label=label,
            themes=tuple(key for key in THEMES_BY_KEY if key in found),
        )
        for (start, end), compound, label, found in zip(
            spans, compounds, labels, themes, strict=True
        )
    )
    compound = sentiment(text, code) if clauses else 0.0
    return CommentAnalysis(
        language=code,
        analysed=True,
        compound=compound,
        label=label_for(compound),
        clauses=clauses,
        themes=_theme_results(clauses, themes),
        flags=find_flags(folded, spans, code),
        praised_staff=tuple(sorted(praised.values(), key=lambda staff: staff.start)),
        redacted_text=redact(text, redactions),
        redactions=redactions,
    )


def _theme_results(
    clauses: tuple[Clause, ...], themes: list[dict[str, list[TextSpan]]]
) -> tuple[ThemeResult, ...]:
    results = []
    for theme in THEMES:
        carrying = tuple(
            index for index, clause in enumerate(clauses) if theme.key in clause.themes
        )
        if not carrying:
            continue
        compound = round(fmean(clauses[index].compound for index in carrying), 4)
        matches = sorted(
            (span for index in carrying for span in themes[index].get(theme.key, [])),
            key=lambda span: span.start,
        )
        results.append(
            ThemeResult(
                key=theme.key,
                name=theme.name,
                name_es=theme.name_es,
                label=label_for(compound),
                compound=compound,
                matches=tuple(matches),
                clauses=carrying,
            )
        )
    return tuple(results)
