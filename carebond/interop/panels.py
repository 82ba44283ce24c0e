"""The FHIR app's home panel: the latest imports, shown once there has been one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.interop.importing.selectors import list_import_runs

if TYPE_CHECKING:
    from carebond.accounts.models import User


def recent_imports_panel(user: User) -> Mapping[str, Any] | None:
    runs = list_import_runs(user, limit=3)
    return {"runs": runs} if runs else None
