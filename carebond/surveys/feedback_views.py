""" "You said, we did" pages for staff: the list of actions (with their measurement), a new
action from a theme, and an action's page with its texts, progress, publishing and telling the
respondents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.surveys.access import SURVEY_MANAGERS, SURVEY_READERS, access_action
from carebond.surveys.feedback_actions import (
    check_create_action,
    check_notify_respondents,
    check_publish_action,
    check_unpublish_action,
    check_update_action,
)
from carebond.surveys.feedback_forms import (
    TEXT_NAMES,
    ActionForm,
    ProgressForm,
    PublishForm,
    TextsForm,
)
from carebond.surveys.feedback_selectors import (
    TEXT_LABELS,
    count_respondents,
    get_action,
    list_actions,
    list_owners,
    location_choices,
    owner_of,
    theme_choices,
)
from carebond.surveys.models import ActionStatus, FeedbackAction
from carebond.surveys.rule_actions import location_of


def _owner_choices(user: Any) -> list[tuple[str, str]]:
    return [(str(owner.public_id), owner.display_name) for owner in list_owners(user=user)]


@page_policy(SURVEY_READERS)
@require_GET
def actions(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", "")
    theme = request.GET.get("theme", "")
    problem = ""
    try:
        rows = list_actions(user=user, status=status, theme=theme)
    except InvalidInput as error:
        rows, problem = [], error.message
    return render(
        request,
        "surveys/feedback/actions.html",
        {
            "rows": rows,
            "problem": problem,
            "status": status,
            "theme": theme,
            "statuses": ActionStatus.choices,
            "themes": theme_choices(user=user),
            "may_manage": SURVEY_MANAGERS.allows(user.role),
        },
        status=422 if problem else 200,
    )


@page_policy(SURVEY_MANAGERS)
@require_http_methods(["GET", "POST"])
def action_new(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    themes = theme_choices(user=user)
    form = ActionForm(
        request.POST or None,
        themes=themes,
        locations=[(str(place.public_id), place.name) for place in location_choices(user=user)],
        owners=_owner_choices(user),
        initial={"owner": str(user.public_id), "theme": request.GET.get("theme", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = check_create_action(
                user.organization,
                theme=data["theme"],
                location=location_of(user, data["location"]),
                owner=owner_of(user=user, public_id=data["owner"]),
                due_on=data["due_on"],
                texts=form.texts(),
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(
                request, "Action created, with the theme's last 90 days as its baseline."
            )
            return redirect("surveys:action", action_id=action.public_id)
    return render(
        request,
        "surveys/feedback/new.html",
        {"form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


def _action_page(
    request: HttpRequest,
    user: Any,
    action_id: UUID,
    *,
    bound: dict[str, forms.Form] | None = None,
) -> HttpResponse:
    row = get_action(user=user, public_id=action_id)
    action = row.action
    may_manage = SURVEY_MANAGERS.allows(user.role)
    page_forms: dict[str, forms.Form] = {}
    if may_manage:
        page_forms = {
            "texts": TextsForm(
                owners=_owner_choices(user),
                initial={
                    **{name: getattr(action, name) for name in TEXT_LABELS},
                    "owner": str(action.owner.public_id) if action.owner else "",
                    "due_on": action.due_on,
                },
            ),
            "progress": ProgressForm(
                initial={"status": action.status, "evidence": action.evidence}
            ),
            "publish": PublishForm(),
        }
        page_forms.update(bound or {})
    return render(
        request,
        "surveys/feedback/action.html",
        {
            "row": row,
            "action": action,
            "may_manage": may_manage,
            "forms": page_forms,
            "missing": [TEXT_LABELS[name] for name in row.missing_texts],
            "respondents": count_respondents(user=user, action=action) if may_manage else None,
        },
        status=422 if bound else 200,
    )


@page_policy(SURVEY_READERS)
@require_GET
def action(request: HttpRequest, action_id: UUID) -> HttpResponse:
    return _action_page(request, signed_in_user(request), action_id)


def _update(
    request: HttpRequest,
    user: Any,
    action_id: UUID,
    which: str,
    form: forms.Form,
    changes: Callable[[dict[str, Any]], dict[str, Any]],
    said: Callable[[FeedbackAction], str],
) -> HttpResponse:
    """One of the action page's forms: the changes it asks for, or its errors beside it."""
    found = access_action(user, action_id)
    if form.is_valid():
        try:
            updated = check_update_action(found, acting_user=user, **changes(form.cleaned_data))
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, said(updated))
            return redirect("surveys:action", action_id=action_id)
    return _action_page(request, user, action_id, bound={which: form})


@page_policy(SURVEY_MANAGERS)
@require_POST
def action_texts(request: HttpRequest, action_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    return _update(
        request,
        user,
        action_id,
        "texts",
        TextsForm(request.POST, owners=_owner_choices(user)),
        lambda data: {
            "texts": {name: data[name] for name in TEXT_NAMES},
            "owner": owner_of(user=user, public_id=data["owner"]),
            "due_on": data["due_on"],
        },
        lambda _: "Texts, owner and due date saved.",
    )


@page_policy(SURVEY_MANAGERS)
@require_POST
def action_progress(request: HttpRequest, action_id: UUID) -> HttpResponse:
    return _update(
        request,
        signed_in_user(request),
        action_id,
        "progress",
        ProgressForm(request.POST),
        lambda data: {"status": data["status"], "evidence": data["evidence"]},
        lambda updated: (
            "Marked done: the theme is measured on the comments from tomorrow on."
            if updated.status == ActionStatus.DONE
            else "Progress saved."
        ),
    )


@page_policy(SURVEY_MANAGERS)
@require_POST
def action_publish(request: HttpRequest, action_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_action(user, action_id)
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        published = check_publish_action(
            found, notify=bool(form.cleaned_data.get("notify")), acting_user=user
        )
    except InvalidInput as error:
        # The texts still to write, each marked in the texts form.
        texts = TextsForm(
            {
                **{name: getattr(found, name) for name in TEXT_LABELS},
                "owner": str(found.owner.public_id) if found.owner else "",
                "due_on": found.due_on.isoformat(),
            },
            owners=_owner_choices(user),
        )
        texts.is_valid()
        show_error(texts, error)
        return _action_page(request, user, action_id, bound={"texts": texts})
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        told = ""
        if published.notified_at is not None:
            told = _told(published.notified_queued, published.notified_blocked)
        messages.success(request, f"Published on the public page.{told}")
    return redirect("surveys:action", action_id=action_id)


def _told(queued: int, blocked: int) -> str:
    return (
        f" Messages queued to {queued} respondent{'s' if queued != 1 else ''}; "
        f"{blocked} not sent (no consent for the channel, opted out, or no address)."
    )


@page_policy(SURVEY_MANAGERS)
@require_POST
def action_unpublish(request: HttpRequest, action_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    try:
        check_unpublish_action(access_action(user, action_id), acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Taken off the public page.")
    return redirect("surveys:action", action_id=action_id)


@page_policy(SURVEY_MANAGERS)
@require_POST
def action_notify(request: HttpRequest, action_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    try:
        told = check_notify_respondents(access_action(user, action_id), acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _told(told.notified_queued, told.notified_blocked).strip())
    return redirect("surveys:action", action_id=action_id)
