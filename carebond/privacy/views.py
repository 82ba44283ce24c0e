"""Break-glass pages: the form a user fills to open a withheld part, the privacy officer's
review queue, and one grant with its review form."""

from __future__ import annotations

from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from carebond.core.access import signed_in_user
from carebond.core.errors import InvalidInput
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.people.access import access_person, parts_open_to
from carebond.privacy import actions
from carebond.privacy.access import BREAK_GLASS_USERS, GRANT_READERS, PRIVACY_OFFICERS
from carebond.privacy.forms import BreakGlassForm, ReviewForm
from carebond.privacy.models import Review
from carebond.privacy.selectors import get_grant, list_review_queue, list_reviewed, review_counts


@page_policy(BREAK_GLASS_USERS)
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest, person_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    person = access_person(user, person_id)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = actions.check_break_glass(
                user=user,
                person_id=person_id,
                reason=form.cleaned_data["reason"],
                explanation=form.cleaned_data["explanation"],
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            until = grant.expires_at.astimezone(ZoneInfo(person.organization.time_zone))
            messages.success(
                request,
                f"Break-glass access is open until {until:%H:%M}. A privacy officer has been "
                "told and will review it.",
            )
            return redirect("people:detail", person_id=person.public_id)
    # refused, by the form (a choice not offered) or by the action: said beside the field
    status = 422 if form.errors else 200
    context = {
        "person": person,
        "form": form,
        "parts": parts_open_to(user, person.public_id),
        "minutes": actions.grant_minutes(),
    }
    return render(request, "privacy/break_glass.html", context, status=status)


@page_policy(PRIVACY_OFFICERS)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "privacy/queue.html",
        {
            "counts": review_counts(user=user),
            "waiting": list_review_queue(user=user),
            "reviewed": list_reviewed(user=user),
        },
    )


@page_policy(GRANT_READERS)
@require_http_methods(["GET", "POST"])
def grant(request: HttpRequest, grant_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reviewed = actions.check_review_grant(
                user=user,
                grant_id=grant_id,
                verdict=form.cleaned_data["verdict"],
                note=form.cleaned_data["note"],
            )
        except InvalidInput as error:
            show_error(form, error)
        else:
            messages.success(
                request,
                f"Reviewed: {reviewed.get_review_display().lower()}. "
                f"{review_counts(user=user).waiting} left to review.",
            )
            return redirect("privacy:queue")
    status = 422 if form.errors else 200
    found = get_grant(user=user, grant_id=grant_id)
    return render(
        request,
        "privacy/grant.html",
        {
            "grant": found,
            "form": form,
            "is_officer": PRIVACY_OFFICERS.allows(user.role),
            "may_review": found.review == Review.WAITING and PRIVACY_OFFICERS.allows(user.role),
        },
        status=status,
    )
