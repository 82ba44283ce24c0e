from django.db import migrations

import carebond.core.fields


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0010_sender_throttle"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="attachments",
            field=carebond.core.fields.EncryptedTextField(blank=True),
        ),
    ]
