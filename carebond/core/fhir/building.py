"""Building FHIR resources as plain dicts (validated against fhir.resources R4B in the tests).

Pure: what goes out is built from the values given, never from a query.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

FhirResource = dict[str, Any]

# CareBond's own prefix for a source system whose name is not a URI (meta.source must be one).
ORIGIN_SOURCE_PREFIX = "urn:carebond:origin:"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def instant(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def date_text(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def compact(resource: FhirResource) -> FhirResource:
    """Drop empty values: FHIR forbids empty strings, lists and objects."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    return compact({"system": system, "code": code, "display": display})


def concept(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"coding": [coding(system, code, display)]}


def source_uri(origin_system: str) -> str:
    """meta.source must be a uri: a system name that is not one becomes a urn of ours."""
    if _URI.match(origin_system):
        return origin_system
    return ORIGIN_SOURCE_PREFIX + quote(origin_system, safe="")


def meta(*, origin_system: str, last_updated: datetime | None) -> dict[str, Any]:
    """lastUpdated, and where an imported row came from (its source system) as meta.source."""
    found: dict[str, Any] = {}
    if last_updated is not None:
        found["lastUpdated"] = last_updated.isoformat()
    if origin_system:
        found["source"] = source_uri(origin_system)
    return found


def new_resource(resource_type: str, fhir_id: object, meta: dict[str, Any]) -> FhirResource:
    """The first keys of every resource: type, id and (when there is one) meta."""
    resource: FhirResource = {"resourceType": resource_type, "id": str(fhir_id)}
    if meta:
        resource["meta"] = meta
    return resource
