"""The FHIR import page: upload, queue, import in the background, watch the progress."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.interop.importing.tasks import run_fhir_upload
from carebond.interop.models import ImportRun
from carebond.interop.testing import synthea_subset
from carebond.people.models import Person

URL = "/imports/fhir/"


@pytest.fixture
def upload_root(settings: Any, tmp_path: Path) -> Path:
    settings.FHIR_UPLOAD_DIR = tmp_path / "uploads"
    return Path(settings.FHIR_UPLOAD_DIR)


def as_upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes(), content_type="application/json")


def test_uploaded_files_are_imported_in_the_background_and_the_run_shows_it(
    client_for: Callable[[User], Client],
    manager_a: User,
    org_a: Organization,
    upload_root: Path,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(manager_a)
    files = synthea_subset(tmp_path / "set", patients=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"fhir_files": [as_upload(f) for f in files], "source": "https://ehr.example.org"}
        )

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/fhir/{run.public_id}/"
    assert (run.via, run.status, run.files_total) == ("upload", "running", 3)
    page = client.get(response["Location"])
    assert b'http-equiv="refresh"' in page.content  # still running: the page refreshes itself

    run_fhir_upload.call(run_id=run.pk)

    run.refresh_from_db()
    assert run.status == "finished"
    assert Person.objects.filter(organization=org_a, kind="patient").count() == 1
    assert not Path(run.upload_dir).exists()  # uploaded PHI is removed once imported
    page = client.get(response["Location"])
    assert b'http-equiv="refresh"' not in page.content
    assert b"Patient" in page.content
    # the finished run leads to the patient it brought in
    patient = Person.objects.get(organization=org_a, kind="patient")
    body = page.content.decode()
    assert "1 patient imported or updated" in body
    assert f'href="/people/{patient.public_id}/"' in body
    # and its notes say what happened in words, the FHIR path as the detail after them
    notes = body.split('data-testid="import-notes"')[1].split("</ul>")[0]
    assert "A phone number is not a number of the country it was read in" in notes
    assert notes.index("A phone number") < notes.index("<code>Patient.telecom</code>")
    listing = client.get(URL)
    assert str(run.public_id).encode() in listing.content


def test_a_rejected_bundle_is_listed_with_its_reason(
    client_for: Callable[[User], Client], manager_a: User, upload_root: Path
) -> None:
    client = client_for(manager_a)
    bad = SimpleUploadedFile("visit.json", orjson.dumps({"resourceType": "Patinet", "id": "1"}))
    client.post(URL, {"fhir_files": [bad], "source": "urn:test"})
    run = ImportRun.objects.get()

    run_fhir_upload.call(run_id=run.pk)
    page = client.get(f"/imports/fhir/{run.public_id}/")

    assert b"is not a FHIR R4 resource type" in page.content
    assert b"visit.json" in page.content
    # said in words first; the FHIR path is the detail, in its own column
    row = page.content.decode().split('data-testid="import-problems"')[1].split("</tr>")[1]
    assert row.index("is not a FHIR R4 resource type") < row.index("<code")
    # file names can carry patients' names: opening the run is an audited read
    read = AuditEvent.objects.filter(action="importrun.read", target_id=str(run.public_id))
    assert read.get().actor == manager_a


def test_running_the_task_twice_imports_once(
    client_for: Callable[[User], Client],
    manager_a: User,
    org_a: Organization,
    upload_root: Path,
    tmp_path: Path,
) -> None:
    files = synthea_subset(tmp_path / "set", patients=1)
    client_for(manager_a).post(
        URL, {"fhir_files": [as_upload(f) for f in files], "source": "urn:x"}
    )
    run = ImportRun.objects.get()

    run_fhir_upload.call(run_id=run.pk)
    run_fhir_upload.call(run_id=run.pk)

    assert Person.objects.filter(organization=org_a, kind="patient").count() == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([], b"Choose at least one file"),
        ([SimpleUploadedFile("notes.txt", b"hello")], b"not a FHIR file name"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(
    client_for: Callable[[User], Client],
    manager_a: User,
    upload_root: Path,
    files: list[Any],
    message: bytes,
) -> None:
    response = client_for(manager_a).post(URL, {"fhir_files": files, "source": "urn:x"})

    assert response.status_code == 400
    assert message in response.content
    assert not ImportRun.objects.exists()


def test_too_large_an_upload_is_refused(
    client_for: Callable[[User], Client], manager_a: User, upload_root: Path, settings: Any
) -> None:
    settings.FHIR_MAX_UPLOAD_BYTES = 10
    big = SimpleUploadedFile("a.json", b"{" + b" " * 100 + b"}")

    response = client_for(manager_a).post(URL, {"fhir_files": [big], "source": "urn:x"})

    assert response.status_code == 400
    assert b"the limit here is" in response.content


def test_only_managers_see_the_page_and_other_organisations_runs_are_hidden(
    client_for: Callable[[User], Client],
    users_a: dict[str, User],
    users_b: dict[str, User],
    upload_root: Path,
) -> None:
    assert client_for(users_a["clinician"]).get(URL).status_code == 403
    client_for(users_b["manager"]).post(
        URL, {"fhir_files": [SimpleUploadedFile("a.json", b"{}")], "source": "urn:x"}
    )
    run = ImportRun.objects.get()

    response = client_for(users_a["manager"]).get(f"/imports/fhir/{run.public_id}/")

    assert response.status_code == 404
