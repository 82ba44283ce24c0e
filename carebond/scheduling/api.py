"""The scheduling API: a day's appointments, open times, booking, moving, cancelling and the
visit's steps. Mounted at /scheduling. The same actions and rules as the pages."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Status

from carebond.accounts.auth import acting_user, policy_auth
from carebond.core.access import named_record as named
from carebond.people.access import access_person
from carebond.scheduling import actions
from carebond.scheduling.access import ADHERENCE_READERS, SCHEDULERS, access_appointment
from carebond.scheduling.models import Appointment
from carebond.scheduling.schedules import horizon_end, horizon_start, is_active
from carebond.scheduling.schemas import (
    AdherenceOut,
    AdherenceQuery,
    AppointmentOut,
    BookingIn,
    CancelIn,
    DayQuery,
    OpenTimeOut,
    OpenTimesQuery,
    RescheduleIn,
    ScheduleOut,
    ScheduleQuery,
    StepIn,
)
from carebond.scheduling.selectors import (
    get_appointment,
    get_appointment_type,
    get_location,
    get_provider,
    list_adherence,
    list_day_appointments,
    list_first_available,
    list_open_times,
    list_providers,
    list_schedules,
)

router = Router(tags=["scheduling"])
AUTH = policy_auth(SCHEDULERS)


def appointment_out(appointment: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=appointment.public_id,
        patient_id=appointment.patient.public_id,
        provider_id=appointment.provider.public_id,
        location_id=appointment.location.public_id,
        appointment_type=appointment.appointment_type.key,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        duration_minutes=appointment.duration_minutes,
        time_zone=appointment.time_zone,
        status=appointment.status,
        overbooked=appointment.overbooked,
        booked_via=appointment.booked_via,
        cancelled_by=appointment.cancelled_by,
        cancel_reason=appointment.cancel_reason,
        late_cancellation=appointment.late_cancellation,
        arrived_at=appointment.arrived_at,
        roomed_at=appointment.roomed_at,
        seen_at=appointment.seen_at,
        completed_at=appointment.completed_at,
        confirmed_at=appointment.confirmed_at,
    )


@router.get(
    "/appointments",
    response=list[AppointmentOut],
    auth=AUTH,
    summary="A day's appointments at a location, in time order (audited read)",
)
def day(request: HttpRequest, query: Query[DayQuery]) -> list[AppointmentOut]:
    user = acting_user(request)
    location = named("location", lambda: get_location(user=user, public_id=query.location))
    found = list_day_appointments(user=user, location=location, day=query.day)
    return [appointment_out(a) for a in found]


@router.get(
    "/appointments/{appointment_id}",
    response=AppointmentOut,
    auth=AUTH,
    summary="One appointment (audited read)",
)
def appointment(request: HttpRequest, appointment_id: UUID) -> AppointmentOut:
    return appointment_out(get_appointment(user=acting_user(request), public_id=appointment_id))


@router.get(
    "/open-times",
    response=list[OpenTimeOut],
    auth=AUTH,
    summary="Open times: one provider's day, or the first available across providers",
)
def open_times(request: HttpRequest, query: Query[OpenTimesQuery]) -> list[OpenTimeOut]:
    user = acting_user(request)
    location = named("location", lambda: get_location(user=user, public_id=query.location))
    appointment_type = named(
        "appointment_type",
        lambda: get_appointment_type(user=user, public_id=query.appointment_type),
    )
    if query.provider is not None:
        chosen = query.provider
        providers = [named("provider", lambda: get_provider(user=user, public_id=chosen))]
        found = list_open_times(
            user=user,
            location=location,
            appointment_type=appointment_type,
            providers=providers,
            day=query.day,
        )
    else:
        providers = list_providers(user=user, location=location)
        found = list_first_available(
            user=user,
            location=location,
            appointment_type=appointment_type,
            providers=providers,
            from_day=query.day,
        )
    ids = {p.pk: p.public_id for p in providers}
    return [
        OpenTimeOut(
            provider_id=ids[t.provider_id],
            starts_at=t.starts_at,
            ends_at=t.ends_at,
            seats_left=t.seats_left,
        )
        for t in found
    ]


@router.post(
    "/appointments",
    response={201: AppointmentOut},
    auth=AUTH,
    summary="Book an open time (the schedule and the type's rules are checked; a time just "
    "taken is a 409 naming the next open times)",
)
def book(request: HttpRequest, payload: BookingIn) -> Status[AppointmentOut]:
    user = acting_user(request)
    booked = actions.check_book_appointment(
        named("patient", lambda: access_person(user, payload.patient)),
        provider=named("provider", lambda: get_provider(user=user, public_id=payload.provider)),
        location=named("location", lambda: get_location(user=user, public_id=payload.location)),
        appointment_type=named(
            "appointment_type",
            lambda: get_appointment_type(user=user, public_id=payload.appointment_type),
        ),
        starts_at=payload.starts_at,
        acting_user=user,
        via="api",
        override_reason=payload.override_reason,
        overbook=payload.overbook,
    )
    return Status(201, appointment_out(booked))


@router.post(
    "/appointments/{appointment_id}/reschedule",
    response=AppointmentOut,
    auth=AUTH,
    summary="Move a booked appointment to another open time (and provider)",
)
def reschedule(request: HttpRequest, appointment_id: UUID, payload: RescheduleIn) -> AppointmentOut:
    user = acting_user(request)
    found = access_appointment(user, appointment_id)
    new_provider = payload.provider
    moved = actions.check_reschedule_appointment(
        found,
        starts_at=payload.starts_at,
        provider=named("provider", lambda: get_provider(user=user, public_id=new_provider))
        if new_provider
        else None,
        acting_user=user,
        override_reason=payload.override_reason,
    )
    return appointment_out(moved)


@router.post(
    "/appointments/{appointment_id}/cancel",
    response=AppointmentOut,
    auth=AUTH,
    summary="Cancel, saying who cancelled and why (late cancellations are counted)",
)
def cancel(request: HttpRequest, appointment_id: UUID, payload: CancelIn) -> AppointmentOut:
    user = acting_user(request)
    found = access_appointment(user, appointment_id)
    return appointment_out(
        actions.check_cancel_appointment(
            found, cancelled_by=payload.cancelled_by, reason=payload.reason, acting_user=user
        )
    )


@router.post(
    "/appointments/{appointment_id}/steps",
    response=AppointmentOut,
    auth=AUTH,
    summary="The visit's next step: arrive, room, see, complete; or noshow after the grace period",
)
def step(request: HttpRequest, appointment_id: UUID, payload: StepIn) -> AppointmentOut:
    user = acting_user(request)
    found = access_appointment(user, appointment_id)
    if payload.step == "noshow":
        return appointment_out(actions.check_mark_noshow(found, acting_user=user))
    return appointment_out(actions.check_visit_step(found, step=payload.step, acting_user=user))


@router.get(
    "/adherence",
    response=list[AdherenceOut],
    auth=policy_auth(ADHERENCE_READERS),
    summary="Show, no-show and late-cancel rates, lead and waiting times per provider, "
    "location or visit type (figures only)",
)
def adherence(request: HttpRequest, query: Query[AdherenceQuery]) -> list[AdherenceOut]:
    found = list_adherence(user=acting_user(request), group_by=query.group_by, days=query.days)
    return [
        AdherenceOut(
            group=row.group,
            visits=row.visits,
            completed=row.completed,
            no_shows=row.no_shows,
            late_cancellations=row.late_cancellations,
            cancellations=row.cancellations,
            show_rate=row.show_rate,
            no_show_rate=row.no_show_rate,
            late_cancel_rate=row.late_cancel_rate,
            lead_days=row.lead_days,
            wait_minutes=row.wait_minutes,
        )
        for row in found
    ]


@router.get(
    "/schedules",
    response=list[ScheduleOut],
    auth=AUTH,
    summary="The schedules: one per provider per location, from their weekly templates",
)
def schedules(request: HttpRequest, query: Query[ScheduleQuery]) -> list[ScheduleOut]:
    user = acting_user(request)
    place, person = query.location, query.provider
    found = list_schedules(
        user=user,
        location=named("location", lambda: get_location(user=user, public_id=place))
        if place
        else None,
        provider=named("provider", lambda: get_provider(user=user, public_id=person))
        if person
        else None,
    )
    return [
        ScheduleOut(
            id=row.public_id,
            provider_id=row.provider.public_id,
            location_id=row.location.public_id,
            starts_on=horizon_start(row),
            ends_on=horizon_end(row),
            active=is_active(row),
        )
        for row in found
    ]
