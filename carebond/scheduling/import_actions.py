"""Appointments imported from FHIR (another system booked them): written in the import's unit
transaction, matched to the appointment they became before (the import finds it by the
connection's source record or a business identifier), and held to the same rule as every
booking: the database refuses an overlap of a provider's, a room's or a patient's live
appointments. A conflict is never written over: the import's unit is rejected, naming the
resource and the appointment it overlaps. An appointment with none of the practice's providers
(a specialist elsewhere) is not in this schedule: it is skipped, with a note.

Imported appointments get no reminders from CareBond (the system that booked them sends its
own: two would confuse the patient) and no touchpoint (nothing happened between the patient
and the practice here; the visit itself arrives as an Encounter).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from carebond.audit.recording import record_audit
from carebond.core.fhir.type_module import ImportStamp, RowRefused, RowSkipped, RowToWrite
from carebond.core.models import Location, Organization
from carebond.people.models import Person, PersonKind
from carebond.scheduling.availability import group_key_for, location_zone
from carebond.scheduling.constraints import PATIENT_FREE, ROOM_FREE, SEAT, conflict_in
from carebond.scheduling.models import (
    LIVE_STATUSES,
    Appointment,
    AppointmentType,
    BookedVia,
    ScheduleTemplate,
    TemplateStatus,
    VisitMode,
)

# CareBond's visit types, by key, in FHIR (Appointment.serviceType, Slot.serviceType).
APPOINTMENT_TYPE_SYSTEM = "urn:carebond:appointment-type"
# The visit type of imported appointments whose type matches none of the practice's: never
# offered for booking (inactive); each appointment keeps its own duration.
IMPORTED_TYPE_KEY = "imported"
_WHOSE = {
    PATIENT_FREE: "the same patient",
    ROOM_FREE: "the same room",
    SEAT: "the same group visit's seat",
}


def imported_type(organization_id: int) -> AppointmentType:
    found, _ = AppointmentType.objects.get_or_create(
        organization_id=organization_id,
        key=IMPORTED_TYPE_KEY,
        defaults={"name": "Imported visit", "duration_minutes": 15, "active": False},
    )
    return found


def match_type(
    codes: list[tuple[str, str, str]], types: dict[str, AppointmentType], organization_id: int
) -> AppointmentType:
    """The practice's visit type a coding names: by key (CareBond's own system, as the facade
    writes it), else by name; else the imported-visit type."""
    for system, code, _ in codes:
        if system == APPOINTMENT_TYPE_SYSTEM and code in types:
            return types[code]
    by_name = {t.name.casefold(): t for t in types.values()}
    for _, _, display in codes:
        if display.casefold() in by_name:
            return by_name[display.casefold()]
    return types.get(IMPORTED_TYPE_KEY) or imported_type(organization_id)


def do_import_appointments(rows: list[RowToWrite], stamp: ImportStamp) -> list[int | RowSkipped]:
    """Write imported appointments, new or changed, in the import unit's transaction.
    Leaves out (``RowSkipped``, with the reason) an appointment with none of the practice's
    providers (one at another practice: not in this schedule) or whose place cannot be told;
    refuses (``RowRefused``: the unit is rejected, naming the row) one that overlaps another
    live appointment. Audit: appointment.imported or appointment.import_updated, the patient
    named. Returns each row's appointment id (or why it was left out)."""
    organization = Organization.objects.get(pk=stamp.organization_id)
    people = Person.objects.in_bulk(
        {r.patient_id for r in rows}
        | {r.ids["practitioner"] for r in rows if "practitioner" in r.ids}
    )
    places = _places(rows, people, stamp.organization_id)
    before = Appointment.objects.in_bulk([r.existing for r in rows if r.existing])
    types = {t.key: t for t in AppointmentType.objects.filter(organization=organization)}
    written: list[int | RowSkipped] = []
    for index, row in enumerate(rows):
        provider = people.get(row.ids.get("practitioner", 0))
        if provider is None or provider.kind != PersonKind.STAFF:
            written.append(RowSkipped("Appointment.participant", NOT_OURS))
            continue
        location = places.get(row.ids.get("location", 0)) or places.get(-provider.pk)
        if location is None:
            written.append(RowSkipped("Appointment.participant", NO_PLACE))
            continue
        appointment = before.get(row.existing or 0) or Appointment(
            organization=organization,
            booked_via=BookedVia.IMPORT,
            origin_id=row.origin_id[:100],
        )
        if row.public_id is not None and appointment._state.adding:
            appointment.public_id = row.public_id  # the FHIR id it had when kept whole
        kind = match_type(row.record.values["type_codes"], types, organization.pk)
        types.setdefault(kind.key, kind)
        _fill(appointment, row, kind, people[row.patient_id], provider, location, stamp)
        _save(appointment, index, kind)
        record_audit(
            actor=stamp.acting_user,
            action="appointment.import_updated" if row.existing else "appointment.imported",
            target=appointment,
            organization=organization,
            patient=appointment.patient,
        )
        written.append(appointment.pk)
    return written


NOT_OURS = (
    "none of the practice's providers takes part (an appointment elsewhere, or a practitioner "
    "CareBond does not know as staff); it is not in the practice's schedule: skipped"
)
NO_PLACE = (
    "no location is named and the provider's schedule is at more than one: skipped (name the "
    "location in the appointment's participants)"
)


def _places(
    rows: list[RowToWrite], people: dict[int, Person], organization_id: int
) -> dict[int, Location]:
    """The locations named, by id; and for appointments that name none, the place of the
    provider's schedule (when it has exactly one), under minus the provider's id."""
    named = Location.objects.select_related("organization").in_bulk(
        {r.ids["location"] for r in rows if "location" in r.ids}
    )
    named = {pk: place for pk, place in named.items() if place.organization_id == organization_id}
    unnamed = {
        r.ids["practitioner"] for r in rows if "location" not in r.ids and "practitioner" in r.ids
    }
    if unnamed:
        at: dict[int, set[int]] = {}
        for provider_id, location_id in ScheduleTemplate.objects.filter(
            provider_id__in=unnamed, status=TemplateStatus.APPLIED
        ).values_list("provider_id", "location_id"):
            at.setdefault(provider_id, set()).add(location_id)
        single = {p: next(iter(ls)) for p, ls in at.items() if len(ls) == 1}
        found = Location.objects.select_related("organization").in_bulk(set(single.values()))
        named.update({-p: found[loc] for p, loc in single.items()})
    return named


def _fill(
    appointment: Appointment,
    row: RowToWrite,
    kind: AppointmentType,
    patient: Person,
    provider: Person,
    location: Location,
    stamp: ImportStamp,
) -> None:
    values: dict[str, Any] = row.record.values
    starts_at: datetime = values["starts_at"]
    appointment.patient, appointment.provider, appointment.location = patient, provider, location
    appointment.appointment_type = kind
    appointment.starts_at, appointment.ends_at = starts_at, values["ends_at"]
    appointment.duration_minutes = max(
        1, round((values["ends_at"] - starts_at).total_seconds() / 60)
    )
    appointment.time_zone = values["time_zone"] or str(location_zone(location))
    appointment.status = values["status"]
    appointment.reason = values["reason"]
    appointment.cancel_reason = values["cancel_reason"][:300]
    booked_on = values["booked_on"]
    appointment.booked_at = (
        datetime.combine(booked_on, time.min, tzinfo=starts_at.tzinfo) if booked_on else stamp.now
    )
    if kind.mode == VisitMode.TELEHEALTH and not appointment.telehealth_token:
        appointment.telehealth_token = secrets.token_urlsafe(24)
    # Provenance: which system, when and in which run (a re-import moves them on).
    appointment.origin_system = appointment.origin_system or stamp.origin_system
    appointment.imported_at, appointment.import_run = stamp.now, stamp.import_run


def _save(appointment: Appointment, index: int, kind: AppointmentType) -> None:
    """Written in a savepoint, so that an overlap the database refuses is told apart from
    any other error and named; the unit is then rejected whole."""
    group = group_key_for(kind, appointment.starts_at)
    if group is None:
        if not appointment.group_key or ":" in appointment.group_key:
            appointment.group_key = uuid.uuid4().hex  # a one-to-one visit is its own group
    elif group != appointment.group_key:
        appointment.group_key = group
        taken = set(
            Appointment.objects.filter(
                provider=appointment.provider, group_key=group, status__in=LIVE_STATUSES
            )
            .exclude(pk=appointment.pk)
            .values_list("seat", flat=True)
        )
        appointment.seat = next(s for s in range(1, len(taken) + 2) if s not in taken)
        if appointment.seat > kind.capacity and appointment.status in LIVE_STATUSES:
            raise RowRefused(index, "Appointment.start", "the group visit is full")
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        broken = conflict_in(error)
        if broken is None:
            raise
        raise RowRefused(index, "Appointment.start", _overlap(appointment, broken)) from None


def _overlap(appointment: Appointment, broken: str) -> str:
    """Which live appointment it overlaps (its CareBond id, never a value from the file)."""
    whose = _WHOSE.get(broken, "the same provider")
    same = {
        PATIENT_FREE: Q(patient=appointment.patient),
        ROOM_FREE: Q(room=appointment.room),
    }.get(broken, Q(provider=appointment.provider))
    other = (
        Appointment.objects.filter(
            same,
            status__in=LIVE_STATUSES,
            starts_at__lt=appointment.ends_at,
            ends_at__gt=appointment.starts_at,
        )
        .exclude(pk=appointment.pk)
        .values_list("public_id", flat=True)
        .first()
    )
    named = f" (appointment {other})" if other else ""
    return (
        f"overlaps another live appointment of {whose}{named}; CareBond never books two at "
        "once, so nothing of this Bundle was imported: cancel or move one of them, then "
        "import again"
    )
