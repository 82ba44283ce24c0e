"""Whether text is one of our public ids (UUIDs): filters and lookups that take ids from a
query string or from rolled-up figures check first, so junk is a message or a miss, never an
error from the database."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID


def is_uuid(value: object) -> bool:
    if isinstance(value, UUID):
        return True
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def only_uuids(values: Iterable[object]) -> list[str]:
    """The values that are ids, as text; the rest dropped."""
    return [str(value) for value in values if is_uuid(value)]


def uuid_or_none(value: str | None) -> UUID | None:
    """The id in ``value``, or None when there is none (an empty or junk filter)."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
