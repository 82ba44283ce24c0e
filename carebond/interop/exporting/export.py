"""FHIR bulk export: one NDJSON file per resource type, for `carebond export-fhir` and $export.

What an export holds is what the registered type modules serve (their rows and ``to_fhir``, the
same as the facade's), in the order an importer needs them: the types with an export rank
(organisations, locations and practitioners before the patients that point at them), then the
types kept whole that the organisation has. Files are written under a temporary name and
renamed when complete, so a reader never sees half a file. Nothing here audits: the callers
(command, job) record the export once through ``actions``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from django.db import connection, transaction

from carebond.core.fhir.search import InvalidSearch
from carebond.interop.fhir_types import fhir_type, kept_whole_types, ranked_export_types
from carebond.interop.private_files import make_private_folder, open_private

NDJSON_SUFFIX = ".ndjson"


@dataclass(frozen=True)
class ExportedFile:
    resource_type: str
    file_name: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"type": self.resource_type, "file": self.file_name, "count": self.count}


def list_kept_whole_types(organization_id: int) -> list[str]:
    """Types kept whole that this organisation has (Appointment, Task... whatever was
    imported, and Consent when patients' contact consents are recorded)."""
    return sorted(
        spec.resource_type
        for spec in kept_whole_types()
        if any(source.rows(organization_id).exists() for source in spec.sources)
    )


def export_types(organization_id: int) -> list[str]:
    """Every type an export of this organisation holds, in import order."""
    ranked = ranked_export_types()
    kept = [t for t in list_kept_whole_types(organization_id) if t not in ranked]
    return [*ranked, *kept]


def clean_export_types(organization_id: int, requested: list[str], *, field: str) -> list[str]:
    """The requested types in import order; an unknown one is refused (400), naming it."""
    served_kept = {spec.resource_type for spec in kept_whole_types() if spec.served}
    known = {*export_types(organization_id), *served_kept}
    wanted = {t.strip() for t in requested if t.strip()}
    unknown = sorted(wanted - known)
    if unknown:
        raise InvalidSearch(
            f"{unknown[0][:64]!r} is not a type CareBond exports; choose from "
            f"{', '.join(sorted(known))}.",
            field=field,
        )
    ranked = ranked_export_types()
    return [t for t in [*ranked, *sorted(wanted - set(ranked))] if t in wanted]


def iter_export_resources(
    organization_id: int, resource_type: str, *, chunk_size: int = 500
) -> Iterator[dict[str, Any]]:
    """Every resource of one type of one organisation, streamed (bounded memory).

    No access check or audit here: the caller (export) has checked and records the export."""
    spec = fhir_type(resource_type)
    for source in spec.sources if spec else ():
        chunk: list[Any] = []
        for row in source.rows(organization_id).iterator(chunk_size=chunk_size):
            chunk.append(row)
            if len(chunk) == chunk_size:
                yield from source.resources(chunk)
                chunk = []
        yield from source.resources(chunk)


@contextlib.contextmanager
def read_snapshot() -> Iterator[None]:
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
    file. ``should_stop`` is asked between types (a cancelled $export stops early). The files
    hold PHI: 0600, in folders made 0700."""
    make_private_folder(directory)
    written: list[ExportedFile] = []
    with read_snapshot():
        for resource_type in types:
            if should_stop():
                break
            final = directory / f"{resource_type}{NDJSON_SUFFIX}"
            partial = final.with_name(final.name + ".part")
            count = 0
            with open_private(partial) as stream:
                for resource in iter_export_resources(organization_id, resource_type):
                    stream.write(orjson.dumps(resource) + b"\n")
                    count += 1
            if count:
                os.replace(partial, final)
                written.append(ExportedFile(resource_type, final.name, count))
            else:
                partial.unlink()
    return written
