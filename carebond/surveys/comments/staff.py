"""Staff named in a comment, for praise: the app suggests a recognition for each member of staff
a positive clause names (a negative or neutral clause naming someone is no praise).

A member of staff is found, case and accents ignored, by their full name ("Priya Raman"),
their given and family names ("María José García Pérez" as "María Pérez"), their family name
alone ("Raman"; for a name of three words or more, also the next to last, the first family name
in Spanish use: "García"), or a title before their given or family name ("Dr. Raman", "Dra.
Fernández", "Nurse Ana", "la enfermera Beltrán"). A given name alone ("Maria at the desk") is
not enough: too many people share one. A name that fits two members of staff equally (two
"Lopez") is nobody's: no guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from carebond.surveys.comments.text import FoldedText, fold_word

TITLES: Final = (
    "dr", "dra", "doctor", "doctora", "doc", "nurse", "enfermera", "enfermero", "mr", "mrs",
    "ms", "miss", "mx", "sr", "sra", "srta", "señor", "señora", "señorita", "prof", "lic",
    "licenciada", "licenciado", "professor", "rn", "np", "pa",
)  # fmt: skip
_TITLE_WORDS: Final = frozenset(fold_word(title) for title in TITLES)
_TITLE = r"(?:" + "|".join(sorted(_TITLE_WORDS, key=len, reverse=True)) + r")"
# A title as written in the comment: "Dr.", "Dra", "Nurse", with an optional dot.
_TITLE_PREFIX = _TITLE + r"\.?\s+"
_NAME_WORD = re.compile(r"[\w'-]+")
# A title and a capitalised word, in the original text: a member of staff by name even when the
# list of staff does not have them ("Dr. Smith was wonderful").
TITLED_NAME = re.compile(
    r"\b(?:Dr|Dra|Doctor|Doctora|Nurse|Enfermera|Enfermero)\.?\s+[A-ZÁÉÍÓÚÑÜ][\w'-]+"
)


@dataclass(frozen=True)
class StaffMention:
    name: str  # the entry of staff_names
    start: int
    end: int


@dataclass(frozen=True)
class _Person:
    name: str
    full: str
    given: str
    family_names: tuple[str, ...]
    given_family: str


def _person(name: str) -> _Person | None:
    words = _NAME_WORD.findall(fold_word(name))
    while words and words[0] in _TITLE_WORDS:
        words = words[1:]
    if not words:
        return None
    family = (words[-1],) if len(words) > 1 else ()
    if len(words) >= 3:
        family += (words[-2],)
    return _Person(
        name=name,
        full=" ".join(words),
        given=words[0],
        family_names=family,
        given_family=f"{words[0]} {words[-1]}" if len(words) > 1 else "",
    )


def _forms(person: _Person) -> list[tuple[str, int]]:
    """(regex, strength) pairs: the full name and titled forms are strong, the family name
    alone is weak; a weak form that two people share is dropped."""
    forms = [(re.escape(person.full), 3)]
    if person.given_family and person.given_family != person.full:
        forms.append((re.escape(person.given_family), 3))
    for name in (person.given, *person.family_names):
        forms.append((_TITLE_PREFIX + re.escape(name), 2))
    forms += [(re.escape(family), 1) for family in person.family_names]
    return forms


def find_staff(text: FoldedText, staff_names: Sequence[str]) -> list[StaffMention]:
    """Every mention of a member of staff in the text (original offsets), longest first where
    mentions overlap, in the order of the text."""
    people = [person for name in staff_names if (person := _person(name)) is not None]
    candidates: list[tuple[int, int, int, str]] = []  # start, end, strength, name
    for person in people:
        for form, strength in _forms(person):
            pattern = re.compile(r"\b" + form + r"\b")
            for match in pattern.finditer(text.folded):
                start, end = text.to_original(match.start(), match.end())
                candidates.append((start, end, strength, person.name))
    mentions: list[StaffMention] = []
    taken: list[tuple[int, int]] = []
    by_strength = sorted(candidates, key=lambda c: (-c[2], -(c[1] - c[0]), c[0]))
    for start, end, strength, name in by_strength:
        if any(start < taken_end and taken_start < end for taken_start, taken_end in taken):
            continue
        rivals = {
            other
            for other_start, other_end, other_strength, other in candidates
            if (other_start, other_end, other_strength) == (start, end, strength)
        }
        taken.append((start, end))
        if len(rivals) == 1:
            mentions.append(StaffMention(name, start, end))
    return sorted(mentions, key=lambda mention: mention.start)
