"""On PostgreSQL, audit events are partitioned by month (carebond.core.partitions), and the
append-only trigger is set on the partitioned table: PostgreSQL puts it on every partition,
those made later included. Hashes stay unique through the chain itself (each links to the one
before), which ``carebond audit verify`` checks."""

from django.db import migrations

from carebond.core.partitions import convert_to_partitioned, convert_to_plain

TABLE = "audit_auditevent"
TRIGGER = """
CREATE TRIGGER audit_event_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""


def partition(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        convert_to_partitioned(schema_editor, TABLE, "occurred_at")
        schema_editor.execute(TRIGGER, params=None)


def unpartition(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        convert_to_plain(schema_editor, TABLE)
        schema_editor.execute(TRIGGER, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(partition, unpartition)]
