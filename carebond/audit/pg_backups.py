"""Backup and restore on PostgreSQL: pg_dump's custom format under CareBond's seal.

pg_dump runs inside an exported snapshot that the row counts and the audit head are read in
too, so the seal describes exactly what was dumped. A restore goes only into an EMPTY database,
in one transaction: a non-empty database is never touched (pg_restore --clean would drop only
what the backup holds and leave newer tables, roles' grants and triggers mixed in), so the
database in service stays as it was until the restored one is verified and switched to.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from django.db import DatabaseError, connections, transaction

from carebond.audit.actions import do_record_backup
from carebond.audit.backups import (
    BackupError,
    Report,
    Seal,
    audit_head,
    check_new_backup_path,
    check_schema_not_newer,
    count_rows,
    digest,
    partial_file,
    publish,
    read_seal,
    utc_timestamp,
    verify_restored,
    write_seal,
)

# How much of a failing pg_dump/pg_restore's own message to pass on (it names objects, not data).
ERROR_TAIL = 1500


def find_binary(name: str) -> str:
    """On PATH, else the newest Debian PostgreSQL install (a newer pg_dump reads older servers)."""
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = shutil.which(name) or (candidates[0] if candidates else None)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client programs.")
    return found


def client_environment(using: str = "default") -> dict[str, str]:
    """libpq's variables for the configured database: the password never shows in `ps`."""
    database = connections[using].settings_dict
    variables = {
        "PGHOST": database.get("HOST") or "",
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": database.get("USER") or "",
        "PGPASSWORD": database.get("PASSWORD") or "",
        "PGDATABASE": database["NAME"],
        "PGSSLMODE": (database.get("OPTIONS") or {}).get("sslmode", ""),
    }
    return {**os.environ, **{key: value for key, value in variables.items() if value}}


def _run(command: list[str], what: str, *, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(  # noqa: S603 (a PostgreSQL program and our own arguments)
        command, capture_output=True, text=True, check=False, env=env
    )
    if result.returncode != 0:
        reason = result.stderr[-ERROR_TAIL:].strip()
        raise BackupError(f"{what} failed (exit {result.returncode}): {reason}")
    return result.stdout


def backup_postgres(path: Path, *, actor_label: str = "cli") -> Report:
    check_new_backup_path(path)
    do_record_backup(actor_label=actor_label)
    partial = partial_file(path, ".partial")
    try:
        with transaction.atomic(), connections["default"].cursor() as cursor:
            # The counts, the head and pg_dump all see this one snapshot.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = str(cursor.fetchone()[0])
            tables, head = count_rows("default"), audit_head("default")
            _run(
                [
                    find_binary("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--file={partial}",
                ],
                "pg_dump",
                env=client_environment(),
            )
        sha256, size = digest(partial)
        write_seal(partial, Seal("postgresql", utc_timestamp(), size, sha256, tables, head))
        publish(partial, path)
    except (OSError, DatabaseError) as error:
        raise BackupError(
            f"Writing the backup failed: {error}. Nothing was written at {path}."
        ) from error
    finally:
        partial.unlink(missing_ok=True)
    return Report(path, "PostgreSQL", path.stat().st_size, digest(path)[0], tables, head)


def archive_migrations(backup: Path) -> set[tuple[str, str]]:
    """The migrations a custom-format archive records, read without restoring it."""
    script = _run(
        [
            find_binary("pg_restore"),
            "--data-only",
            "--table=django_migrations",
            "--file=-",
            str(backup),
        ],
        f"Reading {backup} with pg_restore",
        env=client_environment(),
    )
    applied: set[tuple[str, str]] = set()
    rows = False
    for line in script.splitlines():
        if line.startswith("COPY public.django_migrations "):
            rows = True
        elif rows and line == "\\.":
            break
        elif rows:
            _, app, name, *_ = line.split("\t")
            applied.add((app, name))
    if not applied:
        raise BackupError(f"{backup}: not a CareBond database (it records no migrations).")
    return applied


def restore_postgres(backup: Path, *, using: str = "default") -> Report:
    """Into the empty database ``using`` names, in one transaction, then verified there."""
    seal = read_seal(backup)
    database = connections[using].settings_dict["NAME"]
    if seal.engine != "postgresql":
        raise BackupError(
            f"{backup} is a {seal.engine} backup; CAREBOND_DATABASE_URL names the PostgreSQL "
            f"database {database}. Restore it where CareBond runs on SQLite."
        )
    check_schema_not_newer(archive_migrations(backup), backup)
    try:
        tables = connections[using].introspection.table_names()
    except DatabaseError as error:
        raise BackupError(f"Cannot open the database {database}: {error}") from error
    if tables:
        raise BackupError(
            f"The database {database} is not empty ({len(tables)} tables): a PostgreSQL "
            "restore goes only into an empty database (createdb NEW), never over data. Point "
            "CAREBOND_DATABASE_URL at an empty one, restore, verify, then switch to it. "
            "Nothing was restored."
        )
    connections[using].close()
    _run(
        [
            find_binary("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-password",
            f"--dbname={database}",
            str(backup),
        ],
        "pg_restore (nothing was restored: it runs in one transaction)",
        env=client_environment(using),
    )
    unverified = (
        f" The database {database} now holds this unverified restore: do not serve it; drop "
        "it and create it empty before trying again."
    )
    try:
        return verify_restored(backup, seal, using=using)
    except BackupError as error:
        message = str(error).replace(" Nothing was restored.", "")
        raise BackupError(message + unverified) from error
