"""Early warning's home panel: the open alerts, the manager's own first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.analytics.warning_selectors import open_alerts_for

if TYPE_CHECKING:
    from carebond.accounts.models import User


def early_warning_panel(user: User) -> Mapping[str, Any] | None:
    rows, total = open_alerts_for(user)
    if not rows:
        return None
    return {"rows": rows, "total": total, "user_id": user.pk}
