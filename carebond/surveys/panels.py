"""The surveys app's home and person-page panels. Each returns None when there is nothing to
show: no responses yet, no open case, no praise waiting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.core.registry import PersonPage
from carebond.surveys.access import SURVEY_MANAGERS
from carebond.surveys.models import InstrumentKind
from carebond.surveys.result_selectors import get_results, instrument_by_kind, moments_summary
from carebond.surveys.selectors import (
    list_recognition_suggestions,
    list_recovery_cases,
    person_feedback,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User


def recovery_panel(user: User) -> Mapping[str, Any] | None:
    """Open recovery cases, overdue and escalated ones first: the manager's own, and those
    escalated to them."""
    rows = list_recovery_cases(user=user, status="open", mine=True, limit=8)
    if not rows:
        return None
    rows.sort(key=lambda row: (not row.overdue, not row.escalated, row.case.due_at))
    return {"rows": rows, "overdue": sum(1 for row in rows if row.overdue)}


def experience_panel(user: User) -> Mapping[str, Any] | None:
    """The post-visit survey's last 90 days: NPS with its interval and the composites, small
    numbers hidden."""
    instrument = instrument_by_kind(user, InstrumentKind.PATIENT_EXPERIENCE)
    if instrument is None:
        return None
    results = get_results(user=user, instrument=instrument, days=90)
    moments = moments_summary(user=user, days=90)
    if results.n == 0 and moments is None:
        return None
    return {"results": results, "moments": moments}


def pulse_panel(user: User) -> Mapping[str, Any] | None:
    """The latest staff pulse wave, by department, with small departments hidden."""
    instrument = instrument_by_kind(user, InstrumentKind.STAFF_PULSE)
    if instrument is None:
        return None
    results = get_results(user=user, instrument=instrument, breakdown="department")
    if results.wave is None or results.n == 0:
        return None
    return {"results": results}


def recognition_panel(user: User) -> Mapping[str, Any] | None:
    suggestions = list_recognition_suggestions(user=user, limit=6)
    if not suggestions:
        return None
    return {"suggestions": suggestions}


def person_feedback_panel(page: PersonPage) -> Mapping[str, Any] | None:
    """A patient's survey invitations and recovery cases, and a form to log a complaint."""
    if page.person.kind != "patient":
        return None
    found = person_feedback(user=page.user, person=page.person)
    return {
        "person": page.person,
        "feedback": found,
        "may_manage": SURVEY_MANAGERS.allows(page.user.role),
        "complaint_form": page.bound_forms.get("complaint"),
    }
