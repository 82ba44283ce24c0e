"""Patient: a patient of the organisation (never a record merged into another)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource, compact, date_text
from carebond.core.fhir.parsing import (
    MappingError,
    as_list,
    as_object,
    first_coding,
    parse_date,
    parse_datetime,
)
from carebond.core.fhir.systems import US_CORE_BIRTH_SEX
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.interop.resources.persons import (
    BIRTHDATE_PARAM,
    PERSON_PARAMS,
    gender_from_fhir,
    has_a_name,
    language_to_fhir,
    names_from_fhir,
    people_rows,
    person_record,
    person_resource,
)
from carebond.interop.resources.records import PersonRecord
from carebond.people.models import Person, PersonKind, PersonStatus

_BIRTH_SEX = {"female": "F", "male": "M", "unknown": "UNK"}


def map_patient(resource: dict[str, Any]) -> PersonRecord:
    path = "Patient"
    fields: dict[str, Any] = dict(names_from_fhir(resource, path))
    fields["birth_date"] = parse_date(resource.get("birthDate"), f"{path}.birthDate")
    fields["administrative_gender"] = gender_from_fhir(resource, path)
    deceased = resource.get("deceasedBoolean") is True or resource.get("deceasedDateTime")
    if resource.get("deceasedDateTime"):
        fields["deceased_date"] = _deceased_date(resource["deceasedDateTime"], path)
    fields["status"] = "deceased" if deceased else "active"
    if resource.get("active") is False and not deceased:
        fields["status"] = "inactive"
    if "multipleBirthBoolean" in resource:
        fields["multiple_birth"] = "true" if resource["multipleBirthBoolean"] is True else "false"
    elif "multipleBirthInteger" in resource:
        order = resource["multipleBirthInteger"]
        if not isinstance(order, int) or isinstance(order, bool) or not 0 < order < 100:
            raise MappingError(
                f"{path}.multipleBirthInteger", "expected a birth order from 1 to 99"
            )
        fields["multiple_birth"] = str(order)
    fields["preferred_language"] = _language(resource, path)
    fields["sex_assigned_at_birth"] = _birth_sex(resource)
    if not has_a_name(fields):
        raise MappingError(f"{path}.name", "a patient needs a name (given or family)")
    return person_record(resource, "patient", fields)


def _deceased_date(value: Any, path: str) -> date:
    """The day of death as the record wrote it: a dateTime's own date, not the UTC one (a death
    at 23:30 in Chicago happened on that day)."""
    where = f"{path}.deceasedDateTime"
    parse_datetime(value, where)  # refuses what is not a FHIR dateTime
    day = parse_date(str(value)[:10], where)
    assert day is not None
    return day


def _language(resource: dict[str, Any], path: str) -> str:
    entries = [
        as_object(c, f"{path}.communication[{i}]")
        for i, c in enumerate(as_list(resource.get("communication"), f"{path}.communication"))
    ]
    chosen = next(
        (c for c in entries if c.get("preferred") is True), entries[0] if entries else None
    )
    if not chosen:
        return ""
    return first_coding(chosen.get("language"), f"{path}.communication.language")["code"][:35]


def _birth_sex(resource: dict[str, Any]) -> str:
    for ext in resource.get("extension") or []:
        if isinstance(ext, dict) and str(ext.get("url", "")).endswith("us-core-birthsex"):
            return {"F": "female", "M": "male", "UNK": "unknown"}.get(str(ext.get("valueCode")), "")
    return ""


def patient_to_fhir(person: Person) -> FhirResource:
    """Prefetch identifiers, contact_points, addresses. Deceased patients say so."""
    resource = person_resource("Patient", person)
    if person.deceased_date is not None:
        resource["deceasedDateTime"] = date_text(person.deceased_date)
    elif person.status == PersonStatus.DECEASED:
        resource["deceasedBoolean"] = True
    if person.multiple_birth in {"true", "false"}:
        resource["multipleBirthBoolean"] = person.multiple_birth == "true"
    elif person.multiple_birth.isdigit():
        resource["multipleBirthInteger"] = int(person.multiple_birth)
    if person.sex_assigned_at_birth in _BIRTH_SEX:
        resource["extension"] = [
            {"url": US_CORE_BIRTH_SEX, "valueCode": _BIRTH_SEX[person.sex_assigned_at_birth]}
        ]
    communication = language_to_fhir(person)
    if communication:
        communication[0]["preferred"] = True
    resource["communication"] = communication
    return compact(resource)


def patient_rows(organization_id: int) -> QuerySet[Person]:
    return people_rows(organization_id).filter(kind=PersonKind.PATIENT)


def _itself(row: Person) -> Person:
    return row


FHIR_TYPES = (
    FhirTypeModule(
        "Patient",
        read=map_patient,
        import_rank=4,
        native_rows="person",
        sources=(
            FhirRows(
                patient_rows,
                patient_to_fhir,
                params=(*PERSON_PARAMS, BIRTHDATE_PARAM),
                patient_of=_itself,
            ),
        ),
        documentation="Patients (never records merged into another).",
        export_rank=40,
    ),
)
