"""English sentiment (docs/methods.md §5.1): VADER (vaderSentiment 3.3.2) with the healthcare
override lexicon of english_lexicon.

The override works inside VADER rather than beside it. The words of english_lexicon.WORDS are
added to the lexicon of the analyser (VADER's documented way to extend it). Each phrase a rule
finds is replaced, in the text VADER reads, by one token whose lexicon valence is the rule's;
VADER's heuristics then apply to it as to any word: a booster before it ("a very long wait"),
a negation in the three words before it ("didn't have to wait long" stays praise), "but", "!"
and ALL CAPS. A comment no rule and no added word touches is scored by VADER exactly, to the
fourth decimal (the worked examples of §5.1 are tests).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Final

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from carebond.surveys.comments.clauses import split_sentences
from carebond.surveys.comments.english_lexicon import PHRASES, WORDS
from carebond.surveys.comments.overrides import PhraseHit, find_phrases
from carebond.surveys.comments.text import APOSTROPHES, fold

# One placeholder token per valence step of 0.1 from -4.0 to +4.0: "cbzvn20" is -2.0. Letters
# only, so VADER's tokenizer keeps it whole.
_STEPS: Final = range(-40, 41)
ALPHA: Final = 15.0  # VADER's normalisation constant
WHOLE_TEXT_WORDS: Final = 1000
# VADER strips straight quotes from a word's edges but not typographic ones
_QUOTES: Final = str.maketrans(
    {**dict.fromkeys(APOSTROPHES, "'"), **dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"')}
)


def _placeholder(valence: float) -> str:
    step = max(-40, min(40, round(valence * 10)))
    return f"cbzv{'n' if step < 0 else 'p'}{abs(step):02d}"


@cache
def _analyser() -> Any:
    """VADER with the healthcare words and the phrase placeholders (built once)."""
    analyser = SentimentIntensityAnalyzer()
    analyser.lexicon.update(WORDS)
    analyser.lexicon.update({_placeholder(step / 10): step / 10 for step in _STEPS})
    return analyser


@cache
def _plain_analyser() -> Any:
    return SentimentIntensityAnalyzer()


def vader_compound(text: str) -> float:
    """VADER's own compound score, without the override (for comparison and tests)."""
    return float(_plain_analyser().polarity_scores(text)["compound"])


def phrase_hits(text: str) -> list[PhraseHit]:
    """The override phrases found in `text`."""
    return find_phrases(fold(text), PHRASES)


def rewritten(text: str) -> str:
    """`text` as the analyser reads it: each phrase a rule found replaced by its placeholder
    (in capitals when the phrase was written in capitals) or by its rewrite, and typographic
    quotes and apostrophes made straight (VADER knows "didn't", not "didn\u2019t")."""
    parts = []
    position = 0
    for hit in phrase_hits(text):
        original = text[hit.start : hit.end]
        if hit.rewrite is not None:
            replacement = hit.rewrite
        else:
            assert hit.valence is not None
            replacement = _placeholder(hit.valence)
        if original.isupper() and sum(char.isalpha() for char in original) > 1:
            replacement = replacement.upper()
        parts += [text[position : hit.start], replacement]
        position = hit.end
    parts.append(text[position:])
    return "".join(parts).translate(_QUOTES)


def _compound(text: str) -> float:
    compound = float(_analyser().polarity_scores(rewritten(text))["compound"])
    return 0.0 if math.isnan(compound) else compound


def _valence_sum(compound: float) -> float:
    """The sum of valences x a compound score came from (compound = x / sqrt(x² + 15))."""
    compound = max(-0.9999, min(0.9999, compound))
    return compound * math.sqrt(ALPHA) / math.sqrt(1 - compound * compound)


def english_compound(text: str) -> float:
    """The compound score in [-1, 1] of an English text, with the healthcare override.

    VADER reads a text whole, in time that grows with the square of its length. A comment of
    more than WHOLE_TEXT_WORDS words is read sentence by sentence instead and the sums of
    valences added before normalising, as VADER adds them, except that its "but" rule then
    works within each sentence rather than on the first "but" of the whole text.
    """
    if not text.strip():
        return 0.0
    if len(text.split()) <= WHOLE_TEXT_WORDS:
        return _compound(text)
    total = sum(_valence_sum(_compound(text[start:end])) for start, end in split_sentences(text))
    return round(total / math.sqrt(total * total + ALPHA), 4)
