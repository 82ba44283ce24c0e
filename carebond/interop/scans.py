"""Housekeeping for imports and exports: a run that stopped moving was interrupted (a killed
process, a crashed worker): say so, and remove the uploaded files it left behind (PHI). Bulk
exports are deleted once their keeping period is over, and a job stuck running is failed."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from carebond.core import clock
from carebond.interop.exporting.actions import FAILED_MESSAGE, do_expire_bulk_export
from carebond.interop.importing.actions import do_mark_import_interrupted
from carebond.interop.models import BulkExport, ExportStatus, ImportRun, ImportStatus

QUIET_FOR = timedelta(hours=1)  # a running import commits a unit far more often than this
NEVER_STARTED = timedelta(hours=24)  # an upload the worker never picked up


def scan_interrupted_imports() -> int:
    now = clock.now()
    stale = ImportRun.objects.filter(status=ImportStatus.RUNNING).filter(
        Q(heartbeat_at__lt=now - QUIET_FOR)
        | Q(heartbeat_at__isnull=True, started_at__lt=now - NEVER_STARTED)
    )
    count = 0
    for run in stale:
        if do_mark_import_interrupted(run):
            count += 1
        if run.upload_dir:
            shutil.rmtree(Path(run.upload_dir), ignore_errors=True)
    return count


EXPORT_STUCK = timedelta(hours=24)


def scan_bulk_exports() -> int:
    """Expire finished and failed exports after FHIR_EXPORT_KEEP_DAYS; fail stuck jobs."""
    now = clock.now()
    stuck = BulkExport.objects.filter(
        status__in=[ExportStatus.ACCEPTED, ExportStatus.RUNNING],
        requested_at__lt=now - EXPORT_STUCK,
    ).update(status=ExportStatus.FAILED, error=FAILED_MESSAGE, finished_at=now)
    keep = timedelta(days=settings.FHIR_EXPORT_KEEP_DAYS)
    old = BulkExport.objects.filter(
        status__in=[ExportStatus.FINISHED, ExportStatus.FAILED], finished_at__lt=now - keep
    ).select_related("organization")
    expired = 0
    for export in old:
        expired += do_expire_bulk_export(export)
    return stuck + expired
