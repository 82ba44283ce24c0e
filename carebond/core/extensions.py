"""What core itself adds to the registry: the page shell's own entries and its own scans."""

from __future__ import annotations

from carebond.core.permissions import ANY_STAFF, MANAGERS
from carebond.core.registry import NavEntry, register_navigation


def register() -> None:
    register_navigation(NavEntry("Home", "core:home", ANY_STAFF, order=0))
    register_navigation(NavEntry("Organisation", "core:organization", MANAGERS, order=40))
    register_navigation(NavEntry("API", "api-1.0.0:openapi-view", ANY_STAFF, order=100))
