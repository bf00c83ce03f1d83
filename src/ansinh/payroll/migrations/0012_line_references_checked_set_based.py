"""Payroll lines name their run, person, account, commune and campaign without per-row foreign-key
constraints (decision 0032): the set-based INSERT … SELECT that writes them reads those rows in the
same statement. On PostgreSQL, deleting a row that a line names is refused by a guard trigger on the
referenced table (one row checked per deleted row, through an index of the line table); SQLite relies on
the ORM's on_delete (its test flush deletes tables in no fixed order) and on payroll/integrity.py."""
import django.db.models.deletion
from django.db import migrations, models

# (referenced table, the line's column): each column leads an index of payroll_payrollline
# ((run, channel), (person, period_month), account, scope_commune). A campaign is guarded by its runs'
# real foreign key (payroll_payrollrun.campaign_id): a line's campaign is its run's.
GUARDED = (("payroll_payrollrun", "run_id"), ("registry_person", "person_id"),
           ("registry_paymentaccount", "account_id"), ("units_adminunit", "scope_commune_id"))

FUNCTION = """
CREATE OR REPLACE FUNCTION payroll_line_reference_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM payroll_payrollline WHERE %I = $1)', TG_ARGV[0])
    INTO named USING OLD.id;
  IF named THEN
    RAISE EXCEPTION 'payroll lines still name this % row (%)', TG_TABLE_NAME, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN OLD;
END
$$"""


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # its % are PL/pgSQL's, not placeholders
    for table, column in GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS payroll_line_guard ON {table}")
        schema_editor.execute(f"CREATE TRIGGER payroll_line_guard BEFORE DELETE ON {table} FOR EACH ROW "
                              f"EXECUTE FUNCTION payroll_line_reference_guard('{column}')")


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _column in GUARDED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS payroll_line_guard ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS payroll_line_reference_guard()")


class Migration(migrations.Migration):

    dependencies = [
        ('payroll', '0011_merge_encryption_at_rest'),
        ('registry', '0011_merge_encryption_at_rest'),
        ('units', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='payrollline',
            name='account',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='registry.paymentaccount'),
        ),
        migrations.AlterField(
            model_name='payrollline',
            name='campaign',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payroll.campaign'),
        ),
        migrations.AlterField(
            model_name='payrollline',
            name='person',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='registry.person'),
        ),
        migrations.AlterField(
            model_name='payrollline',
            name='run',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='payroll.payrollrun'),
        ),
        migrations.AlterField(
            model_name='payrollline',
            name='scope_commune',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='units.adminunit'),
        ),
        migrations.RunPython(add_guards, drop_guards),
    ]
