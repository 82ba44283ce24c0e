"""No-show risk pages: "Visits at risk", where the desk offers help (a confirmation call,
transport, a switch to telehealth) and records the answer; and the fairness report, which
shows how risk and offers fall by age band and language. Every press posts and comes back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, InvalidInput, NotFound
from carebond.core.permissions import page_policy
from carebond.scheduling.access import (
    NOSHOW_FAIRNESS_READERS,
    NOSHOW_OUTREACH,
    access_appointment,
    access_help_offer,
)
from carebond.scheduling.models import HelpKind, HelpOutcome
from carebond.scheduling.noshow_actions import check_offer_help, check_record_help_outcome
from carebond.scheduling.noshow_selectors import (
    FAIRNESS_PERIODS,
    SMALLEST_GROUP,
    fairness_report,
    list_visits_at_risk,
    outcome_label,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User


class OfferForm(forms.Form):
    kind = forms.ChoiceField(choices=HelpKind.choices)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=HelpOutcome.choices)


@page_policy(NOSHOW_OUTREACH)
@require_GET
def at_risk(request: HttpRequest) -> HttpResponse:
    found = list_visits_at_risk(user=signed_in_user(request))
    return render(request, "scheduling/at_risk.html", {"found": found})


def _press(request: HttpRequest, act: Callable[[User], str]) -> HttpResponse:
    """Do one thing and come back to the list, saying what happened (or why not)."""
    try:
        messages.success(request, act(signed_in_user(request)))
    except NotFound:
        raise  # another organisation's visit or offer looks missing: 404
    except CareBondError as error:
        messages.error(request, error.message)
    return redirect("scheduling:at_risk")


@page_policy(NOSHOW_OUTREACH)
@require_POST
def offer_help(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    form = OfferForm(request.POST)

    def act(user: User) -> str:
        appointment = access_appointment(user, appointment_id)
        if not form.is_valid():
            raise InvalidInput("Choose the help offered.", field="kind")
        offer = check_offer_help(appointment, kind=form.cleaned_data["kind"], acting_user=user)
        return f"{appointment.patient.display_name}: {offer.get_kind_display().lower()} offered."

    return _press(request, act)


@page_policy(NOSHOW_OUTREACH)
@require_POST
def help_outcome(request: HttpRequest, offer_id: UUID) -> HttpResponse:
    form = OutcomeForm(request.POST)

    def act(user: User) -> str:
        offer = access_help_offer(user, offer_id)
        if not form.is_valid():
            raise InvalidInput("Choose what the patient said.", field="outcome")
        check_record_help_outcome(offer, outcome=form.cleaned_data["outcome"], acting_user=user)
        said = outcome_label(offer.kind, form.cleaned_data["outcome"]).lower()
        name = offer.appointment.patient.display_name
        return f"{name}: {offer.get_kind_display().lower()}, {said}."

    return _press(request, act)


@page_policy(NOSHOW_FAIRNESS_READERS)
@require_GET
def fairness(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    days = request.GET.get("days", "90")
    try:
        report = fairness_report(user=user, days=int(days) if days.isdigit() else 0)
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("scheduling:noshow_fairness")
    return render(
        request,
        "scheduling/noshow_fairness.html",
        {"report": report, "periods": FAIRNESS_PERIODS, "smallest": SMALLEST_GROUP},
    )
