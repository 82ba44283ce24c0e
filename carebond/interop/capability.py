"""The CapabilityStatement of /fhir/R4: read from the same registry as the facade and the export
(``fhir_selectors.FACADE_TYPES``), so it says what the server does and only that."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carebond.interop.fhir_selectors import DEFAULT_COUNT, FACADE_TYPES, MAX_COUNT


def capability_statement(
    *,
    base_url: str,
    software_version: str,
    now: str,
    system_interactions: Sequence[str] = (),
) -> dict[str, Any]:
    """What this server does, and only that: read and search-type per type, the search
    parameters listed in the registry, JSON only, Patient/$export, and the system-level
    interactions the caller says are routed (transaction/batch: the import's POST)."""
    resources = []
    for spec in FACADE_TYPES:
        resource: dict[str, Any] = {
            "type": spec.name,
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
        if spec.name == "Patient":
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
