"""The people app's home panel: a liaison's own referral sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.people.selectors import list_my_referral_sources

if TYPE_CHECKING:
    from carebond.accounts.models import User


def my_referral_sources_panel(user: User) -> Mapping[str, Any] | None:
    count, sources = list_my_referral_sources(user=user)
    return {"count": count, "sources": sources} if count else None
