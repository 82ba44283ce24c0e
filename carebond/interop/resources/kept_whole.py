"""The types kept whole until the app that will own them takes them over: ServiceRequest
(referrals), Task (care tasks); Appointment was one until scheduling took it over
(carebond/scheduling/fhir.py). The import keeps the resource as sent, encrypted, with the
references it could resolve pointing at CareBond ids; the facade and the export serve it back
under CareBond's id. Consent (also kept whole) and an Encounter without a start time use the
same reading and rows, and so do the types an app owns without mapping what the import brings
(``keeps_imported``: surveys' Questionnaire and QuestionnaireResponse, whose EHR copies stay
kept whole beside the organisation's own surveys).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from carebond.core.fhir.building import FhirResource, meta
from carebond.core.fhir.parsing import (
    Ref,
    business_identifiers,
    parse_datetime,
    reference,
    text,
)
from carebond.core.fhir.search import ID_PARAM
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.core.permissions import PHI_READERS, AccessPolicy
from carebond.interop.models import StoredResource
from carebond.interop.resources.records import StoredRecord
from carebond.people.fhir import patient_params, person_if_patient


def map_stored(resource: dict[str, Any]) -> StoredRecord:
    resource_type = resource["resourceType"]
    path = resource_type
    # The patient it is about: the first of these that turns out to be a patient.
    candidates: list[Ref] = []
    for key in ("subject", "patient", "for", "source"):
        ref = reference(resource.get(key), f"{path}.{key}") if key in resource else None
        if ref is not None and ref.target_type in {"Patient", ""}:
            candidates.append(ref)
    occurred: datetime | None = None
    for key in ("start", "authoredOn", "authored", "dateTime", "date", "occurrenceDateTime"):
        if resource.get(key):
            occurred = parse_datetime(resource[key], f"{path}.{key}")
            break
    return StoredRecord(
        patients=candidates,
        status=text(resource.get("status"), f"{path}.status", 40),
        occurred_at=occurred,
        body=resource,
        identifiers=business_identifiers(resource, path),
    )


def stored_resource_to_fhir(row: StoredResource) -> FhirResource:
    """The body as imported (references already point at CareBond ids), under our id."""
    body = orjson.loads(row.body) if row.body else {}
    resource: FhirResource = body if isinstance(body, dict) else {}
    resource["resourceType"] = row.resource_type
    resource["id"] = str(row.public_id)
    kept = resource.get("meta")
    found = {
        k: v
        for k, v in (kept if isinstance(kept, dict) else {}).items()
        if k not in {"versionId", "lastUpdated", "source"}
    }
    found.update(meta(origin_system=row.origin_system, last_updated=row.updated_at))
    resource["meta"] = found
    return resource


def stored_rows(resource_type: str) -> Callable[[int], QuerySet[StoredResource]]:
    """The resources of one type an organisation keeps whole."""

    def rows(organization_id: int) -> QuerySet[StoredResource]:
        return (
            StoredResource.objects.filter(
                organization_id=organization_id, resource_type=resource_type
            )
            .select_related("person")
            .order_by("pk")
        )

    return rows


def kept_whole_rows(resource_type: str) -> FhirRows:
    """A type kept whole as the facade and the export serve it: by id or by patient."""
    return FhirRows(
        stored_rows(resource_type),
        stored_resource_to_fhir,
        params=(ID_PARAM, *patient_params("person")),
        patient_of=person_if_patient,
    )


def kept_whole(
    resource_type: str, *, in_facade: bool = True, policy: AccessPolicy = PHI_READERS
) -> FhirTypeModule:
    return FhirTypeModule(
        resource_type,
        read=map_stored,
        sources=(kept_whole_rows(resource_type),),
        in_facade=in_facade,
        policy=policy,
        documentation="Kept as imported (references point at CareBond ids).",
        kept_whole=True,
    )


def keeping_imports(spec: FhirTypeModule) -> FhirTypeModule:
    """A type an app owns without mapping what the import brings of it: the import keeps those
    resources whole, and the facade and the export serve them after the app's own rows."""
    if spec.read is not None:
        raise ImproperlyConfigured(
            f"{spec.resource_type}: a type that keeps its imports whole has no read of its own."
        )
    return dataclasses.replace(
        spec,
        read=map_stored,
        sources=(*spec.sources, kept_whole_rows(spec.resource_type)),
        kept_whole=True,
    )


FHIR_TYPES = (
    kept_whole("ServiceRequest"),
    kept_whole("Task"),
)
