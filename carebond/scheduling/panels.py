"""The scheduling app's home panels: today's schedule for the front desk (and managers), and
today's patients for a clinician, with what to remember about each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.people.selectors import get_staff_person
from carebond.scheduling.absence_selectors import list_absences
from carebond.scheduling.noshow_selectors import list_visits_at_risk
from carebond.scheduling.selectors import list_locations, list_todays_patients, todays_schedule
from carebond.scheduling.selfbooking_selectors import list_recent_online_bookings
from carebond.scheduling.waitlist_selectors import waitlist_summary

if TYPE_CHECKING:
    from carebond.accounts.models import User


def todays_schedule_panel(user: User) -> Mapping[str, Any] | None:
    """How today stands at the first location with visits: counts by status and who is next."""
    today = todays_schedule(user=user)
    if today is None:
        return None
    return {"today": today}


def todays_patients_panel(user: User) -> Mapping[str, Any] | None:
    """The clinician's own visits today, with preferred name, language and alerts."""
    provider = get_staff_person(user=user)
    if provider is None:
        return None
    rows = list_todays_patients(user=user, provider=provider)
    if not rows:
        return None
    return {"rows": rows}


def online_bookings_panel(user: User) -> Mapping[str, Any] | None:
    """The visits patients booked (or cancelled) online in the last week, newest first."""
    rows = list_recent_online_bookings(user=user)
    if not rows:
        return None
    return {"rows": rows}


def visits_at_risk_panel(user: User) -> Mapping[str, Any] | None:
    """The next visits the no-show model puts at risk, for the desk to offer help."""
    found = list_visits_at_risk(user=user)
    if not found.visits:
        return None
    return {"visits": found.visits[:5], "count": len(found.visits), "days": found.days}


def waitlist_panel(user: User) -> Mapping[str, Any] | None:
    """The waitlist offers out now, for the desk to expect the calls; none out: no panel."""
    summary = waitlist_summary(user=user)
    if summary is None:
        return None
    return {"waitlist": summary}


def to_rebook_panel(user: User) -> Mapping[str, Any] | None:
    """Absences over booked visits still to move or cancel, for the desk."""
    rows = [
        (location, row)
        for location in list_locations(user=user)
        for row in list_absences(user=user, location=location)
        if row.to_rebook
    ]
    if not rows:
        return None
    return {"rows": rows}
