"""Revocation by any reasonable means: keywords in any case, spacing and trailing punctuation,
in English and Spanish; phrases that only read like one go to staff."""

from __future__ import annotations

import pytest

from carebond.messaging.keywords import Intent, read_intent

STOPS = ["STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPTOUT"]
SPANISH = ["ALTO", "PARAR", "CANCELAR"]


@pytest.mark.parametrize("word", STOPS + SPANISH)
@pytest.mark.parametrize("written", ["{}", "{}.", "  {}!  ", "{}?!"])
def test_every_stop_keyword_in_any_case_spacing_and_punctuation(word: str, written: str) -> None:
    for variant in (word, word.lower(), word.title()):
        assert read_intent(written.format(variant)) is Intent.STOP, written.format(variant)


@pytest.mark.parametrize("text", ["STOPALL", "stop all", "Stop All."])
def test_stop_all(text: str) -> None:
    assert read_intent(text) is Intent.STOP_ALL


@pytest.mark.parametrize("text", ["STOP STOP", "stop. stop!", "CANCEL CANCEL CANCEL"])
def test_a_keyword_insisted_on_is_the_keyword(text: str) -> None:
    assert read_intent(text) is Intent.STOP


@pytest.mark.parametrize("text", ["STOPALL STOPALL"])
def test_stop_all_insisted_on(text: str) -> None:
    assert read_intent(text) is Intent.STOP_ALL


@pytest.mark.parametrize("text", ["start", "UNSTOP", "Comenzar"])
def test_start(text: str) -> None:
    assert read_intent(text) is Intent.START


@pytest.mark.parametrize("text", ["HELP", "help?", "Ayuda"])
def test_help(text: str) -> None:
    assert read_intent(text) is Intent.HELP


@pytest.mark.parametrize(
    "text",
    [
        "no more texts please",
        "Please don't text me again",
        "wrong number",
        "No más mensajes",
        "número equivocado",
        "Stop texting me!!",
        "please remove me from this list",
        "stop please",
        "Please STOP",
        "Unsubscribe!! who is this",
    ],
)
def test_phrases_that_read_like_a_revocation_go_to_staff(text: str) -> None:
    assert read_intent(text) is Intent.MAYBE_STOP


@pytest.mark.parametrize(
    "text",
    ["Can I stop by at 3?", "yes", "C", "Thanks, see you then", "I can't make it, cancel my 3pm?"],
)
def test_ordinary_replies_are_not_read_as_keywords(text: str) -> None:
    assert read_intent(text) is Intent.NONE
