"""The waitlist page: who is waiting and for what, the freed times being offered and what came
of each offer; adding a patient (find them, then say what suits them) and taking one off."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError
from carebond.core.forms import show_error
from carebond.core.ids import uuid_or_none
from carebond.core.permissions import page_policy
from carebond.people.access import access_person
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.models import WaitlistStatus
from carebond.scheduling.selectors import list_appointment_types, list_locations, list_providers
from carebond.scheduling.views import patient_search
from carebond.scheduling.waitlist_actions import (
    check_add_to_waitlist,
    check_remove_from_waitlist,
)
from carebond.scheduling.waitlist_forms import RemoveForm, WaitlistEntryForm
from carebond.scheduling.waitlist_selectors import (
    get_waitlist_entry,
    list_openings,
    list_waitlist,
)

VIEW_LABELS = {
    WaitlistStatus.ACTIVE: "Waiting",
    WaitlistStatus.BOOKED: "Booked",
    WaitlistStatus.REMOVED: "Removed",
}


@page_policy(SCHEDULERS)
@require_GET
def waitlist(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    status = request.GET.get("status", WaitlistStatus.ACTIVE)
    if status not in VIEW_LABELS:
        status = WaitlistStatus.ACTIVE
    return render(
        request,
        "scheduling/waitlist/list.html",
        {
            "rows": list_waitlist(user=user, status=status),
            "openings": list_openings(user=user),
            "status": status,
            "views": [(value, label, value == status) for value, label in VIEW_LABELS.items()],
            "remove_form": RemoveForm(),
        },
    )


@page_policy(SCHEDULERS)
@require_http_methods(["GET", "POST"])
def add(request: HttpRequest) -> HttpResponse:
    """Find the patient, then say what suits them."""
    user = signed_in_user(request)
    patient_id = uuid_or_none(request.GET.get("patient") or request.POST.get("patient"))
    if patient_id is None:
        return render(request, "scheduling/waitlist/add.html", patient_search(request))
    patient = access_person(user, patient_id)
    types = list_appointment_types(user=user)
    providers = list_providers(user=user)
    locations = list_locations(user=user)
    form = WaitlistEntryForm(
        request.POST if request.method == "POST" else None,
        types=[(str(t.public_id), t.name) for t in types],
        providers=[(str(p.public_id), p.display_name) for p in providers],
        locations=[(str(place.public_id), place.name) for place in locations],
    )
    context = {"patient": patient, "form": form}
    if request.method != "POST":
        return render(request, "scheduling/waitlist/add.html", context)
    if not form.is_valid():
        return render(request, "scheduling/waitlist/add.html", context, status=400)
    data = form.cleaned_data
    try:
        check_add_to_waitlist(
            patient,
            appointment_type=next(t for t in types if str(t.public_id) == data["appointment_type"]),
            providers=[p for p in providers if str(p.public_id) in data["providers"]],
            locations=[place for place in locations if str(place.public_id) in data["locations"]],
            weekdays=[int(day) for day in data["weekdays"]],
            times_of_day=data["times_of_day"],
            earliest=data["earliest"],
            latest=data["latest"],
            note=data["note"],
            acting_user=user,
        )
    except CareBondError as error:
        show_error(form, error)
        return render(request, "scheduling/waitlist/add.html", context, status=400)
    messages.success(request, f"{patient.display_name} is on the waitlist.")
    return redirect("scheduling:waitlist")


@page_policy(SCHEDULERS)
@require_POST
def remove(request: HttpRequest, entry_id: UUID) -> HttpResponse:
    user = signed_in_user(request)
    entry = get_waitlist_entry(user=user, public_id=entry_id)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Keep the reason for removing under 200 characters.")
        return redirect(reverse("scheduling:waitlist"))
    reason = form.cleaned_data["reason"]
    try:
        check_remove_from_waitlist(entry, reason=reason, acting_user=user)
        messages.success(request, f"{entry.patient.display_name} is off the waitlist.")
    except CareBondError as error:
        messages.error(request, error.message)
    return redirect(reverse("scheduling:waitlist"))
