"""The FHIR app's panels: the latest imports on the home page, shown once there has been one,
and a patient's right of access on their page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.core.registry import PersonPage
from carebond.interop.importing.selectors import list_import_runs
from carebond.interop.record_copy import LANGUAGES, check_language

if TYPE_CHECKING:
    from carebond.accounts.models import User


def recent_imports_panel(user: User) -> Mapping[str, Any] | None:
    runs = list_import_runs(user, limit=3)
    return {"runs": runs} if runs else None


def right_of_access_panel(page: PersonPage) -> Mapping[str, Any] | None:
    """The patient's copy of their record and the accounting of access: for patients only."""
    person = page.person
    if person.kind != "patient" or person.merged_into_id is not None:
        return None
    return {
        "patient_id": person.public_id,
        "languages": list(LANGUAGES.items()),
        "language": check_language("", person.preferred_language),
    }
