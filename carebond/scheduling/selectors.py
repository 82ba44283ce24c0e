"""Reads of the schedule: a day's appointments at a location or for a provider (a PHI read:
each names a patient and why they come, so it is audited), and open times for staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from carebond.audit.recording import record_access
from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.errors import InvalidInput, NotFound
from carebond.core.models import Location
from carebond.messaging.selectors import blocked_reasons
from carebond.people.models import Person, PersonKind, PersonStatus, Relationship
from carebond.scheduling.access import ADHERENCE_READERS, SCHEDULERS, access_appointment
from carebond.scheduling.actions import reminder_key
from carebond.scheduling.adherence import GROUPS, Adherence, adherence
from carebond.scheduling.availability import (
    OpenTime,
    first_available,
    location_zone,
    open_times,
)
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ScheduleTemplate,
    TemplateStatus,
)
from carebond.scheduling.schedules import schedule_rows
from carebond.touchpoints.models import Touchpoint

if TYPE_CHECKING:
    from carebond.accounts.models import User
    from carebond.scheduling.noshow import Risk


def day_bounds(location: Location, day: date) -> tuple[datetime, datetime]:
    zone = location_zone(location)
    first = datetime.combine(day, time.min, tzinfo=zone)
    return first, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def list_day_appointments(
    *, user: User, location: Location, day: date, provider: Person | None = None
) -> list[Appointment]:
    """Every appointment of a day at a location (or one provider's there), cancelled ones
    included, in time order. Audited: appointment.list (one event for the day's list)."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    RECORD_DATES.check(day, field="day")
    first, last = day_bounds(location, day)
    found = Appointment.objects.filter(
        organization_id=user.organization_id,
        location=location,
        starts_at__gte=first,
        starts_at__lt=last,
    )
    if provider is not None:
        found = found.filter(provider=provider)
    appointments = list(
        found.select_related(
            "patient", "provider", "appointment_type", "room", "location__organization"
        ).order_by("starts_at", "provider_id")
    )
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    return appointments


def list_open_times(
    *,
    user: User,
    location: Location,
    appointment_type: AppointmentType,
    providers: list[Person],
    day: date,
    past_the_rules: bool = False,
) -> list[OpenTime]:
    """A day's open times for staff; ``past_the_rules`` shows what an override could book."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    RECORD_DATES.check(day, field="day")
    return open_times(
        location=location,
        providers=providers,
        appointment_type=appointment_type,
        first_day=day,
        last_day=day,
        now=clock.now(),
        apply_rules=not past_the_rules,
    )


def list_first_available(
    *,
    user: User,
    location: Location,
    appointment_type: AppointmentType,
    providers: list[Person],
    from_day: date,
    count: int = 8,
) -> list[OpenTime]:
    """The first open times across providers from a day on, within the booking rules."""
    if not SCHEDULERS.allows(user.role) or location.organization_id != user.organization_id:
        raise NotFound("No such location.")
    RECORD_DATES.check(from_day, field="day")
    return first_available(
        location=location,
        providers=providers,
        appointment_type=appointment_type,
        now=clock.now(),
        count=count,
        from_day=from_day,
    )


@dataclass(frozen=True)
class BookableTime:
    """An open time as the booking page offers it, in the location's time zone."""

    starts_at: str  # ISO 8601 with its offset, posted back as is
    label: str
    provider_public_id: str
    provider_name: str


def bookable_times(times: list[OpenTime], providers: list[Person]) -> list[BookableTime]:
    by_id = {p.pk: p for p in providers}
    return [
        BookableTime(
            starts_at=t.starts_at.isoformat(),
            label=f"{t.starts_at:%a %d %b %H:%M}",
            provider_public_id=str(by_id[t.provider_id].public_id),
            provider_name=by_id[t.provider_id].display_name,
        )
        for t in times
        if t.provider_id in by_id
    ]


def list_locations(*, user: User) -> list[Location]:
    return list(Location.objects.filter(organization_id=user.organization_id).order_by("name"))


def list_appointment_types(*, user: User) -> list[AppointmentType]:
    return list(
        AppointmentType.objects.filter(organization_id=user.organization_id, active=True).order_by(
            "name"
        )
    )


def list_all_appointment_types(*, user: User) -> list[AppointmentType]:
    """Every visit type, those no longer in use too (the types page)."""
    return list(
        AppointmentType.objects.filter(organization_id=user.organization_id).order_by(
            "-active", "name"
        )
    )


def list_staff(*, user: User) -> list[Person]:
    """Every active staff member of the organisation: who may be given a week or offer a type
    (a new provider has no week yet)."""
    return sorted(
        Person.objects.filter(
            organization_id=user.organization_id,
            kind=PersonKind.STAFF,
            status=PersonStatus.ACTIVE,
        ),
        key=lambda p: (p.family_name, p.given_name),
    )


def list_providers(*, user: User, location: Location | None = None) -> list[Person]:
    """The providers with an applied week (at the location, when one is given)."""
    templates = ScheduleTemplate.objects.filter(
        organization_id=user.organization_id, status=TemplateStatus.APPLIED
    )
    if location is not None:
        templates = templates.filter(location=location)
    ids = set(templates.values_list("provider_id", flat=True))
    return sorted(
        Person.objects.filter(pk__in=ids, organization_id=user.organization_id),
        key=lambda p: (p.family_name, p.given_name),
    )


def list_household(*, user: User, patient: Person) -> list[tuple[Person, str]]:
    """The patient's family and those they care for or who care for them, who are patients of
    the practice themselves (to book together), with how they are related."""
    if not SCHEDULERS.allows(user.role) or patient.organization_id != user.organization_id:
        return []
    found: dict[int, tuple[Person, str]] = {}
    links = Relationship.objects.filter(Q(patient=patient) | Q(related=patient)).select_related(
        "patient", "related"
    )
    for link in links:
        forward = link.patient_id == patient.pk
        other = link.related if forward else link.patient
        # (a link from the other's record names the patient's role, not theirs)
        how = link.get_relationship_display() if forward else "Family or caregiver"
        if other.kind == PersonKind.PATIENT and other.status == PersonStatus.ACTIVE:
            found.setdefault(other.pk, (other, how))
    return sorted(found.values(), key=lambda pair: pair[0].display_name)


def get_location(*, user: User, public_id: UUID | str | None) -> Location:
    """The location asked for, or the organisation's first; 404 for another organisation's."""
    found = Location.objects.filter(organization_id=user.organization_id).order_by("name")
    if public_id:
        found = found.filter(public_id=public_id)
    location = found.first()
    if location is None:
        raise NotFound("No such location.")
    return location


def get_appointment_type(*, user: User, public_id: UUID | str) -> AppointmentType:
    found = AppointmentType.objects.filter(
        organization_id=user.organization_id, public_id=public_id
    )
    type_ = found.first()
    if type_ is None:
        raise NotFound("No such visit type.")
    return type_


def local_today(location: Location) -> date:
    return clock.now().astimezone(location_zone(location)).date()


# The buttons of a visit's next steps, in order.
STEP_LABELS = {"arrive": "Arrived", "room": "Roomed", "see": "Seen", "complete": "Completed"}


@dataclass
class VisitRow:
    """One visit as the day's schedule shows it: what can be pressed next, and the wait."""

    appointment: Appointment
    starts: str  # "09:30" in the location's time zone
    next_steps: list[tuple[str, str]]
    waited_minutes: int | None
    can_cancel: bool
    video_url: str  # the telehealth room, for the provider ("" for a visit in person)
    risk: Risk | None = None  # of being missed, for a booked visit still to come (noshow.py)
    # Why the visit's reminder will not go (no consent, no number, an opt-out): "" when it will.
    reminder_problem: str = ""


def visit_row(appointment: Appointment, *, reminder_problem: str = "") -> VisitRow:
    status = appointment.status
    steps: list[str] = []
    if status == AppointmentStatus.BOOKED:
        steps = ["arrive"]
    elif status in (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN):
        steps = [
            step
            for step, moment in (("room", "roomed_at"), ("see", "seen_at"), ("complete", ""))
            if not moment or getattr(appointment, moment) is None
        ]
    waited = appointment.waited
    if waited is None and appointment.arrived_at is not None and not appointment.completed_at:
        waited = clock.now() - appointment.arrived_at  # still waiting
    return VisitRow(
        appointment=appointment,
        starts=f"{appointment.starts_at.astimezone(location_zone(appointment.location)):%H:%M}",
        next_steps=[(step, STEP_LABELS[step]) for step in steps],
        waited_minutes=int(waited.total_seconds() // 60) if waited is not None else None,
        can_cancel=status == AppointmentStatus.BOOKED,
        video_url=video_room_url(appointment) if status in LIVE_STATUSES else "",
        reminder_problem=reminder_problem,
    )


@dataclass
class ProviderDay:
    provider: Person
    visits: list[VisitRow]


def list_day_by_provider(*, user: User, location: Location, day: date) -> list[ProviderDay]:
    """The day at a location, one column per provider (those with a week there, and any other
    with a visit that day), each in time order."""
    appointments = list_day_appointments(user=user, location=location, day=day)
    providers = {p.pk: p for p in list_providers(user=user, location=location)}
    for appointment in appointments:
        providers.setdefault(appointment.provider_id, appointment.provider)
    problems = reminder_problems(appointments)

    def row(appointment: Appointment) -> VisitRow:
        return visit_row(appointment, reminder_problem=problems.get(appointment.pk, ""))

    return [
        ProviderDay(provider, [row(a) for a in appointments if a.provider_id == provider.pk])
        for provider in sorted(providers.values(), key=lambda p: (p.family_name, p.given_name))
    ]


def reminder_problems(appointments: list[Appointment]) -> dict[int, str]:
    """Why the reminders of the booked visits among these will not go (appointment pk ->
    the reason), in one query: a patient without consent or a number is told some other way."""
    booked = [a for a in appointments if a.status == AppointmentStatus.BOOKED]
    if not booked:
        return {}
    keys = {reminder_key(a): a.pk for a in booked}
    found = blocked_reasons(booked[0].organization_id, list(keys))
    return {keys[key]: reason for key, reason in found.items()}


@dataclass
class TodaysSchedule:
    location: Location
    counts: list[tuple[str, int]]
    waiting: list[VisitRow]
    next_up: list[VisitRow]


def todays_schedule(*, user: User) -> TodaysSchedule | None:
    """Today at the first location (by name) that has visits today: None when none has."""
    if not SCHEDULERS.allows(user.role):
        return None
    for location in list_locations(user=user):
        today = local_today(location)
        first, last = day_bounds(location, today)
        if not Appointment.objects.filter(
            location=location, starts_at__gte=first, starts_at__lt=last
        ).exists():
            continue
        rows = [
            visit_row(a) for a in list_day_appointments(user=user, location=location, day=today)
        ]
        counts: dict[str, int] = {}
        for row in rows:
            label = row.appointment.get_status_display()
            counts[label] = counts.get(label, 0) + 1
        now = clock.now()
        return TodaysSchedule(
            location=location,
            counts=sorted(counts.items()),
            waiting=[
                r
                for r in rows
                if r.appointment.status in (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN)
            ],
            next_up=[
                r
                for r in rows
                if r.appointment.status == AppointmentStatus.BOOKED
                and r.appointment.starts_at >= now - timedelta(minutes=15)
            ][:5],
        )
    return None


@dataclass
class TodaysPatient:
    row: VisitRow
    language: str
    alerts: list[str]
    last_touchpoints: list[str]


def list_todays_patients(*, user: User, provider: Person) -> list[TodaysPatient]:
    """A provider's visits today (any location), in time order, with what to remember about
    each patient: preferred name and language, alerts, the last few touchpoints. Audited as
    one read of the day's list."""
    if not SCHEDULERS.allows(user.role):
        return []
    zone = ZoneInfo(user.organization.time_zone)
    start = datetime.combine(clock.now().astimezone(zone).date(), time.min, tzinfo=zone)
    visits = list(
        Appointment.objects.filter(
            organization_id=user.organization_id,
            provider=provider,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
        )
        .exclude(status__in=(AppointmentStatus.CANCELLED, AppointmentStatus.ENTERED_IN_ERROR))
        .select_related("patient", "location", "appointment_type")
        .order_by("starts_at")
    )
    if not visits:
        return []
    record_access(
        actor=user, target=None, action="appointment.list", organization=user.organization
    )
    recent: dict[int, list[str]] = {}
    for touchpoint in Touchpoint.objects.filter(
        person_id__in=[v.patient_id for v in visits]
    ).order_by("-occurred_at")[: 20 * len(visits)]:
        found = recent.setdefault(touchpoint.person_id, [])
        if len(found) < 3:
            found.append(f"{touchpoint.occurred_at:%d %b}: {touchpoint.get_kind_display()}")
    return [
        TodaysPatient(
            row=visit_row(v),
            language=v.patient.preferred_language,
            alerts=_needs(v.patient),
            last_touchpoints=recent.get(v.patient_id, []),
        )
        for v in visits
    ]


def _needs(patient: Person) -> list[str]:
    """The accessibility needs the person page shows as alerts."""
    return [
        words
        for flag, words in (
            (patient.interpreter_needed, "Interpreter needed"),
            (patient.large_print, "Large print"),
            (patient.mobility_assistance, "Mobility assistance"),
        )
        if flag
    ]


def get_provider(*, user: User, public_id: UUID | str) -> Person:
    """A staff member of the user's organisation (a missing one and another organisation's
    look the same)."""
    found = Person.objects.filter(
        organization_id=user.organization_id, public_id=public_id, kind=PersonKind.STAFF
    ).first()
    if found is None:
        raise NotFound("No such provider.")
    return found


ADHERENCE_PERIODS = (30, 90, 365)


def list_adherence(*, user: User, group_by: str, days: int) -> list[Adherence]:
    """The last ``days`` days' adherence per provider, location or visit type (visits whose
    start has passed). Figures only: no patient is named."""
    if not ADHERENCE_READERS.allows(user.role):
        raise NotFound("No such page.")
    if group_by not in GROUPS:
        raise InvalidInput(f"Group by one of: {', '.join(GROUPS)}.", field="group_by")
    if days not in ADHERENCE_PERIODS:
        raise InvalidInput(
            f"Choose a period of {', '.join(str(d) for d in ADHERENCE_PERIODS)} days.",
            field="days",
        )
    now = clock.now()
    return adherence(
        user.organization_id, group_by=group_by, since=now - timedelta(days=days), until=now
    )


def video_room_url(appointment: Appointment) -> str:
    """The visit's room on the video service: unguessable (the appointment's token)."""
    base = settings.SCHEDULING_VIDEO_BASE_URL.rstrip("/")
    if not appointment.telehealth_token or not base:
        return ""
    return f"{base}/carebond-{appointment.telehealth_token}"


def find_telehealth_visit(token: str) -> Appointment | None:
    """The telehealth visit a join link names (None for a link that names none)."""
    if len(token) < 24 or len(token) > 64:
        return None
    return (
        Appointment.objects.filter(telehealth_token=token)
        .select_related("patient", "location", "organization", "appointment_type")
        .first()
    )


@dataclass(frozen=True)
class JoinWindow:
    state: str  # "early", "open" or "closed"
    opens_at: datetime


def join_window(appointment: Appointment) -> JoinWindow:
    """Open from shortly before the visit until it is closed (completed, cancelled, missed)."""
    opens_at = appointment.starts_at - timedelta(minutes=settings.SCHEDULING_JOIN_OPENS_MINUTES)
    closed = appointment.status not in (
        AppointmentStatus.BOOKED,
        AppointmentStatus.ARRIVED,
        AppointmentStatus.CHECKED_IN,
    )
    if closed:
        return JoinWindow("closed", opens_at)
    return JoinWindow("open" if clock.now() >= opens_at else "early", opens_at)


def get_appointment(*, user: User, public_id: UUID | str) -> Appointment:
    """One appointment (it names a patient and why they come). Audited: appointment.read."""
    appointment = access_appointment(user, public_id)
    record_access(
        actor=user, target=appointment, patient=appointment.patient, action="appointment.read"
    )
    return appointment


def list_schedules(
    *, user: User, location: Location | None = None, provider: Person | None = None
) -> list[ScheduleTemplate]:
    """The schedules (one per provider per location, ``schedules.py``), in the order made.
    Not PHI: providers' weeks name no patient."""
    if not SCHEDULERS.allows(user.role):
        raise NotFound("No such schedule.")
    found = schedule_rows(user.organization_id)
    if location is not None:
        found = found.filter(location=location)
    if provider is not None:
        found = found.filter(provider=provider)
    return list(found)


@dataclass(frozen=True)
class CompletedVisit:
    """A visit that happened, as other apps need it (a survey after it): no reason, no notes."""

    public_id: UUID
    patient_id: int
    provider_id: int
    location_id: int
    ended_at: datetime
    telehealth: bool


def list_visits_completed_between(
    organization_id: int, *, start: datetime, end: datetime
) -> list[CompletedVisit]:
    """Fulfilled visits whose end (the time checked out, else the booked end) falls in
    [start, end): what the surveys app's post-visit invitations are made from."""
    rows = (
        Appointment.objects.filter(organization_id=organization_id, status="fulfilled")
        .filter(
            Q(completed_at__gte=start, completed_at__lt=end)
            | Q(completed_at__isnull=True, ends_at__gte=start, ends_at__lt=end)
        )
        .order_by("ends_at", "id")
        .values_list(
            "public_id",
            "patient_id",
            "provider_id",
            "location_id",
            "completed_at",
            "ends_at",
            "appointment_type__mode",
        )
    )
    return [
        CompletedVisit(
            public_id, patient, provider, location, completed or ends, mode == "telehealth"
        )
        for public_id, patient, provider, location, completed, ends, mode in rows
    ]


def visit_appointment_types(organization_id: int, visit_public_ids: list[str]) -> dict[str, str]:
    """Visit public id -> its appointment type's public id, for the visits of ``visit_public_ids``
    that exist in the organisation (the surveys' KPIs break a visit's answers down by type)."""
    ids = []
    for value in visit_public_ids:
        try:
            ids.append(UUID(value))
        except ValueError:
            continue
    rows = Appointment.objects.filter(organization_id=organization_id, public_id__in=ids)
    return {
        str(visit): str(visit_type)
        for visit, visit_type in rows.values_list("public_id", "appointment_type__public_id")
    }
