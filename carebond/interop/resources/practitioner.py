"""Practitioner: staff members and referring practitioners. An imported practitioner joins the
referral network; an import never creates staff records or logins."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from carebond.core.fhir.building import FhirResource, compact
from carebond.core.fhir.parsing import MappingError, parse_date
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.interop.resources.persons import (
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
from carebond.people.fhir import REFERRING_ORGANIZATION
from carebond.people.models import Person, PersonKind


def map_practitioner(resource: dict[str, Any]) -> PersonRecord:
    """A practitioner joins the referral network; an import never creates staff or logins."""
    path = "Practitioner"
    fields: dict[str, Any] = dict(names_from_fhir(resource, path))
    fields["administrative_gender"] = gender_from_fhir(resource, path)
    fields["birth_date"] = parse_date(resource.get("birthDate"), f"{path}.birthDate")
    fields["status"] = "inactive" if resource.get("active") is False else "active"
    if not has_a_name(fields):
        raise MappingError(f"{path}.name", "a practitioner needs a name")
    return person_record(resource, "referral_source", fields, referral_type="practitioner")


def practitioner_to_fhir(person: Person) -> FhirResource:
    """Staff members and referring practitioners (NPI from the referral profile)."""
    resource = person_resource("Practitioner", person)
    resource["communication"] = [entry["language"] for entry in language_to_fhir(person)]
    return compact(resource)


def practitioner_rows(organization_id: int) -> QuerySet[Person]:
    return people_rows(organization_id).filter(
        Q(kind=PersonKind.STAFF) | (Q(kind=PersonKind.REFERRAL_SOURCE) & ~REFERRING_ORGANIZATION)
    )


FHIR_TYPES = (
    FhirTypeModule(
        "Practitioner",
        read=map_practitioner,
        import_rank=2,
        native_rows="person",
        sources=(FhirRows(practitioner_rows, practitioner_to_fhir, params=PERSON_PARAMS),),
        documentation="Staff members and referring practitioners.",
        export_rank=30,
    ),
)
