"""The accounts app's home panel: the administrator's view of sign-in security."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from carebond.accounts.models import User
from carebond.accounts.selectors import get_security_summary


def security_panel(user: User) -> Mapping[str, Any]:
    return {"summary": get_security_summary(user=user)}
