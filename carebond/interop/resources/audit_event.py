"""AuditEvent: the audit trail, for administrators (served only; never imported or exported
here). The audit app writes the resource itself."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carebond.audit.fhir import to_fhir as audit_event_to_fhir
from carebond.audit.models import AuditEvent
from carebond.core.fhir.search import ID_PARAM, param, reference_ids
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.core.permissions import ADMINS


def audit_event_rows(organization_id: int) -> QuerySet[AuditEvent]:
    return (
        AuditEvent.objects.filter(organization_id=organization_id)
        .select_related("actor")
        .order_by("pk")
    )


def _about_patient(organization_id: int, modifier: str, values: list[str]) -> Q:
    return Q(patient_id__in=[str(i) for i in reference_ids(values, "Patient")])


FHIR_TYPES = (
    FhirTypeModule(
        "AuditEvent",
        sources=(
            FhirRows(
                audit_event_rows,
                audit_event_to_fhir,
                params=(
                    ID_PARAM,
                    param("patient", "reference", "Events about Patient/<id>.", _about_patient),
                ),
            ),
        ),
        policy=ADMINS,
        documentation="The audit trail (administrators only).",
    ),
)
