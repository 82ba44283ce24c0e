"""EHR connections (the named systems an organisation imports from, and the tokens tied to one),
business identifiers of imported visits and history, versions that lost to another copy, and
what waiting references carry. Every source an earlier import named becomes a connection of
its organisation (named after it), and its runs belong to it."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


def connections_for_earlier_runs(apps, schema_editor):  # type: ignore[no-untyped-def]
    ImportRun = apps.get_model("interop", "ImportRun")
    EhrConnection = apps.get_model("interop", "EhrConnection")
    sources = ImportRun.objects.values_list("organization_id", "source_system").distinct()
    for organization_id, system in sorted(set(sources)):
        names = set(
            EhrConnection.objects.filter(organization_id=organization_id).values_list(
                "name", flat=True
            )
        )
        name, number = system[:100], 2
        while name in names:
            name, number = f"{system[:90]} ({number})", number + 1
        first = ImportRun.objects.filter(organization_id=organization_id, source_system=system)
        connection = EhrConnection.objects.create(
            organization_id=organization_id,
            name=name,
            system=system,
            created_at=first.order_by("started_at").values_list("started_at", flat=True)[0],
        )
        first.update(connection=connection)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('core', '0003_imported_provenance'),
        ('interop', '0003_pending_reference'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='pendingreference',
            name='payload',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='sourcerecord',
            name='superseded',
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
        migrations.CreateModel(
            name='EhrConnection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('name', models.CharField(max_length=100)),
                ('system', models.CharField(max_length=200)),
                ('created_at', models.DateTimeField()),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.organization')),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.AddField(
            model_name='importrun',
            name='connection',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='runs', to='interop.ehrconnection'),
        ),
        migrations.CreateModel(
            name='EhrConnectionToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('connection', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tokens', to='interop.ehrconnection')),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.organization')),
                ('token', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.apitoken')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='RecordIdentifier',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('resource_type', models.CharField(max_length=40)),
                ('system', models.CharField(max_length=200)),
                ('value', models.CharField(max_length=100)),
                ('target', models.CharField(max_length=40)),
                ('content_hash', models.CharField(max_length=32)),
                ('organization', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='core.organization')),
            ],
        ),
        migrations.AddConstraint(
            model_name='ehrconnection',
            constraint=models.UniqueConstraint(fields=('organization', 'name'), name='ehr_connection_name_once'),
        ),
        migrations.AddConstraint(
            model_name='ehrconnection',
            constraint=models.UniqueConstraint(fields=('organization', 'system'), name='ehr_connection_system_once'),
        ),
        migrations.AddIndex(
            model_name='recordidentifier',
            index=models.Index(fields=['organization', 'resource_type', 'value'], name='interop_rec_organiz_e6161e_idx'),
        ),
        migrations.AddIndex(
            model_name='recordidentifier',
            index=models.Index(fields=['organization', 'target'], name='interop_rec_organiz_5f611d_idx'),
        ),
        migrations.RunPython(connections_for_earlier_runs, migrations.RunPython.noop),
    ]
