"""The billing app's panels: billing questions and how fast they are answered on the managers'
home, and a patient's statements on their page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from carebond.billing.selectors import (
    billing_question_figures,
    count_waiting_billing_questions,
    list_statements_of_person,
)
from carebond.core import clock
from carebond.core.registry import PersonPage

if TYPE_CHECKING:
    from carebond.accounts.models import User

# The period the home panel's figures cover.
PANEL_DAYS = 30


def questions_panel(user: User) -> Mapping[str, Any] | None:
    """Billing questions waiting and how fast the last month's were answered (figures, no
    names): shown when a billing question came in the last month or still waits."""
    now = clock.now()
    figures = billing_question_figures(
        user.organization_id, since=now - timedelta(days=PANEL_DAYS), until=now
    )
    waiting = count_waiting_billing_questions(user.organization_id)
    if not figures.asked and not waiting:
        return None
    return {"figures": figures, "waiting": waiting, "days": PANEL_DAYS}


def statements_panel(page: PersonPage) -> Mapping[str, Any] | None:
    statements = list_statements_of_person(user=page.user, person=page.person)
    return {"statements": statements, "person": page.person} if statements else None
