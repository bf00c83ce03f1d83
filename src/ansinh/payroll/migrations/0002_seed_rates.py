from django.db import migrations


def seed(apps, schema_editor):
    from ansinh.payroll import seeds

    seeds.load(apps.get_model("payroll", "Rate"), apps.get_model("payroll", "Coefficient"))


class Migration(migrations.Migration):
    dependencies = [("payroll", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
