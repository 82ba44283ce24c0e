"""Consent: the Consents imported and kept whole, then CareBond's own contact consents.

A consent record is a patient's decision about being contacted on one channel (text, email,
phone, portal, post) for one purpose (appointments, care, surveys, marketing). The newest record
per channel and purpose is in force (status ``active``); older ones are the history (status
``inactive``). A grant is an opt-in that permits, a revocation an opt-out that denies. FHIR has
no codes for CareBond's channels and purposes, so they carry CareBond's own code systems.

How the decision was taken (verbal, signed form, STOP keyword…) and its evidence stay in
CareBond: the evidence is free text that may quote the patient.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from carebond.core.fhir.building import FhirResource
from carebond.core.fhir.search import ID_PARAM
from carebond.core.fhir.systems import CONSENT_SCOPE, LOINC, V3_ACT_CODE
from carebond.core.fhir.type_module import FhirRows, FhirTypeModule
from carebond.interop.resources.kept_whole import kept_whole_rows, map_stored
from carebond.people.fhir import patient_params, person_if_patient, person_reference
from carebond.people.models import (
    Channel,
    ConsentRecord,
    ConsentStatus,
    PersonKind,
    PersonStatus,
    Purpose,
)

CONTACT_CHANNEL_SYSTEM = "urn:carebond:contact-channel"
CONTACT_PURPOSE_SYSTEM = "urn:carebond:contact-purpose"


def consent_record_to_fhir(record: ConsentRecord) -> FhirResource:
    """``record.superseded_at`` (annotated by the selector) is when a newer decision replaced it:
    the resource changed then (active to inactive), so that is its lastUpdated."""
    granted = record.status == ConsentStatus.GRANTED
    superseded_at = getattr(record, "superseded_at", None)
    resource: dict[str, Any] = {
        "resourceType": "Consent",
        "id": str(record.public_id),
        "meta": {"lastUpdated": (superseded_at or record.recorded_at).isoformat()},
        "status": "inactive" if superseded_at else "active",
        "scope": {
            "coding": [{"system": CONSENT_SCOPE, "code": "patient-privacy", "display": "Privacy"}]
        },
        "category": [{"coding": [{"system": LOINC, "code": "59284-0", "display": "Consent"}]}],
        "dateTime": record.recorded_at.isoformat(),
        "policyRule": {
            "coding": [
                {"system": V3_ACT_CODE, "code": "OPTIN", "display": "opt-in"}
                if granted
                else {"system": V3_ACT_CODE, "code": "OPTOUT", "display": "opt-out"}
            ]
        },
        "provision": {
            "type": "permit" if granted else "deny",
            "purpose": [
                {
                    "system": CONTACT_PURPOSE_SYSTEM,
                    "code": record.purpose,
                    "display": Purpose(record.purpose).label,
                }
            ],
            "code": [
                {
                    "coding": [
                        {
                            "system": CONTACT_CHANNEL_SYSTEM,
                            "code": record.channel,
                            "display": Channel(record.channel).label,
                        }
                    ]
                }
            ],
        },
    }
    patient = person_reference(record.person)
    if patient is not None:
        resource["patient"] = patient
        resource["performer"] = [patient]
    return resource


def consent_record_rows(organization_id: int) -> QuerySet[ConsentRecord]:
    """Patients' contact consents, each with ``superseded_at``: when a newer decision for the
    same channel and purpose replaced it (None for the one in force)."""
    newer = (
        ConsentRecord.objects.filter(
            person_id=OuterRef("person_id"),
            channel=OuterRef("channel"),
            purpose=OuterRef("purpose"),
        )
        .filter(
            Q(recorded_at__gt=OuterRef("recorded_at"))
            | Q(recorded_at=OuterRef("recorded_at"), pk__gt=OuterRef("pk"))
        )
        .order_by("recorded_at", "pk")
    )
    return (
        ConsentRecord.objects.filter(
            organization_id=organization_id, person__kind=PersonKind.PATIENT
        )
        .exclude(person__status=PersonStatus.MERGED)
        .select_related("person")
        .annotate(superseded_at=Subquery(newer.values("recorded_at")[:1]))
        .order_by("pk")
    )


FHIR_TYPES = (
    FhirTypeModule(
        "Consent",
        read=map_stored,
        sources=(
            kept_whole_rows("Consent"),
            FhirRows(
                consent_record_rows,
                consent_record_to_fhir,
                params=(ID_PARAM, *patient_params("person")),
                patient_of=person_if_patient,
            ),
        ),
        documentation="Consents kept as imported, then patients' contact consents recorded "
        "in CareBond (one per decision; the newest per channel and purpose is active).",
        kept_whole=True,
    ),
)
