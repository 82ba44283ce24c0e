"""Consent record public ids become unique. Records written between 0005 and this migration by
code that did not know the field yet (a rolling deploy) get their own ids first: altering the
column with a default would give them all one value and the unique index would fail."""

import uuid

from django.db import migrations, models


def fill_missing_public_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    ConsentRecord = apps.get_model("people", "ConsentRecord")
    records = list(ConsentRecord.objects.filter(public_id__isnull=True).only("pk"))
    for record in records:
        record.public_id = uuid.uuid4()
    ConsentRecord.objects.bulk_update(records, ["public_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_consentrecord_public_id"),
    ]

    operations = [
        migrations.RunPython(fill_missing_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="consentrecord",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
