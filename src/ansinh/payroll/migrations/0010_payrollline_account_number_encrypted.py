"""payroll_payrollline.account_number encrypted at rest with its keyed hash (ansinh.core.crypto, decision 0025):
the column becomes text, the rows already there are encrypted and hashed in chunks (back: decrypted)."""

import ansinh.core.crypto
from django.db import migrations

TABLE = "payroll_payrollline"
CHUNK = 5000


def _rows(cur, last):
    cur.execute(f"SELECT id, account_number FROM {TABLE} WHERE id > %s ORDER BY id LIMIT {CHUNK}", [last])
    return cur.fetchall()


def encrypt_existing(apps, schema_editor):
    from ansinh.core.crypto import decrypt_many, encrypt_many, lookup_hash_many

    last = 0
    with schema_editor.connection.cursor() as cur:
        while rows := _rows(cur, last):
            last = rows[-1][0]
            stored = [r[1] for r in rows]
            plain = decrypt_many(stored)
            cur.executemany(f"UPDATE {TABLE} SET account_number = %s, account_number_hash = %s WHERE id = %s",
                            list(zip(encrypt_many(stored), lookup_hash_many(plain), [r[0] for r in rows])))


def decrypt_existing(apps, schema_editor):
    from ansinh.core.crypto import decrypt_many

    last = 0
    with schema_editor.connection.cursor() as cur:
        while rows := _rows(cur, last):
            last = rows[-1][0]
            cur.executemany(f"UPDATE {TABLE} SET account_number = %s WHERE id = %s",
                            list(zip(decrypt_many([r[1] for r in rows]), [r[0] for r in rows])))


class Migration(migrations.Migration):

    dependencies = [
        ('payroll', '0009_followup_runs'),
    ]

    operations = [
        migrations.AddField(
            model_name='payrollline',
            name='account_number_hash',
            field=ansinh.core.crypto.LookupHashField(blank=True, db_default='', default='', source='account_number'),
        ),
        migrations.AlterField(
            model_name='payrollline',
            name='account_number',
            field=ansinh.core.crypto.EncryptedCharField(blank=True, hash_field='account_number_hash', max_length=40),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
