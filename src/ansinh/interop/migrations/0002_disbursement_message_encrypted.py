"""A /disburse message holds the payees' account numbers: the column becomes encrypted text
(ansinh.core.crypto.EncryptedJSONField), the messages already stored are encrypted (back: decrypted)."""

import ansinh.core.crypto
from django.db import migrations

TABLE = "interop_disbursement"


def _rewrite(schema_editor, change):
    with schema_editor.connection.cursor() as cur:
        cur.execute(f"SELECT id, message FROM {TABLE} ORDER BY id")
        rows = cur.fetchall()
        cur.executemany(f"UPDATE {TABLE} SET message = %s WHERE id = %s", [(change(m), pk) for pk, m in rows])


def encrypt_existing(apps, schema_editor):
    from ansinh.core.crypto import encrypt

    _rewrite(schema_editor, lambda m: encrypt(m) if m else m)


def decrypt_existing(apps, schema_editor):
    from ansinh.core.crypto import decrypt

    _rewrite(schema_editor, lambda m: decrypt(m) if m else m)


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='disbursement',
            name='message',
            field=ansinh.core.crypto.EncryptedJSONField(),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
