"""Monthly partitions of the tables that keep history, on PostgreSQL (docs/deployment.md,
"Partitioned history").

A table here is declaratively partitioned by RANGE on one timestamp column: one partition per
calendar month (UTC), named ``<table>_pYYYYMM``, and ``<table>_default`` for a row whose month
has no partition yet. The month a row belongs to is where queries for that time look, and
retention drops a whole month at once instead of deleting row by row.

PostgreSQL enforces a primary key or unique index of a partitioned table only when it includes
the partition column: the key becomes (id, column) and the table's other unique indexes become
plain indexes (their comment remembers what they were, so that the conversion can be undone).
Django knows nothing of this; on SQLite nothing is partitioned.
"""

# ruff: noqa: S608 (the SQL here names tables and columns of ours, quoted; values are parameters)
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from carebond.core import clock

logger = logging.getLogger("carebond.partitions")

PLAIN = "__plain"
WAS_UNIQUE = "unique before partitioning"
# The audit chain's lock (carebond.audit.recording): every write to these tables is audited in
# the same transaction and so waits for it anyway; a uniqueness check that took a lock of its
# own first could deadlock with a transaction that audits before it writes.
HISTORY_LOCK_KEY = 0x0CAEB0D0


def month_of(moment: datetime) -> datetime:
    """The first instant of the UTC month the moment falls in."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def add_months(month: datetime, count: int) -> datetime:
    index = month.year * 12 + month.month - 1 + count
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def default_partition(table: str) -> str:
    return f"{table}_default"


@dataclass(frozen=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table]
        )
        return cursor.fetchone() is not None


def monthly_partitions(table: str) -> list[Partition]:
    """The table's month partitions, oldest first (the default partition is not one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = inhrelid "
            "WHERE inhparent = to_regclass(%s)",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = []
    prefix = f"{table}_p"
    for name in names:
        suffix = name.removeprefix(prefix)
        if name.startswith(prefix) and len(suffix) == 6 and suffix.isdigit():
            start = datetime(int(suffix[:4]), int(suffix[4:]), 1, tzinfo=UTC)
            found.append(Partition(name, start, add_months(start, 1)))
    return sorted(found, key=lambda partition: partition.start)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def create_month(table: str, column: str, month: datetime, *, move_parked: bool = True) -> bool:
    """Create the month's partition, moving into it the rows the default partition holds for
    that month. False when rows are parked there and ``move_parked`` is off (the audit trail's
    rows can be neither updated nor deleted, so they stay in the default partition)."""
    name, end = partition_name(table, month), add_months(month, 1)
    default = default_partition(table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {_q(default)} WHERE {_q(column)} >= %s "
            f"AND {_q(column)} < %s)",
            [month, end],
        )
        parked = cursor.fetchone()[0]
        if parked and not move_parked:
            logger.warning("Rows of %s for %s wait in %s", table, f"{month:%Y-%m}", default)
            return False
        cursor.execute(
            f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        if parked:
            cursor.execute(
                f"WITH moved AS (DELETE FROM {_q(default)} WHERE {_q(column)} >= %s "
                f"AND {_q(column)} < %s RETURNING *) INSERT INTO {_q(name)} SELECT * FROM moved",
                [month, end],
            )
        cursor.execute(
            f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)} FOR VALUES FROM (%s) TO (%s)",
            [month, end],
        )
    return True


def parked_months(table: str, column: str) -> list[datetime]:
    """The months of the rows waiting in the default partition."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', {_q(column)} AT TIME ZONE 'UTC') "
            f"FROM {_q(default_partition(table))}"
        )
        return sorted(row[0].replace(tzinfo=UTC) for row in cursor.fetchall())


def parked_before(table: str, column: str, cutoff: datetime) -> bool:
    """Whether the default partition holds rows older than the cutoff."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {_q(default_partition(table))} WHERE {_q(column)} < %s)",
            [cutoff],
        )
        return bool(cursor.fetchone()[0])


@dataclass(frozen=True)
class Dropped:
    partition: Partition
    rows: int


def drop_months_before(table: str, cutoff: datetime) -> list[Dropped]:
    """Detach and drop every month partition that ends on or before the cutoff."""
    dropped = []
    with connection.cursor() as cursor:
        # A table with checks of foreign keys still pending in this transaction cannot be
        # dropped: run them now (for the rest of the transaction, which is the retention's).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for partition in monthly_partitions(table):
        if partition.end > cutoff:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {_q(partition.name)}")
            rows = cursor.fetchone()[0]
            cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(partition.name)}")
            cursor.execute(f"DROP TABLE {_q(partition.name)}")
        dropped.append(Dropped(partition, rows))
    return dropped


# --- migrations: converting a table, and back --------------------------------------------------


def _indexes(cursor: Any, table: str) -> list[tuple[str, str, bool, bool, str | None]]:
    """(name, definition, unique, backs a constraint, comment) of each non-primary index."""
    cursor.execute(
        "SELECT index.relname, pg_get_indexdef(i.indexrelid), i.indisunique, "
        "EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid), "
        "obj_description(i.indexrelid, 'pg_class') "
        "FROM pg_index i JOIN pg_class index ON index.oid = i.indexrelid "
        "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary ORDER BY index.relname",
        [table],
    )
    return list(cursor.fetchall())


def _foreign_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [table],
    )
    return list(cursor.fetchall())


def _copy_rows_and_drop(cursor: Any, source: str, table: str) -> None:
    """Copy every row of ``source`` into ``table``, drop ``source`` and give ``table``'s id
    sequence the usual name and the next free number."""
    cursor.execute(f"INSERT INTO {_q(table)} SELECT * FROM {_q(source)}")
    cursor.execute(f"DROP TABLE {_q(source)}")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {_q(f'{table}_id_seq')}")
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), coalesce(max(id), 1), max(id) IS NOT "
        f"NULL) FROM {_q(table)}",
        [table],
    )


def convert_to_partitioned(schema_editor: Any, table: str, column: str, ahead: int = 3) -> None:
    """Make a table partitioned by month on ``column``, keeping every row, index and foreign
    key; a partition for each month that has rows and for this month and ``ahead`` more, and
    the default partition. Run inside the migration's transaction: all or nothing."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        indexes, foreign_keys = _indexes(cursor, table), _foreign_keys(cursor, table)
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', {_q(column)} AT TIME ZONE 'UTC') FROM {_q(table)}"
        )
        this_month = month_of(clock.now())
        months = {row[0].replace(tzinfo=UTC) for row in cursor.fetchall()}
        months |= {add_months(this_month, n) for n in range(ahead + 1)}
        plain = f"{table}{PLAIN}"
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(plain)}")
        cursor.execute(
            f"CREATE TABLE {_q(table)} (LIKE {_q(plain)} INCLUDING DEFAULTS INCLUDING IDENTITY "
            f"INCLUDING CONSTRAINTS) PARTITION BY RANGE ({_q(column)})"
        )
        cursor.execute(
            f"CREATE TABLE {_q(default_partition(table))} PARTITION OF {_q(table)} DEFAULT"
        )
        for month in sorted(months):
            cursor.execute(
                f"CREATE TABLE {_q(partition_name(table, month))} PARTITION OF {_q(table)} "
                f"FOR VALUES FROM (%s) TO (%s)",
                [month, add_months(month, 1)],
            )
        _copy_rows_and_drop(cursor, plain, table)
        cursor.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(f'{table}_pkey')} "
            f"PRIMARY KEY (id, {_q(column)})"
        )
        for name, definition, unique, constraint, _comment in indexes:
            cursor.execute(definition.replace("CREATE UNIQUE INDEX", "CREATE INDEX", 1))
            if unique:
                kind = "constraint" if constraint else "index"
                cursor.execute(f"COMMENT ON INDEX {_q(name)} IS '{WAS_UNIQUE}: {kind}'")
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")


def convert_to_plain(schema_editor: Any, table: str) -> None:
    """Undo convert_to_partitioned: one table again, with its unique indexes and constraints."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        indexes, foreign_keys = _indexes(cursor, table), _foreign_keys(cursor, table)
        partitioned = f"{table}__partitioned"
        cursor.execute(f"ALTER TABLE {_q(table)} RENAME TO {_q(partitioned)}")
        cursor.execute(
            f"CREATE TABLE {_q(table)} (LIKE {_q(partitioned)} INCLUDING DEFAULTS "
            f"INCLUDING IDENTITY INCLUDING CONSTRAINTS)"
        )
        _copy_rows_and_drop(cursor, partitioned, table)
        cursor.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(f'{table}_pkey')} PRIMARY KEY (id)"
        )
        for name, definition, _unique, _constraint, comment in indexes:
            definition = definition.replace(" ON ONLY ", " ON ", 1)
            if comment and comment.startswith(WAS_UNIQUE):
                definition = definition.replace("CREATE INDEX", "CREATE UNIQUE INDEX", 1)
            cursor.execute(definition)
            if comment == f"{WAS_UNIQUE}: constraint":
                cursor.execute(
                    f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} UNIQUE USING INDEX "
                    f"{_q(name)}"
                )
        for name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")


def create_uniqueness_trigger(
    schema_editor: Any, table: str, name: str, columns: list[str], *, when: str = "TRUE"
) -> None:
    """Keep a unique constraint PostgreSQL cannot keep on a partitioned table (it does not
    include the partition column): before a row is written, under the history lock, refuse it
    with the same error (unique_violation, named ``name``) when another row has its values.
    ``when``: the constraint's condition, on NEW (a partial unique constraint)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    same = " AND ".join(f"{_q(column)} = NEW.{_q(column)}" for column in columns)
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {_q(name)}() RETURNS trigger AS $$
        BEGIN
            IF {when} THEN
                PERFORM pg_advisory_xact_lock({HISTORY_LOCK_KEY});
                IF EXISTS (SELECT 1 FROM {_q(table)} WHERE {same} AND id <> NEW.id) THEN
                    RAISE EXCEPTION 'duplicate key value violates unique constraint "%"', TG_NAME
                        USING ERRCODE = 'unique_violation', CONSTRAINT = TG_NAME,
                              TABLE = TG_TABLE_NAME;
                END IF;
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER {_q(name)} BEFORE INSERT OR UPDATE OF {", ".join(map(_q, columns))}
            ON {_q(table)} FOR EACH ROW EXECUTE FUNCTION {_q(name)}();
        """,
        params=None,
    )


def drop_uniqueness_trigger(schema_editor: Any, name: str) -> None:
    """The trigger itself went with its table; its function stays until dropped."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_q(name)}()", params=None)
