"""carebond backup PATH: one sealed file of the whole database, safe while CareBond runs."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from carebond.audit.backups import (
    KEYS_NOT_INCLUDED,
    BackupError,
    backup_sqlite,
    configured_sqlite_file,
)
from carebond.audit.pg_backups import backup_postgres


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database to PATH (SQLite: online backup API; "
        "PostgreSQL: pg_dump -Fc), sealed with its checksum, row counts and audit chain head."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="The backup file to write (must not exist yet).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]).absolute()
        try:
            if configured_sqlite_file() is not None:
                report = backup_sqlite(path)
            else:
                report = backup_postgres(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Wrote {report.lines()[0]}")
        for line in report.lines()[1:]:
            self.stdout.write(line)
        self.stdout.write(KEYS_NOT_INCLUDED)
