"""RelatedPerson: a patient's family member or caregiver, linked to the patient with the
relationship (v3 RoleCode; emergency contacts marked)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from carebond.core.fhir.building import FhirResource, compact, concept
from carebond.core.fhir.parsing import MappingError, as_list, first_coding, parse_date, reference
from carebond.core.fhir.search import param, reference_ids
from carebond.core.fhir.systems import V2_CONTACT_ROLE, V3_ROLE_CODE
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
from carebond.people.models import Person, PersonKind, PersonStatus, Relationship, RelationshipType

_RELATIONSHIP_CODES = set(RelationshipType.values)
_V2_RELATIONSHIP = {
    "C": RelationshipType.OTHER,
    "E": RelationshipType.OTHER,
    "N": RelationshipType.OTHER,
}


def map_related_person(resource: dict[str, Any]) -> PersonRecord:
    path = "RelatedPerson"
    fields: dict[str, Any] = dict(names_from_fhir(resource, path))
    fields["birth_date"] = parse_date(resource.get("birthDate"), f"{path}.birthDate")
    fields["administrative_gender"] = gender_from_fhir(resource, path)
    fields["status"] = "inactive" if resource.get("active") is False else "active"
    if not has_a_name(fields):
        raise MappingError(f"{path}.name", "a related person needs a name")
    relationship = RelationshipType.OTHER
    for n, found in enumerate(as_list(resource.get("relationship"), f"{path}.relationship")):
        code = first_coding(found, f"{path}.relationship[{n}]")["code"]
        if code in _RELATIONSHIP_CODES:
            relationship = RelationshipType(code)
            break
        relationship = _V2_RELATIONSHIP.get(code, relationship)
    return person_record(
        resource,
        "related",
        fields,
        patient=reference(resource.get("patient"), f"{path}.patient", type_hint="Patient"),
        relationship=relationship,
    )


def relationship_of(person: Person) -> Relationship | None:
    """The patient link of a related person (prefetch related_to__patient); the first if many."""
    links = sorted(person.related_to.all(), key=lambda link: link.pk)
    live = [link for link in links if link.patient.status != PersonStatus.MERGED]
    return live[0] if live else None


def related_person_to_fhir(person: Person) -> FhirResource:
    """Family member or caregiver; RelatedPerson.patient is required, so one without a live
    patient link is emitted with none and fails validation: callers list only linked ones."""
    resource = person_resource("RelatedPerson", person)
    link = relationship_of(person)
    if link is not None:
        resource["patient"] = {"reference": f"Patient/{link.patient.public_id}"}
        concepts = [concept(V3_ROLE_CODE, link.relationship, link.get_relationship_display())]
        if link.is_emergency_contact:
            concepts.append(concept(V2_CONTACT_ROLE, "C", "Emergency Contact"))
        resource["relationship"] = concepts
    resource["communication"] = language_to_fhir(person)
    return compact(resource)


def related_person_rows(organization_id: int) -> QuerySet[Person]:
    # RelatedPerson.patient is required: only relatives linked to a live patient are resources.
    linked = Relationship.objects.filter(organization_id=organization_id).exclude(
        patient__status=PersonStatus.MERGED
    )
    return (
        people_rows(organization_id)
        .filter(kind=PersonKind.RELATED, pk__in=linked.values("related_id"))
        .prefetch_related(
            Prefetch("related_to", queryset=Relationship.objects.select_related("patient"))
        )
    )


def _related_patient(organization_id: int, modifier: str, values: list[str]) -> Q:
    links = Relationship.objects.filter(
        organization_id=organization_id,
        patient__public_id__in=reference_ids(values, "Patient"),
    )
    return Q(pk__in=links.values("related_id"))


def _its_patient(row: Person) -> Person | None:
    link = relationship_of(row)
    return link.patient if link is not None else None


FHIR_TYPES = (
    FhirTypeModule(
        "RelatedPerson",
        read=map_related_person,
        import_rank=5,
        native_rows="person",
        sources=(
            FhirRows(
                related_person_rows,
                related_person_to_fhir,
                params=(
                    *PERSON_PARAMS,
                    BIRTHDATE_PARAM,
                    param("patient", "reference", "The patient: Patient/<id>.", _related_patient),
                ),
                patient_of=_its_patient,
            ),
        ),
        documentation="Patients' family members and caregivers.",
        export_rank=50,
    ),
)
