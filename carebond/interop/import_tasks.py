"""The upload page's background import: the run's id in, its files imported, the folder removed.

Safe to run twice: a finished run is left alone, and re-importing what a crashed attempt already
committed finds every resource unchanged (source records)."""

from __future__ import annotations

import shutil
from pathlib import Path

from django_tasks import task

from carebond.core import clock
from carebond.interop import importer
from carebond.interop.models import ImportRun, ImportStatus


@task()
def run_fhir_upload(run_id: int) -> None:
    run = ImportRun.objects.select_related("organization", "started_by").filter(pk=run_id).first()
    if run is None or run.status != ImportStatus.RUNNING or not run.upload_dir:
        return
    folder = Path(run.upload_dir)
    ImportRun.objects.filter(pk=run.pk).update(heartbeat_at=clock.now())  # picked up
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
