"""The week calendar: a location's week, one row per provider and one cell per day, each visit
ready to show (its time in the location's time zone, who, why), so that a week of a busy
location (thirty providers, thousands of visits) renders in one query and little template
work. A PHI read: audited once for the week's list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from carebond.audit.recording import record_access
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import NotFound
from carebond.core.models import Location
from carebond.people.models import Person
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.availability import location_zone
from carebond.scheduling.models import Appointment, AppointmentStatus
from carebond.scheduling.selectors import list_providers

if TYPE_CHECKING:
    from carebond.accounts.models import User

# Cancelled visits and those entered in error hold no time: the week leaves them out.
NOT_SHOWN = (AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR)


@dataclass(frozen=True)
class WeekVisit:
    public_id: str
    starts: str  # "09:30" in the location's time zone
    patient: str
    what: str  # the visit type
    status: str
    status_label: str
    movable: bool  # booked: it can be moved to another time


@dataclass(frozen=True)
class WeekCell:
    day: date
    visits: list[WeekVisit]


@dataclass(frozen=True)
class WeekRow:
    provider: Person
    cells: list[WeekCell]
    count: int


@dataclass(frozen=True)
class Week:
    location: Location
    days: list[date]  # Monday to Sunday
    rows: list[WeekRow]
    count: int


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def list_week(*, user: User, location: Location, day: date, provider: Person | None = None) -> Week:
    """The week holding ``day`` at a location: every provider with a week there (or one), and
    any other with a visit there that week. Audited: appointment.list (one event)."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    RECORD_DATES.check(day, field="day")
    monday = week_of(day)
    days = [monday + timedelta(days=n) for n in range(7)]
    zone = location_zone(location)
    first = datetime.combine(monday, time.min, tzinfo=zone)
    last = datetime.combine(monday + timedelta(days=7), time.min, tzinfo=zone)
    found = (
        Appointment.objects.filter(
            organization_id=user.organization_id,
            location=location,
            starts_at__gte=first,
            starts_at__lt=last,
        )
        .exclude(status__in=NOT_SHOWN)
        .order_by("starts_at", "provider_id")
    )
    if provider is not None:
        found = found.filter(provider=provider)
    rows = found.values_list(
        "public_id",
        "provider_id",
        "starts_at",
        "status",
        "patient__given_name",
        "patient__family_name",
        "patient__preferred_name",
        "patient__name_text",
        "patient__organization_name",
        "appointment_type__name",
    )
    providers = {p.pk: p for p in list_providers(user=user, location=location)}
    if provider is not None:
        providers = {provider.pk: provider}
    cells: dict[tuple[int, date], list[WeekVisit]] = {}
    strangers: set[int] = set()
    labels = dict(AppointmentStatus.choices)
    for public_id, provider_id, starts_at, status, *name, what in rows:
        local = starts_at.astimezone(zone)
        cells.setdefault((provider_id, local.date()), []).append(
            WeekVisit(
                public_id=str(public_id),
                starts=f"{local:%H:%M}",
                patient=Person.name_for(*name),
                what=what,
                status=status,
                status_label=labels.get(status, status),
                movable=status == AppointmentStatus.BOOKED,
            )
        )
        if provider_id not in providers:
            strangers.add(provider_id)
    # A provider without a week here who still has a visit here (moved, or a week ended).
    for other in Person.objects.filter(pk__in=strangers, organization_id=user.organization_id):
        providers[other.pk] = other
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    week_rows = []
    for person in sorted(providers.values(), key=lambda p: (p.family_name, p.given_name)):
        row_cells = [WeekCell(d, cells.get((person.pk, d), [])) for d in days]
        week_rows.append(WeekRow(person, row_cells, sum(len(c.visits) for c in row_cells)))
    return Week(location, days, week_rows, sum(r.count for r in week_rows))
