"""Encounter: a visit or telehealth visit on a patient's timeline. What the EHR sent with an
imported visit (class, type, status, end) is kept with it and goes back out as it came. An
encounter with no start time cannot be placed on a timeline, so it is kept whole instead."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource, coding, compact, concept, meta, new_resource
from carebond.core.fhir.parsing import (
    MappingError,
    as_list,
    as_object,
    business_identifiers,
    first_coding,
    parse_datetime,
    reference,
    text,
)
from carebond.core.fhir.search import ID_PARAM
from carebond.core.fhir.systems import V3_ACT_CODE, V3_PARTICIPATION_TYPE
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.interop.models import StoredResource
from carebond.interop.resources.kept_whole import map_stored, stored_resource_to_fhir, stored_rows
from carebond.interop.resources.records import StoredRecord, TouchpointRecord
from carebond.interop.resources.timeline import touchpoint_rows
from carebond.people.fhir import patient_params, person_if_patient, person_reference
from carebond.people.models import PersonKind
from carebond.touchpoints.models import Touchpoint, TouchpointChannel, TouchpointKind

ENCOUNTER_KINDS = (TouchpointKind.VISIT, TouchpointKind.TELEHEALTH)
_ENCOUNTER_CHANNEL = {
    "VR": (TouchpointKind.TELEHEALTH, TouchpointChannel.VIDEO),
    "HH": (TouchpointKind.VISIT, TouchpointChannel.IN_PERSON),
}
_ENCOUNTER_STATUSES = {
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
}

# --- reading from FHIR ----------------------------------------------------------------------


def map_encounter(resource: dict[str, Any]) -> TouchpointRecord | StoredRecord:
    """A visit on the timeline; an encounter with no start time (planned, or sent without a
    period) cannot be placed on one, so it is kept whole instead."""
    path = "Encounter"
    if not as_object(resource.get("period"), f"{path}.period").get("start"):
        return map_stored(resource)
    patient = reference(resource.get("subject"), f"{path}.subject", type_hint="Patient")
    if patient is None:
        raise MappingError(f"{path}.subject", "a visit needs the patient (Encounter.subject)")
    period = as_object(resource.get("period"), f"{path}.period")
    start = parse_datetime(period["start"], f"{path}.period.start")
    details: dict[str, Any] = {"status": text(resource.get("status"), f"{path}.status")}
    if period.get("end"):
        end = parse_datetime(period["end"], f"{path}.period.end")
        if end < start:
            raise MappingError(f"{path}.period.end", "the visit ends before it starts")
        details["end"] = end.isoformat()
    encounter_class = as_object(resource.get("class"), f"{path}.class")
    if encounter_class:
        details["class"] = {
            k: text(encounter_class.get(k), f"{path}.class.{k}")
            for k in ("system", "code", "display")
            if encounter_class.get(k)
        }
    types = [
        first_coding(t, f"{path}.type[{n}]")
        for n, t in enumerate(as_list(resource.get("type"), f"{path}.type"))
    ]
    if types:
        details["type"] = types
    kind, channel = _ENCOUNTER_CHANNEL.get(
        details.get("class", {}).get("code", ""),
        (TouchpointKind.VISIT, TouchpointChannel.IN_PERSON),
    )
    staff = None
    for n, participant in enumerate(as_list(resource.get("participant"), f"{path}.participant")):
        staff = reference(
            as_object(participant, f"{path}.participant[{n}]").get("individual"),
            f"{path}.participant[{n}].individual",
            type_hint="Practitioner",
        )
        if staff is not None:
            break
    location = None
    for n, item in enumerate(as_list(resource.get("location"), f"{path}.location")):
        location = reference(
            as_object(item, f"{path}.location[{n}]").get("location"),
            f"{path}.location[{n}].location",
            type_hint="Location",
        )
        if location is not None:
            break
    reasons = [
        first_coding(r, f"{path}.reasonCode[{n}]")["display"]
        for n, r in enumerate(as_list(resource.get("reasonCode"), f"{path}.reasonCode"))
    ]
    return TouchpointRecord(
        patient=patient,
        kind=kind,
        channel=channel,
        direction="inbound",
        occurred_at=start,
        moment_of_truth="clinical_care",
        staff=staff,
        location=location,
        outcome=(types[0]["display"] if types else "")[:200],
        summary="; ".join(r for r in reasons if r),
        details=details,
        identifiers=business_identifiers(resource, path),
    )


# --- writing to FHIR ------------------------------------------------------------------------


def _clean_coding(value: Any) -> dict[str, str] | None:
    """A coding an EHR sent (kept in Touchpoint.details), reduced to its valid string parts."""
    if not isinstance(value, dict):
        return None
    found = {
        k: v
        for k, v in value.items()
        if k in {"system", "code", "display", "version"} and isinstance(v, str) and v.strip()
    }
    return found if "code" in found or "display" in found else None


def _clean_concepts(value: Any) -> list[dict[str, Any]]:
    concepts: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and "coding" in item:
            codings = [c for c in map(_clean_coding, item.get("coding") or []) if c]
            written = item.get("text") if isinstance(item.get("text"), str) else ""
            found = compact({"coding": codings, "text": written})
        else:
            cleaned = _clean_coding(item)
            found = {"coding": [cleaned]} if cleaned else {}
        if found:
            concepts.append(found)
    return concepts


def _parses_as_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def encounter_to_fhir(touchpoint: Touchpoint) -> FhirResource:
    """A visit or telehealth touchpoint of a patient. What the EHR sent (class, type, status,
    end, in ``details``) goes back out as it came; otherwise class comes from the kind."""
    details = touchpoint.details if isinstance(touchpoint.details, dict) else {}
    default_class = (
        coding(V3_ACT_CODE, "VR", "virtual")
        if touchpoint.kind == TouchpointKind.TELEHEALTH
        else coding(V3_ACT_CODE, "AMB", "ambulatory")
    )
    status = details.get("status")
    period: dict[str, str] = {"start": touchpoint.occurred_at.isoformat()}
    if _parses_as_datetime(details.get("end")):
        period["end"] = details["end"]
    resource = new_resource(
        "Encounter",
        touchpoint.public_id,
        meta(origin_system=touchpoint.origin_system, last_updated=touchpoint.recorded_at),
    )
    participant = person_reference(touchpoint.staff)
    resource.update(
        {
            "status": status if status in _ENCOUNTER_STATUSES else "finished",
            "class": _clean_coding(details.get("class")) or default_class,
            "type": _clean_concepts(details.get("type")),
            "subject": person_reference(touchpoint.person),
            "participant": [
                {
                    "type": [concept(V3_PARTICIPATION_TYPE, "PPRF", "primary performer")],
                    "individual": participant,
                }
            ]
            if participant
            else [],
            "period": period,
            "location": [{"location": {"reference": f"Location/{touchpoint.location.public_id}"}}]
            if touchpoint.location is not None
            else [],
        }
    )
    return compact(resource)


def encounter_rows(organization_id: int) -> QuerySet[Touchpoint]:
    return touchpoint_rows(organization_id, ENCOUNTER_KINDS).filter(person__kind=PersonKind.PATIENT)


def kept_encounter_rows(organization_id: int) -> QuerySet[StoredResource]:
    """Encounters kept whole (no start time yet: planned ones) that belong to a patient, served
    after the visits: one whose patient arrives later is served from then on."""
    return stored_rows("Encounter")(organization_id).filter(person__kind=PersonKind.PATIENT)


FHIR_TYPES = (
    FhirTypeModule(
        "Encounter",
        read=map_encounter,
        sources=(
            FhirRows(
                encounter_rows,
                encounter_to_fhir,
                params=(ID_PARAM, *patient_params("person")),
                patient_of=person_if_patient,
            ),
            FhirRows(
                kept_encounter_rows,
                stored_resource_to_fhir,
                params=(ID_PARAM, *patient_params("person")),
                patient_of=person_if_patient,
            ),
        ),
        documentation="Visits and telehealth visits from the timeline, then encounters kept "
        "whole (planned, without a start time).",
        export_rank=60,
    ),
)
