"""Relationship-health pages (staff, English): the at-risk worklist (each suggested step marked
taken or not), a patient's health (dimensions with their inputs and change, and a manager's
override with its required comment), department health (aggregate) and time to lapse per
segment. Every press posts and comes back."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.analytics.access import HEALTH_AGGREGATE_READERS, HEALTH_READERS
from carebond.analytics.health_actions import check_override_health, check_record_at_risk_action
from carebond.analytics.health_charts import lapse_chart, lapse_chart_alt
from carebond.analytics.health_models import HealthPart
from carebond.analytics.health_selectors import (
    SEGMENTS,
    access_patient,
    department_health,
    get_patient_health,
    list_at_risk,
    time_to_lapse,
)
from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, NotFound
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy


class OverrideForm(forms.Form):
    part = forms.ChoiceField(label="Replace", choices=HealthPart.choices)
    score = forms.IntegerField(label="Score (0-100)", min_value=0, max_value=100)
    # Not required here: the action refuses a blank comment, and says why beside the field.
    comment = forms.CharField(
        label="Why",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required: what you know that the data does not.",
    )
    expires_on = forms.DateField(
        label="Until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ActionForm(forms.Form):
    taken = forms.ChoiceField(choices=[("yes", "Taken"), ("no", "Not taken")])
    note = forms.CharField(required=False, max_length=1000)


@page_policy(HEALTH_READERS)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "analytics/health/worklist.html",
        {
            "worklist": list_at_risk(user=user),
            "may_read_aggregates": HEALTH_AGGREGATE_READERS.allows(user.role),
        },
    )


@page_policy(HEALTH_READERS)
@require_POST
def record_action(request: HttpRequest, person_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    person = access_patient(user, person_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether the step was taken.")
        return redirect("analytics_health:worklist")
    taken = form.cleaned_data["taken"] == "yes"
    try:
        action = check_record_at_risk_action(
            person, taken=taken, note=form.cleaned_data["note"], acting_user=user
        )
    except NotFound:
        raise
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        said = "taken" if taken else "not taken"
        messages.success(
            request, f"{person.display_name}: {action.get_suggested_display().lower()} {said}."
        )
    if request.POST.get("next") == "patient":
        return redirect("analytics_health:patient", person_id=person_id)
    return redirect("analytics_health:worklist")


@page_policy(HEALTH_READERS)
@require_http_methods(["GET", "POST"])
def patient(request: HttpRequest, person_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    form = OverrideForm(request.POST or None)
    if request.method == "POST":
        person = access_patient(user, person_id)
        if form.is_valid():
            try:
                check_override_health(
                    person,
                    part=form.cleaned_data["part"],
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                    expires_on=form.cleaned_data["expires_on"],
                    acting_user=user,
                )
            except NotFound:
                raise
            except CareBondError as error:
                show_error(form, error)
            else:
                messages.success(request, "Override saved.")
                return redirect("analytics_health:patient", person_id=person_id)
    found = get_patient_health(user=user, public_id=person_id)
    return render(
        request,
        "analytics/health/patient.html",
        {"found": found, "form": form},
        status=400 if form.errors else 200,
    )


@page_policy(HEALTH_AGGREGATE_READERS)
@require_GET
def departments(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "analytics/health/departments.html",
        {
            "departments": department_health(user=user),
            "may_read_patients": HEALTH_READERS.allows(user.role),
        },
    )


@page_policy(HEALTH_AGGREGATE_READERS)
@require_GET
def lapse(request: HttpRequest) -> HttpResponse:
    segment = request.GET.get("segment", "all")
    try:
        found = time_to_lapse(user=signed_in_user(request), segment=segment)
    except CareBondError as error:
        messages.error(request, error.message)
        return redirect("analytics_health:lapse")
    curves = [(s.label, s.curve) for s in found.segments if s.curve is not None]
    return render(
        request,
        "analytics/health/lapse.html",
        {
            "found": found,
            "segments": SEGMENTS.items(),
            "chart": lapse_chart(curves),
            "chart_alt": lapse_chart_alt(curves),
        },
    )
