"""Reads of $export jobs: a job of the user's own, its files, its progress and manifest."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings

from carebond.audit.recording import record_access
from carebond.core.errors import NotFound
from carebond.interop.access import access_bulk_export
from carebond.interop.models import BulkExport, ExportStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User


def export_directory(export: BulkExport) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(export.public_id)


def get_bulk_export(*, user: User, export_id: UUID | str) -> BulkExport:
    """An export job of the user's own (requiresAccessToken: the requester's token): anyone
    else's, in or out of the organisation, is NotFound."""
    return access_bulk_export(user, export_id)


def open_export_file(*, user: User, export_id: UUID | str, file_name: str) -> Path:
    """The path of one output file of the user's export. Audited: fhir.export.downloaded.
    Names not in the job's list are NotFound (which also keeps ``..`` and other paths out)."""
    export = get_bulk_export(user=user, export_id=export_id)
    if export.status != ExportStatus.FINISHED or file_name not in {
        f.get("file") for f in export.files
    }:
        raise NotFound("No such export file.")
    path = Path(export.output_dir) / file_name
    if not path.is_file():
        raise NotFound("No such export file.")
    record_access(actor=user, target=export, action="fhir.export.downloaded")
    return path


def progress_text(export: BulkExport) -> str:
    if export.status == ExportStatus.ACCEPTED:
        return "queued: waiting for a worker"
    return "running"


def bulk_manifest(
    export: BulkExport, *, request_url: str, file_url: Callable[[str], str]
) -> dict[str, Any]:
    """The bulk-data completion manifest. transactionTime is when the export was requested:
    earlier than the snapshot, so a client's next ``_since`` can only overlap, never miss."""
    return {
        "transactionTime": export.requested_at.isoformat(),
        "request": request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f["type"], "url": file_url(f["file"]), "count": f["count"]}
            for f in export.files
        ],
        "error": [],
    }
