"""A FHIR type is whatever is registered: a type module written here (Flag) is imported, read,
searched, listed in the CapabilityStatement and exported while registered, and none of these
know it once it is unregistered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.test import Client

from carebond.accounts.models import User
from carebond.core.fhir.search import InvalidSearch
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.core.registry import FhirResourceType, registered
from carebond.interop.exporting.actions import run_bulk_export_job
from carebond.interop.exporting.export import clean_export_types, export_types
from carebond.interop.models import BulkExport, ImportRun, StoredResource
from carebond.interop.testing import write
from carebond.interop.tests.conftest import validate_fhir
from carebond.people.models import Person

pytestmark = pytest.mark.django_db

FLAG = FhirResourceType("Flag", "carebond.interop.tests.resources.flag", "interop")
BASE = "/fhir/R4/"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def _bundle(flag_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:8c2a0f9e-4c1e-4a57-9a53-3f0d8f0c0001",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "name": [{"family": "Okafor", "given": ["Ada"]}],
                    "birthDate": "1970-02-03",
                },
            },
            {
                "resource": {
                    "resourceType": "Flag",
                    "id": flag_id,
                    "status": "active",
                    "code": {"text": "Fall risk"},
                    "subject": {"reference": "Patient/p1"},
                },
            },
        ],
    }


def _flag_counts(run: ImportRun) -> dict[str, int]:
    counts: dict[str, int] = run.counts["Flag"]
    return {outcome: n for outcome, n in counts.items() if n}


@pytest.fixture
def clients(api_for: Callable[[User], Client], users_a: dict[str, User]) -> tuple[Client, Client]:
    """A clinician (reads) and a manager ($export), with Bearer tokens."""
    return api_for(users_a[Role.CLINICIAN]), api_for(users_a[Role.MANAGER])


def test_a_registered_type_is_imported_served_and_exported_then_gone_when_unregistered(
    run_import: Callable[..., ImportRun],
    org_a: Organization,
    clients: tuple[Client, Client],
    tmp_path: Path,
    settings: Any,
    client: Client,
) -> None:
    clinician, manager = clients
    settings.FHIR_EXPORT_DIR = tmp_path / "fhir-exports"

    # given Flag, a type no module of CareBond's own defines: the import skips it
    run = run_import(write(tmp_path / "before.json", _bundle("f0")))
    assert _flag_counts(run) == {"skipped": 1}
    assert clinician.get(BASE + "Flag").status_code == 404

    with registered(FLAG):
        # when its module is registered, the import keeps it for the patient it is about
        run = run_import(write(tmp_path / "flag.json", _bundle("f1")))
        assert _flag_counts(run) == {"imported": 1}
        stored = StoredResource.objects.get(organization=org_a, resource_type="Flag")
        patient = Person.objects.get(organization=org_a, family_name="Okafor")
        assert stored.person == patient

        # and the facade reads and searches it, by patient as its module says
        found = clinician.get(BASE + "Flag", {"patient": f"Patient/{patient.public_id}"})
        assert found.status_code == 200
        bundle = found.json()
        assert bundle["total"] == 1
        flag = bundle["entry"][0]["resource"]
        assert flag["id"] == str(stored.public_id)
        assert flag["subject"] == {"reference": f"Patient/{patient.public_id}"}
        validate_fhir(flag)
        read = clinician.get(f"{BASE}Flag/{stored.public_id}")
        assert read.status_code == 200
        assert read.json() == flag

        # and the CapabilityStatement lists it with its search parameters
        listed = {r["type"]: r for r in client.get(BASE + "metadata").json()["rest"][0]["resource"]}
        assert listed["Flag"]["documentation"] == "Alerts about a patient."
        assert [p["name"] for p in listed["Flag"]["searchParam"]] == [
            "_id",
            "patient",
            "subject",
            "_count",
        ]

        # and exports hold it, a whole export and one asking for it alone
        assert "Flag" in export_types(org_a.pk)
        kickoff = manager.get(BASE + "Patient/$export?_type=Flag", headers=ASYNC)
        assert kickoff.status_code == 202
        export = BulkExport.objects.get()
        run_bulk_export_job(export.pk)
        export.refresh_from_db()
        assert export.files == [{"type": "Flag", "file": "Flag.ndjson", "count": 1}]
        lines = (Path(export.output_dir) / "Flag.ndjson").read_bytes().splitlines()
        assert [orjson.loads(line)["id"] for line in lines] == [str(stored.public_id)]

    # when it is unregistered again, nothing serves, lists or exports it, and the import skips it
    assert clinician.get(BASE + "Flag").status_code == 404
    assert clinician.get(f"{BASE}Flag/{stored.public_id}").status_code == 404
    still = {r["type"] for r in client.get(BASE + "metadata").json()["rest"][0]["resource"]}
    assert "Flag" not in still
    assert "Flag" not in export_types(org_a.pk)
    with pytest.raises(InvalidSearch):
        clean_export_types(org_a.pk, ["Flag"], field="_type")
    run = run_import(write(tmp_path / "after.json", _bundle("f2")))
    assert _flag_counts(run) == {"skipped": 1}
