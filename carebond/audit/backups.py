"""Backups that prove themselves: one sealed file per backup, verified before it replaces data.

A backup file is the database's own format (a SQLite database, or a PostgreSQL custom-format
archive) followed by one line, the seal: ``CAREBOND-BACKUP {json}``. The seal holds the
payload's length and SHA-256, the row count of every table and the audit chain's head at the
moment of the backup, so a truncated, damaged or edited file is refused before anything is
restored, and a restore is checked against what was backed up. Field encryption keys are never
in a backup.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend

from carebond.audit.actions import do_record_backup
from carebond.audit.checkpoints import (
    Checkpoint,
    checkpoint_file,
    first_missed_checkpoint,
    read_checkpoints,
)
from carebond.audit.selectors import verify_chain
from carebond.core.fields import EncryptedTextField, decrypt

SEAL_MARKER = b"\nCAREBOND-BACKUP "
SEAL_FORMAT = 1
# The seal is a few kilobytes; reading this much of the end always finds it.
SEAL_TAIL_BYTES = 1 << 20
CHUNK = 1 << 20
_aliases = itertools.count(1)

# What `carebond backup` and `restore` print; every table is counted and compared all the same.
MAIN_TABLES = {
    "core_organization": "organisations",
    "accounts_user": "staff users",
    "people_person": "people",
    "touchpoints_touchpoint": "touchpoints",
    "scheduling_appointment": "appointments",
    "messaging_message": "messages",
    "surveys_response": "survey responses",
    "audit_auditevent": "audit events",
}
# Encrypted values decrypted per column to prove the keys fit (the first and the newest).
KEY_SAMPLES_PER_COLUMN = 2
KEYS_NOT_INCLUDED = (
    "Field encryption keys (CAREBOND_FIELD_KEYS) are NOT in this backup: keep them apart from "
    "it, and have them at hand to restore."
)


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says what, where and why.
    Nothing was changed when it is raised."""


@dataclass(frozen=True)
class Seal:
    engine: str
    created_at: str
    payload_bytes: int
    sha256: str
    tables: dict[str, int]
    audit_head: dict[str, Any] | None

    def to_json(self) -> bytes:
        return json.dumps(
            {"format": SEAL_FORMAT, **self.__dict__}, sort_keys=True, separators=(",", ":")
        ).encode()


@dataclass
class Report:
    """What a backup wrote or a restore brought back, for the command to print."""

    path: Path
    engine: str
    size_bytes: int
    # Of the whole file, as `sha256sum` prints it: what an operator keeps elsewhere to compare.
    sha256: str
    tables: dict[str, int]
    audit_head: dict[str, Any] | None
    chain_checked: int = 0
    keys_checked: int = 0
    migrations_applied: list[str] = field(default_factory=list)
    previous_copy: Path | None = None
    checkpoints_matched: int = 0
    # The newest checkpoint of an event after the backup's head: events the restore lost.
    checkpoint_beyond: Checkpoint | None = None

    def lines(self) -> list[str]:
        lines = [f"{self.engine} backup {self.path}: {self.size_bytes:,} bytes"]
        lines.append(f"SHA-256 {self.sha256} (the whole file, as sha256sum prints it)")
        for table, label in MAIN_TABLES.items():
            if table in self.tables:
                lines.append(f"  {label:<17} {self.tables[table]:>10,}")
        rest = sum(n for table, n in self.tables.items() if table not in MAIN_TABLES)
        lines.append(f"  {'other tables':<17} {rest:>10,} ({len(self.tables)} tables in all)")
        head = self.audit_head
        lines.append(
            f"Audit chain head: event {head['id']} {head['hash']}"
            if head
            else "Audit chain head: none (no audit events)"
        )
        return lines


# --- the seal ---------------------------------------------------------------------------------


def digest(path: Path, length: int | None = None) -> tuple[str, int]:
    sha, total = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while length is None or total < length:
            chunk = stream.read(CHUNK if length is None else min(CHUNK, length - total))
            if not chunk:
                break
            sha.update(chunk)
            total += len(chunk)
    return sha.hexdigest(), total


def write_seal(path: Path, seal: Seal) -> None:
    with path.open("ab") as stream:
        stream.write(SEAL_MARKER + seal.to_json() + b"\n")
        stream.flush()
        os.fsync(stream.fileno())


def read_seal(path: Path) -> Seal:
    """The file's seal, once its payload proves to be exactly what was sealed."""
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file.")
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(max(0, size - SEAL_TAIL_BYTES))
        tail = stream.read()
    at = tail.rfind(SEAL_MARKER)
    try:
        if at < 0 or not tail.endswith(b"\n"):
            raise ValueError
        raw = json.loads(tail[at + len(SEAL_MARKER) :])
        if raw.pop("format") != SEAL_FORMAT:
            raise ValueError
        seal = Seal(**raw)
    except (ValueError, TypeError, KeyError) as error:
        raise BackupError(
            f"{path}: not a complete CareBond backup: the seal `carebond backup` writes at the "
            "end of the file is missing or unreadable (the file was cut short, or was not made "
            "by `carebond backup`). Nothing was restored."
        ) from error
    payload_end = size - len(tail) + at
    if payload_end != seal.payload_bytes:
        raise BackupError(
            f"{path}: the backup holds {payload_end:,} bytes before its seal, but "
            f"{seal.payload_bytes:,} were sealed: the file was cut or added to. Nothing was "
            "restored."
        )
    sha256, _ = digest(path, seal.payload_bytes)
    if sha256 != seal.sha256:
        raise BackupError(
            f"{path}: the backup was altered or damaged: its contents' SHA-256 is {sha256}, "
            f"the seal says {seal.sha256}. Nothing was restored."
        )
    return seal


# --- reading a database through Django --------------------------------------------------------


@contextmanager
def other_database(**overrides: Any) -> Iterator[str]:
    """A Django connection alias to a database other than the configured one (a backup being
    checked, a database being restored into): the configured connection with these changes."""
    alias = f"carebond_backup_{next(_aliases)}"
    settings_dict = {**connections["default"].settings_dict, "CONN_MAX_AGE": 0, **overrides}
    # Not added to the settings: the alias lives only while it is in use, in this thread.
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


def sqlite_database(path: Path) -> Any:
    """A SQLite file opened as it is: its journal mode is kept, so no -wal file appears."""
    return other_database(
        ENGINE="django.db.backends.sqlite3",
        NAME=str(path),
        OPTIONS={"init_command": "PRAGMA foreign_keys=ON;", "timeout": 20},
    )


def count_rows(using: str) -> dict[str, int]:
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        names = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for name in names:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(name)}")  # noqa: S608 (a table name)
            counts[name] = int(cursor.fetchone()[0])
    return counts


def audit_head(using: str) -> dict[str, Any] | None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT id, hash FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    return {"id": int(row[0]), "hash": str(row[1])} if row else None


def applied_migrations(using: str) -> set[tuple[str, str]]:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        return {(str(app), str(name)) for app, name in cursor.fetchall()}


def check_schema_not_newer(applied: set[tuple[str, str]], where: Path) -> None:
    """A backup from a newer CareBond has tables this code does not know: refuse it."""
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(applied - known)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise BackupError(
            f"{where}: the backup's schema is newer than this version of CareBond: it has "
            f"migrations this code does not know ({names}{more}). Restore it with the version "
            "that made it, or a newer one. Nothing was restored."
        )


def check_field_keys(using: str) -> int:
    """Decrypt a sample of every encrypted column with CAREBOND_FIELD_KEYS; returns how many."""
    connection, checked = connections[using], 0
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in apps.get_models():
            table = model._meta.db_table
            columns = [
                str(f.column)
                for f in model._meta.concrete_fields
                if isinstance(f, EncryptedTextField)
            ]
            if table not in tables:
                continue
            for column in columns:
                pk = quote(str(model._meta.pk.column))
                for order in ("ASC", "DESC")[:KEY_SAMPLES_PER_COLUMN]:
                    cursor.execute(
                        f"SELECT {pk}, {quote(column)} FROM {quote(table)} "  # noqa: S608
                        f"WHERE {quote(column)} <> '' ORDER BY {pk} {order} LIMIT 1"
                    )
                    row = cursor.fetchone()
                    if row is None:
                        break
                    try:
                        decrypt(str(row[1]))
                    except Exception as error:
                        raise BackupError(
                            f"The encrypted field {model._meta.label}.{column} (row {row[0]}) "
                            "cannot be decrypted with the keys in CAREBOND_FIELD_KEYS: set the "
                            "keys that were in use when the backup was made (they are not in "
                            "the backup). Nothing was restored."
                        ) from error
                    checked += 1
    return checked


def check_chain(using: str) -> int:
    report = verify_chain(using=using)
    if not report.intact:
        broken = report.first_break
        assert broken is not None
        raise BackupError(
            f"The backup's audit chain is BROKEN at event {broken.event_id} "
            f"({broken.public_id}): {broken.reason}. {report.checked} events before it "
            "verified. Nothing was restored."
        )
    return report.checked


def check_checkpoints(using: str, head: dict[str, Any] | None) -> tuple[int, Checkpoint | None]:
    """Checkpoints up to the backup's head must match it (else the chain was rewritten); those
    after it name events that happened after the backup, lost by restoring it."""
    newest = head["id"] if head else 0
    checkpoints = read_checkpoints()
    within = [c for c in checkpoints if c.event_id <= newest]
    missed = first_missed_checkpoint(within, using=using)
    if missed is not None:
        checkpoint, reason = missed
        raise BackupError(
            f"The backup's audit chain does not match the checkpoint of event "
            f"{checkpoint.event_id} taken {checkpoint.taken_at} in {checkpoint_file()}: "
            f"{reason}. Nothing was restored."
        )
    beyond = [c for c in checkpoints if c.event_id > newest]
    return len(within), (beyond[-1] if beyond else None)


def check_counts(found: dict[str, int], seal: Seal) -> None:
    differ = [
        f"{table} {seal.tables.get(table, 0)} -> {found.get(table, 0)}"
        for table in sorted(set(found) | set(seal.tables))
        if found.get(table, 0) != seal.tables.get(table, 0)
    ]
    if differ:
        raise BackupError(
            "The restored rows do not match the backup's seal (table, sealed -> found): "
            + "; ".join(differ[:10])
        )


# --- files ------------------------------------------------------------------------------------


def partial_file(path: Path, purpose: str) -> Path:
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=purpose)
    os.close(handle)
    return Path(name)


def publish(partial: Path, path: Path) -> None:
    """Rename into place only when complete, and make the rename itself durable."""
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def check_new_backup_path(path: Path) -> None:
    if path.exists():
        raise BackupError(f"{path} already exists: name a new file (backups are never replaced).")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such folder for the backup.")


# --- SQLite -----------------------------------------------------------------------------------


def backup_sqlite(path: Path, *, actor_label: str = "cli") -> Report:
    """Copy the live database with SQLite's online backup API: one read transaction, so the
    copy is consistent while web and worker processes keep writing (WAL)."""
    check_new_backup_path(path)
    do_record_backup(actor_label=actor_label)
    connection = connections["default"]
    connection.ensure_connection()
    partial = partial_file(path, ".partial")
    try:
        with closing_sqlite(partial) as target:
            connection.connection.backup(target)
            # One self-contained file: no -wal beside it when it is opened later.
            target.execute("PRAGMA journal_mode=DELETE")
        with sqlite_database(partial) as alias:
            tables, head = count_rows(alias), audit_head(alias)
        sha256, size = digest(partial)
        write_seal(
            partial,
            Seal("sqlite", utc_timestamp(), size, sha256, tables, head),
        )
        publish(partial, path)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(
            f"Writing the backup failed: {error}. Nothing was written at {path}."
        ) from error
    finally:
        partial.unlink(missing_ok=True)
    return Report(path, "SQLite", path.stat().st_size, digest(path)[0], tables, head)


@contextmanager
def closing_sqlite(path: Path, *, timeout: float = 20) -> Iterator[sqlite3.Connection]:
    database = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        yield database
    finally:
        database.close()


def sqlite_in_use(path: Path) -> bool:
    """Whether another process has the database open now (a request, a task, a worker's poll):
    an exclusive lock is then refused at once."""
    if not path.exists():
        return False
    with closing_sqlite(path, timeout=0) as database:
        try:
            database.execute("PRAGMA locking_mode=EXCLUSIVE")
            database.execute("BEGIN EXCLUSIVE")
            database.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            database.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return True
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a SQLite database ({error}).") from error
    return False


def restore_sqlite(backup: Path, database: Path, *, force: bool = False) -> Report:
    """Check a copy of the backup completely, keep the current database beside it, then copy
    the backup in with the backup API (one transaction: it lands whole or not at all)."""
    seal = read_seal(backup)
    if seal.engine != "sqlite":
        raise BackupError(
            f"{backup} is a {seal.engine} backup; this CareBond uses SQLite ({database}). "
            "Restore it where CAREBOND_DATABASE_URL names an empty PostgreSQL database."
        )
    if not force and sqlite_in_use(database):
        raise BackupError(
            f"{database} is in use by another process: stop the web and worker processes, or "
            "pass --force to replace it under them. Nothing was restored."
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = partial_file(database, ".restoring")
    try:
        with backup.open("rb") as source, staged.open("wb") as target:
            _copy_exactly(source, target, seal.payload_bytes)
        report = _check_staged(backup, staged, seal)
        report.previous_copy = _keep_previous(database)
        try:
            with closing_sqlite(staged) as source, closing_sqlite(database) as target:
                source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(
                f"Copying the backup into {database} failed: {error}. The database is as it "
                "was (the copy is one transaction)."
            ) from error
        with sqlite_database(database) as alias:
            report.chain_checked = check_chain(alias)
            report.tables = count_rows(alias)
    finally:
        staged.unlink(missing_ok=True)
    return report


def _check_staged(backup: Path, staged: Path, seal: Seal) -> Report:
    with closing_sqlite(staged) as database:
        try:
            problems = [row[0] for row in database.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup}: not a SQLite database ({error}).") from error
    if problems != ["ok"]:
        raise BackupError(f"{backup}: the database inside is damaged: {problems[0]}.")
    if not {"django_migrations", "audit_auditevent"} <= tables:
        raise BackupError(f"{backup}: not a CareBond database (it has no audit trail).")
    with sqlite_database(staged) as alias:
        check_schema_not_newer(applied_migrations(alias), backup)
        return verify_restored(backup, seal, using=alias)


def verify_restored(backup: Path, seal: Seal, *, using: str) -> Report:
    """The rows are the sealed ones; the schema is brought up to this code's (a backup from an
    older CareBond); the audit chain verifies and the field keys decrypt a sample."""
    check_counts(count_rows(using), seal)
    pending = pending_migrations(using)
    if pending:
        call_command("migrate", database=using, verbosity=0, interactive=False)
    chain_checked = check_chain(using)
    matched, beyond = check_checkpoints(using, seal.audit_head)
    return Report(
        backup,
        "SQLite" if seal.engine == "sqlite" else "PostgreSQL",
        backup.stat().st_size,
        digest(backup)[0],
        count_rows(using),
        audit_head(using),
        chain_checked=chain_checked,
        keys_checked=check_field_keys(using),
        migrations_applied=pending,
        checkpoints_matched=matched,
        checkpoint_beyond=beyond,
    )


def pending_migrations(using: str) -> list[str]:
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    applied = applied_migrations(using)
    return sorted(f"{app}.{name}" for app, name in set(known) - applied)


def _keep_previous(database: Path) -> Path | None:
    """The database being replaced, copied beside it first: a restore loses nothing."""
    if not database.exists() or database.stat().st_size == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    previous = database.with_name(f"{database.name}.before-restore-{stamp}")
    with closing_sqlite(database) as source, closing_sqlite(previous) as target:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    return previous


def _copy_exactly(source: Any, target: Any, length: int) -> None:
    remaining = length
    while remaining:
        chunk = source.read(min(CHUNK, remaining))
        if not chunk:
            raise BackupError("The backup file shrank while it was being read.")
        target.write(chunk)
        remaining -= len(chunk)
    target.flush()
    os.fsync(target.fileno())


def utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def configured_sqlite_file() -> Path | None:
    """The configured database's file, or None when it is not SQLite."""
    database = connections["default"].settings_dict
    if not database["ENGINE"].endswith("sqlite3"):
        return None
    return Path(database["NAME"])
