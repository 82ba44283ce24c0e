"""carebond restore PATH: bring a sealed backup back, checked before it replaces anything."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.audit.actions import do_record_restore
from carebond.audit.backups import (
    BackupError,
    configured_sqlite_file,
    restore_sqlite,
)
from carebond.audit.checkpoints import checkpoint_file
from carebond.audit.pg_backups import restore_postgres


class Command(BaseCommand):
    help = (
        "Restore a backup made by `carebond backup`: refused if damaged, cut short, or from a "
        "newer CareBond; then the audit chain is verified and the row counts compared."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The backup file.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="SQLite: replace the database even while another process has it open.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backup = Path(options["path"]).absolute()
        database = configured_sqlite_file()
        try:
            if database is not None:
                report = restore_sqlite(backup, database, force=options["force"])
            else:
                if options["force"]:
                    raise BackupError(
                        "--force does not apply on PostgreSQL: a restore goes only into an "
                        "empty database, never over one in use."
                    )
                report = restore_postgres(backup)
        except BackupError as error:
            raise CommandError(str(error)) from error
        do_record_restore()
        self.stdout.write(f"Restored {report.lines()[0]}")
        for line in report.lines()[1:]:
            self.stdout.write(line)
        if report.previous_copy is not None:
            self.stdout.write(f"The database it replaced is kept at {report.previous_copy}")
        if report.migrations_applied:
            self.stdout.write(
                f"Schema brought up to date: {len(report.migrations_applied)} migrations applied."
            )
        self.stdout.write(
            f"Audit chain intact: {report.chain_checked} events verified, "
            f"{report.checkpoints_matched} checkpoints matched."
        )
        beyond = report.checkpoint_beyond
        if beyond is not None:
            self.stdout.write(
                f"NOTE: the checkpoint file {checkpoint_file()} names event {beyond.event_id} "
                f"(checkpoint of {beyond.taken_at}), after this backup's newest event: the "
                "events between were recorded after the backup and are not in it. "
                "`carebond audit verify` reports them as cut until that file is moved aside "
                "(keep it: it records what the restore lost) and a new checkpoint is taken."
            )
        self.stdout.write(
            f"Field encryption keys fit: {report.keys_checked} encrypted values decrypted."
            if report.keys_checked
            else "Field encryption keys: no encrypted values to check yet."
        )
        self.stdout.write("Row counts match the backup's seal.")
