"""CareBond rows as FHIR R4 resources (plain dicts, validated against fhir.resources R4B in tests).

Used by the /fhir/R4 facade and by bulk export, so what a client reads and what an export
writes are the same resources. Every function is pure: it reads the row and what the caller
prefetched (see ``fhir_selectors``) and never queries on its own, so lists stay N+1-free.

The FHIR id of a row is its public id. Merged people are never mapped (callers exclude them).
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import orjson
from django.core.exceptions import ObjectDoesNotExist

from carebond.audit.fhir import to_fhir as audit_event_to_fhir
from carebond.core.models import ImportedModel, Location
from carebond.interop.models import StoredResource
from carebond.people.actions import NPI_SYSTEM
from carebond.people.models import (
    HistoryCategory,
    HistoryItem,
    Person,
    PersonKind,
    PersonStatus,
    ReferralSourceType,
    Relationship,
)
from carebond.touchpoints.models import Touchpoint, TouchpointChannel, TouchpointKind

__all__ = [
    "audit_event_to_fhir",
    "communication_to_fhir",
    "encounter_to_fhir",
    "fhir_type_of_person",
    "history_item_id",
    "history_item_to_fhir",
    "location_to_fhir",
    "organization_to_fhir",
    "patient_to_fhir",
    "person_reference",
    "person_to_fhir",
    "practitioner_to_fhir",
    "related_person_to_fhir",
    "relationship_of",
    "stored_resource_to_fhir",
    "touchpoint_to_fhir",
]

FhirResource = dict[str, Any]

V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V3_PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
BCP47 = "urn:ietf:bcp:47"
# CareBond's own code systems, for what FHIR has no code for (read back by the importer).
TOUCHPOINT_KIND_SYSTEM = "urn:carebond:touchpoint-kind"
ORIGIN_SOURCE_PREFIX = "urn:carebond:origin:"
# Ids of history items (which have no public id of their own): uuid5 of the row in this space.
HISTORY_ITEM_NAMESPACE = uuid.UUID("6f7c2a52-2f8e-4d8f-9b59-2b1c8c0d3e11")

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
# FHIR ContactPoint.use and Address.use: CareBond's "other" (and "mobile" for an address) has no
# FHIR counterpart, so those go out without a use.
_CONTACT_USES = {"home", "work", "temp", "old", "mobile"}
_ADDRESS_USES = {"home", "work", "temp", "old", "billing"}
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
_MEDIUM = {
    TouchpointChannel.IN_PERSON: ("FACE", "face-to-face"),
    TouchpointChannel.PHONE: ("PHONE", "telephone"),
    TouchpointChannel.SMS: ("WRITTEN", "written"),
    TouchpointChannel.EMAIL: ("EMAILWRIT", "email"),
    TouchpointChannel.PORTAL: ("ONLINEWRIT", "online written"),
    TouchpointChannel.WEB: ("ONLINEWRIT", "online written"),
    TouchpointChannel.VIDEO: ("VIDEOCONF", "videoconferencing"),
    TouchpointChannel.POST: ("MAILWRIT", "mail"),
}
ENCOUNTER_KINDS = (TouchpointKind.VISIT, TouchpointKind.TELEHEALTH)
COMMUNICATION_KINDS = (TouchpointKind.MESSAGE, TouchpointKind.CALL)
HISTORY_TYPES = {
    HistoryCategory.PROBLEM: "Condition",
    HistoryCategory.ALLERGY: "AllergyIntolerance",
    HistoryCategory.MEDICATION: "MedicationStatement",
    HistoryCategory.IMMUNIZATION: "Immunization",
}


# --- shared pieces ------------------------------------------------------------------------------


def _instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _date(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def source_uri(origin_system: str) -> str:
    """meta.source must be a uri: a system name that is not one becomes a urn of ours."""
    if _URI.match(origin_system):
        return origin_system
    return ORIGIN_SOURCE_PREFIX + quote(origin_system, safe="")


def _meta(row: ImportedModel, last_updated: datetime | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if last_updated is not None:
        meta["lastUpdated"] = last_updated.isoformat()
    if row.origin_system:
        meta["source"] = source_uri(row.origin_system)
    return meta


def _resource(resource_type: str, fhir_id: object, meta: dict[str, Any]) -> FhirResource:
    resource: FhirResource = {"resourceType": resource_type, "id": str(fhir_id)}
    if meta:
        resource["meta"] = meta
    return resource


def _compact(resource: FhirResource) -> FhirResource:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    return _compact({"system": system, "code": code, "display": display})


def _concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _profile(person: Person, name: str) -> Any:
    try:
        return getattr(person, name)
    except ObjectDoesNotExist:
        return None


def fhir_type_of_person(person: Person) -> str | None:
    """Which FHIR resource a person is: None for merged records (never emitted)."""
    if person.status == PersonStatus.MERGED:
        return None
    if person.kind == PersonKind.PATIENT:
        return "Patient"
    if person.kind == PersonKind.RELATED:
        return "RelatedPerson"
    if person.kind == PersonKind.REFERRAL_SOURCE:
        profile = _profile(person, "referral_profile")
        if profile is not None and profile.source_type == ReferralSourceType.ORGANIZATION:
            return "Organization"
        if profile is None and person.organization_name and not person.family_name:
            return "Organization"
    return "Practitioner"


def person_reference(person: Person | None) -> dict[str, str] | None:
    """{"reference": "Practitioner/<id>"} for any person (None for nobody or a merged record)."""
    if person is None:
        return None
    resource_type = fhir_type_of_person(person)
    if resource_type is None:
        return None
    return {"reference": f"{resource_type}/{person.public_id}"}


def _human_names(person: Person) -> list[dict[str, Any]]:
    names: list[dict[str, Any]] = []
    if person.given_name or person.family_name:
        official = _compact(
            {
                "use": "official",
                "family": person.family_name,
                "given": [g for g in (person.given_name, person.middle_name) if g],
                "prefix": [person.prefix] if person.prefix else [],
                "suffix": [person.suffix] if person.suffix else [],
            }
        )
        names.append(official)
    elif person.organization_name:
        names.append({"text": person.organization_name})
    if person.preferred_name:
        names.append(
            _compact(
                {"use": "usual", "given": [person.preferred_name], "family": person.family_name}
            )
        )
    if person.maiden_name:
        names.append({"use": "maiden", "family": person.maiden_name})
    return names


def _identifiers(person: Person) -> list[dict[str, Any]]:
    identifiers: list[dict[str, Any]] = []
    for row in person.identifiers.all():
        identifier: dict[str, Any] = {"system": row.system, "value": row.value}
        if row.type_code or row.label:
            identifier["type"] = _compact(
                {
                    "coding": [_coding(V2_IDENTIFIER_TYPE, row.type_code)] if row.type_code else [],
                    "text": row.label,
                }
            )
        identifiers.append(identifier)
    profile = _profile(person, "referral_profile")
    listed = {(i["system"], i["value"]) for i in identifiers}
    if profile is not None and profile.npi and (NPI_SYSTEM, profile.npi) not in listed:
        identifiers.append(
            {
                "system": NPI_SYSTEM,
                "value": profile.npi,
                "type": {"coding": [_coding(V2_IDENTIFIER_TYPE, "NPI")], "text": "NPI"},
            }
        )
    return identifiers


def _telecom(person: Person) -> list[dict[str, Any]]:
    return [
        _compact(
            {
                "system": point.system,
                "value": point.value,
                "use": point.use if point.use in _CONTACT_USES else None,
                "rank": point.rank or None,
            }
        )
        for point in person.contact_points.all()
    ]


def _addresses(person: Person) -> list[dict[str, Any]]:
    return [
        _compact(
            {
                "use": address.use if address.use in _ADDRESS_USES else None,
                "line": [line for line in (address.line1, address.line2) if line],
                "city": address.city,
                "state": address.state,
                "postalCode": address.postal_code,
                "country": address.country,
            }
        )
        for address in person.addresses.all()
    ]


def _person_common(resource_type: str, person: Person) -> FhirResource:
    resource = _resource(resource_type, person.public_id, _meta(person, person.updated_at))
    resource.update(
        {
            "identifier": _identifiers(person),
            "active": person.status != PersonStatus.INACTIVE,
            "name": _human_names(person),
            "telecom": _telecom(person),
            "gender": person.administrative_gender,
            "birthDate": _date(person.birth_date),
            "address": _addresses(person),
        }
    )
    return resource


US_CORE_BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
_BIRTH_SEX = {"female": "F", "male": "M", "unknown": "UNK"}


def _language(person: Person) -> list[dict[str, Any]]:
    if not person.preferred_language:
        return []
    return [{"language": {"coding": [_coding(BCP47, person.preferred_language)]}}]


# --- people -------------------------------------------------------------------------------------


def patient_to_fhir(person: Person) -> FhirResource:
    """Prefetch identifiers, contact_points, addresses. Deceased patients say so."""
    resource = _person_common("Patient", person)
    if person.status == PersonStatus.DECEASED:
        resource["deceasedBoolean"] = True
    if person.multiple_birth in {"true", "false"}:
        resource["multipleBirthBoolean"] = person.multiple_birth == "true"
    elif person.multiple_birth.isdigit():
        resource["multipleBirthInteger"] = int(person.multiple_birth)
    if person.sex_assigned_at_birth in _BIRTH_SEX:
        resource["extension"] = [
            {"url": US_CORE_BIRTH_SEX, "valueCode": _BIRTH_SEX[person.sex_assigned_at_birth]}
        ]
    communication = _language(person)
    if communication:
        communication[0]["preferred"] = True
    resource["communication"] = communication
    return _compact(resource)


def practitioner_to_fhir(person: Person) -> FhirResource:
    """Staff members and referring practitioners (NPI from the referral profile)."""
    resource = _person_common("Practitioner", person)
    resource["communication"] = [entry["language"] for entry in _language(person)]
    return _compact(resource)


def organization_to_fhir(person: Person) -> FhirResource:
    """A referring organisation (a referral source whose profile says organisation)."""
    resource = _resource("Organization", person.public_id, _meta(person, person.updated_at))
    resource.update(
        {
            "identifier": _identifiers(person),
            "active": person.status != PersonStatus.INACTIVE,
            "type": [_concept(ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
            "name": person.organization_name or person.display_name,
            "telecom": [
                {k: v for k, v in point.items() if k != "use" or v in {"work", "temp", "old"}}
                for point in _telecom(person)
            ],
            # org-2/org-3: an organisation's address and telecom are never of use "home".
            "address": [
                {k: v for k, v in address.items() if k != "use" or v != "home"}
                for address in _addresses(person)
            ],
        }
    )
    return _compact(resource)


def relationship_of(person: Person) -> Relationship | None:
    """The patient link of a related person (prefetch related_to__patient); the first if many."""
    links = sorted(person.related_to.all(), key=lambda link: link.pk)
    live = [link for link in links if link.patient.status != PersonStatus.MERGED]
    return live[0] if live else None


def related_person_to_fhir(person: Person) -> FhirResource:
    """Family member or caregiver; RelatedPerson.patient is required, so one without a live
    patient link is emitted with none and fails validation: callers list only linked ones."""
    resource = _person_common("RelatedPerson", person)
    link = relationship_of(person)
    if link is not None:
        resource["patient"] = {"reference": f"Patient/{link.patient.public_id}"}
        concepts = [_concept(V3_ROLE_CODE, link.relationship, link.get_relationship_display())]
        if link.is_emergency_contact:
            concepts.append(_concept(V2_CONTACT_ROLE, "C", "Emergency Contact"))
        resource["relationship"] = concepts
    resource["communication"] = _language(person)
    return _compact(resource)


def person_to_fhir(person: Person) -> FhirResource:
    """Whichever resource the person is (see ``fhir_type_of_person``)."""
    resource_type = fhir_type_of_person(person)
    if resource_type == "Patient":
        return patient_to_fhir(person)
    if resource_type == "RelatedPerson":
        return related_person_to_fhir(person)
    if resource_type == "Organization":
        return organization_to_fhir(person)
    if resource_type == "Practitioner":
        return practitioner_to_fhir(person)
    raise ValueError("Merged records are never emitted.")


# --- the organisation's own places --------------------------------------------------------------


def location_to_fhir(location: Location) -> FhirResource:
    resource = _resource("Location", location.public_id, _meta(location, location.updated_at))
    resource.update(
        {
            "status": "active",
            "name": location.name,
            "telecom": [{"system": "phone", "value": location.phone, "use": "work"}]
            if location.phone
            else [],
            "address": {"text": location.address} if location.address else None,
        }
    )
    return _compact(resource)


# --- the timeline -------------------------------------------------------------------------------


def _clean_coding(value: Any) -> dict[str, str] | None:
    """A coding an EHR sent (kept in Touchpoint.details), reduced to its valid string parts."""
    if not isinstance(value, dict):
        return None
    coding = {
        k: v
        for k, v in value.items()
        if k in {"system", "code", "display", "version"} and isinstance(v, str) and v.strip()
    }
    return coding if "code" in coding or "display" in coding else None


def _clean_concepts(value: Any) -> list[dict[str, Any]]:
    concepts: list[dict[str, Any]] = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and "coding" in item:
            codings = [c for c in map(_clean_coding, item.get("coding") or []) if c]
            text = item.get("text") if isinstance(item.get("text"), str) else ""
            concept = _compact({"coding": codings, "text": text})
        else:
            coding = _clean_coding(item)
            concept = {"coding": [coding]} if coding else {}
        if concept:
            concepts.append(concept)
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
        _coding(V3_ACT_CODE, "VR", "virtual")
        if touchpoint.kind == TouchpointKind.TELEHEALTH
        else _coding(V3_ACT_CODE, "AMB", "ambulatory")
    )
    status = details.get("status")
    period: dict[str, str] = {"start": touchpoint.occurred_at.isoformat()}
    if _parses_as_datetime(details.get("end")):
        period["end"] = details["end"]
    resource = _resource(
        "Encounter", touchpoint.public_id, _meta(touchpoint, touchpoint.recorded_at)
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
                    "type": [_concept(PARTICIPATION_TYPE, "PPRF", "primary performer")],
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
    return _compact(resource)


def communication_to_fhir(touchpoint: Touchpoint) -> FhirResource:
    """A message or call. Inbound: the person sent it to us; outbound: we sent it to them.
    The summary (free text, PHI) is the payload."""
    person_ref = person_reference(touchpoint.person)
    staff_ref = person_reference(touchpoint.staff)
    inbound = touchpoint.direction == "inbound"
    medium = _MEDIUM.get(TouchpointChannel(touchpoint.channel)) if touchpoint.channel else None
    resource = _resource(
        "Communication", touchpoint.public_id, _meta(touchpoint, touchpoint.recorded_at)
    )
    resource.update(
        {
            "status": "completed",
            "category": [
                _concept(TOUCHPOINT_KIND_SYSTEM, touchpoint.kind, touchpoint.get_kind_display())
            ],
            "medium": [_concept(V3_PARTICIPATION_MODE, *medium)] if medium else [],
            "subject": person_ref if touchpoint.person.kind == PersonKind.PATIENT else None,
            "sent": touchpoint.occurred_at.isoformat(),
            "recipient": [r for r in [staff_ref if inbound else person_ref] if r],
            "sender": person_ref if inbound else staff_ref,
            "payload": [{"contentString": touchpoint.summary}] if touchpoint.summary else [],
        }
    )
    return _compact(resource)


def touchpoint_to_fhir(touchpoint: Touchpoint) -> FhirResource:
    if touchpoint.kind in ENCOUNTER_KINDS:
        return encounter_to_fhir(touchpoint)
    if touchpoint.kind in COMMUNICATION_KINDS:
        return communication_to_fhir(touchpoint)
    raise ValueError(f"Touchpoints of kind {touchpoint.kind} have no FHIR form.")


# --- the medical-history summary ----------------------------------------------------------------


def history_item_id(item: HistoryItem) -> str:
    """History items have no public id: a stable uuid5 of the row stands in for one."""
    return str(uuid.uuid5(HISTORY_ITEM_NAMESPACE, f"HistoryItem/{item.pk}"))


def _history_code(item: HistoryItem) -> dict[str, Any]:
    codings = [_coding(item.code_system, item.code, item.display)] if item.code else []
    return _compact({"coding": codings, "text": item.display})


def history_item_to_fhir(item: HistoryItem) -> FhirResource:
    """Condition, AllergyIntolerance, MedicationStatement or Immunization, by category.
    Active-ness: clinicalStatus (active/resolved) or status; onset: the type's date field."""
    resource_type = HISTORY_TYPES[HistoryCategory(item.category)]
    resource = _resource(resource_type, history_item_id(item), _meta(item, item.updated_at))
    patient = {"reference": f"Patient/{item.person.public_id}"}
    code = _history_code(item)
    onset = _date(item.onset)
    if resource_type == "Condition":
        resource.update(
            {
                "clinicalStatus": _concept(
                    CONDITION_CLINICAL, "active" if item.is_active else "resolved"
                ),
                "category": [
                    _concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")
                ],
                "code": code,
                "subject": patient,
                "onsetDateTime": onset,
            }
        )
    elif resource_type == "AllergyIntolerance":
        resource.update(
            {
                "clinicalStatus": _concept(
                    ALLERGY_CLINICAL, "active" if item.is_active else "resolved"
                ),
                "code": code,
                "patient": patient,
                "onsetDateTime": onset,
            }
        )
    elif resource_type == "MedicationStatement":
        resource.update(
            {
                "status": "active" if item.is_active else "stopped",
                "medicationCodeableConcept": code,
                "subject": patient,
                "effectiveDateTime": onset,
            }
        )
    else:
        resource.update(
            {
                "status": "completed",
                "vaccineCode": code,
                "patient": patient,
                # occurrence[x] is required: an immunization without a date says so.
                "occurrenceDateTime": onset,
                "occurrenceString": None if onset else "unknown",
            }
        )
    return _compact(resource)


# --- resources kept whole -----------------------------------------------------------------------


def stored_resource_to_fhir(row: StoredResource) -> FhirResource:
    """The body as imported (references already point at CareBond ids), under our id."""
    body = orjson.loads(row.body) if row.body else {}
    resource: FhirResource = body if isinstance(body, dict) else {}
    resource["resourceType"] = row.resource_type
    resource["id"] = str(row.public_id)
    kept = resource.get("meta")
    meta = {
        k: v
        for k, v in (kept if isinstance(kept, dict) else {}).items()
        if k not in {"versionId", "lastUpdated", "source"}
    }
    meta.update(_meta(row, row.updated_at))
    resource["meta"] = meta
    return resource
