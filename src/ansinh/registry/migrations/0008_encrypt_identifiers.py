"""Identifiers encrypted at rest, step 2 (data): the existing ID, CMND and phone numbers of persons and
authorised persons, the raw rows of imports and the identifier values of the history are encrypted with the
current key of ANSINH_DATA_KEYS, and the lookup hashes computed (ansinh.core.crypto.convert_columns, chunk by
chunk, set-based). Reversible while the keys are there: going back decrypts them to cleartext."""
from django.db import migrations

# The history fields that hold identifiers (registry.models.SECRET_HISTORY_FIELDS, as of this migration).
HISTORY_FIELDS = ("id_number", "legacy_cmnd", "phone", "account_number")
TABLES = [
    ("registry_person", [("id_number", "id_number_hash"), ("legacy_cmnd", "legacy_cmnd_hash"), ("phone", "phone_hash")],
     ""),
    ("registry_authorisedperson", [("id_number", "id_number_hash")], ""),
    ("registry_importrow", [("raw", None)], ""),
    ("registry_changelog", [("old", None), ("new", None)],
     "field IN (" + ", ".join(f"'{f}'" for f in HISTORY_FIELDS) + ")"),
]


def forward(apps, schema_editor):
    from ansinh.core.crypto import convert_columns

    for table, columns, where in TABLES:
        convert_columns(schema_editor.connection, table, columns, where=where)


def backward(apps, schema_editor):
    from ansinh.core.crypto import convert_columns

    for table, columns, where in TABLES:
        convert_columns(schema_editor.connection, table, columns, where=where, reverse=True)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0007_identifiers_encrypted'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
