"""POST /fhir/R4: transaction and batch Bundles from an EHR, answered the FHIR way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.models import Organization
from carebond.interop.models import ImportRun
from carebond.interop.testing import EXAMPLES, load
from carebond.people.models import Person
from carebond.touchpoints.models import Touchpoint

URL = "/fhir/R4/"
FHIR_JSON = "application/fhir+json"


def transaction(*resources: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "meta": {"source": "https://ehr.example.org/fhir"},
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['id']}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
            for r in resources
        ],
    }


PATIENT = {
    "resourceType": "Patient",
    "id": "0b7c54a2-0d5e-4c55-9a3c-1d8f0e1a2b3c",
    "name": [{"family": "Hale", "given": ["Jordan"]}],
    "birthDate": "1979-11-02",
}
VISIT = {
    "resourceType": "Encounter",
    "id": "7f1d2c3b-4a5e-4f60-8a9b-0c1d2e3f4a5b",
    "status": "finished",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "subject": {"reference": f"urn:uuid:{PATIENT['id']}"},
    "period": {"start": "2026-01-05T14:00:00Z"},
}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "c0ffee00-0000-4000-8000-000000000001",
    "status": "final",
    "code": {"text": "Weight"},
}


def post(client: Client, body: Any, content_type: str = FHIR_JSON) -> Any:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(URL, data=data, content_type=content_type)


@pytest.fixture
def manager_client(api_for: Callable[[User], Client], manager_a: User) -> Client:
    return api_for(manager_a)


def test_a_transaction_is_imported_and_each_entry_answered(
    manager_client: Client, org_a: Organization
) -> None:
    response = post(manager_client, transaction(PATIENT, VISIT, OBSERVATION))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    assert body["type"] == "transaction-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created", "201 Created", "200 OK"]
    person = Person.objects.get(organization=org_a, family_name="Hale")
    assert body["entry"][0]["response"]["location"] == f"Patient/{person.public_id}"
    visit = Touchpoint.objects.get(person=person)
    assert body["entry"][1]["response"]["location"] == f"Encounter/{visit.public_id}"
    assert "does not keep Observation" in str(body["entry"][2]["response"]["outcome"])
    assert visit.origin_system == "https://ehr.example.org/fhir"


def test_sending_the_same_transaction_again_creates_nothing(
    manager_client: Client, org_a: Organization
) -> None:
    post(manager_client, transaction(PATIENT, VISIT))

    again = post(manager_client, transaction(PATIENT, VISIT))

    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK", "200 OK"]
    assert Person.objects.filter(organization=org_a).count() == 1
    assert Touchpoint.objects.filter(organization=org_a).count() == 1


def test_the_hl7_transaction_example_is_refused_for_its_delete_entry_and_nothing_written(
    manager_client: Client, org_a: Organization
) -> None:
    example = load(EXAMPLES / "Bundle-bundle-transaction.json")
    delete_at = next(
        n for n, e in enumerate(example["entry"]) if e.get("request", {}).get("method") == "DELETE"
    )

    response = post(manager_client, example)

    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == [f"Bundle.entry[{delete_at}]"]
    assert "DELETE" in issue["diagnostics"]
    assert not Person.objects.filter(organization=org_a).exists()


def test_the_hl7_transaction_example_without_its_requests_imports_its_conditional_puts(
    manager_client: Client, org_a: Organization
) -> None:
    example = load(EXAMPLES / "Bundle-bundle-transaction.json")
    example["entry"] = [e for e in example["entry"] if "resource" in e]

    response = post(manager_client, example)

    assert response.status_code == 200
    assert len(response.json()["entry"]) == len(example["entry"])
    assert Person.objects.filter(organization=org_a, kind="patient").exists()


def test_a_bad_entry_rejects_the_whole_transaction_with_its_path(
    manager_client: Client, org_a: Organization
) -> None:
    bad_visit = dict(VISIT, period={"start": "yesterday"})

    response = post(manager_client, transaction(PATIENT, bad_visit))

    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["Encounter.period.start"]
    assert issue["diagnostics"].startswith(f"Bundle entry 1, Encounter/{VISIT['id']}: ")
    assert "Nothing was imported" in issue["diagnostics"]
    assert not Person.objects.filter(organization=org_a).exists()
    assert ImportRun.objects.get().bundles_rejected == 1


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"{not json", FHIR_JSON, 400, "not valid JSON"),
        (b'{"resourceType": "Patient"}', FHIR_JSON, 400, "POST a Bundle"),
        (
            orjson.dumps(transaction(PATIENT, kind="collection")),
            FHIR_JSON,
            400,
            "takes transaction or batch",
        ),
        (orjson.dumps(transaction(PATIENT)), "application/fhir+json; fhirVersion=3.0", 415, "3.0"),
        (orjson.dumps(transaction(PATIENT)), "application/xml", 415, "application/fhir+json"),
        (
            orjson.dumps(
                {
                    "resourceType": "Bundle",
                    "type": "transaction",
                    "entry": [{"resource": {"resourceType": "MedicationOrder", "id": "m"}}],
                }
            ),
            FHIR_JSON,
            400,
            "DSTU2",
        ),
    ],
)
def test_bad_requests_get_an_operation_outcome_and_write_nothing(
    manager_client: Client,
    org_a: Organization,
    body: bytes,
    content_type: str,
    status: int,
    words: str,
) -> None:
    response = post(manager_client, body, content_type=content_type)

    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert words in response.json()["issue"][0]["diagnostics"]
    assert not Person.objects.filter(organization=org_a).exists()


def test_a_body_over_the_limit_is_refused_before_reading(
    manager_client: Client, settings: Any
) -> None:
    settings.FHIR_MAX_POST_BYTES = 100

    response = post(manager_client, transaction(PATIENT, VISIT))

    assert response.status_code == 413
    assert "the limit is 100" in response.json()["issue"][0]["diagnostics"]


def test_only_managers_and_admins_may_import(
    api_for: Callable[[User], Client], users_a: dict[str, User], org_a: Organization
) -> None:
    for role in ("clinician", "front_desk", "liaison", "analyst"):
        response = post(api_for(users_a[role]), transaction(PATIENT))
        assert response.status_code == 403, role
    assert post(Client(), transaction(PATIENT)).status_code == 401
    assert not Person.objects.filter(organization=org_a).exists()


def test_an_import_lands_in_the_senders_organisation_only(
    api_for: Callable[[User], Client], users_b: dict[str, User], org_a: Organization
) -> None:
    post(api_for(users_b["manager"]), transaction(PATIENT))

    assert not Person.objects.filter(organization=org_a).exists()
    assert Person.objects.filter(organization=users_b["manager"].organization).count() == 1
