"""Each payroll line keeps a snapshot of the account it pays (issue 11, item 3): provider and
account number were already copied at generation; the provider's name and the holder's name
join them, so the provider files of a generated run are written from the line alone.

Lines generated before this migration get the names of their account as it is now (the best
record there is; their provider and number were already snapshots)."""

from django.db import migrations, models


def backfill(apps, schema_editor):
    from django.db.models import OuterRef, Subquery

    PayrollLine = apps.get_model("payroll", "PayrollLine")  # noqa: N806
    PaymentAccount = apps.get_model("registry", "PaymentAccount")  # noqa: N806
    acc = PaymentAccount.objects.filter(pk=OuterRef("account_id"))
    PayrollLine.objects.filter(account__isnull=False).update(
        holder_name=Subquery(acc.values("holder_name")[:1]), provider_name=Subquery(acc.values("provider_name")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('payroll', '0004_line_payee_organiser'),
        ('registry', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='payrollline',
            name='holder_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=200),
        ),
        migrations.AddField(
            model_name='payrollline',
            name='provider_name',
            field=models.CharField(blank=True, db_default='', default='', max_length=200),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
