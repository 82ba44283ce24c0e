"""Claiming work with one conditional UPDATE, so that two workers never take the same row.

The filter says what must still be true for the row to be free (``status="accepted"``), the
changes make it untrue (``status="running"``). The database applies the UPDATE to a row only
while the filter holds, so of any number of concurrent claimers exactly one sees one row
changed; the others see none and leave the row alone. No lock is held after the statement.
"""

from __future__ import annotations

from typing import Any

from django.db import models


def claim(
    model: type[models.Model], pk: int, *, where: dict[str, Any], change: dict[str, Any]
) -> bool:
    """True when this caller took row ``pk`` (it matched ``where`` and now has ``change``)."""
    if not change:
        raise ValueError("A claim must change the row, or every claimer would win.")
    return model._default_manager.filter(pk=pk, **where).update(**change) == 1
