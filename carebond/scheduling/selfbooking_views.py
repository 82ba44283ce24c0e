"""The public booking pages (no sign-in, phone-first, English or Spanish with a switch, by the
browser's language at first): the organisation's booking address lists the visits booked
online and their first open times; pressing a time holds it; the hold's page asks who the visit
is for and sends a code; the right code books it. The visit's own link moves or cancels it
within the rules. Times are always the location's, and say so. What the pages say never tells
whether someone has a record."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.forms import show_error
from carebond.core.models import Location, Organization
from carebond.core.permissions import PUBLIC, page_policy
from carebond.messaging.actions import format_time
from carebond.people.models import Person
from carebond.scheduling.actions import SlotTaken
from carebond.scheduling.availability import OpenTime, location_zone
from carebond.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from carebond.scheduling.selfbooking_actions import (
    CAREGIVERS,
    HOLD_MINUTES,
    Claimant,
    check_confirm_code,
    check_hold_time,
    check_live_hold,
    check_patient_cancel,
    check_patient_move,
    check_send_code,
    client_key,
    do_open_visit_page,
)
from carebond.scheduling.selfbooking_forms import ClaimForm, CodeForm, HoldForm, MoveForm
from carebond.scheduling.selfbooking_links import manage_url, read_invite, read_manage_token
from carebond.scheduling.selfbooking_selectors import (
    find_booking_organization,
    find_hold,
    find_own_visit,
    list_booking_locations,
    list_booking_providers,
    list_online_times,
    list_online_types,
)
from carebond.scheduling.selfbooking_words import SPANISH_ERRORS, WORDS


def _language(request: HttpRequest, stored: str = "") -> str:
    """?lang= (the switch), else the booking's language, else the browser's first of ours."""
    chosen = request.GET.get("lang") or request.POST.get("lang") or stored
    if chosen in WORDS:
        return chosen
    for tag in request.headers.get("Accept-Language", "").split(","):
        base = tag.split(";")[0].strip().split("-")[0].lower()
        if base in WORDS:
            return base
    return "en"


def _problem(error: CareBondError, language: str) -> str:
    """The action's reason in the patient's language."""
    if isinstance(error, SlotTaken):
        key = "outside_hours" if error.code == "outside_hours" else "taken"
        return str(WORDS[language][key])
    if language == "es":
        return SPANISH_ERRORS.get(error.code, SPANISH_ERRORS.get(error.field or "", error.message))
    # (the staff wording of these names the patient and their history: never on a public page)
    return PUBLIC_ERRORS.get(error.code, error.message)


PUBLIC_ERRORS = {
    "booking_rule": "This time cannot be booked online (too soon or too far ahead): choose one "
    "of the times shown.",
    "established_patient": "The patient was seen here within three years: choose a visit for "
    "patients we know.",
    "new_patient": "The patient was not seen here within three years: choose a first visit.",
}


def _type_name(appointment_type: AppointmentType, language: str) -> str:
    return (appointment_type.name_es if language == "es" else "") or appointment_type.name


def _when(moment: Any, location: Location, language: str) -> str:
    return format_time(moment, zone=location_zone(location), language=language)


def _base(request: HttpRequest, language: str, organization: Organization | None) -> dict[str, Any]:
    other = "es" if language == "en" else "en"
    return {
        "words": WORDS[language],
        "language": language,
        "other_language": other,
        "organization": organization,
        "switch": "?" + urlencode({**request.GET.dict(), "lang": other}),
    }


def _missing(request: HttpRequest, language: str, status: int = 404) -> HttpResponse:
    context = _base(request, language, None) | {"problem": WORDS[language]["missing"]}
    return render(request, "scheduling/selfbooking/problem.html", context, status=status)


# --- the booking address ---------------------------------------------------------------------


def _choice(options: list[Any], public_id: str | None) -> Any:
    return next((o for o in options if str(o.public_id) == (public_id or "")), None)


def _time_choices(
    times: list[OpenTime], providers: list[Person], location: Location, language: str
) -> list[dict[str, str]]:
    """Each open time as a button: its words in the location's time zone, and what it posts."""
    by_id = {p.pk: p for p in providers}
    return [
        {
            "label": _when(t.starts_at, location, language),
            "provider_name": by_id[t.provider_id].display_name,
            "provider": str(by_id[t.provider_id].public_id),
            "starts_at": t.starts_at.isoformat(),
        }
        for t in times
        if t.provider_id in by_id
    ]


@page_policy(PUBLIC)
@require_http_methods(["GET"])
def start(request: HttpRequest, organization: str) -> HttpResponse:
    """Choose the visit, the place, the provider or "first available", and a day; the open
    times show as buttons that hold them."""
    language = _language(request)
    found = find_booking_organization(organization)
    if found is None:
        return _missing(request, language)
    return _start_page(request, found, language)


def _start_page(
    request: HttpRequest,
    organization: Organization,
    language: str,
    *,
    problem: str = "",
    query: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    words = WORDS[language]
    query = query if query is not None else request.GET.dict()
    context = _base(request, language, organization) | {"problem": problem}
    types = list_online_types(organization)
    locations = list_booking_locations(organization)
    if not types or not locations:
        context["closed"] = True
        return render(request, "scheduling/selfbooking/start.html", context, status=status)
    invited = query.get("invite")
    if invited:
        try:
            invitation = read_invite(invited)
            if invitation.organization_slug == organization.slug and invitation.appointment_type:
                query.setdefault("type", invitation.appointment_type)
        except InvalidInput as error:
            context["problem"] = problem or _problem(error, language)
    appointment_type = _choice(types, query.get("type"))
    location = _choice(locations, query.get("location")) or locations[0]
    today = clock.now().astimezone(location_zone(location)).date()
    day, day_problem = _day(query.get("day"), today, language)
    context |= {
        "types": [(str(t.public_id), _type_name(t, language)) for t in types],
        "locations": locations,
        "location": location,
        "zone_note": words["zone_note"].format(zone=location_zone(location)),
        "day": day.isoformat(),
        "today": today.isoformat(),
        "chosen_type": str(appointment_type.public_id) if appointment_type else "",
        "day_problem": day_problem,
    }
    if appointment_type is None:
        return render(request, "scheduling/selfbooking/start.html", context, status=status)
    providers = list_booking_providers(location, appointment_type)
    chosen = _choice(providers, query.get("provider"))
    times = list_online_times(
        location=location,
        appointment_type=appointment_type,
        providers=[chosen] if chosen else providers,
        from_day=day,
    )
    context |= {
        "providers": providers,
        "chosen_provider": str(chosen.public_id) if chosen else "",
        "type_name": _type_name(appointment_type, language),
        "appointment_type": appointment_type,
        "times": _time_choices(times, providers, location, language),
        "times_heading": words["times_from"].format(day=_day_words(day, language)),
        "press_time": words["press_time"].format(minutes=HOLD_MINUTES),
        "hold_url": reverse("book:hold", kwargs={"organization": organization.slug}),
    }
    return render(request, "scheduling/selfbooking/start.html", context, status=status)


def _day(value: str | None, today: date, language: str) -> tuple[date, str]:
    """The day asked for; today (saying why) when it has passed, cannot be read or is out of
    range."""
    if not value:
        return today, ""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return today, str(WORDS[language]["bad_day"])
    if RECORD_DATES.problem(day):
        return today, str(WORDS[language]["bad_day"])
    if day < today:
        return today, str(WORDS[language]["past_day"])
    return day, ""


def _day_words(day: date, language: str) -> str:
    words = WORDS[language]
    return f"{words['days'][day.weekday()]} {day.day} {words['months'][day.month - 1]}"


@page_policy(PUBLIC)
@require_POST
def hold(request: HttpRequest, organization: str) -> HttpResponse:
    """A time pressed: hold it and go to the hold's page; or say why not, with other times."""
    language = _language(request)
    found = find_booking_organization(organization)
    if found is None:
        return _missing(request, language)
    form = HoldForm(request.POST)
    back = {k: request.POST.get(k, "") for k in ("type", "location", "provider", "day")}
    if not form.is_valid():
        return _start_page(
            request, found, language, problem=WORDS[language]["unreadable"], query=back, status=400
        )
    data = form.cleaned_data
    appointment_type = _choice(list_online_types(found), str(data["appointment_type"]))
    location = _choice(list_booking_locations(found), str(data["location"]))
    provider = (
        _choice(list_booking_providers(location, appointment_type), str(data["provider"]))
        if appointment_type and location
        else None
    )
    if appointment_type is None or location is None or provider is None:
        return _start_page(
            request, found, language, problem=WORDS[language]["unreadable"], query=back, status=400
        )
    try:
        booking = check_hold_time(
            appointment_type,
            provider=provider,
            location=location,
            starts_at=data["starts_at"],
            language=language,
            client=client_key(request.META.get("REMOTE_ADDR", "")),
        )
    except CareBondError as error:
        back |= {"type": str(appointment_type.public_id), "location": str(location.public_id)}
        return _start_page(
            request,
            found,
            language,
            problem=_problem(error, language),
            query=back,
            status=error.status,
        )
    return redirect(f"{reverse('book:hold_page', kwargs={'token': booking.token})}?lang={language}")


# --- the hold: who the visit is for, and the code --------------------------------------------


def _claim_form(data: Any, language: str) -> ClaimForm:
    words = WORDS[language]
    form = ClaimForm(data, initial={"seen_before": "yes"})
    for name, label in words["claim_labels"].items():
        form.fields[name].label = label
    cast(forms.ChoiceField, form.fields["seen_before"]).choices = [
        ("yes", words["seen_yes"]),
        ("no", words["seen_no"]),
    ]
    cast(forms.ChoiceField, form.fields["caregiver_relationship"]).choices = [
        ("", words["not_caregiver"])
    ] + [(c.value, words["relationships"][c.value]) for c in CAREGIVERS]
    return form


def _code_form(data: Any, language: str) -> CodeForm:
    form = CodeForm(data)
    form.fields["code"].label = WORDS[language]["code_label"]
    return form


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def hold_page(request: HttpRequest, token: str) -> HttpResponse:
    booking = find_hold(token)
    if booking is None:
        return _missing(request, _language(request))
    language = _language(request, booking.language)
    words = WORDS[language]
    context = _base(request, language, booking.organization) | {
        "booking": booking,
        "type_name": _type_name(booking.appointment_type, language),
        "when": _when(booking.starts_at, booking.location, language),
        "zone_note": words["zone_note"].format(zone=location_zone(booking.location)),
        "start_url": reverse("book:start", kwargs={"organization": booking.organization.slug})
        + f"?lang={language}",
    }
    try:
        check_live_hold(booking)
    except CareBondError as error:
        context["gone"] = _problem(error, language)
        return render(request, "scheduling/selfbooking/hold.html", context, status=410)
    until = f"{booking.hold_expires_at.astimezone(location_zone(booking.location)):%H:%M}"
    context["held_until_words"] = words["held_until"].format(until=until)
    step = request.POST.get("step") if request.method == "POST" else None
    asking_again = request.GET.get("again") == "1"
    claim_form = _claim_form(request.POST if step == "claim" else None, language)
    code_form = _code_form(request.POST if step == "code" else None, language)
    status = 200
    if step == "claim":
        if claim_form.is_valid():
            data = claim_form.cleaned_data
            try:
                check_send_code(
                    booking,
                    claimant=Claimant(
                        new_patient=data["seen_before"] == "no",
                        birth_date=data["birth_date"],
                        contact=data["contact"],
                        given_name=data["given_name"],
                        family_name=data["family_name"],
                        caregiver_name=data["caregiver_name"],
                        caregiver_relationship=data["caregiver_relationship"],
                    ),
                )
                return redirect(request.path + f"?lang={language}")
            except CareBondError as error:
                _show(claim_form, error, language)
                status = error.status
        else:
            status = 400
    elif step == "code":
        if code_form.is_valid():
            try:
                appointment = check_confirm_code(booking, code=code_form.cleaned_data["code"])
                return redirect(f"{manage_url(appointment)}?booked=1&lang={language}")
            except SlotTaken as taken:
                context["alternatives"] = _time_choices(
                    taken.alternatives, [booking.provider], booking.location, language
                )
                context["problem"] = _problem(taken, language)
                status = taken.status
            except CareBondError as error:
                _show(code_form, error, language)
                status = error.status
        else:
            status = 400
        booking.refresh_from_db()
    context |= {
        "claim_form": claim_form,
        "code_form": code_form,
        "asking_code": booking.codes_sent > 0 and not asking_again and step != "claim",
        "code_sent": words["code_sent"].format(contact=booking.contact_value),
        "hold_url": reverse("book:hold", kwargs={"organization": booking.organization.slug}),
        "appointment_type": booking.appointment_type,
        "location": booking.location,
    }
    if booking.status != "held":
        context["gone"] = words["locked"]
    return render(request, "scheduling/selfbooking/hold.html", context, status=status)


def _show(form: Any, error: CareBondError, language: str) -> None:
    if language == "es":
        error = type(error)(_problem(error, language), code=error.code, field=error.field)
    show_error(form, error)


# --- the visit's own link --------------------------------------------------------------------


@page_policy(PUBLIC)
@require_http_methods(["GET", "POST"])
def visit(request: HttpRequest, token: str) -> HttpResponse:
    """The visit booked: move it to another open time, or cancel it, within the rules."""
    language = _language(request)
    try:
        visit_id = read_manage_token(token)
    except InvalidInput as error:
        context = _base(request, language, None) | {"problem": _problem(error, language)}
        return render(request, "scheduling/selfbooking/problem.html", context, status=404)
    appointment = find_own_visit(visit_id)
    if appointment is None:
        return _missing(request, language)
    language = _language(request, appointment.patient.preferred_language.split("-")[0])
    words = WORDS[language]
    do_open_visit_page(appointment)
    context = _base(request, language, appointment.organization)
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "cancel":
                check_patient_cancel(appointment)
                context["done"] = words["cancelled_now"]
            else:
                form = MoveForm(request.POST)
                if not form.is_valid():
                    raise InvalidInput(
                        "That time could not be read: choose it again.", field="starts_at"
                    )
                check_patient_move(appointment, starts_at=form.cleaned_data["starts_at"])
                context["done"] = words["moved_now"]
        except CareBondError as error:
            context["problem"] = _problem(error, language)
            status = error.status
        appointment.refresh_from_db()
    return render(
        request,
        "scheduling/selfbooking/visit.html",
        context | _visit_context(appointment, language, request),
        status=status,
    )


def _visit_context(appointment: Appointment, language: str, request: HttpRequest) -> dict[str, Any]:
    words = WORDS[language]
    location = appointment.location
    notice = timedelta(hours=appointment.appointment_type.cancel_notice_hours)
    changeable = (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.starts_at - clock.now() >= notice
    )
    times: list[dict[str, str]] = []
    if changeable:
        # Times past the notice only: a visit moved inside it could no longer be changed.
        after = clock.now() + notice
        found = [
            t
            for t in list_online_times(
                location=location,
                appointment_type=appointment.appointment_type,
                providers=[appointment.provider],
                from_day=after.astimezone(location_zone(location)).date(),
                not_before=after,
                count=7,
            )
            if t.starts_at != appointment.starts_at
        ][:6]
        times = [
            t | {"move_label": words["move_button"].format(time=t["label"])}
            for t in _time_choices(found, [appointment.provider], location, language)
        ]
    state = words["state_closed"]
    if changeable:
        state = words["state_booked"]
    elif appointment.status == AppointmentStatus.CANCELLED:
        state = words["state_cancelled"]
    return {
        "appointment": appointment,
        "booked_now": request.GET.get("booked") == "1" and request.method == "GET",
        "type_name": _type_name(appointment.appointment_type, language),
        "when": _when(appointment.starts_at, location, language),
        "zone_note": words["zone_note"].format(zone=location_zone(location)),
        "state": state,
        "changeable": changeable,
        "times": times,
    }
