"""Providers' weeks (managers and administrators): the weeks at a location, a new draft (empty or
copied from the week in force), its blocks added and removed, its preview (hours per weekday,
and the booked visits it would leave outside), and applying it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.scheduling import actions, template_actions
from carebond.scheduling.access import SCHEDULE_EDITORS
from carebond.scheduling.models import BlockKind, TemplateBlock
from carebond.scheduling.selectors import (
    get_provider,
    list_appointment_types,
    list_locations,
    list_staff,
    local_today,
)
from carebond.scheduling.template_selectors import (
    get_block,
    get_week_template,
    list_blocks,
    list_week_templates,
)
from carebond.scheduling.views import posted_or_asked_location


class DraftForm(forms.Form):
    provider = forms.ChoiceField(label="Provider")
    name = forms.CharField(label="Name of the week", max_length=120)
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    copy_current = forms.BooleanField(
        label="Start from the week in force that day", required=False, initial=True
    )


class BlockForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label="Day of the week", coerce=int, choices=list(enumerate(template_actions.WEEKDAYS))
    )
    starts = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time"}))
    kind = forms.ChoiceField(label="Kind", choices=BlockKind.choices)
    released_at = forms.TimeField(
        label="Same-day hold opens to all at",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    buffer_minutes = forms.IntegerField(
        label="Minutes kept free after each visit", min_value=0, max_value=120, initial=0
    )
    appointment_types = forms.MultipleChoiceField(
        label="Only these visit types (none: all)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


def _block_words(block: TemplateBlock) -> str:
    """ "Monday 09:00-12:00, open for booking (Follow-up), 5 min kept free after each visit" """
    words = (
        f"{template_actions.WEEKDAYS[block.weekday]} {block.starts:%H:%M}-{block.ends:%H:%M}, "
        f"{BlockKind(block.kind).label.lower()}"
    )
    types = [t.name for t in block.appointment_types.all()]
    if types:
        words += f" ({', '.join(types)})"
    if block.released_at:
        words += f", open to all from {block.released_at:%H:%M}"
    if block.buffer_minutes:
        words += f", {block.buffer_minutes} min kept free after each visit"
    return words


def _weeks_url(location: Any) -> str:
    return f"{reverse('scheduling:weeks')}?{urlencode({'location': str(location.public_id)})}"


@page_policy(SCHEDULE_EDITORS)
@require_http_methods(["GET", "POST"])
def weeks(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    location = posted_or_asked_location(request)
    providers = list_staff(user=user)  # (a new provider has no week yet)
    form = DraftForm(request.POST or None, initial={"starts_on": local_today(location)})
    form.fields["provider"].choices = [  # type: ignore[attr-defined]
        (str(p.public_id), p.display_name) for p in providers
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            draft = template_actions.check_start_draft(
                provider=get_provider(user=user, public_id=data["provider"]),
                location=location,
                name=data["name"],
                starts_on=data["starts_on"],
                copy_current=data["copy_current"],
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
        else:
            return redirect("scheduling:week_template", template_id=draft.public_id)
    return render(
        request,
        "scheduling/weeks.html",
        {
            "form": form,
            "location": location,
            "locations": list_locations(user=user),
            "templates": list_week_templates(user=user, location=location),
        },
        status=400 if form.is_bound else 200,
    )


@page_policy(SCHEDULE_EDITORS)
@require_http_methods(["GET", "POST"])
def week_template(request: HttpRequest, template_id: UUID) -> HttpResponse:
    """A week: its blocks and its preview; a draft takes new blocks (the form posts here)."""
    user = signed_in_user(request)
    template = get_week_template(user=user, public_id=template_id)
    types = list_appointment_types(user=user)
    form = BlockForm(request.POST or None)
    form.fields["appointment_types"].choices = [  # type: ignore[attr-defined]
        (str(t.public_id), t.name) for t in types
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            template_actions.check_add_block(
                template,
                weekday=data["weekday"],
                starts=data["starts"],
                ends=data["ends"],
                kind=data["kind"],
                buffer_minutes=data["buffer_minutes"],
                released_at=data["released_at"],
                appointment_types=[
                    t for t in types if str(t.public_id) in data["appointment_types"]
                ],
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, "Block added.")
            return redirect("scheduling:week_template", template_id=template.public_id)
    preview = template_actions.preview_template(template, user=user)
    return render(
        request,
        "scheduling/week_template.html",
        {
            "template": template,
            "blocks": [(b, _block_words(b)) for b in list_blocks(template)],
            "preview": preview,
            "outside": [(v, actions.describe(v)) for v in preview.outside],
            "form": form,
            "back": _weeks_url(template.location),
        },
        status=400 if form.is_bound else 200,
    )


@page_policy(SCHEDULE_EDITORS)
@require_POST
def remove_block(request: HttpRequest, template_id: UUID, block_id: int) -> HttpResponse:
    user = signed_in_user(request)
    template = get_week_template(user=user, public_id=template_id)
    block = get_block(template, block_id)
    try:
        template_actions.check_remove_block(block, acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Block removed.")
    return redirect("scheduling:week_template", template_id=template.public_id)


@page_policy(SCHEDULE_EDITORS)
@require_POST
def apply_template(request: HttpRequest, template_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    template = get_week_template(user=user, public_id=template_id)
    try:
        preview = template_actions.check_apply_template(template, acting_user=user)
    except CareBondError as error:
        messages.error(request, error.message)
        return redirect("scheduling:week_template", template_id=template.public_id)
    said = f"{template.name} is in force from {template.starts_on:%a %d %b %Y}."
    if preview.outside:
        said += f" {len(preview.outside)} booked visit(s) fall outside its hours: move them."
    messages.success(request, said)
    return redirect("scheduling:week_template", template_id=template.public_id)
