"""The week calendar and moving a visit. The week shows a location's providers by day; a cell's
"Book" opens the booking page on that provider and day; a visit is moved by picking a new time
on its Move page, or by dragging it onto another provider's day (which opens the Move page
there: the time is then picked, so a drop never lands on a time that is not open)."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape  # (the standard library's: Django's lazy-aware one is slower)
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from carebond.core.access import signed_in_user
from carebond.core.errors import CareBondError, InvalidInput
from carebond.core.ids import uuid_or_none
from carebond.core.permissions import page_policy
from carebond.scheduling import actions, series_actions
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.availability import location_zone
from carebond.scheduling.calendar_selectors import WeekCell, WeekVisit, list_week, week_of
from carebond.scheduling.forms import MoveForm
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.selectors import (
    bookable_times,
    get_appointment,
    get_location,
    get_provider,
    list_locations,
    list_providers,
    local_today,
)
from carebond.scheduling.views import find_times, parse_day

NO_ID = UUID(int=0)


def week_url(location_id: object, day: date, provider_id: object = None) -> str:
    query = {"location": str(location_id), "day": day.isoformat()}
    if provider_id:
        query["provider"] = str(provider_id)
    return f"{reverse('scheduling:week')}?{urlencode(query)}"


def visits_html(visits: list[WeekVisit], move_prefix: str) -> SafeString:
    """A cell's visits as list items. Written here rather than in the template: a busy week
    has thousands, and the template language would take most of the page's time on them."""
    items = []
    for visit in visits:
        who, what = escape(visit.patient), escape(visit.what)
        if visit.movable:
            items.append(
                f'<li class="week-visit" draggable="true" data-visit="{visit.public_id}">'
                f'{visit.starts} {who}, <span class="small">{what}</span> '
                f'<a href="{move_prefix}{visit.public_id}/move/">Move<span class="visually-hidden">'
                f" {who}'s {visit.starts} visit</span></a></li>"
            )
        else:
            items.append(
                f'<li class="week-visit status-{visit.status}" data-visit="{visit.public_id}">'
                f'{visit.starts} {who}, <span class="small">{what} '
                f"({escape(visit.status_label)})</span></li>"
            )
    return mark_safe("".join(items))  # noqa: S308 (every value above is escaped or ours)


def cell_shown(cell: WeekCell, move_prefix: str) -> tuple[str, str, SafeString]:
    """A cell as the template shows it: its day (ISO, and in words) and its visits."""
    words = f"{cell.day:%A} {cell.day.day} {cell.day:%B}"
    return cell.day.isoformat(), words, visits_html(cell.visits, move_prefix)


@page_policy(SCHEDULERS)
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    location = get_location(user=user, public_id=uuid_or_none(request.GET.get("location")))
    today = local_today(location)
    shown = parse_day(request.GET.get("day"), today)
    providers = list_providers(user=user, location=location)
    provider_id = uuid_or_none(request.GET.get("provider"))
    provider = next((p for p in providers if p.public_id == provider_id), None)
    calendar = list_week(user=user, location=location, day=shown, provider=provider)
    chosen = provider.public_id if provider else None
    move_prefix = reverse("scheduling:move", args=[NO_ID]).split(str(NO_ID))[0]
    return render(
        request,
        "scheduling/week.html",
        {
            "week": calendar,
            "location": location,
            "locations": list_locations(user=user),
            "providers": providers,
            "provider": provider,
            "today": today,
            "shown": shown,
            "this_week": week_of(today) == week_of(shown),
            "previous": week_url(location.public_id, shown - timedelta(days=7), chosen),
            "next": week_url(location.public_id, shown + timedelta(days=7), chosen),
            "current": week_url(location.public_id, today, chosen),
            "move_prefix": move_prefix,
            "rows": [
                (row.provider, row.count, [cell_shown(c, move_prefix) for c in row.cells])
                for row in calendar.rows
            ],
            "book_prefix": f"{reverse('scheduling:book')}?location={location.public_id}",
        },
    )


@page_policy(SCHEDULERS)
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, appointment_id: UUID) -> HttpResponse:
    """Pick another time for a booked visit: the provider's day (or first available across the
    location's providers) from a day on; pressing a time moves it."""
    user = signed_in_user(request)
    appointment = get_appointment(user=user, public_id=appointment_id)
    if request.method == "POST":
        return _move(request, user, appointment)
    location = appointment.location
    zone = location_zone(location)
    providers = list_providers(user=user, location=location)
    # (the visit's own provider unless another, or "any" for first available, is asked for)
    asked = request.GET.get("provider")
    provider_id = None if asked == "any" else uuid_or_none(asked) or appointment.provider.public_id
    provider = next((p for p in providers if p.public_id == provider_id), None)
    current_day = appointment.starts_at.astimezone(zone).date()
    day = parse_day(request.GET.get("day"), max(current_day, local_today(location)))
    context: dict[str, Any] = {
        "visit": appointment,
        "visit_when": actions.describe(appointment),
        "providers": providers,
        "provider": provider,
        "day": day,
        "times": [],
        "back": week_url(location.public_id, current_day),
        "in_series": appointment.series_id is not None,
        "whole_series": appointment.series_id is not None and request.GET.get("series") == "all",
    }
    if appointment.status != AppointmentStatus.BOOKED:
        context["error"] = "Only a booked visit can be moved."
        return render(request, "scheduling/move.html", context, status=400)
    try:
        found = find_times(
            user,
            location,
            appointment.appointment_type,
            [provider] if provider else providers,
            day=day,
            any_provider=provider is None,
            past_the_rules=False,
        )
    except InvalidInput as error:
        context["error"] = error.message
        return render(request, "scheduling/move.html", context, status=400)
    context["times"] = bookable_times(found, providers)
    return render(request, "scheduling/move.html", context)


def _move(request: HttpRequest, user: Any, appointment: Appointment) -> HttpResponse:
    form = MoveForm(request.POST)
    back = reverse("scheduling:move", args=[appointment.public_id])
    if (
        appointment.status != AppointmentStatus.BOOKED
    ):  # (its Move page has nothing to offer: the week)
        zone = location_zone(appointment.location)
        back = week_url(
            appointment.location.public_id, appointment.starts_at.astimezone(zone).date()
        )
    if not form.is_valid():
        messages.error(request, "That time could not be read: choose it again.")
        return redirect(back)
    try:
        provider = get_provider(user=user, public_id=form.cleaned_data["provider"])
        if form.cleaned_data["series"] == "all":
            several = series_actions.check_move_series_from(
                appointment,
                starts_at=form.cleaned_data["starts_at"],
                provider=provider,
                acting_user=user,
            )
            moved = min(several, key=lambda visit: visit.starts_at)
            said = f"Moved {len(several)} visits of the series, from {actions.describe(moved)}."
        else:
            moved = actions.check_reschedule_appointment(
                appointment,
                starts_at=form.cleaned_data["starts_at"],
                provider=provider,
                acting_user=user,
            )
            said = f"now {actions.describe(moved)}."
    except CareBondError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(request, f"Moved: {moved.patient.display_name}, {said}")
    day = moved.starts_at.astimezone(location_zone(moved.location)).date()
    return redirect(week_url(moved.location.public_id, day))
