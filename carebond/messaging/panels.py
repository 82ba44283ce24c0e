"""The messaging app's panels: "messages to answer" on the home page of those who answer them,
the latest campaigns on the home page of those who run outreach, and a person's recent
messages on their page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.core.registry import PersonPage
from carebond.messaging.campaign_selectors import campaign_results, list_campaigns
from carebond.messaging.selectors import (
    count_pending_revocations,
    count_waiting,
    list_messages_of_person,
    oldest_waiting,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

HOME_CONVERSATIONS = 5
HOME_CAMPAIGNS = 3


def to_answer_panel(user: User) -> Mapping[str, Any] | None:
    waiting = oldest_waiting(user, limit=HOME_CONVERSATIONS)
    revocations = count_pending_revocations(user)
    if not waiting and not revocations:
        return None
    return {"waiting": waiting, "count": count_waiting(user), "revocations": revocations}


def campaigns_panel(user: User) -> Mapping[str, Any] | None:
    """The latest campaigns and how they went, for those who run outreach."""
    latest = list_campaigns(user.organization_id)[:HOME_CAMPAIGNS]
    if not latest:
        return None
    return {"rows": [(c, campaign_results(c)) for c in latest]}


def person_messages_panel(page: PersonPage) -> Mapping[str, Any] | None:
    messages = list_messages_of_person(page.person.pk)
    return {"messages": messages} if messages else None
