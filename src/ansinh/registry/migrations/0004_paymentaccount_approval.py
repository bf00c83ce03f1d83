"""Maker-checker on payment accounts (issue 11, item 3).

New accounts are pending until a second user approves them. Accounts that exist when this
migration runs were taken in under the old process (commune lists, bank lists, the demo) and
payroll pays them today: they are marked approved "at migration" (approved_by empty, the
reason says so), so the next run pays exactly as the last one did instead of moving the whole
province to cash. A province that distrusts them can send them back to the queue
(``PaymentAccount.objects.filter(...).update(approval="pending")``) before generating.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MIGRATION_REASON = "Phê duyệt khi nâng cấp: tài khoản có trước quy trình phê duyệt hai người"


def approve_existing(apps, schema_editor):
    from django.utils import timezone

    PaymentAccount = apps.get_model("registry", "PaymentAccount")  # noqa: N806
    PaymentAccount.objects.update(approval="approved", approved_at=timezone.now(), approval_reason=MIGRATION_REASON)


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0003_fewer_write_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='paymentaccount',
            name='approval',
            field=models.CharField(choices=[('pending', 'Chờ phê duyệt'), ('approved', 'Đã phê duyệt'), ('rejected', 'Bị từ chối')], db_default='pending', default='pending', max_length=10, verbose_name='Trạng thái phê duyệt'),
        ),
        migrations.AddField(
            model_name='paymentaccount',
            name='approval_evidence',
            field=models.CharField(blank=True, db_default='', default='', max_length=300),
        ),
        migrations.AddField(
            model_name='paymentaccount',
            name='approval_reason',
            field=models.CharField(blank=True, db_default='', default='', max_length=500),
        ),
        migrations.AddField(
            model_name='paymentaccount',
            name='approved_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='paymentaccount',
            name='approved_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='paymentaccount',
            name='made_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='paymentaccount',
            index=models.Index(condition=models.Q(('approval', 'pending')), fields=['created'], name='account_pending'),
        ),
        migrations.RunPython(approve_existing, migrations.RunPython.noop, elidable=True),
    ]
