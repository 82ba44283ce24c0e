"""Audited acts of FHIR bulk export: start an $export job, run it, delete it, record a CLI export.

An export is a PHI read of a whole population: each one leaves one ``fhir.export`` event when
its files are written (plus ``fhir.export.requested`` / ``.deleted`` for the job's life).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.models import Organization
from carebond.interop.exporting.export import (
    ExportedFile,
    clean_export_types,
    export_types,
    write_ndjson_files,
)
from carebond.interop.exporting.selectors import export_directory
from carebond.interop.models import BulkExport, ExportStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User

logger = logging.getLogger("carebond.fhir.export")

FAILED_MESSAGE = "The export failed on the server; it has been logged. Start a new one."


@transaction.atomic
def check_start_bulk_export(*, types: list[str], acting_user: User) -> BulkExport:
    """Audit: fhir.export.requested. Side effect: the job is queued after commit.
    ``types`` empty means every type; unknown types are refused (field ``_type``)."""
    cleaned = clean_export_types(acting_user.organization_id, types, field="_type") if types else []
    export = BulkExport.objects.create(
        organization_id=acting_user.organization_id,
        requested_by=acting_user,
        status=ExportStatus.ACCEPTED,
        resource_types=cleaned,
        requested_at=clock.now(),
    )
    record_audit(actor=acting_user, action="fhir.export.requested", target=export)
    export_id = export.pk

    def enqueue() -> None:
        # Imported here: the task module imports this one.
        from carebond.interop.exporting.tasks import run_bulk_export

        run_bulk_export.enqueue(export_id=export_id)

    transaction.on_commit(enqueue)
    return export


def run_bulk_export_job(export_id: int) -> None:
    """The job behind $export (ids in, idempotent): claim the row (accepted -> running) with a
    conditional UPDATE, write the files, then finish. A second run, or a run after the job was
    deleted, does nothing."""
    if not claim(
        BulkExport,
        export_id,
        where={"status": ExportStatus.ACCEPTED},
        change={"status": ExportStatus.RUNNING},
    ):
        return
    export = BulkExport.objects.get(pk=export_id)
    directory = export_directory(export)
    types = export.resource_types or export_types(export.organization_id)
    try:
        files = write_ndjson_files(
            export.organization_id,
            directory,
            types=types,
            should_stop=lambda: not BulkExport.objects.filter(pk=export_id).exists(),
        )
    except Exception:
        # Ids only in the log: the exception text could quote a value.
        logger.exception("FHIR export %s failed", export.public_id)
        shutil.rmtree(directory, ignore_errors=True)
        claim(
            BulkExport,
            export_id,
            where={"status": ExportStatus.RUNNING},
            change={
                "status": ExportStatus.FAILED,
                "error": FAILED_MESSAGE,
                "finished_at": clock.now(),
            },
        )
        return
    if not do_finish_bulk_export(export, files=files, directory=directory):
        shutil.rmtree(directory, ignore_errors=True)  # deleted while it ran: leave nothing


@transaction.atomic
def do_finish_bulk_export(
    export: BulkExport, *, files: list[ExportedFile], directory: Path
) -> bool:
    """Audit: fhir.export (the PHI read, once per export). False when the job was deleted
    meanwhile (then nothing is recorded and the caller removes the files)."""
    finished = claim(
        BulkExport,
        export.pk,
        where={"status": ExportStatus.RUNNING},
        change={
            "status": ExportStatus.FINISHED,
            "files": [f.as_json() for f in files],
            "output_dir": str(directory),
            "finished_at": clock.now(),
        },
    )
    if not finished:
        return False
    record_audit(
        actor=export.requested_by,
        action="fhir.export",
        target=export,
        organization=export.organization,
    )
    return True


@transaction.atomic
def do_delete_bulk_export(export: BulkExport, *, acting_user: User) -> None:
    """Audit: fhir.export.deleted. The files go after commit; a job still running notices and
    stops (its finishing UPDATE finds no row)."""
    _remove_export(export, action="fhir.export.deleted", actor=acting_user)


def do_record_fhir_export(
    organization: Organization, *, acting_user: User | None, actor_label: str = ""
) -> None:
    """Audit: fhir.export, for an export written by the command line (no job row)."""
    record_audit(
        actor=acting_user,
        action="fhir.export",
        organization=organization,
        actor_label=None if acting_user else (actor_label or "cli"),
    )


@transaction.atomic
def do_expire_bulk_export(export: BulkExport) -> bool:
    """Audit: fhir.export.expired. Exported PHI does not wait on disk for ever: the files and
    the job go once the keeping period is over (the requester was told when they finished)."""
    return _remove_export(export, action="fhir.export.expired", actor=None)


def _remove_export(export: BulkExport, *, action: str, actor: User | None) -> bool:
    """The job row now and its files after commit, audited (within the caller's transaction).
    The DELETE is the claim: of two workers expiring one export, one deletes and audits."""
    directory = export_directory(export)
    deleted, _ = BulkExport.objects.filter(pk=export.pk).delete()
    if not deleted:
        return False  # another worker (or the requester) removed it a moment ago, and audited
    record_audit(actor=actor, action=action, target=export, organization=export.organization)
    transaction.on_commit(lambda: shutil.rmtree(directory, ignore_errors=True))
    return True
