"""Schedule pages: a location's day, one column per provider, with each visit's next step; and
booking: find the patient, the type, the provider (or first available) and the day, then press
an open time. Plain forms and links; every action posts and comes back to the day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carebond.core.access import signed_in_user
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.forms import show_error
from carebond.core.permissions import page_policy
from carebond.people.access import access_person
from carebond.people.selectors import search_people
from carebond.scheduling import actions
from carebond.scheduling.access import ADHERENCE_READERS, SCHEDULERS, access_appointment
from carebond.scheduling.availability import OpenTime, location_zone
from carebond.scheduling.forms import BookForm, CancelForm, FindTimesForm, StepForm
from carebond.scheduling.models import Appointment, AppointmentType
from carebond.scheduling.selectors import (
    ADHERENCE_PERIODS,
    STEP_LABELS,
    bookable_times,
    get_appointment_type,
    get_location,
    list_adherence,
    list_appointment_types,
    list_day_by_provider,
    list_first_available,
    list_locations,
    list_open_times,
    list_providers,
    local_today,
)


def _day_url(appointment: Appointment) -> str:
    day = appointment.starts_at.astimezone(location_zone(appointment.location)).date()
    query = urlencode({"location": str(appointment.location.public_id), "day": day.isoformat()})
    return f"{reverse('scheduling:day')}?{query}"


def _parse_day(value: str | None, default: date) -> date:
    """The day asked for, or today when it is missing, unreadable or out of range."""
    try:
        day = date.fromisoformat(value) if value else default
    except ValueError:
        return default
    return default if RECORD_DATES.problem(day) else day


@page_policy(SCHEDULERS)
@require_GET
def day(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    today = local_today(location)
    shown = _parse_day(request.GET.get("day"), today)
    columns = list_day_by_provider(user=user, location=location, day=shown)

    def link(other: date) -> str:
        return "?" + urlencode({"location": str(location.public_id), "day": other.isoformat()})

    return render(
        request,
        "scheduling/day.html",
        {
            "location": location,
            "locations": list_locations(user=user),
            "day": shown,
            "today": today,
            "previous": link(shown - timedelta(days=1)),
            "next": link(shown + timedelta(days=1)),
            "columns": columns,
            "cancel_form": CancelForm(),
        },
    )


def _on_visit(
    request: HttpRequest, appointment_id: UUID, act: Callable[[Any, Appointment], str]
) -> HttpResponse:
    """Do one thing to a visit and come back to its day, saying what happened (or why not)."""
    user = signed_in_user(request)
    appointment = access_appointment(user, appointment_id)
    try:
        messages.success(request, f"{appointment.patient.display_name}: {act(user, appointment)}.")
    except CareBondError as error:
        messages.error(request, error.message)
    return redirect(_day_url(appointment))


@page_policy(SCHEDULERS)
@require_POST
def step(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    form = StepForm(request.POST)

    def act(user: Any, appointment: Appointment) -> str:
        if not form.is_valid():
            raise InvalidInput("Choose a step.", field="step")
        taken = form.cleaned_data["step"]
        actions.check_visit_step(appointment, step=taken, acting_user=user)
        return STEP_LABELS[taken].lower()

    return _on_visit(request, appointment_id, act)


@page_policy(SCHEDULERS)
@require_POST
def noshow(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    def act(user: Any, appointment: Appointment) -> str:
        actions.check_mark_noshow(appointment, acting_user=user)
        return "marked as a no-show"

    return _on_visit(request, appointment_id, act)


@page_policy(SCHEDULERS)
@require_POST
def cancel(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    form = CancelForm(request.POST)

    def act(user: Any, appointment: Appointment) -> str:
        if not form.is_valid():
            raise InvalidInput("Say who cancelled and why.", field="reason")
        actions.check_cancel_appointment(
            appointment,
            cancelled_by=form.cleaned_data["cancelled_by"],
            reason=form.cleaned_data["reason"],
            acting_user=user,
        )
        return "visit cancelled"

    return _on_visit(request, appointment_id, act)


def uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def patient_search(request: HttpRequest) -> dict[str, Any]:
    """The step booking (and the waitlist) starts with: the people found by what was typed."""
    context: dict[str, Any] = {"patient": None, "found": None, "q": request.GET.get("q", "")}
    if context["q"]:
        try:
            context["found"] = search_people(user=signed_in_user(request), q=context["q"], limit=10)
        except CareBondError as error:
            context["search_error"] = error.message
    return context


@page_policy(SCHEDULERS)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Find the patient, then the times; pressing a time books it."""
    user = signed_in_user(request)
    if request.method == "POST":
        return _book(request)
    patient_id = uuid_or_none(request.GET.get("patient"))
    context = patient_search(request)
    if patient_id is None:
        return render(request, "scheduling/book.html", context)
    context["patient"] = access_person(user, patient_id)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    types = list_appointment_types(user=user)
    providers = list_providers(user=user, location=location)
    form = FindTimesForm(
        request.GET if "appointment_type" in request.GET else None,
        types=[(str(t.public_id), t.name) for t in types],
        providers=[(str(p.public_id), p.display_name) for p in providers],
        initial={"day": local_today(location)},
    )
    context |= {
        "location": location,
        "locations": list_locations(user=user),
        "form": form,
        "times": None,
    }
    if form.is_bound and not form.is_valid():
        return render(request, "scheduling/book.html", context, status=400)
    if form.is_bound:
        appointment_type = next(
            t for t in types if str(t.public_id) == form.cleaned_data["appointment_type"]
        )
        chosen = [p for p in providers if str(p.public_id) == form.cleaned_data["provider"]]
        try:
            found = _times(
                user,
                location,
                appointment_type,
                chosen or providers,
                day=form.cleaned_data["day"],
                any_provider=not chosen,
                past_the_rules=form.cleaned_data["past_the_rules"],
            )
        except InvalidInput as error:
            show_error(form, error)
            return render(request, "scheduling/book.html", context, status=400)
        context |= {
            "times": bookable_times(found, providers),
            "appointment_type": appointment_type,
            "past_the_rules": form.cleaned_data["past_the_rules"],
        }
    return render(request, "scheduling/book.html", context)


def _times(
    user: Any,
    location: Any,
    appointment_type: AppointmentType,
    providers: list[Any],
    *,
    day: date,
    any_provider: bool,
    past_the_rules: bool,
) -> list[OpenTime]:
    """One provider's day; or, for "first available", the first times from that day on."""
    if any_provider and not past_the_rules:
        return list_first_available(
            user=user,
            location=location,
            appointment_type=appointment_type,
            providers=providers,
            from_day=day,
        )
    return list_open_times(
        user=user,
        location=location,
        appointment_type=appointment_type,
        providers=providers,
        day=day,
        past_the_rules=past_the_rules,
    )


def _book(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = BookForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That time could not be read: choose it again.")
        return redirect("scheduling:book")
    data = form.cleaned_data
    patient = access_person(user, data["patient"])
    location = get_location(user=user, public_id=data["location"])
    appointment_type = get_appointment_type(user=user, public_id=data["appointment_type"])
    provider = next((p for p in list_providers(user=user) if p.public_id == data["provider"]), None)
    back = f"{reverse('scheduling:book')}?" + urlencode(
        {"patient": str(patient.public_id), "location": str(location.public_id)}
    )
    if provider is None:
        messages.error(request, "Choose one of the practice's providers.")
        return redirect(back)
    try:
        appointment = actions.check_book_appointment(
            patient,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            starts_at=data["starts_at"],
            acting_user=user,
            override_reason=data["override_reason"],
        )
    except CareBondError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, f"Booked: {patient.display_name}, {actions.describe(appointment)}.")
    return redirect(_day_url(appointment))


GROUP_LABELS = {"provider": "Provider", "location": "Location", "appointment_type": "Visit type"}


@page_policy(ADHERENCE_READERS)
@require_GET
def adherence(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    group_by = request.GET.get("group_by", "provider")
    days = request.GET.get("days", "90")
    try:
        rows = list_adherence(user=user, group_by=group_by, days=int(days) if days.isdigit() else 0)
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("scheduling:adherence")
    return render(
        request,
        "scheduling/adherence.html",
        {
            "rows": rows,
            "group_by": group_by,
            "group_label": GROUP_LABELS[group_by],
            "groups": GROUP_LABELS.items(),
            "days": int(days),
            "periods": ADHERENCE_PERIODS,
        },
    )
