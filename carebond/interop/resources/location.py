"""Location: the organisation's own places. An imported location of a name the organisation
already has gets its town in brackets (names are unique per organisation)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource, compact, meta, new_resource
from carebond.core.fhir.parsing import MappingError, text
from carebond.core.fhir.search import ID_PARAM, name_filter, param
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.core.models import Location
from carebond.interop.resources.persons import (
    addresses_from_fhir,
    contacts_from_fhir,
    identifiers_from_fhir,
)
from carebond.interop.resources.records import LocationRecord


def map_location(resource: dict[str, Any]) -> LocationRecord:
    path = "Location"
    name = text(resource.get("name"), f"{path}.name", 200)
    if not name:
        raise MappingError(f"{path}.name", "a location needs a name")
    addresses = addresses_from_fhir(resource, path)
    address = ""
    if addresses:
        a = addresses[0]
        address = ", ".join(p for p in (a.line1, a.line2, a.city, a.state, a.postal_code) if p)[
            :300
        ]
    phones = [c.value for c in contacts_from_fhir(resource, path) if c.system == "phone"]
    return LocationRecord(
        name, address, phones[0][:40] if phones else "", identifiers_from_fhir(resource, path)
    )


def location_to_fhir(location: Location) -> FhirResource:
    resource = new_resource(
        "Location",
        location.public_id,
        meta(origin_system=location.origin_system, last_updated=location.updated_at),
    )
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
    return compact(resource)


def location_rows(organization_id: int) -> QuerySet[Location]:
    return Location.objects.filter(organization_id=organization_id).order_by("pk")


FHIR_TYPES = (
    FhirTypeModule(
        "Location",
        read=map_location,
        import_rank=1,
        native_rows="location",
        sources=(
            FhirRows(
                location_rows,
                location_to_fhir,
                params=(
                    ID_PARAM,
                    param(
                        "name",
                        "string",
                        "Starts the location's name (case-insensitive).",
                        name_filter(("name",)),
                        modifiers=frozenset({"exact", "contains"}),
                    ),
                ),
            ),
        ),
        documentation="The organisation's locations.",
        export_rank=20,
    ),
)
