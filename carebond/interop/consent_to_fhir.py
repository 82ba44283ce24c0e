"""CareBond's own contact consents as FHIR R4 Consent resources.

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

from carebond.interop.to_fhir import V3_ACT_CODE, FhirResource, person_reference
from carebond.people.models import Channel, ConsentRecord, ConsentStatus, Purpose

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
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
