"""Spanish sentiment, offline and never by translation: a small lexicon method built like VADER
(docs/methods.md §5.1) on the Spanish lexicon and phrases of spanish_lexicon.

The text is folded (lower case, no accents), cut into words, and each phrase a rule finds
becomes one item with the rule's valence. For each item with a valence, as VADER does:

- a booster in the three items before it ("muy", "bastante", "demasiado") adds 0.293 in the
  direction of its sign, a dampener ("algo", "un poco") takes it away (x0.95 for the second
  item back, x0.9 for the third); superlatives ("amabilísima") count as boosted;
- a negation in the three items before it ("no", "nunca", "nadie", "ni", "sin", "ningún",
  and "poco" not after "un": "poco amable") multiplies it by -0.74; a comma ends the reach of
  a negation and of a booster; "no solo" is no negation;
- a word in capitals in a text that is not all capitals adds 0.733;
- before the first "pero" / "sin embargo" valences count half, after it one and a half times;
- each "!" adds 0.292 (up to four), "?" as VADER (0.18 each for two or three, 0.96 for more).

The sum x becomes the compound x / sqrt(x² + 15), clipped to [-1, 1] and rounded to 4
decimals, labelled with the same thresholds as English.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

from carebond.surveys.comments.overrides import find_phrases
from carebond.surveys.comments.spanish_lexicon import (
    BOOST,
    BOOSTERS,
    CAPS_BOOST,
    DAMPENERS,
    LEXICON,
    NEGATION_SCALAR,
    NEGATORS,
    PHRASES,
)
from carebond.surveys.comments.text import fold

ALPHA: Final = 15.0
EXCLAMATION_BOOST: Final = 0.292
ITEM = re.compile(r"\w+|[,;:]")
SUPERLATIVE = re.compile(r"(\w+?)(?:isim[oa]s?)$")
DISTANCE_SCALE: Final = (1.0, 0.95, 0.9)


@dataclass(frozen=True)
class _Item:
    word: str  # folded; "" for a phrase
    valence: float
    capitals: bool
    boundary: bool  # a comma or semicolon


def _word_valence(word: str) -> float:
    valence = LEXICON.get(word)
    if valence is not None:
        return valence
    superlative = SUPERLATIVE.match(word)
    if superlative:
        stem = superlative.group(1)
        # "buenísimo" bueno, "amabilísima" amable, "riquísimo" rico, "larguísima" larga
        candidates = [stem + "o", stem + "a", stem + "e", stem[:-2] + "le", stem[:-2] + "co"]
        candidates.append(stem[:-1] + "o" if stem.endswith("u") else stem)
        for candidate in candidates:
            if candidate in LEXICON:
                base = LEXICON[candidate]
                return base + math.copysign(BOOST, base)
    return 0.0


def _items(text: str) -> list[_Item]:
    """The words of `text` in order, each phrase a rule found as one item."""
    folded = fold(text)
    hits = find_phrases(folded, PHRASES)
    mixed_case = any(c.islower() for c in text) and any(c.isupper() for c in text)
    items: list[_Item] = []
    hit_index = 0
    emitted = -1
    for match in ITEM.finditer(folded.folded):
        start, end = folded.to_original(match.start(), match.end())
        while hit_index < len(hits) and hits[hit_index].end <= start:
            hit_index += 1
        if hit_index < len(hits) and hits[hit_index].start <= start:
            if emitted != hit_index:
                hit = hits[hit_index]
                capitals = mixed_case and text[hit.start : hit.end].isupper()
                items.append(_Item("", hit.valence or 0.0, capitals, boundary=False))
                emitted = hit_index
            continue
        word = match.group(0)
        if word in ",;:":
            items.append(_Item(word, 0.0, capitals=False, boundary=True))
            continue
        original = text[start:end]
        capitals = mixed_case and len(original) > 1 and original.isupper()
        items.append(_Item(word, _word_valence(word), capitals, boundary=False))
    return items


def _before(items: list[_Item], index: int) -> list[_Item]:
    """Up to three items before `index`, nearest first, not past a comma."""
    window = []
    for back in range(1, 4):
        if index - back < 0 or items[index - back].boundary:
            break
        window.append(items[index - back])
    return window


def _is_negator(items: list[_Item], position: int) -> bool:
    word = items[position].word
    if word not in NEGATORS:
        return False
    if word in ("poco", "poca") and position > 0 and items[position - 1].word == "un":
        return False  # "un poco": a dampener
    following = items[position + 1].word if position + 1 < len(items) else ""
    return not (word == "no" and following in ("solo", "solamente"))


def _valence(items: list[_Item], index: int) -> float:
    item = items[index]
    valence = item.valence
    if item.capitals:
        valence += math.copysign(CAPS_BOOST, valence)
    window = _before(items, index)
    for distance, previous in enumerate(window):
        scale = BOOST * DISTANCE_SCALE[distance]
        before = items[index - distance - 2].word if index - distance - 2 >= 0 else ""
        if previous.word in BOOSTERS:
            valence += math.copysign(scale, valence)
        elif previous.word in DAMPENERS or (previous.word == "poco" and before == "un"):
            valence -= math.copysign(scale, valence)
    if any(_is_negator(items, index - distance - 1) for distance in range(len(window))):
        valence *= NEGATION_SCALAR
    return valence


def _contrast_at(items: list[_Item]) -> int | None:
    for index, item in enumerate(items):
        if item.word == "pero":
            return index
        if item.word == "sin" and index + 1 < len(items) and items[index + 1].word == "embargo":
            return index + 1
    return None


def _punctuation(text: str) -> float:
    exclamations = min(text.count("!"), 4) * EXCLAMATION_BOOST
    questions = text.count("?")
    if questions > 3:
        return exclamations + 0.96
    if questions > 1:
        return exclamations + questions * 0.18
    return exclamations


def spanish_compound(text: str) -> float:
    """The compound score in [-1, 1] of a Spanish text."""
    items = _items(text)
    contrast = _contrast_at(items)
    total = 0.0
    for index, item in enumerate(items):
        if not item.valence:
            continue
        valence = _valence(items, index)
        if contrast is not None:
            valence *= 0.5 if index < contrast else 1.5
        total += valence
    if total:
        total += math.copysign(_punctuation(text), total)
    compound = total / math.sqrt(total * total + ALPHA)
    return round(max(-1.0, min(1.0, compound)), 4)
