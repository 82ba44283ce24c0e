"""Several visits booked as one: a recurring series (every occurrence checked before any is
booked; a collision refuses the series, or moves that occurrence to the nearest open time that
day, or leaves it out, never overlaps), and a household booked together (back to back with one
provider). All or nothing: the database's no-double-booking guard still has the last word, and
a refusal there undoes the whole booking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.core import clock
from carebond.core.errors import InvalidInput, RuleViolation
from carebond.core.models import Location
from carebond.people.models import Person
from carebond.scheduling.actions import (
    _check_new_or_established,
    _check_parties,
    _check_start,
    _when,
    booking_rules_broken,
    check_cancel_appointment,
    do_book_appointment,
    do_reschedule_appointment,
)
from carebond.scheduling.availability import OpenTime, local_moment, location_zone, open_times
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    AppointmentType,
)

if TYPE_CHECKING:
    from carebond.accounts.models import User

MAX_OCCURRENCES = 52
MAX_EVERY_DAYS = 365
MAX_HOUSEHOLD = 6
# What to do with an occurrence whose time is not free.
ON_CONFLICT = ("refuse", "adjust")


@dataclass(frozen=True)
class Occurrence:
    number: int  # from 1
    wanted: datetime
    starts_at: datetime | None  # None: left out
    problem: str  # why the wanted time could not be had ("" when it could)


def _open_that_day(
    provider: Person, location: Location, appointment_type: AppointmentType, moment: datetime
) -> list[OpenTime]:
    day = moment.astimezone(location_zone(location)).date()
    return open_times(
        location=location,
        providers=[provider],
        appointment_type=appointment_type,
        first_day=day,
        last_day=day,
        now=clock.now(),
    )


def _patient_busy(
    patient: Person, starts_at: datetime, minutes: int, ignore: Appointment | None = None
) -> bool:
    found = Appointment.objects.filter(
        patient=patient,
        status__in=LIVE_STATUSES,
        starts_at__lt=starts_at + timedelta(minutes=minutes),
        ends_at__gt=starts_at,
    )
    if ignore is not None:
        found = found.exclude(pk=ignore.pk)
    return found.exists()


def _problem(
    patient: Person,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    free: list[OpenTime],
    ignore: Appointment | None = None,
) -> str:
    """Why this time cannot be booked ("" when it can); ``ignore``: the visit being moved."""
    broken = booking_rules_broken(
        patient, appointment_type, starts_at, location, now=clock.now(), ignore=ignore
    )
    if broken:
        return broken[0]
    if not any(t.starts_at == starts_at for t in free):
        return "taken, or not an open time in the provider's schedule"
    if _patient_busy(patient, starts_at, appointment_type.duration_minutes, ignore):
        return f"{patient.display_name} already has a visit then"
    return ""


def plan_series(
    patient: Person,
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    first_starts_at: datetime,
    every_days: int,
    occurrences: int,
    adjust: bool,
) -> list[Occurrence]:
    """Each occurrence at the same local time (so daylight saving never shifts a series), with
    the reason its time is not free; with ``adjust``, a taken one moves to the nearest open time
    the same day, or is left out when the day has none."""
    if not 2 <= occurrences <= MAX_OCCURRENCES:
        raise InvalidInput(f"A series has 2 to {MAX_OCCURRENCES} occurrences.", field="occurrences")
    if not 1 <= every_days <= MAX_EVERY_DAYS:
        raise InvalidInput(f"Repeat every 1 to {MAX_EVERY_DAYS} days.", field="every_days")
    zone = location_zone(location)
    local = first_starts_at.astimezone(zone)
    planned = []
    for number in range(1, occurrences + 1):
        day = local.date() + timedelta(days=every_days * (number - 1))
        wanted = local_moment(day, local.time(), zone)
        if wanted is None:  # (the clock skips that hour that day)
            planned.append(Occurrence(number, local, None, "that time does not exist that day"))
            continue
        _check_start(wanted, clock.now())
        free = _open_that_day(provider, location, appointment_type, wanted)
        problem = _problem(patient, provider, location, appointment_type, wanted, free)
        starts_at: datetime | None = wanted if not problem else None
        if problem and adjust:
            nearest = sorted(free, key=lambda t: abs(t.starts_at - wanted))
            starts_at = next(
                (
                    t.starts_at
                    for t in nearest
                    if not _problem(
                        patient, provider, location, appointment_type, t.starts_at, free
                    )
                ),
                None,
            )
        planned.append(Occurrence(number, wanted, starts_at, problem))
    return planned


def check_book_series(
    patient: Person,
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    first_starts_at: datetime,
    every_days: int,
    occurrences: int,
    on_conflict: str,
    acting_user: User | None,
) -> tuple[list[Appointment], list[Occurrence]]:
    """Book a recurring series: every occurrence checked first. ``refuse``: one that is not
    free refuses the whole series, each collision named; ``adjust``: it moves to the nearest
    open time that day, or is left out. Returns the visits booked and the occurrences that
    were moved or left out. Audit: appointment.booked for each."""
    if on_conflict not in ON_CONFLICT:
        raise InvalidInput("Choose to refuse or adjust a taken occurrence.", field="on_conflict")
    _check_parties(patient, provider, location, appointment_type)
    _check_new_or_established(patient, appointment_type, now=clock.now())
    plan = plan_series(
        patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        first_starts_at=first_starts_at,
        every_days=every_days,
        occurrences=occurrences,
        adjust=on_conflict == "adjust",
    )
    taken = [o for o in plan if o.problem]
    if taken and on_conflict == "refuse":
        raise RuleViolation(
            "The series was not booked: "
            + "; ".join(
                f"visit {o.number} ({_when(o.wanted, location)}): {o.problem}" for o in taken
            )
            + ". Choose another time, or let taken visits move to the nearest open time.",
            code="series_conflict",
        )
    if sum(1 for o in plan if o.starts_at is not None) < 2:
        raise RuleViolation(
            "Fewer than two visits of the series could be booked: choose another time.",
            code="series_conflict",
        )
    booked = do_book_series(
        patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        plan=plan,
        every_days=every_days,
        acting_user=acting_user,
    )
    return booked, taken


@transaction.atomic
def do_book_series(
    patient: Person,
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    plan: list[Occurrence],
    every_days: int,
    acting_user: User | None,
) -> list[Appointment]:
    series = AppointmentSeries.objects.create(
        organization_id=patient.organization_id,
        every_days=every_days,
        occurrences=len(plan),
        created_at=clock.now(),
    )
    return [
        do_book_appointment(
            patient,
            provider=provider,
            location=location,
            appointment_type=appointment_type,
            starts_at=occurrence.starts_at,
            acting_user=acting_user,
            via="staff",
            series=series,
        )
        for occurrence in plan
        if occurrence.starts_at is not None
    ]


def check_cancel_series_from(
    appointment: Appointment, *, cancelled_by: str, reason: str, acting_user: User | None
) -> list[Appointment]:
    """Cancel this visit of a series and every later booked one ("change all"), together.
    Audit: appointment.cancelled for each."""
    if appointment.series_id is None:
        raise RuleViolation("This visit is not part of a series.", code="no_series")
    following = Appointment.objects.filter(
        series_id=appointment.series_id,
        starts_at__gte=appointment.starts_at,
        status=AppointmentStatus.BOOKED,
    ).order_by("starts_at")
    with transaction.atomic():
        return [
            check_cancel_appointment(
                visit, cancelled_by=cancelled_by, reason=reason, acting_user=acting_user
            )
            for visit in following.select_related("appointment_type", "patient", "location")
        ]


def check_move_series_from(
    appointment: Appointment,
    *,
    starts_at: datetime,
    provider: Person,
    acting_user: User | None,
) -> list[Appointment]:
    """Move this visit of a series to a new time (and provider), and every later booked one to
    the same time of day on its own day ("change all"): each checked first, all or none (one
    that is not free refuses the change, naming it). Audit: appointment.rescheduled for each."""
    if appointment.series_id is None:
        raise RuleViolation("This visit is not part of a series.", code="no_series")
    if appointment.status != AppointmentStatus.BOOKED:
        raise RuleViolation("Only a booked appointment can be moved.", code="not_booked")
    location, kind = appointment.location, appointment.appointment_type
    _check_parties(appointment.patient, provider, location, kind)
    starts_at = _check_start(starts_at, clock.now())
    zone = location_zone(location)
    at_time = starts_at.astimezone(zone).time()
    day_shift = starts_at.astimezone(zone).date() - appointment.starts_at.astimezone(zone).date()
    following = list(
        Appointment.objects.filter(
            series_id=appointment.series_id,
            starts_at__gte=appointment.starts_at,
            status=AppointmentStatus.BOOKED,
        )
        .select_related("patient", "appointment_type", "location", "provider")
        .order_by("starts_at")
    )
    plan: list[tuple[Appointment, datetime]] = []
    problems = []
    for visit in following:
        day = visit.starts_at.astimezone(zone).date() + day_shift
        moment = local_moment(day, at_time, zone)
        problem = "that time does not exist that day" if moment is None else ""
        if moment is not None:
            free = _open_that_day(provider, location, kind, moment)
            problem = _problem(visit.patient, provider, location, kind, moment, free, visit)
        if problem or moment is None:
            problems.append(f"{_when(visit.starts_at, location)}: {problem}")
        else:
            plan.append((visit, moment))
    if problems:
        raise RuleViolation(
            "No visit was moved: " + "; ".join(problems) + ". Choose another time.",
            code="series_conflict",
        )
    with transaction.atomic():
        # (later first when moving later, earlier first when moving earlier: the series never
        # meets itself on the way)
        ordered = sorted(
            plan, key=lambda pair: pair[0].starts_at, reverse=starts_at > appointment.starts_at
        )
        return [
            do_reschedule_appointment(
                visit,
                starts_at=moment,
                provider=provider,
                acting_user=acting_user,
                override_reason="",
            )
            for visit, moment in ordered
        ]


def check_book_household(
    patients: list[Person],
    *,
    provider: Person,
    location: Location,
    appointment_type: AppointmentType,
    starts_at: datetime,
    acting_user: User | None,
) -> list[Appointment]:
    """Book several members of a household with one provider, back to back from a time (the
    first patient first), all or none: a member whose time is not free refuses the booking,
    naming who and when. Audit: appointment.booked for each."""
    if not 2 <= len(patients) <= MAX_HOUSEHOLD:
        raise InvalidInput(f"Book 2 to {MAX_HOUSEHOLD} people together.", field="patients")
    if len({p.pk for p in patients}) != len(patients):
        raise InvalidInput("Each person once.", field="patients")
    starts_at = _check_start(starts_at, clock.now())
    for patient in patients:
        _check_parties(patient, provider, location, appointment_type)
        _check_new_or_established(patient, appointment_type, now=clock.now())
    free = _open_that_day(provider, location, appointment_type, starts_at)
    times = [starts_at + appointment_type.duration * n for n in range(len(patients))]
    problems = [
        f"{patient.display_name} at {_when(moment, location)}: {problem}"
        for patient, moment in zip(patients, times, strict=True)
        if (problem := _problem(patient, provider, location, appointment_type, moment, free))
    ]
    if problems:
        raise RuleViolation(
            "Nobody was booked: " + "; ".join(problems) + ". Choose another time.",
            code="household_conflict",
        )
    with transaction.atomic():
        return [
            do_book_appointment(
                patient,
                provider=provider,
                location=location,
                appointment_type=appointment_type,
                starts_at=moment,
                acting_user=acting_user,
                via="staff",
            )
            for patient, moment in zip(patients, times, strict=True)
        ]
