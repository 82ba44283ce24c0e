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
from carebond.core.ids import uuid_or_none
from carebond.core.permissions import page_policy
from carebond.people.access import access_person
from carebond.people.selectors import search_people
from carebond.scheduling import actions, series_actions
from carebond.scheduling.access import ADHERENCE_READERS, SCHEDULERS, access_appointment
from carebond.scheduling.availability import OpenTime, location_zone
from carebond.scheduling.forms import BookForm, CancelForm, FindTimesForm, StepForm
from carebond.scheduling.models import Appointment, AppointmentType
from carebond.scheduling.noshow_selectors import add_risk_to_day
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
    list_household,
    list_locations,
    list_open_times,
    list_providers,
    local_today,
)


def _day_url(appointment: Appointment) -> str:
    day = appointment.starts_at.astimezone(location_zone(appointment.location)).date()
    query = urlencode({"location": str(appointment.location.public_id), "day": day.isoformat()})
    return f"{reverse('scheduling:day')}?{query}"


def parse_day(value: str | None, default: date) -> date:
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
    shown = parse_day(request.GET.get("day"), today)
    columns = list_day_by_provider(user=user, location=location, day=shown)
    add_risk_to_day(user=user, columns=columns)

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
    if request.POST.get("back") == "board":  # (pressed on the board: back to it)
        query = urlencode({"location": str(appointment.location.public_id)})
        return redirect(f"{reverse('scheduling:board')}?{query}")
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
        if form.cleaned_data["following"]:
            cancelled = series_actions.check_cancel_series_from(
                appointment,
                cancelled_by=form.cleaned_data["cancelled_by"],
                reason=form.cleaned_data["reason"],
                acting_user=user,
            )
            return f"{len(cancelled)} visits of the series cancelled"
        actions.check_cancel_appointment(
            appointment,
            cancelled_by=form.cleaned_data["cancelled_by"],
            reason=form.cleaned_data["reason"],
            acting_user=user,
        )
        return "visit cancelled"

    return _on_visit(request, appointment_id, act)


def posted_or_asked_location(request: HttpRequest) -> Any:
    """The location a page's form posted, or the one its address asks for (else the first)."""
    asked = request.POST.get("location") or request.GET.get("location")
    return get_location(user=signed_in_user(request), public_id=uuid_or_none(asked))


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
    # From the week calendar's "Book": the place, provider and day ride along the search.
    carry = {
        name: request.GET[name]
        for name, valid in (("location", uuid_or_none), ("provider", uuid_or_none))
        if valid(request.GET.get(name))
    }
    if request.GET.get("day") and parse_day(request.GET["day"], date.min) != date.min:
        carry["day"] = request.GET["day"]
    context = patient_search(request) | {"carry": carry.items(), "carry_query": urlencode(carry)}
    if patient_id is None:
        return render(request, "scheduling/book.html", context)
    context["patient"] = access_person(user, patient_id)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    types = list_appointment_types(user=user)
    providers = list_providers(user=user, location=location)
    household = list_household(user=user, patient=context["patient"])
    form = FindTimesForm(
        request.GET if "appointment_type" in request.GET else None,
        types=[(str(t.public_id), t.name) for t in types],
        providers=[(str(p.public_id), p.display_name) for p in providers],
        household=[(str(p.public_id), f"{p.display_name} ({how})") for p, how in household],
        initial={
            "day": parse_day(carry.get("day"), local_today(location)),
            "provider": carry.get("provider", ""),
        },
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
            found = find_times(
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
        data = form.cleaned_data
        context |= {
            "times": bookable_times(found, providers),
            "appointment_type": appointment_type,
            "past_the_rules": data["past_the_rules"],
            # (what each time's button books besides the one visit)
            "several": [
                (name, value)
                for name, value in (
                    ("repeat_every_days", data["repeat_every_days"] or ""),
                    (
                        "repeat_times",
                        data["repeat_times"] or "" if data["repeat_every_days"] else "",
                    ),
                    ("on_conflict", data["on_conflict"] or "refuse"),
                    ("together", ",".join(data.get("together") or [])),
                )
                if value
            ],
        }
    return render(request, "scheduling/book.html", context)


def find_times(
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
        appointment, said = _book_one_or_several(
            user, patient, provider, location, appointment_type, data
        )
    except CareBondError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, said)
    return redirect(_day_url(appointment))


def _book_one_or_several(
    user: Any,
    patient: Any,
    provider: Any,
    location: Any,
    appointment_type: AppointmentType,
    data: dict[str, Any],
) -> tuple[Appointment, str]:
    """One visit; or a series; or a household back to back. The first visit, and what to say."""
    together = [access_person(user, uuid) for uuid in _uuids(data["together"])]
    if together and data["repeat_every_days"]:
        raise InvalidInput("Book a series for one patient at a time.", field="together")
    if together:
        booked = series_actions.check_book_household(
            [patient, *together],
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            starts_at=data["starts_at"],
            acting_user=user,
        )
        names = ", ".join(f"{b.patient.display_name} {actions.describe(b)}" for b in booked)
        return booked[0], f"Booked together: {names}."
    if data["repeat_every_days"]:
        booked, moved = series_actions.check_book_series(
            patient,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            first_starts_at=data["starts_at"],
            every_days=data["repeat_every_days"],
            occurrences=data["repeat_times"] or 0,
            on_conflict=data["on_conflict"] or "refuse",
            acting_user=user,
        )
        said = (
            f"Booked a series of {len(booked)} for {patient.display_name}, from "
            f"{actions.describe(booked[0])}."
        )
        for occurrence in moved:
            when = next((b for b in booked if b.starts_at == occurrence.starts_at), None)
            said += f" Visit {occurrence.number} was taken ({occurrence.problem}): " + (
                f"moved to {actions.describe(when)}." if when else "left out."
            )
        return booked[0], said
    appointment = actions.check_book_appointment(
        patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        starts_at=data["starts_at"],
        acting_user=user,
        override_reason=data["override_reason"],
    )
    return appointment, f"Booked: {patient.display_name}, {actions.describe(appointment)}."


def _uuids(value: str) -> list[UUID]:
    found = [uuid_or_none(part.strip()) for part in value.split(",") if part.strip()]
    if any(uuid is None for uuid in found):
        raise InvalidInput("The people to book together could not be read.", field="together")
    return [uuid for uuid in found if uuid is not None]


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
