"""Organization: a referring organisation (a referral source whose profile says so)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from carebond.core.fhir.building import FhirResource, compact, concept, meta, new_resource
from carebond.core.fhir.parsing import MappingError, text
from carebond.core.fhir.search import ID_PARAM, param
from carebond.core.fhir.systems import ORGANIZATION_TYPE
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.interop.resources.persons import (
    IDENTIFIER_PARAM,
    addresses_to_fhir,
    identifiers_to_fhir,
    people_rows,
    person_record,
    telecom_to_fhir,
)
from carebond.interop.resources.records import PersonRecord
from carebond.people.fhir import REFERRING_ORGANIZATION, person_name_filter
from carebond.people.models import Person, PersonKind, PersonStatus


def map_organization(resource: dict[str, Any]) -> PersonRecord:
    path = "Organization"
    name = text(resource.get("name"), f"{path}.name", 200)
    if not name:
        raise MappingError(f"{path}.name", "an organization needs a name")
    fields = {
        "organization_name": name,
        "status": "inactive" if resource.get("active") is False else "active",
    }
    return person_record(resource, "referral_source", fields, referral_type="organization")


def organization_to_fhir(person: Person) -> FhirResource:
    """A referring organisation (a referral source whose profile says organisation)."""
    resource = new_resource(
        "Organization",
        person.public_id,
        meta(origin_system=person.origin_system, last_updated=person.updated_at),
    )
    resource.update(
        {
            "identifier": identifiers_to_fhir(person),
            "active": person.status != PersonStatus.INACTIVE,
            "type": [concept(ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
            "name": person.organization_name or person.display_name,
            "telecom": [
                {k: v for k, v in point.items() if k != "use" or v in {"work", "temp", "old"}}
                for point in telecom_to_fhir(person)
            ],
            # org-2/org-3: an organisation's address and telecom are never of use "home".
            "address": [
                {k: v for k, v in address.items() if k != "use" or v != "home"}
                for address in addresses_to_fhir(person)
            ],
        }
    )
    return compact(resource)


def organization_rows(organization_id: int) -> QuerySet[Person]:
    return people_rows(organization_id).filter(
        Q(kind=PersonKind.REFERRAL_SOURCE) & REFERRING_ORGANIZATION
    )


FHIR_TYPES = (
    FhirTypeModule(
        "Organization",
        read=map_organization,
        import_rank=0,
        native_rows="person",
        sources=(
            FhirRows(
                organization_rows,
                organization_to_fhir,
                params=(
                    ID_PARAM,
                    IDENTIFIER_PARAM,
                    param(
                        "name",
                        "string",
                        "Starts a word of the organisation's name, ignoring case and accents.",
                        person_name_filter,
                        modifiers=frozenset({"exact", "contains"}),
                    ),
                ),
            ),
        ),
        documentation="Referring organisations.",
        export_rank=10,
    ),
)
