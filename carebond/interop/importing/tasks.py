"""The upload page's background import: the run's id in, its files imported, the folder removed.

The run is claimed with one conditional UPDATE (its heartbeat, none while it waits for a worker,
becomes now), so of two workers handed the same run exactly one imports it; a second run of
the task, or one after the run finished or was failed, does nothing. An import interrupted after
its claim is failed by the worker's scan (``scans.scan_interrupted_imports``), which also
removes its files; what it committed is found unchanged when the files are imported again."""

from __future__ import annotations

import shutil
from pathlib import Path

from django_tasks import task

from carebond.core import clock
from carebond.core.claims import claim
from carebond.interop.importing import importer
from carebond.interop.models import ImportRun, ImportStatus


@task()
def run_fhir_upload(run_id: int) -> None:
    if not claim(
        ImportRun,
        run_id,
        where={"status": ImportStatus.RUNNING, "heartbeat_at": None},
        change={"heartbeat_at": clock.now()},
    ):
        return
    run = ImportRun.objects.select_related("organization", "started_by").get(pk=run_id)
    if not run.upload_dir:
        return
    folder = Path(run.upload_dir)
    try:
        importer.import_files(
            [folder],
            organization=run.organization,
            source_system=run.source_system,
            acting_user=run.started_by,
            via=run.via,
            run=run,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # uploaded PHI does not outlive its import
