"""The timeline on the person page: filtered, a page at a time, with the quick-log form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from carebond.core.registry import PersonPage
from carebond.touchpoints.forms import TimelineFilterForm, TouchpointForm
from carebond.touchpoints.selectors import (
    TimelineFilters,
    list_people_recently_worked_with,
    list_staff_on_timeline,
    list_timeline,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

# The log form's and the filter form's fields share names (kind...): their ids must not clash.
LOG_IDS = "log_%s"


def timeline_panel(page: PersonPage) -> Mapping[str, Any]:
    person, request = page.person, page.request
    # Staff filter: only those who appear on this timeline (an organisation may have thousands).
    staff_choices = [(str(p.public_id), p.display_name) for p in list_staff_on_timeline(person)]
    filters_form = TimelineFilterForm(
        request.GET or None, staff_choices=staff_choices, auto_id="filter_%s"
    )
    filters, number = TimelineFilters(), 1
    if filters_form.is_bound and filters_form.is_valid():
        data = filters_form.cleaned_data
        filters = TimelineFilters(
            kind=data["kind"],
            channel=data["channel"],
            staff_id=data["staff"],
            since=data["since"],
            until=data["until"],
        )
        number = data["page"] or 1
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "person": person,
        "timeline": list_timeline(person, filters=filters, page=number),
        "filters_form": filters_form,
        "query": query.urlencode(),
        "touchpoint_form": page.bound_forms.get("touchpoint_form")
        or TouchpointForm(auto_id=LOG_IDS),
    }


def recent_people_panel(user: User) -> Mapping[str, Any] | None:
    """The patients the user worked with lately: the way back to them from the home page."""
    people = list_people_recently_worked_with(user=user)
    return {"people": people} if people else None
