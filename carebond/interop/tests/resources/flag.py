"""A FHIR type module of the test package: Flag (an alert about a patient), kept whole. Only
the tests that register it have it; the import, the facade and the export know nothing else of
it than what this module says."""

from __future__ import annotations

from typing import Any

from carebond.core.fhir.parsing import MappingError, reference, text
from carebond.core.fhir.type_module import FhirTypeModule
from carebond.interop.resources.kept_whole import kept_whole_rows
from carebond.interop.resources.records import StoredRecord


def map_flag(resource: dict[str, Any]) -> StoredRecord:
    patient = reference(resource.get("subject"), "Flag.subject", type_hint="Patient")
    if patient is None:
        raise MappingError("Flag.subject", "a flag needs the patient it is about")
    return StoredRecord(
        patients=[patient],
        status=text(resource.get("status"), "Flag.status", 40),
        occurred_at=None,
        body=resource,
    )


FHIR_TYPES = (
    FhirTypeModule(
        "Flag",
        read=map_flag,
        sources=(kept_whole_rows("Flag"),),
        documentation="Alerts about a patient.",
        kept_whole=True,
    ),
)
