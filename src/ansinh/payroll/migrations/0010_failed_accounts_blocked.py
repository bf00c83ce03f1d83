"""Accounts that generation skipped because of an account failure (an unpaid line with reason
account_invalid or account_closed, the rule before payroll/failures.py) stay blocked: their
``failed_at`` is set, so the registry's usable-account definition keeps refusing them until a
second user approves them again."""
from django.db import migrations


def block(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("""
UPDATE registry_paymentaccount SET failed_at = CURRENT_TIMESTAMP
WHERE failed_at IS NULL AND id IN (SELECT l.account_id FROM payroll_payrollline l WHERE l.account_id IS NOT NULL
  AND l.result = 'unpaid' AND l.result_reason IN ('account_invalid', 'account_closed'))""")


class Migration(migrations.Migration):
    dependencies = [("payroll", "0009_followup_runs"), ("registry", "0007_account_failed_at_unmapped_index")]
    operations = [migrations.RunPython(block, migrations.RunPython.noop)]
