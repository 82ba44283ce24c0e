"""Consent records get a public id (their FHIR Consent id): added empty and filled here, made
unique in 0006 (a separate transaction: PostgreSQL refuses to alter a table with pending
trigger events from the updates)."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    ConsentRecord = apps.get_model("people", "ConsentRecord")
    records = list(ConsentRecord.objects.only("pk"))
    for record in records:
        record.public_id = uuid.uuid4()
    ConsentRecord.objects.bulk_update(records, ["public_id"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0004_imported_provenance"),
    ]

    operations = [
        migrations.AddField(
            model_name="consentrecord",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
    ]
