"""Identifiers encrypted at rest (decision 0025), step 1: the hash columns, text columns for the ciphertext.
0008 encrypts the existing values and fills the hashes; 0009 puts the unique constraint on the ID number's hash."""

import ansinh.core.crypto
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0006_merge_categories_and_issue_notes'),
        ('units', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='person',
            name='person_id_number_unique',
        ),
        migrations.AddField(
            model_name='authorisedperson',
            name='id_number_hash',
            field=ansinh.core.crypto.LookupHashField(blank=True, default='', source='id_number'),
        ),
        migrations.AddField(
            model_name='person',
            name='id_number_hash',
            field=ansinh.core.crypto.LookupHashField(blank=True, null=True, source='id_number'),
        ),
        migrations.AddField(
            model_name='person',
            name='legacy_cmnd_hash',
            field=ansinh.core.crypto.LookupHashField(blank=True, db_index=True, null=True, source='legacy_cmnd'),
        ),
        migrations.AddField(
            model_name='person',
            name='phone_hash',
            field=ansinh.core.crypto.LookupHashField(blank=True, db_index=True, default='', source='phone'),
        ),
        migrations.AlterField(
            model_name='authorisedperson',
            name='id_number',
            field=ansinh.core.crypto.EncryptedCharField(blank=True, hash_field='id_number_hash', max_length=12),
        ),
        migrations.AlterField(
            model_name='changelog',
            name='new',
            field=ansinh.core.crypto.DecryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name='changelog',
            name='old',
            field=ansinh.core.crypto.DecryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name='importrow',
            name='raw',
            field=ansinh.core.crypto.EncryptedJSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name='person',
            name='id_number',
            field=ansinh.core.crypto.EncryptedCharField(blank=True, hash_field='id_number_hash', max_length=12, null=True, verbose_name='Số định danh'),
        ),
        migrations.AlterField(
            model_name='person',
            name='legacy_cmnd',
            field=ansinh.core.crypto.EncryptedCharField(blank=True, hash_field='legacy_cmnd_hash', max_length=9, null=True, verbose_name='Số CMND'),
        ),
        migrations.AlterField(
            model_name='person',
            name='phone',
            field=ansinh.core.crypto.EncryptedCharField(blank=True, hash_field='phone_hash', max_length=15, verbose_name='Điện thoại'),
        ),
    ]
