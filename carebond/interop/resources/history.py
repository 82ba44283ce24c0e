"""The medical-history summary: Condition (problems), AllergyIntolerance, MedicationRequest and
MedicationStatement (medications), Immunization. Each imported resource is a line of the
patient's summary: category, code as system + code + display, active or not, onset. The
summary goes out by category (medications as MedicationStatement), in the bulk export only:
history items have no public id of their own, so their FHIR id is a stable UUID of the row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import (
    FhirResource,
    coding,
    compact,
    concept,
    date_text,
    meta,
    new_resource,
)
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
from carebond.core.fhir.systems import ALLERGY_CLINICAL, CONDITION_CATEGORY, CONDITION_CLINICAL
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.interop.resources.records import HistoryRecord
from carebond.people.fhir import patient_params, person_if_patient
from carebond.people.models import HistoryCategory, HistoryItem, PersonKind, PersonStatus

# What each type is read into; medications are written back out as MedicationStatement.
CATEGORY_OF = {
    "Condition": HistoryCategory.PROBLEM,
    "AllergyIntolerance": HistoryCategory.ALLERGY,
    "MedicationRequest": HistoryCategory.MEDICATION,
    "MedicationStatement": HistoryCategory.MEDICATION,
    "Immunization": HistoryCategory.IMMUNIZATION,
}
TYPE_OF = {
    HistoryCategory.PROBLEM: "Condition",
    HistoryCategory.ALLERGY: "AllergyIntolerance",
    HistoryCategory.MEDICATION: "MedicationStatement",
    HistoryCategory.IMMUNIZATION: "Immunization",
}
# Ids of history items (which have no public id of their own): uuid5 of the row in this space.
HISTORY_ITEM_NAMESPACE = uuid.UUID("6f7c2a52-2f8e-4d8f-9b59-2b1c8c0d3e11")

# --- reading from FHIR ----------------------------------------------------------------------


def map_history(resource: dict[str, Any]) -> HistoryRecord:
    resource_type = resource["resourceType"]
    path = resource_type
    category = CATEGORY_OF[resource_type]
    patient_key = (
        "patient" if resource_type in {"AllergyIntolerance", "Immunization"} else "subject"
    )
    patient = reference(resource.get(patient_key), f"{path}.{patient_key}", type_hint="Patient")
    if patient is None:
        raise MappingError(f"{path}.{patient_key}", "a history item needs the patient")
    code_key = {
        "Immunization": "vaccineCode",
        "MedicationRequest": "medicationCodeableConcept",
        "MedicationStatement": "medicationCodeableConcept",
    }.get(resource_type, "code")
    found = resource.get(code_key)
    if found is None and resource_type.startswith("Medication"):
        code = _referenced_medication(resource, path)
    else:
        code = first_coding(found, f"{path}.{code_key}")
    if not (code["display"] or code["code"]):
        raise MappingError(f"{path}.{code_key}", "a history item needs a code or text")
    status = _status(resource, resource_type, path)
    onset_key = {
        "Immunization": "occurrenceDateTime",
        "MedicationRequest": "authoredOn",
        "MedicationStatement": "effectiveDateTime",
        "AllergyIntolerance": "onsetDateTime",
    }.get(resource_type, "onsetDateTime")
    onset_value = resource.get(onset_key) or (
        resource.get("recordedDate") if resource_type != "Immunization" else None
    )
    onset = parse_datetime(onset_value, f"{path}.{onset_key}").date() if onset_value else None
    return HistoryRecord(
        patient=patient,
        category=category,
        code_system=code["system"],
        code=code["code"],
        display=(code["display"] or code["code"])[:300],
        is_active=status,
        onset=onset,
        identifiers=business_identifiers(resource, path),
    )


def _referenced_medication(resource: dict[str, Any], path: str) -> dict[str, str]:
    """A medication given by reference: its code when contained, else the reference's words."""
    medication = reference(resource.get("medicationReference"), f"{path}.medicationReference")
    if medication is None:
        return {"system": "", "code": "", "display": ""}
    if medication.reference.startswith("#"):
        for n, contained in enumerate(as_list(resource.get("contained"), f"{path}.contained")):
            item = as_object(contained, f"{path}.contained[{n}]")
            if item.get("id") == medication.reference[1:] and item.get("code"):
                return first_coding(item["code"], f"{path}.contained[{n}].code")
    display = medication.display or f"Medication ({medication.reference})"
    return {"system": "", "code": "", "display": display[:300]}


def _status(resource: dict[str, Any], resource_type: str, path: str) -> bool:
    """Whether the item belongs to the active summary."""
    if resource_type in {"Condition", "AllergyIntolerance"}:
        clinical = resource.get("clinicalStatus")
        code = first_coding(clinical, f"{path}.clinicalStatus")["code"] if clinical else "active"
        return code in {"active", "recurrence", "relapse"}
    status = text(resource.get("status"), f"{path}.status")
    if resource_type == "Immunization":
        return status != "entered-in-error"
    return status in {"active", "intended", "on-hold", ""}


# --- writing to FHIR ------------------------------------------------------------------------


def history_item_id(item: HistoryItem) -> str:
    """History items have no public id: a stable uuid5 of the row stands in for one."""
    return str(uuid.uuid5(HISTORY_ITEM_NAMESPACE, f"HistoryItem/{item.pk}"))


def _history_code(item: HistoryItem) -> dict[str, Any]:
    codings = [coding(item.code_system, item.code, item.display)] if item.code else []
    return compact({"coding": codings, "text": item.display})


def history_item_to_fhir(item: HistoryItem) -> FhirResource:
    """Condition, AllergyIntolerance, MedicationStatement or Immunization, by category.
    Active-ness: clinicalStatus (active/resolved) or status; onset: the type's date field."""
    resource_type = TYPE_OF[HistoryCategory(item.category)]
    resource = new_resource(
        resource_type,
        history_item_id(item),
        meta(origin_system=item.origin_system, last_updated=item.updated_at),
    )
    patient = {"reference": f"Patient/{item.person.public_id}"}
    code = _history_code(item)
    onset = date_text(item.onset)
    if resource_type == "Condition":
        resource.update(
            {
                "clinicalStatus": concept(
                    CONDITION_CLINICAL, "active" if item.is_active else "resolved"
                ),
                "category": [concept(CONDITION_CATEGORY, "problem-list-item", "Problem List Item")],
                "code": code,
                "subject": patient,
                "onsetDateTime": onset,
            }
        )
    elif resource_type == "AllergyIntolerance":
        resource.update(
            {
                "clinicalStatus": concept(
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
    return compact(resource)


# --- rows -----------------------------------------------------------------------------------


def history_rows(category: str) -> Callable[[int], QuerySet[HistoryItem]]:
    def rows(organization_id: int) -> QuerySet[HistoryItem]:
        return (
            HistoryItem.objects.filter(
                organization_id=organization_id,
                category=category,
                person__kind=PersonKind.PATIENT,
            )
            .exclude(person__status=PersonStatus.MERGED)
            .select_related("person")
            .order_by("pk")
        )

    return rows


def _history_type(resource_type: str, *, export_rank: int | None) -> FhirTypeModule:
    """Read into its category; written out (bulk export only, having no public id to read by)
    by the type of its category. MedicationRequest is read only."""
    writes = TYPE_OF[CATEGORY_OF[resource_type]] == resource_type
    return FhirTypeModule(
        resource_type,
        read=map_history,
        sources=(
            FhirRows(
                history_rows(CATEGORY_OF[resource_type]),
                history_item_to_fhir,
                # Not searched at /fhir/R4 (in_facade=False): a patient's copy of their record
                # finds their history by it.
                params=patient_params("person"),
                patient_of=person_if_patient,
            ),
        )
        if writes
        else (),
        in_facade=False,
        export_rank=export_rank,
    )


FHIR_TYPES = (
    _history_type("Condition", export_rank=80),
    _history_type("AllergyIntolerance", export_rank=81),
    _history_type("MedicationStatement", export_rank=82),
    _history_type("Immunization", export_rank=83),
    _history_type("MedicationRequest", export_rank=None),
)
