"""The privacy app's panels: the review queue's counts on the privacy officer's home, and on a
person's page what the user's role withholds there, with the way to break the glass."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.core.registry import PersonPage
from carebond.people.access import parts_open_to
from carebond.privacy.selectors import list_review_queue, review_counts, running_grant

if TYPE_CHECKING:
    from carebond.accounts.models import User

HOME_QUEUE = 5


def review_panel(user: User) -> Mapping[str, Any] | None:
    counts = review_counts(user=user)
    if not counts.waiting and not counts.not_appropriate:
        return None
    oldest = list_review_queue(user=user, limit=HOME_QUEUE) if counts.waiting else []
    return {"counts": counts, "oldest": oldest}


def withheld_panel(page: PersonPage) -> Mapping[str, Any] | None:
    parts = parts_open_to(page.user, page.person.public_id)
    if not parts.withheld:
        return None
    grant = running_grant(user=page.user, person_id=page.person.public_id) if parts.opened else None
    return {"person": page.person, "parts": parts, "grant": grant}
