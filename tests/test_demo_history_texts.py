"""The demo's history of patients' questions by text: each answer has its own idempotency key,
even when two questions of one patient are answered at the same moment (both asked in the
evening, both answered when the office opens), which made some days' demo fail to build."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from carebond.demo import history_messages

ZONE = ZoneInfo("America/Chicago")
OPENING = datetime(2026, 11, 3, 8, 0, tzinfo=ZONE)


@dataclass
class Recorded:
    """The texts the history would write: their keys only."""

    messages: list[str] = field(default_factory=list)

    def conversation(self, patient: Any) -> None:
        return None

    def add(self, patient: Any, *, key: str, **_: Any) -> None:
        self.messages.append(key)


def test_two_answers_at_one_moment_have_keys_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # given one patient who texts questions for three months, every answer going out at once
    patient = SimpleNamespace(
        phone="+12175550123",
        joined=None,
        left=None,
        texts_stopped=None,
        texted_recently=False,
        spanish=False,
        person=SimpleNamespace(pk=801),
    )
    context = SimpleNamespace(
        start=date(2026, 8, 1),
        yesterday=date(2026, 10, 31),
        patients=[patient],
        zone=ZONE,
        now=datetime(2026, 11, 5, 12, 0, tzinfo=ZONE),
    )
    monkeypatch.setattr(history_messages, "_office_reply", lambda *args: OPENING)
    texts = Recorded()
    # when the questions and their answers are made
    history_messages._questions(context, texts, None, random.Random(1))  # type: ignore[arg-type]
    # then there were several answers, and no key is used twice
    answers = [key for key in texts.messages if key.startswith("reply:")]
    assert len(answers) > 1
    assert len(texts.messages) == len(set(texts.messages))
