"""The $export job claims its row with one conditional UPDATE: of two workers handed the same
job at the same moment, exactly one writes the files."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from carebond.accounts.models import User
from carebond.audit.models import AuditEvent
from carebond.core import clock
from carebond.core.models import Organization
from carebond.interop.exporting import actions
from carebond.interop.exporting.export import ExportedFile, write_ndjson_files
from carebond.interop.models import BulkExport, ExportStatus
from carebond.people.tests.factories import make_patient
from carebond.testing.concurrency import at_once


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_one_export_at_once_write_it_once(
    org_a: Organization,
    manager_a: User,
    settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a queued export of a patient
    settings.FHIR_EXPORT_DIR = tmp_path / "fhir-exports"
    make_patient(org_a, "Maria", "Lopez")
    export = BulkExport.objects.create(
        organization=org_a,
        requested_by=manager_a,
        status=ExportStatus.ACCEPTED,
        requested_at=clock.now(),
    )
    writes: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> list[ExportedFile]:
        writes.append(threading.get_ident())
        return write_ndjson_files(*args, **kwargs)

    monkeypatch.setattr(actions, "write_ndjson_files", counted)
    # when two workers run the job at the same moment
    errors = at_once(lambda: actions.run_bulk_export_job(export.pk))

    # then exactly one of them wrote the files and recorded the export
    assert errors == []
    assert len(writes) == 1
    export.refresh_from_db()
    assert export.status == ExportStatus.FINISHED
    assert [f["type"] for f in export.files] == ["Patient"]
    assert AuditEvent.objects.filter(action="fhir.export").count() == 1
