"""Housekeeping for imports: a run that stopped moving was interrupted (a killed process, a
crashed worker); say so, and remove the uploaded files it left behind (PHI)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from django.db.models import Q

from carebond.core import clock
from carebond.interop.import_actions import do_mark_import_interrupted
from carebond.interop.models import ImportRun, ImportStatus

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
