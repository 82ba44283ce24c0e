"""Patients' contact consents recorded in CareBond, as FHIR Consent: read, search, export."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import call_command
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.permissions import Role
from carebond.interop.models import StoredResource
from carebond.interop.tests.conftest import Clinic, validate_fhir
from carebond.people.actions import check_record_consent
from carebond.people.models import ConsentRecord, Person
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

BASE = "/fhir/R4/"


@pytest.fixture
def clinician(users_a: dict[str, User], fhir_for: Callable[[User], Client]) -> Client:
    return fhir_for(users_a[Role.CLINICIAN])


def _consent(person: Person, channel: str, purpose: str, status: str, user: User) -> ConsentRecord:
    return check_record_consent(
        person,
        channel=channel,
        purpose=purpose,
        status=status,
        method="verbal",
        evidence="Said on the phone: text me, but not about offers",
        acting_user=user,
    )


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_a_recorded_consent_reads_as_valid_r4_with_the_decision_in_force(
    clinician: Client, clinic_a: Clinic, admin_a: User
) -> None:
    # given Maria agreed to appointment texts, then withdrew, and opted in to care emails
    maria = clinic_a.patient
    first = _consent(maria, "sms", "appointment", "granted", admin_a)
    withdrawn = _consent(maria, "sms", "appointment", "revoked", admin_a)
    email = _consent(maria, "email", "care", "granted", admin_a)
    # when a client reads them
    read = {r.pk: clinician.get(f"{BASE}Consent/{r.public_id}") for r in (first, withdrawn, email)}
    assert {response.status_code for response in read.values()} == {200}
    resources = {pk: response.json() for pk, response in read.items()}
    for resource in resources.values():
        validate_fhir(resource)
        assert resource["patient"] == {"reference": f"Patient/{maria.public_id}"}
        assert resource["scope"]["coding"][0]["code"] == "patient-privacy"
        # the evidence (free text that may quote the patient) never leaves CareBond
        assert "phone" not in orjson.dumps(resource).decode()
    # then the superseded grant is inactive; the withdrawal and the email grant are in force
    old, new, mail = resources[first.pk], resources[withdrawn.pk], resources[email.pk]
    assert (old["status"], old["provision"]["type"]) == ("inactive", "permit")
    # it changed when the withdrawal replaced it, so a client syncing by lastUpdated sees it
    assert old["meta"]["lastUpdated"] == withdrawn.recorded_at.isoformat()
    assert old["dateTime"] == first.recorded_at.isoformat()
    assert (new["status"], new["provision"]["type"]) == ("active", "deny")
    assert new["policyRule"]["coding"][0]["code"] == "OPTOUT"
    assert new["provision"]["purpose"][0]["code"] == "appointment"
    assert new["provision"]["code"][0]["coding"][0]["code"] == "sms"
    assert (mail["status"], mail["provision"]["type"]) == ("active", "permit")
    assert mail["policyRule"]["coding"][0]["code"] == "OPTIN"
    # and each read is audited with Maria as the patient
    reads = AuditEvent.objects.filter(action="fhir.consent.read", patient_id=str(maria.public_id))
    assert reads.count() == 3


def test_consent_search_pages_across_imported_consents_and_recorded_ones(
    clinician: Client, clinic_a: Clinic, admin_a: User
) -> None:
    # given an imported Consent kept whole for Maria, and two consents recorded in CareBond
    maria, mark = clinic_a.patient, clinic_a.second_patient
    imported = StoredResource.objects.create(
        organization=maria.organization,
        resource_type="Consent",
        person=maria,
        status="active",
        occurred_at=clinic_a.service_request.occurred_at,
        updated_at=clinic_a.service_request.updated_at,
        origin_system="https://ehr.example.org/fhir",
        origin_id="Consent/9",
        body=orjson.dumps(
            {
                "resourceType": "Consent",
                "id": "9",
                "status": "active",
                "scope": {"coding": [{"code": "treatment"}]},
                "category": [{"coding": [{"code": "59284-0"}]}],
                "patient": {"reference": f"Patient/{maria.public_id}"},
                "policyRule": {"coding": [{"code": "OPTIN"}]},
            }
        ).decode(),
    )
    recorded = [
        _consent(maria, "sms", "appointment", "granted", admin_a),
        _consent(maria, "email", "survey", "revoked", admin_a),
    ]
    _consent(mark, "phone", "care", "granted", admin_a)
    expected = [str(imported.public_id), *(str(r.public_id) for r in recorded)]
    # when a client pages through Maria's consents two at a time
    query = {"patient": f"Patient/{maria.public_id}", "_count": "2"}
    first = clinician.get(BASE + "Consent", query)
    page = first.json()
    links = {link["relation"]: link["url"] for link in page["link"]}
    second = clinician.get(links["next"]).json()
    # then it gets all three, imported first, each once, and the total counts both kinds
    assert page["total"] == second["total"] == 3
    assert _ids(page) + _ids(second) == expected
    # and _id finds a recorded one, and the search without a patient finds Mark's too
    by_id = clinician.get(BASE + "Consent", {"_id": str(recorded[1].public_id)}).json()
    assert _ids(by_id) == [str(recorded[1].public_id)]
    assert clinician.get(BASE + "Consent").json()["total"] == 4


def test_another_organisations_consent_is_404_and_referral_sources_consents_stay_out(
    clinic_a: Clinic,
    admin_a: User,
    outsider_b: User,
    org_b: Any,
    api_for: Callable[[User], Client],
    clinician: Client,
) -> None:
    theirs = _consent(make_patient(org_b, "Ana", "Silva"), "sms", "care", "granted", outsider_b)
    outsider = api_for(outsider_b)
    assert outsider.get(f"{BASE}Consent/{theirs.public_id}").status_code == 200
    assert clinician.get(f"{BASE}Consent/{theirs.public_id}").status_code == 404
    # a referral source's consent to news is about contact, not a patient: no FHIR Consent
    practitioner = _consent(clinic_a.practitioner, "email", "marketing", "granted", admin_a)
    assert clinician.get(f"{BASE}Consent/{practitioner.public_id}").status_code == 404


def test_the_export_writes_recorded_consents_as_valid_ndjson(
    tmp_path: Path, clinic_a: Clinic, admin_a: User
) -> None:
    _consent(clinic_a.patient, "sms", "appointment", "granted", admin_a)
    _consent(clinic_a.patient, "sms", "appointment", "revoked", admin_a)
    call_command("export_fhir", str(tmp_path / "out"), stdout=StringIO())
    lines = (tmp_path / "out" / "Consent.ndjson").read_bytes().splitlines()
    consents = [orjson.loads(line) for line in lines]
    for consent in consents:
        validate_fhir(consent)
    assert sorted(c["status"] for c in consents) == ["active", "inactive"]
