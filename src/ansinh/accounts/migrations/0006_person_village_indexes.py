"""Indexes the commune drill-down needs on the registry's person table: one village of a
commune (current commune, or the old-map residence commune) in the list's order (name, id),
so a page of 200 reads about 200 / share-missing persons, not every person of the commune. Kept in this app's migrations so the registry's models stay untouched; both
statements are plain SQL valid on PostgreSQL and SQLite."""
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_coverage_village"),
        ("registry", "0002_paymentaccount_activated_on_paymentaccount_closed_on_and_more"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS accounts_person_commune_village "
            "ON registry_person (commune_id, village, name_key, id)",
            "DROP INDEX IF EXISTS accounts_person_commune_village"),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS accounts_person_residence_village "
            "ON registry_person (residence_unit_id, village, name_key, id)",
            "DROP INDEX IF EXISTS accounts_person_residence_village"),
    ]
