"""No double booking, by the database (see carebond/scheduling/constraints.py): range
exclusion constraints on PostgreSQL (btree_gist, a trusted extension the database owner may
create), triggers on SQLite. The SQL is written out here, as it was when this ran."""

from django.db import migrations

TABLE = "scheduling_appointment"
PROVIDER_FREE = "appointment_provider_free"
ROOM_FREE = "appointment_room_free"
PATIENT_FREE = "appointment_patient_free"
LIVE_STATUSES = ("pending", "booked", "arrived", "checked-in", "fulfilled")

_LIVE = ", ".join(f"'{status}'" for status in LIVE_STATUSES)

POSTGRESQL = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE {TABLE} ADD CONSTRAINT {PROVIDER_FREE} EXCLUDE USING gist (
    provider_id WITH =, tstzrange(starts_at, ends_at) WITH &&, group_key WITH <>
) WHERE (status IN ({_LIVE}) AND NOT overbooked);
ALTER TABLE {TABLE} ADD CONSTRAINT {ROOM_FREE} EXCLUDE USING gist (
    room_id WITH =, tstzrange(starts_at, ends_at) WITH &&, group_key WITH <>
) WHERE (room_id IS NOT NULL AND status IN ({_LIVE}) AND NOT overbooked);
ALTER TABLE {TABLE} ADD CONSTRAINT {PATIENT_FREE} EXCLUDE USING gist (
    patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&
) WHERE (status IN ({_LIVE}));
"""

POSTGRESQL_DROP = f"""
ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {PROVIDER_FREE};
ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {ROOM_FREE};
ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS {PATIENT_FREE};
"""


def _overlap(column: str, *, grouped: bool, overbookable: bool) -> str:
    """The SELECT that aborts the write when a live row of the same ``column`` overlaps."""
    group = " AND a.group_key <> NEW.group_key" if grouped else ""
    mine = " AND NOT NEW.overbooked" if overbookable else ""
    theirs = " AND NOT a.overbooked" if overbookable else ""
    name = {"provider_id": PROVIDER_FREE, "room_id": ROOM_FREE, "patient_id": PATIENT_FREE}[column]
    return f"""
    SELECT RAISE(ABORT, '{name}')
    WHERE NEW.{column} IS NOT NULL{mine} AND EXISTS (
        SELECT 1 FROM {TABLE} a
        WHERE a.{column} = NEW.{column} AND a.id IS NOT NEW.id
          AND a.status IN ({_LIVE}){theirs}{group}
          AND a.starts_at < NEW.ends_at AND NEW.starts_at < a.ends_at
    );"""


_CHECKS = "".join(
    (
        _overlap("provider_id", grouped=True, overbookable=True),
        _overlap("room_id", grouped=True, overbookable=True),
        _overlap("patient_id", grouped=False, overbookable=False),
    )
)

SQLITE = [
    f"""CREATE TRIGGER appointment_free_insert BEFORE INSERT ON {TABLE}
WHEN NEW.status IN ({_LIVE})
BEGIN{_CHECKS}
END;""",
    f"""CREATE TRIGGER appointment_free_update
BEFORE UPDATE OF status, starts_at, ends_at, provider_id, room_id, patient_id, group_key,
    overbooked ON {TABLE}
WHEN NEW.status IN ({_LIVE})
BEGIN{_CHECKS}
END;""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS appointment_free_insert;",
    "DROP TRIGGER IF EXISTS appointment_free_update;",
]



def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, postgresql=[POSTGRESQL], sqlite=SQLITE)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    _run(schema_editor, postgresql=[POSTGRESQL_DROP], sqlite=SQLITE_DROP)


def _run(schema_editor, *, postgresql, sqlite):  # type: ignore[no-untyped-def]
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": postgresql, "sqlite": sqlite}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
