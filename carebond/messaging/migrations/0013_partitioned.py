"""On PostgreSQL, messages are partitioned by month of creation (carebond.core.partitions).

Nothing can point at a row of a partitioned table by id alone, so the three links to a message
keep no foreign key in the database: Django still cascades and nulls them on delete. The
idempotency key stays unique per organisation through a trigger.
"""

from django.db import migrations, models

from carebond.core.partitions import (
    convert_to_partitioned,
    convert_to_plain,
    create_uniqueness_trigger,
    drop_uniqueness_trigger,
)

TABLE = "messaging_message"
IDEMPOTENCY = "message_idempotency_key_once"


def partition(apps, schema_editor):  # type: ignore[no-untyped-def]
    convert_to_partitioned(schema_editor, TABLE, "created_at")
    create_uniqueness_trigger(
        schema_editor, TABLE, IDEMPOTENCY, ["organization_id", "idempotency_key"]
    )


def unpartition(apps, schema_editor):  # type: ignore[no-untyped-def]
    convert_to_plain(schema_editor, TABLE)
    drop_uniqueness_trigger(schema_editor, IDEMPOTENCY)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0012_conversation_topic")]

    operations = [
        migrations.AlterField(
            model_name="optedoutnumber",
            name="message",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="messaging.message",
            ),
        ),
        migrations.AlterField(
            model_name="revocationrequest",
            name="message",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                related_name="revocation",
                to="messaging.message",
            ),
        ),
        migrations.AlterField(
            model_name="topicquestion",
            name="message",
            field=models.OneToOneField(
                db_constraint=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="messaging.message",
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
