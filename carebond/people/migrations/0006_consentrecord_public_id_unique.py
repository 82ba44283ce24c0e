import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0005_consentrecord_public_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="consentrecord",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
