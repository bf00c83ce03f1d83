"""Identifiers encrypted at rest, step 3: one person per ID number, through its keyed hash."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0008_encrypt_identifiers'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='person',
            constraint=models.UniqueConstraint(condition=models.Q(('id_number_hash__isnull', False)), fields=('id_number_hash',), name='person_id_number_unique'),
        ),
    ]
