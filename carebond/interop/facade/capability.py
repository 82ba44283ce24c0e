"""The CapabilityStatement of /fhir/R4: read from the same registered type modules as the facade
and the export (``fhir_types.served_types``), so it says what the server does and only that."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carebond.interop.facade.search import DEFAULT_COUNT, MAX_COUNT
from carebond.interop.fhir_types import served_types

# The type whose $export the URL configuration routes (Patient/$export).
EXPORT_TYPE = "Patient"


def capability_statement(
    *,
    base_url: str,
    software_version: str,
    now: str,
    system_interactions: Sequence[str] = (),
) -> dict[str, Any]:
    """What this server does, and only that: read and search-type per type, the search
    parameters each type module lists, JSON only, Patient/$export, and the system-level
    interactions the caller says are routed (transaction/batch: the import's POST)."""
    resources = []
    for spec in served_types():
        resource: dict[str, Any] = {
            "type": spec.resource_type,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [
                {"name": p.name, "type": p.kind, "documentation": p.documentation}
                for p in spec.params
            ]
            + [
                {
                    "name": "_count",
                    "type": "number",
                    "documentation": f"Page size (default {DEFAULT_COUNT}, at most {MAX_COUNT}).",
                }
            ],
        }
        if spec.documentation:
            resource["documentation"] = spec.documentation
        if spec.resource_type == EXPORT_TYPE:
            resource["operation"] = [
                {
                    "name": "export",
                    "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                    "documentation": "Asynchronous (Prefer: respond-async); parameters _type "
                    "and _outputFormat (application/fhir+ndjson).",
                }
            ]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now,
        "publisher": "CareBond",
        "kind": "instance",
        "software": {"name": "CareBond", "version": software_version},
        "implementation": {"description": "CareBond FHIR R4 facade", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Read and search per type (paging: _count and the Bundle's "
                "next/previous links); writes only as transaction or batch Bundles, if listed.",
                "security": {
                    "cors": False,
                    "description": "Authorization: Bearer <CareBond API token> (the same "
                    "tokens as /api/v1). Results are limited to the token owner's "
                    "organisation and role.",
                },
                "resource": resources,
                **(
                    {"interaction": [{"code": code} for code in system_interactions]}
                    if system_interactions
                    else {}
                ),
            }
        ],
    }
