"""A person may carry a name sent whole (FHIR HumanName.text alone) instead of given and
family names, other names they were known by (old, temporary...), and the date of death.
Existing people get none of these; the name check accepts a whole name as a name."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_imported_provenance'),
        ('people', '0007_distinct_pairs'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='person',
            name='person_has_a_name',
        ),
        migrations.AddField(
            model_name='person',
            name='deceased_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='person',
            name='name_text',
            field=models.CharField(blank=True, db_default='', default='', max_length=200),
        ),
        migrations.AddField(
            model_name='person',
            name='other_names',
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
        migrations.AddConstraint(
            model_name='person',
            constraint=models.CheckConstraint(condition=models.Q(('family_name', ''), ('given_name', ''), ('name_text', ''), ('organization_name', ''), _negated=True), name='person_has_a_name'),
        ),
    ]
