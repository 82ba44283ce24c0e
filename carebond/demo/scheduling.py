"""The demo's schedule: visit types, a standard week for Dr Raman, Grace Owusu and Dr Bell at
the main clinic (a same-day hold in the afternoon, a lunch break), three weeks of past visits
(completed, no-shows, cancellations), today's visits as the front desk would see them (done,
in the waiting room, still to come; most of those to come confirmed) and two weeks booked ahead
through the booking action, with their reminders in the outbox (video visits remind 24 hours and
1 hour ahead, with the join link), and two patients' replies to their reminders ("C", "Sí")
taken through the text webhook's path, which confirms their visits; four visits patients booked
online this week (one by a parent for their child), for the front desk's "Online bookings"; and
a waitlist (scheduling_waitlist.py)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from carebond.accounts.models import User
from carebond.core import clock
from carebond.core.errors import CareBondError
from carebond.core.models import Location, Organization
from carebond.demo.fhir import SOURCE as EHR_SOURCE
from carebond.demo.noshow import build_noshow
from carebond.demo.people import DemoPeople
from carebond.demo.scheduling_waitlist import build_waitlist
from carebond.interop.importing import importer
from carebond.interop.models import ImportVia
from carebond.messaging.actions import pick_sender
from carebond.messaging.inbound_actions import do_receive_text
from carebond.people.models import ContactSystem, Person
from carebond.people.selectors import contact_address
from carebond.scheduling.absence_actions import check_add_absence
from carebond.scheduling.absence_selectors import visits_in_absence
from carebond.scheduling.actions import check_book_appointment, check_cancel_appointment
from carebond.scheduling.availability import first_available, location_zone
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    BlockKind,
    BookedVia,
    CancelledBy,
    PatientRule,
    ScheduleTemplate,
    SelfBooking,
    SelfBookingStatus,
    TemplateBlock,
    TemplateStatus,
    TypeProvider,
    VisitMode,
)

# (key, name, Spanish name, minutes, mode, patients, capacity)
TYPES = (
    (
        "follow-up",
        "Follow-up visit",
        "Consulta de seguimiento",
        20,
        VisitMode.IN_PERSON,
        PatientRule.ANY,
        1,
    ),
    (
        "new-patient",
        "New patient visit",
        "Primera consulta",
        40,
        VisitMode.IN_PERSON,
        PatientRule.NEW,
        1,
    ),
    (
        "physical",
        "Annual physical",
        "Examen físico anual",
        40,
        VisitMode.IN_PERSON,
        PatientRule.ANY,
        1,
    ),
    (
        "telehealth",
        "Telehealth follow-up",
        "Seguimiento por video",
        20,
        VisitMode.TELEHEALTH,
        PatientRule.ANY,
        1,
    ),
    (
        "diabetes-class",
        "Diabetes self-management class",
        "Clase de manejo de la diabetes",
        60,
        VisitMode.IN_PERSON,
        PatientRule.ANY,
        8,
    ),
)
PROVIDERS = ("Raman", "Owusu", "Bell")
CANCEL_REASONS = ("Feeling better", "Work conflict", "Childcare", "Transport fell through")


HALF_HOUR = timedelta(minutes=30)


def build_scheduling(
    organization: Organization,
    *,
    rng: random.Random,
    people: DemoPeople,
    users: dict[str, User],
    location: Location,
) -> None:
    if AppointmentType.objects.filter(organization=organization).exists():
        return  # built already: the demo is built once per database
    types = {
        key: AppointmentType.objects.create(
            organization=organization,
            key=key,
            name=name,
            name_es=name_es,
            duration_minutes=minutes,
            mode=mode,
            patients=patients,
            capacity=capacity,
            specialty="Family Medicine",
            min_notice_minutes=60,
            online=mode == VisitMode.IN_PERSON and capacity == 1,
            # A video visit's reminders: the day before, and an hour before with the link.
            reminder_hours=[24, 1] if mode == VisitMode.TELEHEALTH else [],
        )
        for key, name, name_es, minutes, mode, patients, capacity in TYPES
    }
    providers = [p for p in people.staff if p.family_name in PROVIDERS]
    zone = ZoneInfo(location.time_zone or organization.time_zone)
    today = clock.now().astimezone(zone).date()
    for provider in providers:
        _standard_week(provider, location, starts_on=today - timedelta(days=60))
        TypeProvider.objects.create(appointment_type=types["diabetes-class"], provider=provider)
    patients = [p for p in people.patients if p.status == "active"]
    rng.shuffle(patients)
    _past_visits(organization, rng, location, providers, types, patients[:60], today, zone)
    _today(organization, rng, location, providers, types, patients[60:75], today, zone)
    _from_the_ehr(organization, location, providers[0], patients[105:108], today, zone)
    _ahead(rng, location, providers, types, patients[75:105], users)
    _booked_online(location, providers, types, patients[105:109])
    build_noshow(
        organization,
        rng=rng,
        location=location,
        providers=providers,
        kind=types["follow-up"],
        patients=patients[:105],
        today=today,
        zone=zone,
        desk=users.get("frontdesk"),
    )
    build_waitlist(
        organization,
        location=location,
        providers=providers,
        types=types,
        patients=patients[40:55],  # (established patients who want an earlier visit)
        users=users,
    )
    # (the first four also have the class next week: their "C" would be asked "which visit?")
    _replies_to_reminders(organization, patients[79:105])
    _away_next_week(location, providers, users)


def _away_next_week(location: Location, providers: list[Person], users: dict[str, User]) -> None:
    """The second provider is away for a morning next week, over visits already booked: the
    desk's worklist to rebook them (the first already cancelled as the provider's)."""
    manager, desk = users.get("manager"), users.get("frontdesk")
    if manager is None or desk is None or len(providers) < 2:
        return
    provider = providers[1]
    booked = (
        Appointment.objects.filter(
            provider=provider,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=clock.now() + timedelta(days=5),
        )
        .order_by("starts_at")
        .first()
    )
    if booked is None:
        return
    zone = location_zone(location)
    day = booked.starts_at.astimezone(zone).date()
    absence = check_add_absence(
        location=location,
        provider=provider,
        starts_at=datetime.combine(day, time(8), tzinfo=zone),
        ends_at=datetime.combine(day, time(12, 30), tzinfo=zone),
        reason="Hospital committee",
        acting_user=manager,
    )
    first = visits_in_absence(absence, location).select_related("patient", "location").first()
    if first is not None:
        check_cancel_appointment(
            first, cancelled_by="provider", reason=absence.reason, acting_user=desk
        )


def _standard_week(provider: Person, location: Location, *, starts_on: date) -> None:
    template = ScheduleTemplate.objects.create(
        organization_id=provider.organization_id,
        provider=provider,
        location=location,
        name="Standard week",
        starts_on=starts_on,
        status=TemplateStatus.APPLIED,
    )
    blocks = (
        [(weekday, time(8, 30), time(12), BlockKind.OPEN, None) for weekday in range(5)]
        + [(weekday, time(12), time(13), BlockKind.BREAK, None) for weekday in range(5)]
        + [(weekday, time(13), time(16), BlockKind.OPEN, None) for weekday in range(5)]
        + [(weekday, time(16), time(17), BlockKind.HOLD, time(12)) for weekday in range(5)]
        + [(5, time(9), time(12), BlockKind.OPEN, None)]
    )  # Saturday mornings
    for weekday, starts, ends, kind, released in blocks:
        TemplateBlock.objects.create(
            organization_id=provider.organization_id,
            template=template,
            weekday=weekday,
            starts=starts,
            ends=ends,
            kind=kind,
            released_at=released,
        )


def _visit(
    organization: Organization,
    *,
    patient: Person,
    provider: Person,
    location: Location,
    kind: AppointmentType,
    starts_at: datetime,
    status: str,
    zone: ZoneInfo,
) -> Appointment:
    """A visit of the past or of this morning, written as it stands now (the booking path
    refuses times that have passed)."""
    return Appointment.objects.create(
        organization=organization,
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=starts_at,
        ends_at=starts_at + kind.duration,
        duration_minutes=kind.duration_minutes,
        time_zone=str(zone),
        status=status,
        group_key=f"demo-{patient.pk}-{starts_at:%Y%m%d%H%M}",
        booked_at=starts_at - timedelta(days=10),
    )


def _past_visits(
    organization: Organization,
    rng: random.Random,
    location: Location,
    providers: list[Person],
    types: dict[str, AppointmentType],
    patients: list[Person],
    today: date,
    zone: ZoneInfo,
) -> None:
    """Three weeks of weekdays: mostly completed, some no-shows and cancellations."""
    for n, patient in enumerate(patients):
        day = today - timedelta(days=1 + n % 21)
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        provider = providers[n % len(providers)]
        starts = datetime.combine(day, time(8, 30), tzinfo=zone) + timedelta(minutes=20 * (n % 9))
        roll = rng.random()
        status = (
            AppointmentStatus.NOSHOW
            if roll < 0.12
            else AppointmentStatus.CANCELLED
            if roll < 0.22
            else AppointmentStatus.FULFILLED
        )
        visit = _visit(
            organization,
            patient=patient,
            provider=provider,
            location=location,
            kind=types["follow-up" if n % 4 else "physical"],
            starts_at=starts,
            status=status,
            zone=zone,
        )
        if status == AppointmentStatus.FULFILLED:
            arrived = starts - timedelta(minutes=rng.randint(0, 10))
            roomed = starts + timedelta(minutes=rng.randint(2, 25))
            visit.arrived_at, visit.roomed_at = arrived, roomed
            visit.seen_at = roomed + timedelta(minutes=rng.randint(1, 8))
            visit.completed_at = visit.seen_at + timedelta(minutes=rng.randint(10, 25))
        elif status == AppointmentStatus.CANCELLED:
            visit.cancelled_by = rng.choice(
                [CancelledBy.PATIENT, CancelledBy.PATIENT, CancelledBy.PROVIDER]
            )
            visit.cancel_reason = rng.choice(CANCEL_REASONS)
            visit.cancelled_at = starts - timedelta(hours=rng.choice([2, 30, 72]))
            visit.late_cancellation = (
                visit.cancelled_by == CancelledBy.PATIENT
                and starts - visit.cancelled_at < timedelta(hours=24)
            )
        visit.save()


def _today(
    organization: Organization,
    rng: random.Random,
    location: Location,
    providers: list[Person],
    types: dict[str, AppointmentType],
    patients: list[Person],
    today: date,
    zone: ZoneInfo,
) -> None:
    """Today as the desk sees it: visits before now are done, the last few are in the waiting
    room or being seen, the rest are still to come."""
    now = clock.now()
    for n, patient in enumerate(patients):
        provider = providers[n % len(providers)]
        starts = datetime.combine(today, time(8, 30), tzinfo=zone) + timedelta(
            minutes=40 * (n // len(providers))
        )
        if starts < now - timedelta(minutes=60):
            status = AppointmentStatus.FULFILLED
        elif starts < now + timedelta(minutes=20):
            status = AppointmentStatus.ARRIVED
        else:
            status = AppointmentStatus.BOOKED
        visit = _visit(
            organization,
            patient=patient,
            provider=provider,
            location=location,
            kind=types["follow-up"],
            starts_at=starts,
            status=status,
            zone=zone,
        )
        if status == AppointmentStatus.BOOKED and n % 3:
            # Replied "C" to the reminder the day before (two in three do).
            visit.confirmed_at = now - timedelta(hours=18 + n % 5)
            visit.save(update_fields=["confirmed_at"])
        if status != AppointmentStatus.BOOKED:
            visit.arrived_at = min(now, starts - timedelta(minutes=rng.randint(0, 12)))
            if status == AppointmentStatus.FULFILLED or rng.random() < 0.5:
                visit.roomed_at = min(now, visit.arrived_at + timedelta(minutes=rng.randint(5, 20)))
            if status == AppointmentStatus.FULFILLED:
                visit.seen_at = visit.roomed_at
                visit.completed_at = (visit.roomed_at or now) + timedelta(
                    minutes=rng.randint(12, 25)
                )
            visit.save()


def _ahead(
    rng: random.Random,
    location: Location,
    providers: list[Person],
    types: dict[str, AppointmentType],
    patients: list[Person],
    users: dict[str, User],
) -> None:
    """The next two weeks, booked by the front desk through the real booking action (the
    schedule, the rules, the constraint, the reminders)."""
    desk = users.get("frontdesk")
    now = clock.now()
    for n, patient in enumerate(patients):
        kind = types["telehealth" if n % 5 == 0 else "follow-up"]
        found = first_available(
            location=location,
            providers=[providers[n % len(providers)]],
            appointment_type=kind,
            now=now + timedelta(days=1 + n % 13, hours=rng.randint(0, 6)),
            count=1,
        )
        if not found:
            continue
        try:
            check_book_appointment(
                patient,
                provider=providers[n % len(providers)],
                location=location,
                appointment_type=kind,
                starts_at=found[0].starts_at,
                acting_user=desk,
            )
        except CareBondError:
            continue  # a rule the demo's random pick broke: the next patient
    # And the diabetes class next week, half full: at the first time, as next week will see
    # it, that the booking rules accept today (a same-day hold is not open yet today).
    class_times = first_available(
        location=location,
        providers=providers[:1],
        appointment_type=types["diabetes-class"],
        now=now + timedelta(days=7),
        count=12,
    )
    for class_time in class_times:
        booked = 0
        for patient in patients[:4]:
            try:
                check_book_appointment(
                    patient,
                    provider=providers[0],
                    location=location,
                    appointment_type=types["diabetes-class"],
                    starts_at=class_time.starts_at,
                    acting_user=desk,
                )
            except CareBondError:
                continue
            booked += 1
        if booked:
            break


def _from_the_ehr(
    organization: Organization,
    location: Location,
    provider: Person,
    patients: list[Person],
    today: date,
    zone: ZoneInfo,
) -> None:
    """Tomorrow afternoon's visits booked in the hospital's EHR, sent to CareBond as FHIR
    Appointments (they point at the provider and patients by the ids /fhir/R4 serves); a
    second file books a third patient over one of them, and the import reports the conflict
    instead of double-booking."""
    if len(patients) < 3:
        return
    starts = datetime.combine(today + timedelta(days=1), time(17), tzinfo=zone)

    def booked(number: int, patient: Person, at: datetime) -> dict[str, object]:
        return {
            "resourceType": "Appointment",
            "id": f"ehr-appt-{number}",
            "identifier": [{"system": f"{EHR_SOURCE}/appointment", "value": f"A-{number:05d}"}],
            "status": "booked",
            "description": "Follow-up after the hospital stay",
            "start": at.isoformat(),
            "minutesDuration": 30,
            "participant": [
                {"actor": {"reference": f"Patient/{patient.public_id}"}, "status": "accepted"},
                {
                    "actor": {"reference": f"Practitioner/{provider.public_id}"},
                    "status": "accepted",
                },
                {"actor": {"reference": f"Location/{location.public_id}"}, "status": "accepted"},
            ],
        }

    def feed(*appointments: dict[str, object]) -> dict[str, object]:
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": a} for a in appointments],
        }

    first, second = booked(1, patients[0], starts), booked(2, patients[1], starts + HALF_HOUR)
    clash = booked(3, patients[2], starts + HALF_HOUR / 2)
    importer.import_documents(
        [
            ("appointments-tomorrow.json", feed(first, second)),
            ("appointments-late.json", feed(clash)),
        ],
        organization=organization,
        source_system=EHR_SOURCE,
        acting_user=None,
        via=ImportVia.API,
    )


def _booked_online(
    location: Location,
    providers: list[Person],
    types: dict[str, AppointmentType],
    patients: list[Person],
) -> None:
    """Visits patients booked themselves (the booking action, online: no rule overridden), the
    first by a parent, as the booking page records it."""
    now = clock.now()
    for n, patient in enumerate(patients):
        # times as they will look in a few days; the first the rules accept today is booked (a
        # same-day hold released on that day is not open yet)
        found = first_available(
            location=location,
            providers=[providers[n % len(providers)]],
            appointment_type=types["follow-up"],
            now=now + timedelta(days=3 + 2 * n),
            count=12,
        )
        appointment = None
        for time_found in found:
            try:
                appointment = check_book_appointment(
                    patient,
                    provider=providers[n % len(providers)],
                    location=location,
                    appointment_type=types["follow-up"],
                    starts_at=time_found.starts_at,
                    acting_user=None,
                    via=BookedVia.ONLINE,
                )
            except CareBondError:
                continue
            break
        if appointment is None:
            continue
        if n == 0:
            SelfBooking.objects.create(
                organization_id=appointment.organization_id,
                token=f"demo-{appointment.public_id}",
                appointment_type=appointment.appointment_type,
                provider=appointment.provider,
                location=location,
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                group_key=appointment.group_key,
                status=SelfBookingStatus.BOOKED,
                created_at=now,
                hold_expires_at=now,
                booked_at=now,
                client_key="demo",
                birth_date=patient.birth_date,
                caregiver_name="Marisol Ortega",
                caregiver_relationship="PRN",
                appointment=appointment,
            )


def _replies_to_reminders(organization: Organization, patients: list[Person]) -> None:
    """Two patients with a visit in the next three days answer their reminder by text, in
    English and in Spanish: the webhook's path confirms the visit and thanks them."""
    sender = pick_sender(organization.pk, channel="sms", purpose="appointment")
    if sender is None:
        return
    now = clock.now()
    soon = (
        Appointment.objects.filter(
            patient__in=patients,
            status=AppointmentStatus.BOOKED,
            starts_at__lt=now + timedelta(days=3),
        )
        .select_related("patient")
        .order_by("starts_at", "id")
    )
    for visit, word in zip(soon[:2], ("C", "Sí"), strict=False):
        number = contact_address(visit.patient, system=ContactSystem.PHONE)
        if number:
            do_receive_text(
                sender, from_number=number, body=word, provider_id=f"SMdemo-reply-{visit.pk}"
            )
