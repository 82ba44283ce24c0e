"""A stand-in for the reassigned-numbers service (the tests set ``DISCONNECTED``)."""

from __future__ import annotations

from datetime import date

# number -> the day it was permanently disconnected
DISCONNECTED: dict[str, date] = {}


def check(number: str, since: date) -> bool | None:
    disconnected = DISCONNECTED.get(number)
    return disconnected is not None and disconnected > since


def broken(number: str, since: date) -> bool | None:
    """A service that is down."""
    raise ConnectionError("reassigned-numbers service unreachable")
