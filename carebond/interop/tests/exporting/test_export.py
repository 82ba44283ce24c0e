"""Bulk export: `carebond export-fhir DIR` and the asynchronous Patient/$export."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tasks import default_task_backend

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.interop.exporting.actions import run_bulk_export_job
from carebond.interop.exporting.tasks import run_bulk_export
from carebond.interop.models import BulkExport, ExportStatus, StoredResource
from carebond.interop.tests.conftest import Clinic, build_clinic, validate_fhir
from carebond.people.tests.factories import make_patient

pytestmark = pytest.mark.django_db

KICKOFF = "/fhir/R4/Patient/$export"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}


def _read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _references(value: Any) -> list[str]:
    """Every "reference" string anywhere inside a resource."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


# --- the command line ----------------------------------------------------------------------------


def test_command_writes_one_valid_ndjson_file_per_type(
    tmp_path: Path, clinic_a: Clinic, org_a: Organization
) -> None:
    # given one organisation with a bit of everything
    out = StringIO()
    # when it is exported
    call_command("export_fhir", str(tmp_path / "out"), stdout=out)
    # then each type has its file, every line is valid R4, and the counts are right
    files = {p.name: _read_ndjson(p) for p in (tmp_path / "out").iterdir()}
    counts = {name.removesuffix(".ndjson"): len(lines) for name, lines in files.items()}
    assert counts == {
        "Organization": 1,
        "Location": 1,
        "Practitioner": 2,
        "Patient": 2,
        "RelatedPerson": 1,
        "Encounter": 2,
        "Communication": 2,
        "Condition": 1,
        "AllergyIntolerance": 1,
        "MedicationStatement": 1,
        "Immunization": 1,
        "ServiceRequest": 1,
    }
    for name, resources in files.items():
        for resource in resources:
            assert resource["resourceType"] == name.removesuffix(".ndjson")
            validate_fhir(resource)
    assert "Wrote 12 file(s), 16 resource(s)." in out.getvalue()
    # and every reference points at a resource of the same export (the import can resolve it)
    exported = {f"{r['resourceType']}/{r['id']}" for lines in files.values() for r in lines}
    dangling = [
        ref
        for lines in files.values()
        for resource in lines
        for ref in _references(resource)
        if ref not in exported
    ]
    assert dangling == []


@pytest.mark.django_db(transaction=True)
def test_command_outside_a_test_transaction_reads_one_snapshot(
    tmp_path: Path, org_a: Organization, admin_a: User
) -> None:
    # given the command runs as it does in production (not inside the test's transaction,
    # so on PostgreSQL it opens its own REPEATABLE READ snapshot)
    build_clinic(org_a, admin_a)
    call_command("export_fhir", str(tmp_path), stdout=StringIO())
    # then the files are complete and nothing is left half-written
    assert len(_read_ndjson(tmp_path / "Patient.ndjson")) == 2
    assert not list(tmp_path.glob("*.part"))


def test_history_items_map_to_their_clinical_types(tmp_path: Path, clinic_a: Clinic) -> None:
    call_command("export_fhir", str(tmp_path), stdout=StringIO())
    patient = f"Patient/{clinic_a.patient.public_id}"
    (condition,) = _read_ndjson(tmp_path / "Condition.ndjson")
    assert condition["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "44054006", "display": "Type 2 diabetes"}
    ]
    assert condition["clinicalStatus"]["coding"][0]["code"] == "active"
    assert condition["onsetDateTime"] == "2020-01-15"
    assert condition["subject"]["reference"] == patient
    (allergy,) = _read_ndjson(tmp_path / "AllergyIntolerance.ndjson")
    assert allergy["clinicalStatus"]["coding"][0]["code"] == "active"
    assert allergy["patient"]["reference"] == patient
    (medication,) = _read_ndjson(tmp_path / "MedicationStatement.ndjson")
    assert medication["status"] == "active"
    assert medication["effectiveDateTime"] == "2020-01-15"
    assert medication["medicationCodeableConcept"]["coding"][0]["code"] == "860975"
    (immunization,) = _read_ndjson(tmp_path / "Immunization.ndjson")
    assert immunization["occurrenceDateTime"] == "2020-01-15"
    assert immunization["vaccineCode"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/cvx"
    # ids are stable from one export to the next (a re-import updates instead of duplicating)
    call_command("export_fhir", str(tmp_path / "again"), stdout=StringIO())
    (again,) = _read_ndjson(tmp_path / "again" / "Condition.ndjson")
    assert again["id"] == condition["id"]


def test_resolved_problems_are_resolved(tmp_path: Path, org_a: Organization) -> None:
    from carebond.people.actions import check_add_history_item

    patient = make_patient(org_a)
    check_add_history_item(
        patient, category="problem", display="Broken wrist", is_active=False, acting_user=None
    )
    call_command("export_fhir", str(tmp_path), "--type", "Condition", stdout=StringIO())
    (condition,) = _read_ndjson(tmp_path / "Condition.ndjson")
    assert condition["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert condition["code"] == {"text": "Broken wrist"}
    assert "onsetDateTime" not in condition
    validate_fhir(condition)


def test_command_exports_one_organisation_and_audits_it(
    tmp_path: Path, clinic_a: Clinic, org_b: Organization, admin_a: User
) -> None:
    # given a second organisation with its own patient
    make_patient(org_b, "Nadia", "Okafor")
    # then the organisation must be named
    with pytest.raises(CommandError, match="--organization"):
        call_command("export_fhir", str(tmp_path / "x"), stdout=StringIO())
    # when it is, only that organisation's data is written
    call_command(
        "export_fhir",
        str(tmp_path / "b"),
        "--organization",
        "org-b",
        "--type",
        "Patient",
        stdout=StringIO(),
    )
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["Patient.ndjson"]
    (nadia,) = _read_ndjson(tmp_path / "b" / "Patient.ndjson")
    assert nadia["name"][0]["family"] == "Okafor"
    # and the export is in organisation B's audit trail, once
    event = AuditEvent.objects.get(action="fhir.export")
    assert event.organization_id == org_b.pk
    assert event.actor_label == "cli"


def test_command_refuses_unknown_types_and_organisations(tmp_path: Path, clinic_a: Clinic) -> None:
    with pytest.raises(CommandError, match="Observation"):
        call_command("export_fhir", str(tmp_path), "--type", "Observation", stdout=StringIO())
    with pytest.raises(CommandError, match="nowhere"):
        call_command("export_fhir", str(tmp_path), "--organization", "nowhere", stdout=StringIO())
    assert list(tmp_path.iterdir()) == []
    assert not AuditEvent.objects.filter(action="fhir.export").exists()


# --- Patient/$export ----------------------------------------------------------------------------


@pytest.fixture
def manager_api(api_for: Callable[[User], Client], manager_a: User) -> Client:
    return api_for(manager_a)


def _kick_off(api: Client, capture: Any, query: str = "") -> tuple[Any, BulkExport | None]:
    with capture(execute=True):
        response = api.get(KICKOFF + query, headers=ASYNC)
    return response, BulkExport.objects.order_by("-id").first()


def test_export_kick_off_poll_download_and_delete(
    manager_api: Client,
    clinic_a: Clinic,
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    default_task_backend.clear()  # type: ignore[attr-defined]
    # when a manager kicks off an export
    response, export = _kick_off(manager_api, django_capture_on_commit_callbacks)
    # then it is accepted, with a status URL, and the job is queued
    assert response.status_code == 202
    assert export is not None
    status_url = response["Content-Location"]
    assert status_url == f"http://testserver/fhir/R4/bulk/{export.public_id}"
    queued = default_task_backend.results  # type: ignore[attr-defined]
    assert [(r.task.name, r.kwargs) for r in queued] == [
        ("run_bulk_export", {"export_id": export.pk})
    ]
    # and while it has not run, the status says so
    waiting = manager_api.get(status_url)
    assert waiting.status_code == 202
    assert waiting["X-Progress"]
    assert waiting["Content-Type"].startswith("application/fhir+json")
    assert waiting.json()["issue"][0]["diagnostics"] == waiting["X-Progress"]
    # when the worker runs the job (twice: a retry must change nothing)
    run_bulk_export.call(export_id=export.pk)
    run_bulk_export.call(export_id=export.pk)
    # then the status is the completion manifest
    done = manager_api.get(status_url)
    assert done.status_code == 200
    manifest = done.json()
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"] == "http://testserver/fhir/R4/Patient/$export"
    assert manifest["error"] == []
    assert manifest["transactionTime"] == export.requested_at.isoformat()
    outputs = {o["type"]: o for o in manifest["output"]}
    assert outputs["Patient"]["count"] == 2
    assert outputs["Encounter"]["count"] == 2
    # and each file downloads as NDJSON of valid resources, as many as announced
    for output in manifest["output"]:
        file = manager_api.get(output["url"], HTTP_ACCEPT="application/fhir+ndjson")
        assert file.status_code == 200
        assert file["Content-Type"] == "application/fhir+ndjson"
        lines = file.getvalue().splitlines()
        assert len(lines) == output["count"]
        for line in lines:
            resource = orjson.loads(line)
            assert resource["resourceType"] == output["type"]
            validate_fhir(resource)
    # and the export was audited once as a read, each download too
    assert AuditEvent.objects.filter(action="fhir.export").count() == 1
    assert AuditEvent.objects.filter(action="fhir.export.downloaded").count() == len(outputs)
    # when the client deletes the job (the files go once the deletion commits)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = manager_api.delete(status_url)
    # then it and its files are gone
    assert deleted.status_code == 202
    assert manager_api.get(status_url).status_code == 404
    assert manager_api.get(manifest["output"][0]["url"]).status_code == 404
    assert list(export_dir.iterdir()) == []
    assert AuditEvent.objects.filter(action="fhir.export.deleted").count() == 1


def test_export_of_some_types(
    manager_api: Client,
    clinic_a: Clinic,
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response, export = _kick_off(
        manager_api, django_capture_on_commit_callbacks, "?_type=Patient,Encounter"
    )
    assert response.status_code == 202
    assert export is not None
    run_bulk_export_job(export.pk)
    manifest = manager_api.get(response["Content-Location"]).json()
    assert [o["type"] for o in manifest["output"]] == ["Patient", "Encounter"]
    assert manifest["request"].endswith("Patient/$export?_type=Patient%2CEncounter")


@pytest.mark.parametrize(
    ("query", "headers", "param"),
    [
        ("", {"Accept": "application/fhir+json"}, "Prefer"),
        ("?_type=Observation", ASYNC, "_type"),
        ("?_since=2020-01-01T00:00:00Z", ASYNC, "_since"),
        ("?_outputFormat=text/csv", ASYNC, "_outputFormat"),
    ],
)
def test_export_kick_off_refuses_what_it_cannot_do(
    manager_api: Client, clinic_a: Clinic, query: str, headers: dict[str, str], param: str
) -> None:
    response = manager_api.get(KICKOFF + query, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == [param]
    assert not BulkExport.objects.exists()


def test_a_job_deleted_before_it_ran_writes_nothing(
    manager_api: Client,
    clinic_a: Clinic,
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response, export = _kick_off(manager_api, django_capture_on_commit_callbacks)
    assert export is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_api.delete(response["Content-Location"]).status_code == 202
    run_bulk_export_job(export.pk)
    assert not BulkExport.objects.exists()
    assert not export_dir.exists() or list(export_dir.iterdir()) == []
    assert not AuditEvent.objects.filter(action="fhir.export").exists()


def test_a_failed_job_reports_an_operation_outcome(
    manager_api: Client,
    clinic_a: Clinic,
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    response, export = _kick_off(manager_api, django_capture_on_commit_callbacks)
    assert export is not None

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    monkeypatch.setattr("carebond.interop.exporting.actions.write_ndjson_files", broken)
    run_bulk_export_job(export.pk)
    status = manager_api.get(response["Content-Location"])
    assert status.status_code == 500
    assert status.json()["resourceType"] == "OperationOutcome"
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED


def test_only_the_requester_sees_the_job(
    manager_api: Client,
    api_for: Callable[[User], Client],
    users_a: dict[str, User],
    users_b: dict[str, User],
    clinic_a: Clinic,
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response, export = _kick_off(manager_api, django_capture_on_commit_callbacks)
    assert export is not None
    run_bulk_export_job(export.pk)
    status_url = response["Content-Location"]
    file_url = manager_api.get(status_url).json()["output"][0]["url"]
    for other in (users_a[Role.ADMIN], users_b[Role.ADMIN], users_b[Role.MANAGER]):
        api = api_for(other)
        assert api.get(status_url).status_code == 404
        assert api.get(file_url).status_code == 404
        assert api.delete(status_url).status_code == 404
    assert BulkExport.objects.filter(pk=export.pk).exists()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.FRONT_DESK, Role.ANALYST])
def test_bulk_export_is_for_managers_and_administrators(
    api_for: Callable[[User], Client], users_a: dict[str, User], role: str
) -> None:
    response = api_for(users_a[role]).get(KICKOFF, headers=ASYNC)
    assert response.status_code == 403
    assert not BulkExport.objects.exists()


def test_unauthenticated_export_is_401(client: Client) -> None:
    assert client.get(KICKOFF, headers=ASYNC).status_code == 401


def test_export_in_other_organisation_holds_only_its_own_people(
    api_for: Callable[[User], Client],
    users_b: dict[str, User],
    org_a: Organization,
    admin_a: User,
    export_dir: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    build_clinic(org_a, admin_a)
    api = api_for(users_b[Role.MANAGER])
    response, export = _kick_off(api, django_capture_on_commit_callbacks)
    assert export is not None
    run_bulk_export_job(export.pk)
    assert api.get(response["Content-Location"]).json()["output"] == []


def test_each_type_is_written_once_however_many_resources_it_has(
    tmp_path: Path, clinic_a: Clinic
) -> None:
    # given three service requests kept whole
    for number in (2, 3):
        copy = StoredResource.objects.get(pk=clinic_a.service_request.pk)
        copy.pk, copy.public_id, copy.origin_id = None, uuid.uuid4(), f"ServiceRequest/{number}"
        copy.save()
    out = StringIO()
    # when the organisation is exported
    call_command("export_fhir", str(tmp_path / "out"), stdout=out)
    # then ServiceRequest is one file of three lines, listed once
    lines = (tmp_path / "out" / "ServiceRequest.ndjson").read_bytes().splitlines()
    assert len(lines) == 3
    assert out.getvalue().count("ServiceRequest.ndjson") == 1
    assert "Wrote 12 file(s), 18 resource(s)." in out.getvalue()
