"""Files from other EHRs come in any order: what points at something imported later waits for
it (PendingReference) and gets it when it arrives, in a later file or a later run of the same
connection. Epic sends PractitionerRole with the schedule, Cerner RelatedPerson with the
encounter, a planned Encounter (no start yet) before the patient's demographics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.interop.models import ImportRun, PendingReference, StoredResource
from carebond.interop.testing import write
from carebond.people.models import Person, ReferralSourceProfile, Relationship

BASE = "/fhir/R4/"

PRACTITIONER = {
    "resourceType": "Practitioner",
    "id": "4122622",
    "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
    "name": [{"use": "official", "family": "Hartley", "given": ["Morgan"]}],
}
ROLE = {
    "resourceType": "PractitionerRole",
    "id": "4122622-cardiology",
    "practitioner": {"reference": "Practitioner/4122622", "display": "Hartley, Morgan MD"},
    "organization": {"reference": "Organization/675844", "display": "Lakeview Heart Clinic"},
    "specialty": [
        {
            "coding": [
                {
                    "system": "http://nucc.org/provider-taxonomy",
                    "code": "207RC0000X",
                    "display": "Cardiovascular Disease Physician",
                }
            ]
        }
    ],
}
PATIENT = {
    "resourceType": "Patient",
    "id": "12724066",
    "identifier": [{"system": "urn:oid:2.16.840.1.113883.6.1000", "value": "MRN-88310"}],
    "name": [{"use": "official", "family": "Nakamura", "given": ["Yuki"]}],
    "birthDate": "1958-04-22",
}
RELATIVE = {
    "resourceType": "RelatedPerson",
    "id": "12724066-rp1",
    "patient": {"reference": "Patient/12724066"},
    "relationship": [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                    "code": "CHILD",
                    "display": "daughter",
                }
            ]
        }
    ],
    "name": [{"use": "official", "family": "Nakamura", "given": ["Emi"]}],
    "birthDate": "1986-09-14",
}
PLANNED = {
    "resourceType": "Encounter",
    "id": "97954025",
    "status": "planned",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "subject": {"reference": "Patient/12724066"},
    "participant": [{"individual": {"reference": "Practitioner/4122622"}}],
}


def collection(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


@pytest.fixture
def clinician(users_a: dict[str, User], api_for: Callable[[User], Client]) -> Client:
    return api_for(users_a[Role.CLINICIAN])


def test_a_role_imported_before_its_practitioner_gives_the_specialty_when_it_arrives(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path
) -> None:
    # given a run that brings the role of a practitioner not imported yet
    run_import(write(tmp_path / "roles.json", collection(ROLE)))
    # when a later run brings the practitioner
    run_import(write(tmp_path / "practitioners.json", collection(PRACTITIONER)))
    # then the practitioner has the role's specialty and practice
    person = Person.objects.get(organization=org_a, origin_id="Practitioner/4122622")
    profile = ReferralSourceProfile.objects.get(person=person)
    assert profile.specialty == "Cardiovascular Disease Physician"
    assert profile.practice_name == "Lakeview Heart Clinic"
    assert not PendingReference.objects.exists()
    # and importing both again changes nothing
    again = run_import(tmp_path / "roles.json", tmp_path / "practitioners.json")
    assert {t: c["unchanged"] for t, c in again.counts.items()} == {
        "Practitioner": 1,
        "PractitionerRole": 1,
    }
    assert sum(c["updated"] + c["imported"] for c in again.counts.values()) == 0


def test_a_related_person_imported_before_the_patient_is_linked_when_the_patient_arrives(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path, clinician: Client
) -> None:
    # given a run with a daughter whose patient is not imported yet
    run_import(write(tmp_path / "family.json", collection(RELATIVE)))
    emi = Person.objects.get(organization=org_a, origin_id="RelatedPerson/12724066-rp1")
    assert not Relationship.objects.filter(related=emi).exists()
    # when a later run brings the patient
    run_import(write(tmp_path / "patients.json", collection(PATIENT)))
    # then the daughter is linked to her, with the relationship, and the facade shows her
    yuki = Person.objects.get(organization=org_a, origin_id="Patient/12724066")
    link = Relationship.objects.get(related=emi)
    assert (link.patient, link.relationship) == (yuki, "CHILD")
    found = clinician.get(BASE + "RelatedPerson", {"patient": str(yuki.public_id)}).json()
    assert [e["resource"]["patient"]["reference"] for e in found["entry"]] == [
        f"Patient/{yuki.public_id}"
    ]
    # and the patient's audit trail says the link came later
    filled = AuditEvent.objects.get(action="interop.references_filled")
    assert filled.patient_id == str(yuki.public_id)
    assert not PendingReference.objects.exists()


def test_a_kept_encounter_imported_before_its_patient_is_linked_and_served_when_it_arrives(
    run_import: Callable[..., ImportRun], org_a: Organization, tmp_path: Path, clinician: Client
) -> None:
    # given a planned encounter (no start: kept whole) whose patient is not imported yet
    run_import(write(tmp_path / "schedule.json", collection(PLANNED)))
    kept = StoredResource.objects.get(organization=org_a, origin_id="Encounter/97954025")
    assert kept.person_id is None
    # when a later run brings the patient
    run_import(write(tmp_path / "patients.json", collection(PATIENT)))
    # then the encounter is the patient's, and the facade serves it with the patient's reference
    yuki = Person.objects.get(organization=org_a, origin_id="Patient/12724066")
    assert StoredResource.objects.get(pk=kept.pk).person_id == yuki.pk
    found = clinician.get(BASE + "Encounter", {"patient": f"Patient/{yuki.public_id}"}).json()
    assert [e["resource"]["id"] for e in found.get("entry", [])] == [str(kept.public_id)]
    assert found["entry"][0]["resource"]["subject"] == {"reference": f"Patient/{yuki.public_id}"}
    assert found["entry"][0]["resource"]["status"] == "planned"
    assert clinician.get(f"{BASE}Encounter/{kept.public_id}").status_code == 200
    assert not PendingReference.objects.filter(holder=f"stored:{kept.pk}").exists()
