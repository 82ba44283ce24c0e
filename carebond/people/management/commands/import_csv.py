"""carebond import-csv people FILE: check a CSV of patients or referral sources and import it.

Exit status 0 when the file was imported (or, with --dry-run, would be); 1 when it was rejected,
with a table of (row, column, reason) and nothing written.
"""

from __future__ import annotations

import io
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from carebond.core.command_options import add_organization_argument, organization_option
from carebond.core.errors import CareBondError
from carebond.people.imports import FIELDS, IDENTIFIER_PREFIX, IGNORE, ImportResult, import_people
from carebond.people.models import PersonKind


class Command(BaseCommand):
    help = "Import patients or referral sources from a CSV file (all or nothing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        people = sub.add_parser(
            "people",
            help="Patients or referral sources; re-importing updates people by identifier.",
        )
        people.add_argument("file", help="The CSV file (UTF-8, header on the first row).")
        people.add_argument(
            "--kind",
            choices=[PersonKind.PATIENT, PersonKind.REFERRAL_SOURCE],
            default=PersonKind.PATIENT,
            help="Kind of every row without a 'kind' column (default: patient).",
        )
        add_organization_argument(people)
        people.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help=(
                "Map a CSV header to a CareBond field (repeatable). Fields: "
                f"{', '.join(FIELDS)}, {IDENTIFIER_PREFIX}<system URI>, {IGNORE}."
            ),
        )
        people.add_argument(
            "--ignore",
            action="append",
            default=[],
            metavar="HEADER",
            help="Skip a column (repeatable).",
        )
        people.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_option(options.get("organization"))
        mapping = self._mapping(options["map"], options["ignore"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        try:
            result = import_people(
                organization,
                data,
                kind=options["kind"],
                mapping=mapping,
                dry_run=options["dry_run"],
                acting_user=None,
                actor_label="cli",
            )
        except CareBondError as error:
            raise CommandError(error.message) from error
        self._report(result)
        if result.rejected:
            sys.exit(1)

    def _mapping(self, pairs: list[str], ignored: list[str]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for pair in pairs:
            header, sep, target = pair.partition("=")
            if not sep or not header.strip() or not target.strip():
                raise CommandError(f"--map takes HEADER=FIELD, not {pair!r}.")
            mapping[header.strip()] = target.strip()
        for header in ignored:
            mapping[header.strip()] = IGNORE
        return mapping

    def _report(self, result: ImportResult) -> None:
        buffer = io.StringIO()
        console = Console(file=buffer, width=120, highlight=False, soft_wrap=False)
        if result.rejected:
            table = Table(title=f"{len(result.errors)} problem(s) in the file")
            table.add_column("Row", justify="right")
            table.add_column("Column")
            table.add_column("Reason", overflow="fold")
            for error in result.errors:
                table.add_row(str(error.row), error.column or "-", error.reason)
            console.print(table)
            console.print("Rejected: nothing was written. Fix the rows above and run again.")
        else:
            verb = "Would import" if result.dry_run else "Imported"
            console.print(
                f"{verb} {result.rows} row(s): {result.created} to create, "
                f"{result.updated} to update, {result.unchanged} unchanged."
                if result.dry_run
                else f"{verb} {result.rows} row(s): {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged."
            )
            if result.dry_run:
                console.print("Dry run: nothing was written.")
        self.stdout.write(buffer.getvalue(), ending="")
