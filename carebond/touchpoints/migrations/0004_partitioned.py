"""On PostgreSQL, the timeline is partitioned by month of the interaction
(carebond.core.partitions). One row per resource of a source system stays the rule through a
trigger: imports stay idempotent."""

from django.db import migrations

from carebond.core.partitions import (
    convert_to_partitioned,
    convert_to_plain,
    create_uniqueness_trigger,
    drop_uniqueness_trigger,
)

TABLE = "touchpoints_touchpoint"
ORIGIN = "touchpoint_origin_once"


def partition(apps, schema_editor):  # type: ignore[no-untyped-def]
    convert_to_partitioned(schema_editor, TABLE, "occurred_at")
    create_uniqueness_trigger(
        schema_editor,
        TABLE,
        ORIGIN,
        ["organization_id", "origin_system", "origin_id"],
        when="NEW.origin_id <> ''",
    )


def unpartition(apps, schema_editor):  # type: ignore[no-untyped-def]
    convert_to_plain(schema_editor, TABLE)
    drop_uniqueness_trigger(schema_editor, ORIGIN)


class Migration(migrations.Migration):
    dependencies = [("touchpoints", "0003_kinds_from_the_registry")]
    operations = [migrations.RunPython(partition, unpartition)]
