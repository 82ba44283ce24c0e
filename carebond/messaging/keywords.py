"""Reading an inbound text for the words that change consent (FCC 24-18: revocation by any
reasonable means). Keywords act at once; free text that only reads like a revocation goes to
staff, who decide."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class Intent(Enum):
    STOP = "stop"  # end texts from this sender's purposes
    STOP_ALL = "stop_all"  # end every text from the organisation
    START = "start"
    HELP = "help"
    MAYBE_STOP = "maybe_stop"  # reads like a revocation: staff decide
    NONE = "none"


STOP_WORDS = frozenset(
    {"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT"}
    | {"ALTO", "PARAR", "CANCELAR"}
)
STOP_ALL_WORDS = frozenset({"STOPALL", "STOP ALL"})
# "YES" is left out: it confirms appointments.
START_WORDS = frozenset({"START", "UNSTOP", "SUBSCRIBE", "COMENZAR", "INICIO"})
HELP_WORDS = frozenset({"HELP", "INFO", "AYUDA"})
# A keyword inside a longer text ("stop please", "STOP!! who is this") goes to staff; the
# everyday words among the keywords ("cancel my appointment", "end") do not.
STOP_IN_A_SENTENCE = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "REVOKE", "OPTOUT", "ALTO"})
# ...except a visit: "can I stop by at 3?"
VISITING = frozenset({"BY", "IN", "OVER"})
# Phrases that mean "stop" without being the keyword, in English and Spanish.
MAYBE_STOP_PATTERNS = [
    re.compile(pattern)
    for pattern in (
        r"\bno more (text|message|sms)",
        r"\b(stop|quit) (texting|messaging|sending|contacting)",
        r"\bdon ?t (text|message|contact|send)",
        r"\bdo not (text|message|contact|send)",
        r"\bleave me alone\b",
        r"\bremove me\b",
        r"\btake me off\b",
        r"\bunsubscribe me\b",
        r"\bwrong (number|person)\b",
        r"\bno mas\b",
        r"\bno me (escriba|envie|mande|contacte)",
        r"\bnumero equivocado\b",
        r"\bdejen de\b",
    )
]


# Words that may mean an emergency, in English and Spanish (accents folded): the sender is
# told at once, at any hour, to call 911. Matched as whole words or phrases.
EMERGENCY_PHRASES = (
    "EMERGENCY",
    "CHEST PAIN",
    "CANT BREATHE",
    "CAN T BREATHE",
    "CANNOT BREATHE",
    "TROUBLE BREATHING",
    "KILL MYSELF",
    "SUICIDE",
    "SUICIDAL",
    "OVERDOSE",
    "STROKE",
    "UNCONSCIOUS",
    "EMERGENCIA",
    "DOLOR DE PECHO",
    "NO PUEDO RESPIRAR",
    "SUICIDIO",
    "SOBREDOSIS",
    "QUITARME LA VIDA",
)


def reads_like_emergency(text: str) -> bool:
    words = f" {normalise(text)} "
    return any(f" {phrase} " in words for phrase in EMERGENCY_PHRASES)


def normalise(text: str) -> str:
    """Upper case, accents and punctuation gone, spaces collapsed: "  Stop. " -> "STOP"."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = re.sub(r"[^\w\s]", " ", folded).split()
    return " ".join(words).upper()


def read_intent(text: str) -> Intent:
    """What an inbound text asks for. Only a message that is the keyword alone (in any case,
    spacing and trailing punctuation) acts at once."""
    word = normalise(text)
    words = word.split()
    if len(words) > 1 and len(set(words)) == 1:  # "STOP STOP": the keyword, insisted on
        word = words[0]
    if word in STOP_ALL_WORDS:
        return Intent.STOP_ALL
    if word in STOP_WORDS:
        return Intent.STOP
    if word in START_WORDS:
        return Intent.START
    if word in HELP_WORDS:
        return Intent.HELP
    lower = word.lower()
    if _keyword_in_a_sentence(words) or any(p.search(lower) for p in MAYBE_STOP_PATTERNS):
        return Intent.MAYBE_STOP
    return Intent.NONE


def _keyword_in_a_sentence(words: list[str]) -> bool:
    return any(
        word in STOP_IN_A_SENTENCE and (word != "STOP" or following not in VISITING)
        for word, following in zip(words, [*words[1:], ""], strict=True)
    )
