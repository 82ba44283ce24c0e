"""Messaging pages: the shared inbox, a conversation, and the template editor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.accounts.selectors import list_colleagues
from carebond.core import clock
from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.core.registry import inbound_topics
from carebond.messaging import actions
from carebond.messaging.access import (
    INBOX_USERS,
    OUTREACH_MANAGERS,
    access_conversation,
    access_revocation_request,
    access_template,
)
from carebond.messaging.forms import (
    AssignForm,
    CapacityForm,
    FindPersonForm,
    LinkForm,
    NoteForm,
    OfficeHoursForm,
    ReplyForm,
    StatusForm,
    TemplateForm,
)
from carebond.messaging.office_hours import hours_as_text, schedule_for
from carebond.messaging.office_hours_actions import check_set_office_hours
from carebond.messaging.revocation_actions import check_decide_revocation
from carebond.messaging.secure_note_actions import check_send_secure_reply
from carebond.messaging.selectors import (
    INBOX_VIEWS,
    canned_replies,
    canned_reply_text,
    get_thread,
    list_conversations,
    list_templates,
    people_on_the_number,
    with_reply_clock,
)
from carebond.messaging.templates_preview import preview_template
from carebond.people.access import access_person
from carebond.people.selectors import SearchResult, search_people

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.messaging.models import Conversation


@page_policy(INBOX_USERS)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    view = request.GET.get("view", "waiting")
    if view not in INBOX_VIEWS:
        view = "waiting"
    topics = [(topic.key, topic.label) for topic in inbound_topics()]
    topic = request.GET.get("topic", "")
    if topic not in dict(topics):
        topic = ""
    rows = with_reply_clock(user.organization, list_conversations(user, view=view, topic=topic))
    return render(
        request,
        "messaging/inbox.html",
        {
            "rows": rows,
            "view": view,
            "views": INBOX_VIEWS,
            "topic": topic,
            "topics": topics,
            "target": settings.MESSAGING_REPLY_TARGET_MINUTES,
        },
    )


def _colleagues(user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(str(u.pk), u.get_full_name() or u.username) for u in list_colleagues(user)]


@page_policy(INBOX_USERS)
@require_GET
def conversation(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_conversation(user, conversation_id)
    other_viewer = (
        found.viewing_by if found.viewing_by_id and found.viewing_by_id != user.pk else None
    )
    actions.mark_viewing(found, user=user)
    actions.ensure_built_in_templates(user.organization)  # the canned replies among them
    canned = canned_reply_text(found, request.GET.get("canned", ""))
    reply_form = ReplyForm(initial={"body": canned}) if canned else None
    return _conversation_page(request, found, other_viewer=other_viewer, reply_form=reply_form)


def _conversation_page(  # type: ignore[no-untyped-def]
    request: HttpRequest, found, *, status: int = 200, other_viewer=None, **forms
) -> HttpResponse:
    user = signed_in_user(request)
    assignee = str(found.assigned_to_id or "")
    context = {
        "conversation": found,
        "thread": get_thread(user, found),
        "other_viewer": other_viewer,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": forms.get("status_form") or StatusForm(),
        "link_form": forms.get("link_form"),
        "canned": canned_replies(user.organization) if found.person_id else [],
        "assign_form": forms.get("assign_form")
        or AssignForm(initial={"assignee": assignee}, people=_colleagues(user)),
    }
    if found.person_id is None:
        context.update(_triage(request, found))
    return render(request, "messaging/conversation.html", context, status=status)


def _triage(request: HttpRequest, found: Conversation) -> dict[str, Any]:
    """Who an unlinked conversation may be with: the people on its number, and a search."""
    user = signed_in_user(request)
    find_form = FindPersonForm(request.GET or None)
    found_people: list[SearchResult] = []
    if find_form.is_valid():
        try:
            found_people = search_people(user=user, q=find_form.cleaned_data["find"])
        except CareBondError as error:
            show_error(find_form, error, aliases={"q": "find"})
    return {
        "on_the_number": people_on_the_number(user, found),
        "find_form": find_form,
        "found_people": found_people,
    }


def _conversation_form(
    request: HttpRequest,
    conversation_id: UUID,
    form_class: type[forms.Form],
    form_key: str,
    act: Callable[[Conversation, dict[str, Any], User], object],
    done: str,
) -> HttpResponse:
    """A form on the conversation page: parse it, call the action, and show the page again
    with the error beside its field, or go back to the conversation with ``done``."""
    user = signed_in_user(request)
    found = access_conversation(user, conversation_id)
    form = form_class(request.POST)
    if not form.is_valid():
        return _conversation_page(request, found, status=400, **{form_key: form})
    try:
        act(found, form.cleaned_data, user)
    except CareBondError as error:
        show_error(form, error)
        return _conversation_page(request, found, status=error.status, **{form_key: form})
    messages.success(request, done)
    return redirect("messaging:conversation", conversation_id=found.public_id)


@page_policy(INBOX_USERS)
@require_POST
def reply(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    return _conversation_form(
        request,
        conversation_id,
        ReplyForm,
        "reply_form",
        lambda found, data, user: (
            check_send_secure_reply if data["secure"] else actions.check_reply
        )(found, body=data["body"], acting_user=user, key=str(data["key"])),
        "Reply queued; it goes out within a minute.",
    )


@page_policy(INBOX_USERS)
@require_POST
def add_note(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    return _conversation_form(
        request,
        conversation_id,
        NoteForm,
        "note_form",
        lambda found, data, user: actions.do_add_inbox_note(
            found, text=data["text"], acting_user=user
        ),
        "Note added.",
    )


@page_policy(INBOX_USERS)
@require_POST
def link(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    return _conversation_form(
        request,
        conversation_id,
        LinkForm,
        "link_form",
        lambda found, data, user: actions.check_link_conversation(
            found, person=access_person(user, data["person"]), acting_user=user
        ),
        "Linked: the conversation is on the person's timeline now.",
    )


@page_policy(INBOX_USERS)
@require_POST
def assign(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_conversation(user, conversation_id)
    form = AssignForm(request.POST, people=_colleagues(user))
    if form.is_valid():
        chosen = form.cleaned_data["assignee"]
        assignee = next((u for u in list_colleagues(user) if str(u.pk) == chosen), None)
        try:
            actions.do_assign_conversation(found, assignee=assignee, acting_user=user)
        except CareBondError as error:
            show_error(form, error)
            return _conversation_page(request, found, status=error.status, assign_form=form)
        who = (assignee.get_full_name() or assignee.username) if assignee else "nobody"
        messages.success(request, f"Assigned to {who}.")
        return redirect("messaging:conversation", conversation_id=found.public_id)
    return _conversation_page(request, found, status=400, assign_form=form)


@page_policy(INBOX_USERS)
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    try:
        taken = actions.check_take_next(user)
    except CareBondError as error:
        messages.error(request, error.message)
        return redirect("messaging:inbox")
    if taken is None:
        messages.success(request, "Nothing is waiting without someone on it.")
        return redirect("messaging:inbox")
    messages.success(request, "It is yours now.")
    return redirect("messaging:conversation", conversation_id=taken.public_id)


@page_policy(INBOX_USERS)
@require_POST
def set_status(request: HttpRequest, conversation_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_conversation(user, conversation_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        until: datetime | None = form.cleaned_data["until"]
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=ZoneInfo(user.organization.time_zone))
        try:
            actions.do_set_conversation_status(
                found, status=form.cleaned_data["status"], until=until, acting_user=user
            )
        except CareBondError as error:
            show_error(form, error)
            return _conversation_page(request, found, status=error.status, status_form=form)
        messages.success(request, f"Conversation {found.get_status_display().lower()}.")
        return redirect("messaging:inbox")
    return _conversation_page(request, found, status=400, status_form=form)


@page_policy(INBOX_USERS)
@require_POST
def decide_revocation(request: HttpRequest, request_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    found = access_revocation_request(user, request_id)
    decision = request.POST.get("decision", "")
    try:
        check_decide_revocation(found, decision=decision, acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            "Recorded as an opt-out." if decision == "confirm" else "Kept: not an opt-out.",
        )
    conversation_id = found.message.conversation.public_id  # type: ignore[union-attr]
    return redirect("messaging:conversation", conversation_id=conversation_id)


# --- templates ---------------------------------------------------------------------------------


@page_policy(OUTREACH_MANAGERS)
@require_GET
def templates(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    actions.ensure_built_in_templates(user.organization)  # a new organisation's first visit
    return render(
        request, "messaging/templates.html", {"templates": list_templates(user.organization_id)}
    )


@page_policy(OUTREACH_MANAGERS)
@require_http_methods(["GET", "POST"])
def edit_template(request: HttpRequest, template_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    template = access_template(user, template_id)
    initial = {
        "subject": template.subject,
        "body_text": template.body_text,
        "body_html": template.body_html,
    }
    form = TemplateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.check_save_template(template, acting_user=user, **form.cleaned_data)
            except CareBondError as error:
                show_error(form, error)
                status = error.status
            else:
                messages.success(request, f"Template “{template.name}” saved.")
                return redirect("messaging:edit_template", template_id=template.public_id)
        else:
            status = 400
    return render(
        request,
        "messaging/edit_template.html",
        {"template": template, "form": form, "preview": preview_template(user, template)},
        status=status,
    )


# --- office hours ------------------------------------------------------------------------------


def _capacity_form(user: User, data: Any = None) -> CapacityForm:
    colleagues = [
        (
            u.pk,
            f"{u.get_full_name() or u.username} ({u.get_role_display()})",
            actions.capacity_of(u),
        )
        for u in list_colleagues(user)
    ]
    return CapacityForm(data, colleagues=colleagues)


@page_policy(OUTREACH_MANAGERS)
@require_POST
def inbox_capacity(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = _capacity_form(user, request.POST)
    if form.is_valid():
        try:
            actions.check_set_capacities(
                user.organization, capacities=form.capacities(), acting_user=user
            )
        except CareBondError as error:
            show_error(form, error)
            return _office_hours_page(request, capacity_form=form, status=error.status)
        messages.success(request, "Inbox capacity saved.")
        return redirect("messaging:office_hours")
    return _office_hours_page(request, capacity_form=form, status=400)


@page_policy(OUTREACH_MANAGERS)
@require_http_methods(["GET", "POST"])
def office_hours(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    hours, closures = hours_as_text(user.organization)
    form = OfficeHoursForm(request.POST or None, initial={"hours": hours, "closures": closures})
    if request.method != "POST":
        return _office_hours_page(request, form=form)
    if form.is_valid():
        try:
            check_set_office_hours(
                user.organization,
                hours=form.cleaned_data["hours"],
                closures=form.cleaned_data["closures"],
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
            return _office_hours_page(request, form=form, status=error.status)
        messages.success(request, "Office hours saved.")
        return redirect("messaging:office_hours")
    return _office_hours_page(request, form=form, status=400)


def _office_hours_page(
    request: HttpRequest,
    *,
    form: OfficeHoursForm | None = None,
    capacity_form: CapacityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in_user(request)
    if form is None:
        hours, closures = hours_as_text(user.organization)
        form = OfficeHoursForm(initial={"hours": hours, "closures": closures})
    schedule = schedule_for(user.organization)
    return render(
        request,
        "messaging/office_hours.html",
        {
            "form": form,
            "capacity_form": capacity_form or _capacity_form(user),
            "open_now": schedule.is_open(clock.now()),
            "always_open": schedule.always_open,
            "target": settings.MESSAGING_REPLY_TARGET_MINUTES,
        },
        status=status,
    )
