"""FHIR bulk export: one NDJSON file per resource type, for `carebond export-fhir` and $export.

The resources are the facade's (``fhir_selectors.iter_export_resources``), written in the order
an importer needs them (organisations, locations and practitioners before the patients that
point at them). Files are written under a temporary name and renamed when complete, so a
reader never sees half a file. Nothing here audits: the callers (command, job) record the
export once through ``export_actions``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson
from django.conf import settings
from django.db import connection, transaction

from carebond.audit.recording import record_access
from carebond.core.errors import NotFound
from carebond.interop.fhir_search_params import InvalidSearch
from carebond.interop.fhir_selectors import (
    EXPORT_TYPES,
    STORED_TYPES,
    iter_export_resources,
    list_stored_resource_types,
)
from carebond.interop.models import BulkExport, ExportStatus

if TYPE_CHECKING:
    from carebond.accounts.models import User

NDJSON_SUFFIX = ".ndjson"


@dataclass(frozen=True)
class ExportedFile:
    resource_type: str
    file_name: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"type": self.resource_type, "file": self.file_name, "count": self.count}


def export_types(organization_id: int) -> list[str]:
    """Every type an export of this organisation holds, in import order."""
    stored = [t for t in list_stored_resource_types(organization_id) if t not in EXPORT_TYPES]
    return [*EXPORT_TYPES, *stored]


def clean_export_types(organization_id: int, requested: list[str], *, field: str) -> list[str]:
    """The requested types in import order; an unknown one is refused (400), naming it."""
    known = {*export_types(organization_id), *STORED_TYPES}
    wanted = {t.strip() for t in requested if t.strip()}
    unknown = sorted(wanted - known)
    if unknown:
        raise InvalidSearch(
            f"{unknown[0][:64]!r} is not a type CareBond exports; choose from "
            f"{', '.join(sorted(known))}.",
            field=field,
        )
    return [t for t in [*EXPORT_TYPES, *sorted(wanted - set(EXPORT_TYPES))] if t in wanted]


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """On PostgreSQL, read every type from one snapshot (REPEATABLE READ), so no Encounter points
    at a patient created after Patient.ndjson was written. SQLite takes its write lock at BEGIN
    (transaction_mode=IMMEDIATE), so there the export reads outside a transaction rather than
    block every writer for its duration."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def write_ndjson_files(
    organization_id: int,
    directory: Path,
    *,
    types: list[str],
    should_stop: Callable[[], bool] = lambda: False,
) -> list[ExportedFile]:
    """Write ``<Type>.ndjson`` per type into ``directory``; types without resources get no
    file. ``should_stop`` is asked between types (a cancelled $export stops early)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[ExportedFile] = []
    with _snapshot():
        for resource_type in types:
            if should_stop():
                break
            final = directory / f"{resource_type}{NDJSON_SUFFIX}"
            partial = final.with_name(final.name + ".part")
            count = 0
            with partial.open("wb") as stream:
                for resource in iter_export_resources(organization_id, resource_type):
                    stream.write(orjson.dumps(resource) + b"\n")
                    count += 1
            if count:
                os.replace(partial, final)
                written.append(ExportedFile(resource_type, final.name, count))
            else:
                partial.unlink()
    return written


# --- $export jobs -------------------------------------------------------------------------------


def export_directory(export: BulkExport) -> Path:
    return Path(settings.FHIR_EXPORT_DIR) / str(export.public_id)


def get_bulk_export(*, user: User, export_id: UUID | str) -> BulkExport:
    """An export job of the user's own (requiresAccessToken: the requester's token): anyone
    else's, in or out of the organisation, is NotFound."""
    export = BulkExport.objects.filter(
        public_id=export_id, organization_id=user.organization_id, requested_by=user
    ).first()
    if export is None:
        raise NotFound("No such export.")
    return export


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
