"""Timeline pages: logging a touchpoint by hand from the person page (two clicks)."""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.people.pages import person_page
from carebond.people.selectors import get_staff_person
from carebond.touchpoints.access import TIMELINE_USERS, access_timeline
from carebond.touchpoints.actions import check_log_touchpoint
from carebond.touchpoints.forms import TouchpointForm
from carebond.touchpoints.panels import LOG_IDS


@page_policy(TIMELINE_USERS)
@require_POST
def log_touchpoint(request: HttpRequest, person_id: UUID) -> HttpResponse:
    """Type an optional note, press 'Log call' (or message, visit, note). Audited by the action."""
    user = signed_in_user(request)
    person = access_timeline(user, person_id)
    form = TouchpointForm(request.POST, auto_id=LOG_IDS)
    if not form.is_valid():
        return person_page(request, person_id, status=400, bound_forms={"touchpoint_form": form})
    data = form.cleaned_data
    occurred_at = data["occurred_at"]
    if occurred_at is not None and occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    try:
        touchpoint = check_log_touchpoint(
            person,
            kind=data["kind"],
            channel=data["channel"],
            direction=data["direction"],
            occurred_at=occurred_at,
            moment_of_truth=data["moment_of_truth"] or None,
            sentiment=data["sentiment"],
            outcome=data["outcome"],
            summary=data["summary"],
            staff=get_staff_person(user=user),
            acting_user=user,
        )
    except CareBondError as error:
        show_error(form, error)
        return person_page(
            request, person_id, status=error.status, bound_forms={"touchpoint_form": form}
        )
    messages.success(request, f"{touchpoint.get_kind_display()} logged.")
    return redirect("people:detail", person_id=person.public_id)
