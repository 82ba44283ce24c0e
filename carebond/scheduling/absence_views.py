"""Absences: a provider away or a location closed, recorded ahead (managers and administrators),
and the worklist of booked visits each one falls on (the front desk moves or cancels each, and
asks the patients to call for a new time in one press)."""

from __future__ import annotations

from datetime import datetime
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
from carebond.core.errors import CareBondError, RuleViolation
from carebond.core.forms import show_error
from carebond.core.ids import uuid_or_none
from carebond.core.permissions import page_policy
from carebond.scheduling import absence_actions, actions
from carebond.scheduling.absence_selectors import (
    get_absence,
    list_absence_worklist,
    list_absences,
    visits_in_absence,
)
from carebond.scheduling.access import DESK, SCHEDULE_EDITORS, access_appointment
from carebond.scheduling.availability import location_zone
from carebond.scheduling.selectors import get_location, get_provider, list_locations, list_providers
from carebond.scheduling.views import posted_or_asked_location


class AbsenceForm(forms.Form):
    provider = forms.ChoiceField(label="Who is away")
    starts = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label="Reason", max_length=200)

    def __init__(self, *args: Any, providers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [  # type: ignore[attr-defined]
            *providers,
            ("closed", "Nobody: the location is closed"),
        ]


def _local(moment: datetime, location: Any) -> datetime:
    """A time typed on the page is the location's wall-clock time."""
    return moment.replace(tzinfo=location_zone(location))


def _absences_url(location: Any) -> str:
    return f"{reverse('scheduling:absences')}?{urlencode({'location': str(location.public_id)})}"


@page_policy(SCHEDULE_EDITORS)
@require_http_methods(["GET", "POST"])
def absences(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    location = posted_or_asked_location(request)
    providers = list_providers(user=user, location=location)
    form = AbsenceForm(
        request.POST or None,
        providers=[(str(p.public_id), p.display_name) for p in providers],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            provider = (
                None
                if data["provider"] == "closed"
                else get_provider(user=user, public_id=data["provider"])
            )
            absence = absence_actions.check_add_absence(
                location=location,
                provider=provider,
                starts_at=_local(data["starts"], location),
                ends_at=_local(data["ends"], location),
                reason=data["reason"],
                acting_user=user,
            )
        except CareBondError as error:
            show_error(form, error)
        else:
            messages.success(request, f"Absence recorded: {absence.reason}.")
            return redirect(_absences_url(location))
    status = 400 if form.is_bound else 200
    return render(
        request,
        "scheduling/absences.html",
        {
            "form": form,
            "location": location,
            "locations": list_locations(user=user),
            "rows": list_absences(user=user, location=location),
        },
        status=status,
    )


@page_policy(DESK)
@require_http_methods(["GET"])
def worklist(request: HttpRequest, absence_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    absence = get_absence(user=user, public_id=absence_id)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    return render(
        request,
        "scheduling/absence_worklist.html",
        {
            "absence": absence,
            "location": location,
            "rows": list_absence_worklist(user=user, absence=absence, location=location),
            "back": _absences_url(location),
        },
    )


def _worklist_url(absence: Any, location: Any) -> str:
    query = urlencode({"location": str(location.public_id)})
    return f"{reverse('scheduling:absence_worklist', args=[absence.public_id])}?{query}"


@page_policy(DESK)
@require_POST
def message_patients(request: HttpRequest, absence_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    absence = get_absence(user=user, public_id=absence_id)
    location = get_location(user=user, public_id=uuid_or_none(request.POST.get("location")))
    try:
        sent = absence_actions.check_message_absence_patients(
            absence, location=location, acting_user=user
        )
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        said = (
            f"Asked {sent.queued} patient{'s' if sent.queued != 1 else ''} to call for a new time."
        )
        if sent.blocked:
            said += f" {sent.blocked} could not be messaged (the reasons are on their messages)."
        if sent.already:
            said += f" {sent.already} had been asked already."
        messages.success(request, said)
    return redirect(_worklist_url(absence, location))


@page_policy(DESK)
@require_POST
def cancel_for_absence(
    request: HttpRequest, absence_id: UUID, appointment_id: UUID
) -> HttpResponse:
    """Cancel one visit of the worklist: the provider cancelled, for the absence's reason."""
    user = signed_in_user(request)
    absence = get_absence(user=user, public_id=absence_id)
    location = get_location(user=user, public_id=uuid_or_none(request.POST.get("location")))
    appointment = access_appointment(user, appointment_id)
    try:
        if not visits_in_absence(absence, location).filter(pk=appointment.pk).exists():
            raise RuleViolation("This visit is not on this absence's worklist.", code="not_listed")
        actions.check_cancel_appointment(
            appointment, cancelled_by="provider", reason=absence.reason, acting_user=user
        )
    except CareBondError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Cancelled: {appointment.patient.display_name}, {actions.describe(appointment)}.",
        )
    return redirect(_worklist_url(absence, location))
