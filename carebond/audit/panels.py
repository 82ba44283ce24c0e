"""The audit app's home panel: the last day of the audit trail, in numbers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.audit.selectors import get_audit_day

if TYPE_CHECKING:
    from carebond.accounts.models import User


def audit_day_panel(user: User) -> Mapping[str, Any]:
    return {"day": get_audit_day(user=user)}
