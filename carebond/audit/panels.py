"""The audit app's home panel: the last day of the audit trail, in numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.audit.selectors import get_audit_day, list_patient_access
from carebond.core.registry import PersonPage

if TYPE_CHECKING:
    from carebond.accounts.models import User


def audit_day_panel(user: User) -> Mapping[str, Any]:
    return {"day": get_audit_day(user=user)}


def access_log_panel(page: PersonPage) -> Mapping[str, Any] | None:
    """Who opened or changed this patient's record lately: "who looked at this patient?"
    answered on the patient's own page, for those who may read the audit trail."""
    if page.person.kind != "patient":
        return None
    # records merged into this one (their events are about the same patient)
    merged = [str(pid) for pid in page.person.merged_records.values_list("public_id", flat=True)]
    events = list_patient_access(
        user=page.user, patient_public_id=str(page.person.public_id), merged_ids=merged
    )
    return {"rows": events, "patient_id": page.person.public_id}
