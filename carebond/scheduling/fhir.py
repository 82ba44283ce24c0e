"""Appointments, schedules and slots in FHIR R4.

- ``Appointment``: every appointment (booked here, online, through the API or imported), read,
  searched and exported; imported Appointments become appointments (the import resolves their
  patient, practitioner and location; ``import_actions.do_import_appointments`` writes them).
- ``Schedule``: one per provider per location, from the provider's weekly templates there. Its
  id is that of the provider's first template at the location, so it stays the same as
  templates are added and replaced.
- ``Slot``: the open times, worked out when asked for (``availability.open_times``), one slot
  per open start and visit type; never stored, so never exported. A slot's id says which
  schedule, type and start it is, so it can be read back while it is still open.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q, QuerySet

from carebond.core import clock
from carebond.core.dates import RECORD_DATES
from carebond.core.fhir.building import (
    FhirResource,
    compact,
    concept,
    date_text,
    instant,
    meta,
    new_resource,
)
from carebond.core.fhir.parsing import (
    MappingError,
    NotImported,
    Ref,
    as_list,
    as_object,
    business_identifiers,
    parse_date,
    parse_datetime,
    reference,
    text,
)
from carebond.core.fhir.search import (
    ID_PARAM,
    InvalidSearch,
    SearchParam,
    date_filter,
    date_range,
    one_of,
    param,
    reference_ids,
    split_token,
)
from carebond.core.fhir.type_module import (
    ComputedResources,
    FhirRows,
    FhirTypeModule,
    RowRecord,
    RowWriter,
    SearchFilters,
)
from carebond.core.models import Location
from carebond.people.fhir import patient_params, person_reference
from carebond.scheduling.access import SCHEDULERS
from carebond.scheduling.availability import OpenTime, location_zone, open_times
from carebond.scheduling.import_actions import APPOINTMENT_TYPE_SYSTEM, do_import_appointments
from carebond.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    TypeProvider,
)
from carebond.scheduling.schedules import horizon_end, horizon_start, is_active, schedule_rows

# FHIR's core extension for the time zone an appointment was booked in (IANA name).
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
# Requests for an appointment, not bookings: they have no place in the schedule.
_REQUESTS = ("proposed", "waitlist")
# The longest appointment an import takes (the duration is stored in minutes).
_LONGEST = timedelta(days=7)


# --- Appointment: reading (the import) --------------------------------------------------------


def _participants(resource: dict[str, Any]) -> tuple[dict[str, Ref], list[Ref]]:
    """The first actor of each kind: the patient, the practitioner (the attender first, as
    participant.type says), the location; and the actors whose reference does not say its type
    (``urn:uuid:``), which the import places once it knows what they are."""
    path = "Appointment.participant"
    found: dict[str, Ref] = {}
    untyped: list[Ref] = []
    attender: Ref | None = None
    for n, participant in enumerate(as_list(resource.get("participant"), path)):
        entry = as_object(participant, f"{path}[{n}]")
        actor = reference(entry.get("actor"), f"{path}[{n}].actor")
        if actor is None:
            continue
        kind = {"Patient": "patient", "Practitioner": "practitioner", "Location": "location"}.get(
            actor.target_type
        )
        if kind is not None:
            found.setdefault(kind, actor)
        elif not actor.target_type and not actor.reference.startswith("#"):
            untyped.append(actor)
        codes = {
            text(coding.get("code"), f"{path}[{n}].type.coding.code")
            for role in as_list(entry.get("type"), f"{path}[{n}].type")
            for coding in as_list(as_object(role, f"{path}[{n}].type").get("coding"), path)
            if isinstance(coding, dict)
        }
        if kind == "practitioner" and attender is None and codes & {"ATND", "PPRF", "PART"}:
            attender = actor
    if attender is not None:
        found["practitioner"] = attender
    return found, untyped


def _codes(resource: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(system, code, display) of every serviceType and appointmentType coding: what the
    import matches a visit type by."""
    path = "Appointment"
    concepts = [*as_list(resource.get("serviceType"), f"{path}.serviceType")]
    if resource.get("appointmentType") is not None:
        concepts.append(resource["appointmentType"])
    found = []
    for n, item in enumerate(concepts):
        value = as_object(item, f"{path}.serviceType[{n}]")
        for coding in as_list(value.get("coding"), f"{path}.serviceType[{n}].coding"):
            coding = as_object(coding, f"{path}.serviceType[{n}].coding")
            found.append(
                (
                    text(coding.get("system"), f"{path}.serviceType.coding.system", 200),
                    text(coding.get("code"), f"{path}.serviceType.coding.code", 60),
                    text(coding.get("display"), f"{path}.serviceType.coding.display", 120),
                )
            )
        if value.get("text"):
            found.append(("", "", text(value["text"], f"{path}.serviceType.text", 120)))
    return found


def _words(value: Any, path: str) -> str:
    """A CodeableConcept as words: its text, else its first coding's display."""
    concept_ = as_object(value, path)
    codings = as_list(concept_.get("coding"), f"{path}.coding")
    first = as_object(codings[0], f"{path}.coding[0]") if codings else {}
    return text(concept_.get("text") or first.get("display"), path, 300)


def _time_zone(resource: dict[str, Any]) -> str:
    for n, extension in enumerate(as_list(resource.get("extension"), "Appointment.extension")):
        extension = as_object(extension, f"Appointment.extension[{n}]")
        if extension.get("url") == TIMEZONE_EXTENSION:
            zone = text(extension.get("valueCode"), f"Appointment.extension[{n}].valueCode", 64)
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise MappingError(
                    f"Appointment.extension[{n}].valueCode", "is not a known time zone"
                ) from error
            return zone
    return ""


def _when(resource: dict[str, Any]) -> tuple[datetime, datetime]:
    path = "Appointment"
    starts_at = parse_datetime(resource["start"], f"{path}.start")
    if RECORD_DATES.problem(starts_at) is not None:
        raise MappingError(f"{path}.start", f"is outside {RECORD_DATES.describe()}")
    if resource.get("end"):
        ends_at = parse_datetime(resource["end"], f"{path}.end")
    elif isinstance(resource.get("minutesDuration"), int) and resource["minutesDuration"] > 0:
        ends_at = starts_at + timedelta(minutes=min(resource["minutesDuration"], 10_080))
    else:
        raise MappingError(f"{path}.end", "a start needs an end (or minutesDuration)")
    if ends_at <= starts_at:
        raise MappingError(f"{path}.end", "is not after the start")
    if ends_at - starts_at > _LONGEST:
        raise MappingError(f"{path}.end", "the appointment is longer than seven days")
    return starts_at, ends_at


def appointment_from_fhir(resource: dict[str, Any]) -> RowRecord:
    """An imported Appointment as the appointment it becomes: a booking with a time, a patient,
    a practitioner and (usually) a location. A request without a time (proposed, waitlist, or
    no start) is skipped with a note: it has no place in the schedule; so is one with none of
    the practice's providers (the writer says so)."""
    path = "Appointment"
    status = text(resource.get("status"), f"{path}.status", 40)
    if status in _REQUESTS or not resource.get("start"):
        raise NotImported(
            f"{path}.start",
            "an appointment request without a booked time (proposed, waitlist or no start) "
            "has no place in the schedule; skipped",
        )
    if status not in AppointmentStatus.values:
        raise MappingError(f"{path}.status", "is not an Appointment status")
    starts_at, ends_at = _when(resource)
    actors, untyped = _participants(resource)
    if "patient" not in actors and not untyped:
        raise MappingError(f"{path}.participant", "no participant is a patient")
    reasons = [
        _words(item, f"{path}.reasonCode[{n}]")
        for n, item in enumerate(as_list(resource.get("reasonCode"), f"{path}.reasonCode"))
    ]
    created = parse_date(resource.get("created"), f"{path}.created")
    return RowRecord(
        patient=actors.pop("patient", None),
        refs=actors,
        untyped=untyped,
        person="practitioner",
        values={
            "status": status,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "time_zone": _time_zone(resource),
            "type_codes": _codes(resource),
            "reason": "; ".join(r for r in reasons if r)
            or text(resource.get("description"), f"{path}.description", 1000),
            "cancel_reason": _words(resource.get("cancelationReason"), f"{path}.cancelationReason")
            if resource.get("cancelationReason")
            else "",
            "booked_on": created,
        },
        identifiers=business_identifiers(resource, path),
    )


# --- Appointment: writing (the facade and the export) ------------------------------------------


def _place(location: Location) -> dict[str, str]:
    return {"reference": f"Location/{location.public_id}", "display": location.name}


def _participant(actor: dict[str, str] | None, role: str = "") -> dict[str, Any] | None:
    if actor is None:
        return None
    found: dict[str, Any] = {"actor": actor, "required": "required", "status": "accepted"}
    if role:
        found["type"] = [concept(PARTICIPATION_TYPE, role)]
    return found


def type_concept(appointment_type: AppointmentType) -> dict[str, Any]:
    return concept(APPOINTMENT_TYPE_SYSTEM, appointment_type.key, appointment_type.name)


def appointment_to_fhir(appointment: Appointment) -> FhirResource:
    """One appointment: its status, time (with the time zone it was booked in), type, the
    patient, the provider and the place, and why it was cancelled."""
    kind = appointment.appointment_type
    resource = new_resource(
        "Appointment",
        appointment.public_id,
        meta(
            origin_system=appointment.origin_system,
            last_updated=appointment.imported_at or appointment.booked_at,
        ),
    )
    participants = [
        _participant(person_reference(appointment.patient)),
        _participant(person_reference(appointment.provider), "ATND"),
        _participant(_place(appointment.location)),
    ]
    resource.update(
        {
            "extension": [{"url": TIMEZONE_EXTENSION, "valueCode": appointment.time_zone}]
            if appointment.time_zone
            else None,
            "status": appointment.status,
            "cancelationReason": {"text": appointment.cancel_reason}
            if appointment.cancel_reason
            else None,
            "serviceType": [type_concept(kind)],
            "specialty": [{"text": kind.specialty}] if kind.specialty else None,
            "reasonCode": [{"text": appointment.reason}] if appointment.reason else None,
            "start": instant(appointment.starts_at),
            "end": instant(appointment.ends_at),
            "minutesDuration": appointment.duration_minutes,
            "created": instant(appointment.booked_at),
            "participant": [p for p in participants if p],
        }
    )
    return compact(resource)


def appointment_rows(organization_id: int) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(organization_id=organization_id)
        .select_related("patient", "provider", "location", "appointment_type")
        .order_by("pk")
    )


def _references_to(field_name: str, resource_type: str) -> Any:
    def build(organization_id: int, modifier: str, values: list[str]) -> Q:
        return Q(**{f"{field_name}__public_id__in": reference_ids(values, resource_type)})

    return build


APPOINTMENT_PARAMS: tuple[SearchParam, ...] = (
    ID_PARAM,
    *patient_params("patient"),
    param(
        "practitioner",
        "reference",
        "The provider: Practitioner/<id> or <id>.",
        _references_to("provider", "Practitioner"),
    ),
    param(
        "location",
        "reference",
        "The place: Location/<id> or <id>.",
        _references_to("location", "Location"),
    ),
    param(
        "date",
        "date",
        "The day it starts (UTC), e.g. ge2026-03-02.",
        date_filter("starts_at__date", "date"),
    ),
    param(
        "status",
        "token",
        "booked, pending, arrived, checked-in, fulfilled, cancelled, noshow, entered-in-error.",
        one_of("status", list(AppointmentStatus.values), "status"),
    ),
)


# --- Schedule: a provider's weeks at one location -----------------------------------------------


def schedule_to_fhir(row: Any) -> FhirResource:
    """A provider's schedule at a location: active while a template is in force or ahead."""
    end = horizon_end(row)
    resource = new_resource("Schedule", row.public_id, {})
    resource.update(
        {
            "active": is_active(row),
            "actor": [person_reference(row.provider), _place(row.location)],
            "planningHorizon": compact(
                {"start": date_text(horizon_start(row)), "end": date_text(end)}
            ),
            "comment": f"{row.provider.display_name}'s weekly schedule at {row.location.name}",
        }
    )
    return compact(resource)


def _by_actor(organization_id: int, modifier: str, values: list[str]) -> Q:
    return Q(provider__public_id__in=reference_ids(values, "Practitioner")) | Q(
        location__public_id__in=reference_ids(values, "Location")
    )


SCHEDULE_PARAMS = (
    ID_PARAM,
    param(
        "actor",
        "reference",
        "The provider or the place: Practitioner/<id>, Location/<id>.",
        _by_actor,
    ),
)


# --- Slot: open times, worked out when asked for -----------------------------------------------

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
SLOT_STATUSES = ("busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error")
# The longest stretch one slot search covers (open times are computed, not read).
MAX_SLOT_DAYS = 31
DEFAULT_SLOT_DAYS = 7


def _short(value: uuid.UUID) -> str:
    number, digits = value.int, ""
    while number:
        number, rest = divmod(number, 62)
        digits = _DIGITS[rest] + digits
    return digits or "0"


def _long(value: str) -> uuid.UUID | None:
    number = 0
    for digit in value:
        if digit not in _DIGITS:
            return None
        number = number * 62 + _DIGITS.index(digit)
    return uuid.UUID(int=number) if number < 2**128 else None


def slot_id(schedule_id: uuid.UUID, type_id: uuid.UUID, starts_at: datetime) -> str:
    """'<schedule>.<visit type>.<start in UTC>': at most 58 characters (a FHIR id takes 64)."""
    moment = starts_at.astimezone(UTC)
    return f"{_short(schedule_id)}.{_short(type_id)}.{moment:%Y%m%d%H%M}"


@dataclass(frozen=True)
class _SlotId:
    schedule: uuid.UUID
    appointment_type: uuid.UUID
    starts_at: datetime


def _read_slot_id(value: str) -> _SlotId | None:
    parts = value.strip().split(".")
    if len(parts) != 3:
        return None
    schedule, kind = _long(parts[0]), _long(parts[1])
    try:
        starts_at = datetime.strptime(parts[2], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    if RECORD_DATES.problem(starts_at.date()):
        return None
    if schedule is None or kind is None:
        return None
    return _SlotId(schedule, kind, starts_at)


@dataclass
class _SlotSearch:
    """What a Slot search asks for, from its checked filters."""

    schedules: set[uuid.UUID] | None = None
    types: set[str] | None = None  # visit type keys
    ids: list[_SlotId] | None = None
    first: date | None = None
    last: date | None = None
    free: bool = True


def _narrow(current: set[Any] | None, wanted: set[Any]) -> set[Any]:
    return wanted if current is None else current & wanted


def _slot_search(filters: SearchFilters) -> _SlotSearch:
    search = _SlotSearch()
    for name, _, values in filters:
        if name == "_id":
            found = [s for s in (_read_slot_id(v) for v in values) if s is not None]
            search.ids = found if search.ids is None else [s for s in search.ids if s in found]
        elif name == "schedule":
            search.schedules = _narrow(search.schedules, set(reference_ids(values, "Schedule")))
        elif name == "service-type":
            keys = set()
            for value in values:
                system, code = split_token(value.strip())
                if system in (None, APPOINTMENT_TYPE_SYSTEM):
                    keys.add(code)
            search.types = _narrow(search.types, keys)
        elif name == "status":
            unknown = sorted({v.strip() for v in values} - set(SLOT_STATUSES))
            if unknown:
                raise InvalidSearch(
                    f"'status' takes one of {', '.join(SLOT_STATUSES)}; {unknown[0][:40]!r} is "
                    "not one.",
                    field="status",
                )
            search.free = search.free and "free" in {v.strip() for v in values}
        elif name == "start":
            _start_bounds(search, values)
    return search


def _start_bounds(search: _SlotSearch, values: list[str]) -> None:
    """``start`` as a range of days (each in the location's time zone): eq, ge, gt, le, lt."""
    if len(values) > 1:
        raise InvalidSearch(
            "'start' takes one value per parameter (repeat it for a range).", field="start"
        )
    prefix, first, last = date_range(values[0], "start")
    for day in (first, last):  # (checked before any arithmetic on them: year 1 or 9999)
        if RECORD_DATES.problem(day):
            raise InvalidSearch(
                f"'start' is out of range: {RECORD_DATES.describe()}.", field="start"
            )
    if prefix == "ne":
        raise InvalidSearch("'start' takes eq, ge, gt, le or lt (not ne).", field="start")
    low = {"eq": first, "ge": first, "gt": last + timedelta(days=1)}.get(prefix)
    high = {"eq": last, "le": last, "lt": first - timedelta(days=1)}.get(prefix)
    if low is not None:
        search.first = max(search.first or low, low)
    if high is not None:
        search.last = min(search.last or high, high)


def _days(search: _SlotSearch, today: date) -> tuple[date, date]:
    first = search.first or max(
        today, (search.last or today) - timedelta(days=DEFAULT_SLOT_DAYS - 1)
    )
    last = search.last or first + timedelta(days=DEFAULT_SLOT_DAYS - 1)
    if (last - first).days >= MAX_SLOT_DAYS:
        raise InvalidSearch(
            f"A Slot search covers at most {MAX_SLOT_DAYS} days: narrow 'start' "
            "(e.g. start=ge2026-03-02&start=le2026-03-08).",
            field="start",
        )
    return first, last


def find_slots(organization_id: int, filters: SearchFilters) -> list[FhirResource]:
    """Every free slot the search asks for, in time order: per schedule and visit type its
    provider offers, the open times within the days asked for (a week from today without
    ``start``), within the types' booking rules."""
    search = _slot_search(filters)
    if not search.free or search.ids == []:
        return []
    schedules = schedule_rows(organization_id)
    if search.ids is not None:
        search.schedules = _narrow(search.schedules, {s.schedule for s in search.ids})
    if search.schedules is not None:
        schedules = schedules.filter(public_id__in=search.schedules)
    types = AppointmentType.objects.filter(organization_id=organization_id, active=True)
    if search.types is not None:
        types = types.filter(key__in=search.types)
    if search.ids is not None:
        types = types.filter(public_id__in={s.appointment_type for s in search.ids})
    kinds = list(types.order_by("key"))
    offered = defaultdict(set)
    for type_id, provider_id in TypeProvider.objects.filter(appointment_type__in=kinds).values_list(
        "appointment_type_id", "provider_id"
    ):
        offered[type_id].add(provider_id)
    now = clock.now()
    by_location: dict[int, list[Any]] = defaultdict(list)
    for schedule in schedules:
        by_location[schedule.location_id].append(schedule)
    found: list[tuple[datetime, str, FhirResource]] = []
    for rows in by_location.values():
        location = rows[0].location
        zone = location_zone(location)
        if search.ids is not None:  # a read: the days of the slots named
            days = {s.starts_at.astimezone(zone).date() for s in search.ids}
            first, last = min(days), max(days)
            if (last - first).days >= MAX_SLOT_DAYS:  # open times are computed day by day
                raise InvalidSearch(
                    f"'_id' names slots at most {MAX_SLOT_DAYS} days apart.", field="_id"
                )
        else:
            first, last = _days(search, now.astimezone(zone).date())
        by_provider = {row.provider_id: row for row in rows}
        for kind in kinds:
            providers = [
                row.provider
                for row in rows
                if not offered[kind.pk] or row.provider_id in offered[kind.pk]
            ]
            if not providers:
                continue
            for open_time in open_times(
                location=location,
                providers=providers,
                appointment_type=kind,
                first_day=first,
                last_day=last,
                now=now,
            ):
                schedule = by_provider[open_time.provider_id]
                resource = slot_to_fhir(schedule.public_id, kind, open_time)
                found.append((open_time.starts_at, resource["id"], resource))
    wanted = {slot_id(s.schedule, s.appointment_type, s.starts_at) for s in search.ids or []}
    return [
        resource
        for _, fhir_id, resource in sorted(found, key=lambda f: (f[0], f[1]))
        if search.ids is None or fhir_id in wanted
    ]


def slot_to_fhir(
    schedule_id: uuid.UUID, appointment_type: AppointmentType, open_time: OpenTime
) -> FhirResource:
    """A free start for one visit type in a schedule (a group visit says how many seats are
    left)."""
    resource = new_resource(
        "Slot", slot_id(schedule_id, appointment_type.public_id, open_time.starts_at), {}
    )
    resource.update(
        {
            "serviceType": [type_concept(appointment_type)],
            "schedule": {"reference": f"Schedule/{schedule_id}"},
            "status": "free",
            "start": instant(open_time.starts_at),
            "end": instant(open_time.ends_at),
            "comment": f"{open_time.seats_left} seats left"
            if appointment_type.capacity > 1
            else None,
        }
    )
    return compact(resource)


SLOT_PARAMS = (
    param("_id", "token", "The slot's id (as a search returned it).", None),
    param("schedule", "reference", "The schedule: Schedule/<id> or <id>.", None),
    param(
        "start",
        "date",
        "The days it starts on, in the location's time zone (eq, ge, gt, le, lt; at most "
        f"{MAX_SLOT_DAYS} days; a week from today when not given).",
        None,
    ),
    param("status", "token", "free (open times are the free slots; nothing else is served).", None),
    param(
        "service-type",
        "token",
        f"The visit type: {APPOINTMENT_TYPE_SYSTEM}|<key> or <key>.",
        None,
    ),
)


FHIR_TYPES = (
    FhirTypeModule(
        "Appointment",
        read=appointment_from_fhir,
        writer=RowWriter("appointment", Appointment, "patient", do_import_appointments),
        sources=(
            FhirRows(
                appointment_rows,
                appointment_to_fhir,
                params=APPOINTMENT_PARAMS,
                patient_of=lambda appointment: appointment.patient,
            ),
        ),
        policy=SCHEDULERS,
        documentation="Appointments: booked in CareBond or imported (matched by identifier).",
        export_rank=62,
    ),
    FhirTypeModule(
        "Schedule",
        sources=(FhirRows(schedule_rows, schedule_to_fhir, params=SCHEDULE_PARAMS),),
        policy=SCHEDULERS,
        documentation="One per provider per location, from the provider's weekly templates.",
    ),
    FhirTypeModule(
        "Slot",
        computed=ComputedResources(find_slots, SLOT_PARAMS),
        policy=SCHEDULERS,
        documentation="Free slots: open times per visit type, computed when asked for.",
    ),
)
