"""Importing FHIR files: the loop over files and units, progress, and the run's summary.

Used by `carebond import-fhir`, the upload page's background task and POST /fhir/R4. Each unit
commits on its own (see unit_actions); a rejected unit is listed with its reason and the
import goes on with the next one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from carebond.core.models import Organization
from carebond.interop.importing.actions import (
    ImportContext,
    do_finish_import_run,
    do_record_file_done,
    do_record_unit_rejected,
    do_start_import_run,
)
from carebond.interop.importing.reading import (
    Unit,
    find_files,
    import_order,
    read_units,
    unit_from_document,
)
from carebond.interop.importing.unit_actions import do_import_unit
from carebond.interop.importing.units import UnitRejected
from carebond.interop.models import EhrConnection, ImportRun

if TYPE_CHECKING:
    from carebond.accounts.models import User


@dataclass
class Progress:
    files_total: int
    files_done: int
    resources: int
    bytes_done: int
    bytes_total: int
    started: float

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.resources / elapsed if elapsed > 0 else 0.0


ProgressCallback = Callable[[Progress], None]


def import_files(
    paths: list[Path],
    *,
    organization: Organization,
    source_system: str,
    acting_user: User | None,
    via: str,
    progress: ProgressCallback | None = None,
    run: ImportRun | None = None,
    connection: EhrConnection | None = None,
) -> ImportRun:
    """Import files and folders (Bundles and NDJSON, gzip or not) in dependency order, for the
    connection given (or the one ``source_system`` names: see connection_actions)."""
    files = import_order(find_files(paths))
    if run is None:
        run = do_start_import_run(
            organization,
            via=via,
            source_system=source_system,
            acting_user=acting_user,
            files_total=len(files),
            connection=connection,
        )
    context = ImportContext(organization, run, run.source_system, acting_user)
    sizes = {f: f.stat().st_size for f in files}
    state = Progress(len(files), 0, 0, 0, sum(sizes.values()), time.monotonic())
    try:
        for path in files:
            # The file's last unit also counts the file done, in the same commit.
            units = read_units(path)
            unit = next(units, None)
            if unit is None:
                do_record_file_done(context)  # nothing in it (an empty NDJSON file)
            while unit is not None:
                following = next(units, None)
                import_unit(context, unit, last_of_file=following is None)
                state.resources += len(unit.entries)
                if progress:
                    progress(state)
                unit = following
            state.files_done += 1
            state.bytes_done += sizes[path]
            if progress:
                progress(state)
    except BaseException:
        do_finish_import_run(context, failed=True)
        raise
    return do_finish_import_run(context)


def import_unit(context: ImportContext, unit: Unit, *, last_of_file: bool = True) -> None:
    try:
        do_import_unit(context, unit, last_of_file=last_of_file)
    except UnitRejected as rejection:
        do_record_unit_rejected(
            context, rejection, read=len(unit.entries), last_of_file=last_of_file
        )


def import_document(
    document: object,
    *,
    name: str,
    organization: Organization,
    source_system: str = "",
    acting_user: User | None,
    via: str,
    connection: EhrConnection | None = None,
) -> ImportContext:
    """One JSON document already parsed (POST /fhir/R4): one unit, one run. The context
    returned holds the run and what each entry became."""
    return import_documents(
        [(name, document)],
        organization=organization,
        source_system=source_system,
        acting_user=acting_user,
        via=via,
        connection=connection,
    )


def import_documents(
    documents: list[tuple[str, object]],
    *,
    organization: Organization,
    source_system: str = "",
    acting_user: User | None,
    via: str,
    connection: EhrConnection | None = None,
) -> ImportContext:
    """Parsed JSON documents, one unit each, in one run (in the order given)."""
    run = do_start_import_run(
        organization,
        via=via,
        source_system=source_system,
        acting_user=acting_user,
        files_total=len(documents),
        connection=connection,
    )
    context = ImportContext(organization, run, run.source_system, acting_user)
    try:
        for name, document in documents:
            import_unit(context, unit_from_document(document, name))
    except BaseException:
        do_finish_import_run(context, failed=True)
        raise
    do_finish_import_run(context)
    return context
