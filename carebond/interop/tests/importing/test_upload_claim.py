"""The upload task claims its run with one conditional UPDATE: of two workers handed the same
run at the same moment, exactly one imports it."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core.models import Organization
from carebond.interop.importing import importer
from carebond.interop.importing.actions import do_start_import_run
from carebond.interop.importing.tasks import run_fhir_upload
from carebond.interop.models import ImportRun, ImportVia
from carebond.interop.testing import synthea_subset
from carebond.people.models import Person
from carebond.testing.concurrency import at_once


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_one_upload_at_once_import_it_once(
    org_a: Organization, manager_a: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an upload waiting for a worker (as the upload page leaves it)
    folder = tmp_path / "upload"
    folder.mkdir()
    for path in synthea_subset(tmp_path / "set", patients=1):
        shutil.copy(path, folder / path.name)
    run = do_start_import_run(
        org_a,
        via=ImportVia.UPLOAD,
        source_system="urn:x",
        acting_user=manager_a,
        files_total=3,
        upload_dir=str(folder),
    )
    imports: list[int] = []
    real_import = importer.import_files
    # The worker that lost the claim is done before the winner writes: the suite's shared
    # in-memory SQLite database refuses a write while another connection's is open (a file
    # database waits instead), and that would fail the loser for the wrong reason.
    loser_done = threading.Event()

    def counted(*args: Any, **kwargs: Any) -> ImportRun:
        imports.append(threading.get_ident())
        loser_done.wait(timeout=30)
        return real_import(*args, **kwargs)

    def work() -> None:
        run_fhir_upload.call(run_id=run.pk)
        loser_done.set()

    monkeypatch.setattr(importer, "import_files", counted)

    # when two workers run the task for it at the same moment
    errors = at_once(work)

    # then exactly one of them imported it, once
    assert errors == []
    assert len(imports) == 1
    run.refresh_from_db()
    assert run.status == "finished"
    assert Person.objects.filter(organization=org_a, kind="patient").count() == 1
    assert AuditEvent.objects.filter(action="interop.import_finished").count() == 1
    assert not folder.exists()


@pytest.mark.django_db
def test_a_run_already_picked_up_is_left_alone(
    org_a: Organization, manager_a: User, tmp_path: Path
) -> None:
    # given an upload a worker has claimed (its heartbeat moved), then lost
    folder = tmp_path / "upload"
    folder.mkdir()
    run = do_start_import_run(
        org_a,
        via=ImportVia.UPLOAD,
        source_system="urn:x",
        acting_user=manager_a,
        upload_dir=str(folder),
    )
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=run.started_at)

    # when the task runs for it again
    run_fhir_upload.call(run_id=run.pk)

    # then it does nothing: the worker's scan fails the interrupted run and removes its files
    run.refresh_from_db()
    assert run.status == "running"
    assert folder.exists()
