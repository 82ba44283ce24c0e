"""Backup and restore on the database the suite runs on: a restore brings back every row with
the audit chain intact, and a damaged, cut, foreign or too-new backup, or the wrong field keys,
is refused with the database it would replace left as it was.

On SQLite the backup is restored into a file of its own; on PostgreSQL into a new, empty
database made on the suite's server.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from carebond.accounts.models import User
from carebond.audit.backups import (
    BackupError,
    Report,
    backup_sqlite,
    count_rows,
    other_database,
    read_seal,
    restore_sqlite,
    sqlite_database,
)
from carebond.audit.checkpoints import take_checkpoint
from carebond.audit.models import AuditEvent
from carebond.audit.pg_backups import backup_postgres, restore_postgres
from carebond.audit.selectors import verify_chain
from carebond.core.models import Organization
from carebond.core.permissions import Role
from carebond.people.actions import check_add_personal_note
from carebond.people.models import PersonalNote
from carebond.people.tests.factories import make_patient
from carebond.touchpoints.actions import check_log_touchpoint
from config.env import derived_key

pytestmark = pytest.mark.django_db(transaction=True)
POSTGRES = connection.vendor == "postgresql"
NOTE = "Prefers morning calls; daughter Ana translates."


@dataclass
class Target:
    """Where a test restores to, and how to read what landed there."""

    restore: Callable[[Path], Report]
    open: Callable[[], object]
    is_empty: Callable[[], bool]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    if not POSTGRES:
        path = tmp_path / "restored.sqlite3"
        yield Target(
            restore=lambda backup: restore_sqlite(backup, path),
            open=lambda: sqlite_database(path),
            is_empty=lambda: not path.exists(),
        )
        return
    import psycopg

    default = connections["default"].settings_dict
    name = f"carebond_restored_{os.getpid()}"

    def admin(sql: str) -> None:
        with psycopg.connect(
            host=default["HOST"],
            port=default["PORT"],
            user=default["USER"],
            password=default.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        ) as server:
            server.execute(sql)

    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(f"CREATE DATABASE {name}")
    with other_database(NAME=name) as alias:

        def is_empty() -> bool:
            return not connections[alias].introspection.table_names()

        yield Target(
            restore=lambda backup: restore_postgres(backup, using=alias),
            open=lambda: other_database(NAME=name),
            is_empty=is_empty,
        )
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def back_up(path: Path) -> Report:
    return backup_postgres(path) if POSTGRES else backup_sqlite(path)


@pytest.fixture
def clinic(org_a: Organization, users_a: dict[str, User]) -> Organization:
    """Patients with an encrypted note and a logged call each, all written through actions."""
    clinician = users_a[Role.CLINICIAN]
    for given, family in [("Maria", "Lopez"), ("Tomasz", "Nowak"), ("Aiyana", "Begay")]:
        patient = make_patient(org_a, given, family)
        check_add_personal_note(patient, text=NOTE, acting_user=clinician)
        check_log_touchpoint(
            patient, kind="call", summary="Asked about parking", acting_user=clinician
        )
    return org_a


def test_a_restore_brings_back_every_row_with_the_audit_chain_intact(
    clinic: Organization, target: Target, tmp_path: Path
) -> None:
    # given a clinic's data written through actions, backed up
    backup = tmp_path / "clinic.backup"
    made = back_up(backup)
    live = count_rows("default")
    # then the backup describes exactly the database, its own audit event as the chain's head
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest is not None
    assert newest.action == "audit.backup"
    assert made.audit_head == {"id": newest.id, "hash": newest.hash}
    assert made.tables == live
    assert made.tables["people_personalnote"] == 3
    # when it is restored somewhere new
    restored = target.restore(backup)
    # then every table holds what the live database holds, the chain verifies end to end, and
    # the encrypted notes read back with the keys kept apart from the backup
    assert restored.tables == live
    assert restored.chain_checked == AuditEvent.objects.count()
    assert restored.keys_checked >= 2
    with target.open() as alias:  # type: ignore[attr-defined]
        assert count_rows(alias) == live
        assert verify_chain(using=alias).head_hash == newest.hash
        notes = PersonalNote.objects.using(alias).values_list("text", flat=True)
        assert list(notes) == [NOTE] * 3


def test_a_backup_is_never_written_over_an_existing_file(
    clinic: Organization, tmp_path: Path
) -> None:
    # given a file where the backup would go
    existing = tmp_path / "clinic.backup"
    existing.write_text("last week's backup")
    # when a backup is asked for there, then it is refused and the file is untouched
    with pytest.raises(BackupError, match="already exists"):
        back_up(existing)
    assert existing.read_text() == "last week's backup"
    assert [p.name for p in tmp_path.iterdir()] == ["clinic.backup"]


def test_a_damaged_or_cut_backup_is_refused_and_nothing_is_restored(
    clinic: Organization, target: Target, tmp_path: Path
) -> None:
    # given a backup, and copies of it damaged in three ways after it was written
    backup = tmp_path / "clinic.backup"
    back_up(backup)
    whole = backup.read_bytes()
    flipped = bytearray(whole)
    flipped[len(whole) // 3] ^= 0x01
    damaged = {
        "altered or damaged: its contents' SHA-256 is": bytes(flipped),
        "not a complete CareBond backup": whole[: len(whole) - 700],
        "the file was cut or added to": whole[:4096] + whole[8192:],
    }
    for message, data in damaged.items():
        copy = tmp_path / "damaged.backup"
        copy.write_bytes(data)
        # when it is restored, then it is refused by name and the target is left as it was
        with pytest.raises(BackupError, match=message) as refused:
            target.restore(copy)
        assert str(copy) in str(refused.value)
        assert "Nothing was restored." in str(refused.value)
        assert target.is_empty()


def test_the_wrong_field_keys_are_detected_before_anything_is_replaced(
    clinic: Organization, target: Target, tmp_path: Path, settings: object
) -> None:
    # given a backup, and a server whose CAREBOND_FIELD_KEYS are not the ones the notes used
    backup = tmp_path / "clinic.backup"
    back_up(backup)
    settings.FIELD_KEYS = [derived_key("another server")]  # type: ignore[attr-defined]
    # when it is restored, then the restore names the encrypted field that does not decrypt
    with pytest.raises(BackupError, match=r"people\.PersonalNote\.text .*CAREBOND_FIELD_KEYS"):
        target.restore(backup)
    if not POSTGRES:
        # (PostgreSQL restores into a new, empty database and says to drop it: test below)
        assert target.is_empty()


def test_a_backup_from_a_newer_carebond_is_refused(
    clinic: Organization, target: Target, tmp_path: Path
) -> None:
    # given a backup of a database migrated by a newer version of CareBond
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES "
            "('people', '0999_from_the_future', CURRENT_TIMESTAMP)"
        )
    backup = tmp_path / "newer.backup"
    try:
        back_up(backup)
    finally:
        # (the suite's flush between tests leaves django_migrations alone)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM django_migrations WHERE name = '0999_from_the_future'")
    # when it is restored, then the refusal names the unknown migration
    with pytest.raises(BackupError, match=r"schema is newer .*people\.0999_from_the_future"):
        target.restore(backup)
    assert target.is_empty()


def test_checkpoints_prove_the_backups_chain_and_name_the_events_it_lacks(
    clinic: Organization, target: Target, tmp_path: Path, settings: object, admin_a: User
) -> None:
    # given a checkpoint taken before the backup, and one of an event recorded after it
    checkpoints = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(checkpoints)  # type: ignore[attr-defined]
    before = take_checkpoint()
    backup = tmp_path / "clinic.backup"
    made = back_up(backup)
    patient = make_patient(clinic, "Late", "Arrival")
    check_add_personal_note(patient, text="After the backup", acting_user=admin_a)
    after = take_checkpoint()
    assert before is not None
    assert after is not None
    # when the backup is restored
    restored = target.restore(backup)
    # then the earlier checkpoint matches and the later one is named as lost with the restore
    assert restored.checkpoints_matched == 1
    assert restored.checkpoint_beyond == after
    assert made.audit_head is not None
    assert before.event_id < made.audit_head["id"] < after.event_id


def test_a_backup_whose_chain_a_checkpoint_contradicts_is_refused(
    clinic: Organization, target: Target, tmp_path: Path, settings: object
) -> None:
    # given a backup, and a checkpoint (kept elsewhere) that knew event 1 by another hash
    checkpoints = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(checkpoints)  # type: ignore[attr-defined]
    backup = tmp_path / "clinic.backup"
    back_up(backup)
    checkpoints.write_text(
        json.dumps({"event_id": 1, "hash": "0" * 64, "taken_at": "2026-11-30T02:00:00+00:00"})
        + "\n"
    )
    # when it is restored, then it is refused: the chain in the backup was rewritten
    with pytest.raises(BackupError, match="does not match the checkpoint of event 1 taken"):
        target.restore(backup)
    if not POSTGRES:
        assert target.is_empty()


def test_the_commands_print_what_was_written_and_refuse_with_the_reason(
    clinic: Organization, tmp_path: Path
) -> None:
    # when `carebond backup` runs
    out = StringIO()
    backup = tmp_path / "clinic.backup"
    call_command("backup", str(backup), stdout=out)
    printed = out.getvalue()
    # then it names the file, its size and checksum, the main tables' rows and the chain head,
    # and says the field keys are not in it
    size = backup.stat().st_size
    assert f"backup {backup}: {size:,} bytes" in printed
    assert f"SHA-256 {hashlib.sha256(backup.read_bytes()).hexdigest()}" in printed
    assert "people                     3" in printed
    head = AuditEvent.objects.order_by("-id").first()
    assert head is not None
    assert f"Audit chain head: event {head.id} {head.hash}" in printed
    assert "(CAREBOND_FIELD_KEYS) are NOT in this backup" in printed
    # and `carebond restore` of something that is not a backup fails with the reason
    stranger = tmp_path / "notes.txt"
    stranger.write_text("not a backup\n")
    with pytest.raises(CommandError, match="not a complete CareBond backup"):
        call_command("restore", str(stranger))


@pytest.mark.skipif(POSTGRES, reason="SQLite: the file is replaced in place")
def test_sqlite_restore_keeps_the_replaced_database_and_refuses_one_in_use(
    clinic: Organization, tmp_path: Path
) -> None:
    # given a backup, and a database file that another process has open
    backup = tmp_path / "clinic.backup"
    backup_sqlite(backup)
    current = tmp_path / "current.sqlite3"
    with closing(sqlite3.connect(current)) as other:
        other.execute("PRAGMA journal_mode=WAL")
        other.execute("CREATE TABLE kept (what TEXT)")
        other.execute("INSERT INTO kept VALUES ('the data before the restore')")
        other.commit()
        # when it is restored without --force, then it is refused and left as it was
        with pytest.raises(BackupError, match="in use by another process"):
            restore_sqlite(backup, current)
        assert other.execute("SELECT what FROM kept").fetchall() == [
            ("the data before the restore",)
        ]
        # when it is restored with --force
        report = restore_sqlite(backup, current, force=True)
    # then the backup is in place and verified, and the database it replaced is kept beside it
    assert report.tables == count_rows("default")
    assert report.previous_copy is not None
    with closing(sqlite3.connect(report.previous_copy)) as previous:
        assert previous.execute("SELECT what FROM kept").fetchall() == [
            ("the data before the restore",)
        ]
    with closing(sqlite3.connect(current)) as restored:
        assert restored.execute("SELECT COUNT(*) FROM people_personalnote").fetchone() == (3,)
        assert restored.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# Writes audit events, one transaction each, until the file named by argv[1] appears.
WRITER = """
import pathlib, sys
from carebond.audit.actions import do_record_audit_export
stop, written = pathlib.Path(sys.argv[1]), 0
while not stop.exists():
    do_record_audit_export(acting_user=None, organization_label="writer")
    written += 1
    if written == 1:
        print("writing", flush=True)
print(written, flush=True)
"""


@pytest.mark.skipif(POSTGRES, reason="SQLite: the online backup API beside a writing process")
def test_a_backup_taken_while_another_process_writes_is_consistent(
    clinic: Organization, tmp_path: Path
) -> None:
    # given the clinic in a SQLite file that another process keeps writing audit events to
    live = tmp_path / "live.sqlite3"
    seed = tmp_path / "seed.backup"
    backup_sqlite(seed)
    restore_sqlite(seed, live)
    events_before = count_rows("default")["audit_auditevent"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {
        "CAREBOND_ENV": "dev",
        "CAREBOND_VAR_DIR": str(tmp_path / "var"),
        "CAREBOND_DATABASE_URL": f"sqlite:///{live}",
        # (the keys the clinic's notes were written with: a restore checks them)
        "CAREBOND_FIELD_KEYS": ",".join(django_settings.FIELD_KEYS),
    }
    carebond = [sys.executable, "-m", "carebond.cli"]
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [*carebond, "shell", "-c", f"import sys; sys.argv = ['', {str(stop)!r}]\n{WRITER}"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        while writer.stdout.readline().strip() != "writing":  # (the shell's own lines first)
            assert writer.poll() is None, "the writer stopped before it wrote"
        # when `carebond backup` runs meanwhile
        backup = tmp_path / "during.backup"
        made = subprocess.run(
            [*carebond, "backup", str(backup)], env=env, capture_output=True, text=True
        )
        assert made.returncode == 0, made.stderr
        head = read_seal(backup).audit_head
        assert head is not None
        # (and the writer goes on past the backup's moment before it is stopped)
        with closing(sqlite3.connect(live, timeout=20)) as db:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                newest = db.execute("SELECT MAX(id) FROM audit_auditevent").fetchone()[0]
                if newest > head["id"]:
                    break
                time.sleep(0.05)
        stop.touch()
        written = int(writer.stdout.readline())
    finally:
        writer.kill()
        writer.wait()
    # then the backup holds a moment in the middle of the writing
    assert events_before + 1 < head["id"] < events_before + written + 1
    # when `carebond restore` puts it back in place of the live file (the writer stopped)
    restored = subprocess.run(
        [*carebond, "restore", str(backup)], env=env, capture_output=True, text=True
    )
    # then it restores whole: the seal's counts match, the chain verifies up to its head, the
    # restore is the trail's next event, and the replaced database is kept with every write
    assert restored.returncode == 0, restored.stderr
    assert f"Audit chain intact: {head['id']} events verified" in restored.stdout
    assert "Row counts match the backup's seal." in restored.stdout
    with closing(sqlite3.connect(live)) as db:
        newest = db.execute("SELECT id, action FROM audit_auditevent ORDER BY id DESC LIMIT 1")
        assert newest.fetchone() == (head["id"] + 1, "audit.restore")
    with sqlite_database(live) as alias:
        assert verify_chain(using=alias).intact
    kept = restored.stdout.split("The database it replaced is kept at ")[1].split()[0]
    with closing(sqlite3.connect(kept)) as db:
        everything = db.execute("SELECT COUNT(*) FROM audit_auditevent").fetchone()[0]
        assert everything == events_before + 1 + written


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL: restores go into an empty database")
def test_postgres_restore_refuses_a_database_that_holds_data(
    clinic: Organization, tmp_path: Path
) -> None:
    # given a backup, and the suite's own database (which holds the clinic)
    backup = tmp_path / "clinic.backup"
    backup_postgres(backup)
    before = count_rows("default")
    # when it is restored over it, then it is refused and not one row changes
    with pytest.raises(BackupError, match=r"is not empty \(\d+ tables\).*Nothing was restored"):
        restore_postgres(backup)
    assert count_rows("default") == before
    # and --force does not change that
    with pytest.raises(CommandError, match="--force does not apply on PostgreSQL"):
        call_command("restore", str(backup), "--force")


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL: what is left after a failed check")
def test_postgres_restore_with_the_wrong_keys_says_to_drop_the_unverified_database(
    clinic: Organization, target: Target, tmp_path: Path, settings: object
) -> None:
    backup = tmp_path / "clinic.backup"
    backup_postgres(backup)
    settings.FIELD_KEYS = [derived_key("another server")]  # type: ignore[attr-defined]
    with pytest.raises(BackupError, match="unverified restore: do not serve it; drop it"):
        target.restore(backup)
