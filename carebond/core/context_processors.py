from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from carebond.core.permissions import Role, role_of
from carebond.core.registry import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page shell needs: the organisation, the user's navigation and role label."""
    user = getattr(request, "user", None)
    # The shell stays bare until the second factor is done (set by SessionPolicyMiddleware).
    if user is None or not user.is_authenticated or not getattr(request, "mfa_satisfied", False):
        return {"navigation": [], "organization": None, "role_label": ""}
    role = role_of(user)
    return {
        "navigation": navigation_for(role),
        "organization": getattr(user, "organization", None),
        "role_label": Role(role).label if role in Role.values else "",
        "current_path": request.path,
    }
