"""carebond import-fhir PATH...: import FHIR R4 Bundles and NDJSON files (or folders of them).

Exit status 0 when every unit was imported, 1 when some were rejected (listed, with file, entry,
resource and FHIR path; the rest was imported), 2 when nothing could start (no such file).
"""

from __future__ import annotations

import io
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from carebond.core.command_options import organization_option
from carebond.core.errors import CareBondError
from carebond.interop.importing import importer
from carebond.interop.importing.actions import OUTCOMES
from carebond.interop.importing.connection_actions import DEFAULT_SYSTEM, connection_for_source
from carebond.interop.models import ImportRun, ImportVia

DEFAULT_SOURCE = DEFAULT_SYSTEM


class Command(BaseCommand):
    help = "Import FHIR R4 Bundles and NDJSON files (gzip or not), or folders of them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", help="Files or folders (read recursively).")
        parser.add_argument("--organization", help="Organisation slug (optional when only one).")
        parser.add_argument(
            "--source",
            default=DEFAULT_SOURCE,
            help=(
                "The EHR connection, by name or system URI (e.g. the EHR's FHIR base URL); "
                "created the first time it is named. Re-imports from the same connection "
                f"update in place, whatever the path. Default: {DEFAULT_SOURCE}"
            ),
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_option(options.get("organization"))
        paths = [Path(p) for p in options["paths"]]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            self.stderr.write(f"No such file or folder: {', '.join(missing)}")
            sys.exit(2)
        source = options["source"].strip()
        if not source or len(source) > 200:
            raise CommandError("--source must be 1 to 200 characters.")
        try:
            connection = connection_for_source(organization, source, acting_user=None)
        except CareBondError as error:
            raise CommandError(f"--source: {error.message}") from error
        console = Console(file=sys.stderr, highlight=False)
        show = not options["quiet"] and console.is_terminal
        with Progress(
            TextColumn("[bold]FHIR import"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} bytes"),
            TextColumn("{task.fields[resources]:,} resources, {task.fields[rate]:,.0f}/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not show,
        ) as bar:
            task: TaskID | None = None

            def progress(state: importer.Progress) -> None:
                nonlocal task
                if task is None:
                    task = bar.add_task("import", total=state.bytes_total, resources=0, rate=0)
                bar.update(
                    task,
                    completed=state.bytes_done,
                    resources=state.resources,
                    rate=state.rate,
                )

            run = importer.import_files(
                paths,
                organization=organization,
                source_system=connection.system,
                acting_user=None,
                via=ImportVia.CLI,
                progress=progress,
                connection=connection,
            )
        self.stdout.write(render_summary(run), ending="")
        if run.bundles_rejected:
            sys.exit(1)


def render_summary(run: ImportRun) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, highlight=False, soft_wrap=False)
    table = Table(title=f"FHIR import {run.public_id}")
    table.add_column("Resource type")
    for outcome in OUTCOMES:
        table.add_column(outcome.capitalize(), justify="right")
    for resource_type, counts in run.counts.items():
        table.add_row(resource_type, *(str(counts.get(o, 0)) for o in OUTCOMES))
    console.print(table)
    if run.connection is not None:
        console.print(f"Connection: {run.connection.name} ({run.connection.system})")
    elapsed = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
    rate = run.resources_read / elapsed if elapsed else 0.0
    console.print(
        f"{run.files_done} file(s), {run.resources_read:,} resources read in {elapsed:.1f} s "
        f"({rate:,.0f}/s); {run.bundles_committed} unit(s) imported, "
        f"{run.bundles_rejected} rejected."
    )
    rejected = [p for p in run.problems if not p.get("notice")]
    notices = [p for p in run.problems if p.get("notice")]
    if rejected:
        problems = Table(title="Rejected (nothing of these was written)")
        for column in ("File", "Entry", "Resource", "FHIR path", "Reason"):
            problems.add_column(column, overflow="fold")
        for p in rejected:
            entry = "" if p.get("entry") is None else str(p["entry"])
            problems.add_row(p["file"], entry, p["resource"], p["path"], p["message"])
        console.print(problems)
    for notice in notices:
        where = [notice["file"]] if notice.get("file") else []
        where += [f"entry {notice['entry']}"] if notice.get("entry") is not None else []
        where += [notice["path"]] if notice.get("path") else []
        console.print(f"Note: {', '.join(where)}: {notice['message']}")
    return buffer.getvalue()
