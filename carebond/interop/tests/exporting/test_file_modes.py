"""Exported and uploaded FHIR files are PHI: readable by the service's own user only (files
0600 in folders 0700), whatever the process's umask lets through by default."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from carebond.accounts.models import User
from carebond.interop.exporting.actions import check_start_bulk_export, run_bulk_export_job
from carebond.interop.models import ImportRun
from carebond.interop.tests.conftest import Clinic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The usual umask (022), under which plain open() and mkdir() give 0644 and 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_command_line_export_writes_private_files_in_a_private_folder(
    tmp_path: Path, clinic_a: Clinic
) -> None:
    # given a folder that does not exist yet, two levels down
    target = tmp_path / "exports" / "2026-11-22"
    # when the organisation is exported into it
    call_command("export_fhir", str(target), stdout=StringIO())
    # then the folders it made are 0700 and every file is 0600
    assert mode(tmp_path / "exports") == 0o700
    assert mode(target) == 0o700
    files = list(target.iterdir())
    assert files
    assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_a_bulk_export_job_writes_private_files_in_a_private_folder(
    export_dir: Path, clinic_a: Clinic, manager_a: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given an $export job
    export = check_start_bulk_export(types=[], acting_user=manager_a)
    # when the worker runs it
    run_bulk_export_job(export.pk)
    export.refresh_from_db()
    # then the export root and the job's folder are 0700, and its files 0600
    folder = Path(export.output_dir)
    assert mode(export_dir) == 0o700
    assert mode(folder) == 0o700
    assert {f["file"]: mode(folder / f["file"]) for f in export.files} == {
        f["file"]: 0o600 for f in export.files
    }


def test_uploaded_files_wait_for_the_worker_in_private_files_and_folders(
    client_for: Callable[[User], Client], manager_a: User, settings: Any, tmp_path: Path
) -> None:
    # given an upload root that does not exist yet
    settings.FHIR_UPLOAD_DIR = tmp_path / "var" / "fhir-uploads"
    upload = SimpleUploadedFile("patients.json", b'{"resourceType": "Bundle", "type": "batch"}')
    # when a manager uploads a file (and no worker has taken it yet)
    client_for(manager_a).post("/imports/fhir/", {"fhir_files": [upload], "source": "urn:x"})
    # then the file waits, 0600, in 0700 folders
    folder = Path(ImportRun.objects.get().upload_dir)
    assert mode(settings.FHIR_UPLOAD_DIR) == 0o700
    assert mode(folder) == 0o700
    assert [mode(p) for p in folder.iterdir()] == [0o600]
