from django.db import migrations, models
import django.db.models.deletion


class Migration(migrations.Migration):

    dependencies = [
        ('matching', '0003_pair_shared_contact'),
    ]

    operations = [
        migrations.AddField(
            model_name='matchpair',
            name='checked_run',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='+', to='matching.matchrun'),
        ),
        migrations.AddField(
            model_name='matchpair',
            name='model_probability',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='matchpair',
            name='model_disagrees',
            field=models.BooleanField(default=False),
        ),
    ]
