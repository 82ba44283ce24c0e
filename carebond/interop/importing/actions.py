"""Import runs: started, counted unit by unit, finished (or marked interrupted), and uploads
queued for the worker. What one unit writes is in unit_actions.

Audit: interop.import_started, interop.import_finished / interop.import_failed per run.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from carebond.audit.recording import record_audit
from carebond.core import clock
from carebond.core.claims import claim
from carebond.core.errors import InvalidInput
from carebond.core.models import Organization
from carebond.interop.importing.connection_actions import connection_for_source
from carebond.interop.importing.units import Problem, UnitRejected
from carebond.interop.models import (
    EhrConnection,
    ImportRun,
    ImportStatus,
)
from carebond.interop.private_files import make_private_folder, open_private

if TYPE_CHECKING:
    from carebond.accounts.models import User

SHARED = "identifier(s) already belonged to another person; kept for this source's references only"
OUTCOMES = ("imported", "updated", "unchanged", "skipped", "rejected")


@dataclass
class ImportContext:
    """What lasts for a whole run: the organisation, the source, and the targets of references
    already committed in this run (so later files do not look them up again)."""

    organization: Organization
    run: ImportRun
    source_system: str
    acting_user: User | None
    known: dict[str, str] = field(default_factory=dict)
    dangling: Counter[str] = field(default_factory=Counter)  # references to nothing, by path
    shared: Counter[str] = field(default_factory=Counter)  # identifiers someone else holds
    # What each entry of the last unit became: (entry index, type, outcome, target or "").
    last_unit: list[tuple[int, str, str, str]] = field(default_factory=list)
    # Whether references of this source wait for their target (PendingReference): None until
    # asked, then kept up to date, so a run without any pays for one query.
    pending: bool | None = None
    # Notes naming a file and its entries (never values): (file, path, message) -> entries.
    notes: dict[tuple[str, str, str], NoteEntries] = field(default_factory=dict)

    def add_note(self, note: Problem) -> None:
        """A notice on the run about one entry of a file; alike notes of a file are one note
        listing its entries (the first ``NOTE_ENTRIES`` of them, and how many more)."""
        entries = self.notes.setdefault((note.file, note.path, note.message), NoteEntries())
        if note.entry is None or note.entry == entries.last:
            return  # (entries come in order: one entry, one mention)
        entries.count, entries.last = entries.count + 1, note.entry
        if len(entries.listed) < NOTE_ENTRIES:
            entries.listed.append(note.entry)


NOTE_ENTRIES = 20


@dataclass
class NoteEntries:
    count: int = 0
    listed: list[int] = field(default_factory=list)
    last: int | None = None

    def described(self, message: str) -> tuple[int | None, str]:
        """(the entry, the message): one entry is the note's entry, several are listed."""
        if self.count <= 1:
            return (self.listed[0] if self.listed else None), message
        shown = ", ".join(str(n) for n in self.listed)
        more = self.count - len(self.listed)
        return None, f"{message} (entries {shown}{f' and {more:,} more' if more else ''})"


def render_notes(context: ImportContext) -> list[dict[str, Any]]:
    found = []
    for (file, path, message), entries in context.notes.items():
        entry, text = entries.described(message)
        found.append(
            Problem(file=file, entry=entry, path=path, message=text).as_dict() | {"notice": True}
        )
    return found


# --- run bookkeeping -----------------------------------------------------------------------


@transaction.atomic
def do_start_import_run(
    organization: Organization,
    *,
    via: str,
    source_system: str = "",
    acting_user: User | None,
    files_total: int = 0,
    upload_dir: str = "",
    connection: EhrConnection | None = None,
) -> ImportRun:
    """Audit: interop.import_started. An upload waits for the worker: no heartbeat until then.
    The run imports for ``connection``, or for the one ``source_system`` names (created the
    first time: see connection_actions)."""
    if connection is None:
        connection = connection_for_source(organization, source_system, acting_user=acting_user)
    now = clock.now()
    run = ImportRun.objects.create(
        organization=organization,
        via=via,
        source_system=connection.system,
        connection=connection,
        started_by=acting_user,
        started_at=now,
        heartbeat_at=None if upload_dir else now,
        files_total=files_total,
        upload_dir=upload_dir,
    )
    record_audit(actor=acting_user, action="interop.import_started", target=run)
    return run


@transaction.atomic
def do_finish_import_run(context: ImportContext, *, failed: bool = False) -> ImportRun:
    """Audit: interop.import_finished (or interop.import_failed)."""
    run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
    run.status = ImportStatus.FAILED if failed else ImportStatus.FINISHED
    run.finished_at = clock.now()
    if context.notes:
        run.problems = [*run.problems, *render_notes(context)]
    if context.dangling or context.shared:
        run.problems = [
            *run.problems,
            *(
                Problem(
                    file="",
                    path=path,
                    message=f"{count} reference(s) here matched nothing imported; left out",
                ).as_dict()
                | {"notice": True}
                for path, count in sorted(context.dangling.items())
            ),
            *(
                Problem(file="", path=path, message=f"{count} {SHARED}").as_dict()
                | {"notice": True}
                for path, count in sorted(context.shared.items())
            ),
        ]
    run.save()
    record_audit(
        actor=context.acting_user,
        action="interop.import_failed" if failed else "interop.import_finished",
        target=run,
    )
    context.run = run
    return run


@transaction.atomic
def do_record_unit_rejected(
    context: ImportContext, rejection: UnitRejected, *, read: int, last_of_file: bool = True
) -> None:
    run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
    run.problems = [*run.problems, rejection.problem.as_dict()]
    run.bundles_rejected += 1
    run.resources_read += read
    run.files_done += 1 if last_of_file else 0
    add_counts(run, {(t, "rejected"): n for t, n in rejection.counts.items()})
    run.save(
        update_fields=["problems", "bundles_rejected", "resources_read", "counts", "files_done"]
    )
    context.run = run


@transaction.atomic
def do_record_file_done(context: ImportContext) -> None:
    run = ImportRun.objects.select_for_update().get(pk=context.run.pk)
    run.files_done += 1
    run.save(update_fields=["files_done"])
    context.run = run


def add_counts(run: ImportRun, counts: dict[tuple[str, str], int]) -> None:
    table = dict(run.counts)
    for (resource_type, outcome), n in counts.items():
        row = dict(table.get(resource_type) or dict.fromkeys(OUTCOMES, 0))
        row[outcome] = row.get(outcome, 0) + n
        table[resource_type] = row
    run.counts = dict(sorted(table.items()))


# --- uploads (the page): files wait on disk for the worker -----------------------------------


def check_queue_upload(
    organization: Organization,
    files: list[tuple[str, Iterable[bytes]]],
    *,
    source_system: str = "",
    acting_user: User,
    upload_root: Path,
    connection: EhrConnection | None = None,
) -> ImportRun:
    """Save the uploaded files under a folder of their own and queue their import, for the
    connection chosen (or the one ``source_system`` names, created the first time).

    Audit: interop.import_started. Side effect: the import task, after commit."""
    source_system = source_system.strip()
    if connection is None and (not source_system or len(source_system) > 200):
        raise InvalidInput(
            "Choose the connection, or name a new one's system (1 to 200 characters).",
            field="source",
        )
    if connection is not None and connection.organization_id != organization.pk:
        raise InvalidInput("Choose one of this organisation's connections.", field="connection")
    if not files:
        raise InvalidInput("Choose at least one file.", field="files")
    folder = make_private_folder(upload_root / uuid.uuid4().hex)  # PHI: 0700, files 0600
    for number, (name, chunks) in enumerate(files, start=1):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name)[-120:] or "upload.json"
        with open_private(folder / f"{number:04d}-{safe}") as stream:
            for chunk in chunks:
                stream.write(chunk)
    with transaction.atomic():
        run = do_start_import_run(
            organization,
            via="upload",
            source_system=source_system,
            acting_user=acting_user,
            files_total=len(files),
            upload_dir=str(folder),
            connection=connection,
        )
        from carebond.interop.importing.tasks import run_fhir_upload

        transaction.on_commit(lambda: run_fhir_upload.enqueue(run_id=run.pk))
    return run


@transaction.atomic
def do_mark_import_interrupted(run: ImportRun) -> bool:
    """Audit: interop.import_failed. Only a run still running (claimed with a conditional
    UPDATE, so a run finishing at this moment is left alone)."""
    problem = Problem(
        file="",
        message="the import stopped without finishing (the process was stopped or crashed); "
        "run it again: what was imported is found unchanged",
    ).as_dict()
    claimed = claim(
        ImportRun,
        run.pk,
        where={"status": ImportStatus.RUNNING},
        change={"status": ImportStatus.FAILED, "finished_at": clock.now()},
    )
    if not claimed:
        return False
    run.refresh_from_db()
    run.problems = [*run.problems, problem]
    run.save(update_fields=["problems"])
    record_audit(actor=None, action="interop.import_failed", target=run)
    return True
