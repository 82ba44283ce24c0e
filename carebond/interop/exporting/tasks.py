"""Background jobs of interop (django-tasks): ids in, an action called, safe to run twice."""

from __future__ import annotations

from django_tasks import task

from carebond.interop.exporting.actions import run_bulk_export_job


@task()
def run_bulk_export(export_id: int) -> None:
    """Write the files of one $export job (does nothing if already claimed or deleted)."""
    run_bulk_export_job(export_id)
