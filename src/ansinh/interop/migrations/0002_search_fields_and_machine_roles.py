from django.db import migrations, models


def machine_roles(apps, schema_editor):
    """Clients registered before: their service users held province_officer; now the role of
    their kind (provider_client / agency_client), nothing else."""
    Group = apps.get_model("auth", "Group")
    MachineClient = apps.get_model("interop", "MachineClient")
    groups = {code: Group.objects.get_or_create(name=code)[0] for code in ("provider_client", "agency_client")}
    officer = Group.objects.filter(name="province_officer").first()
    for c in MachineClient.objects.select_related("user"):
        if officer is not None:
            c.user.groups.remove(officer)
        c.user.groups.add(groups["provider_client" if c.kind == "provider" else "agency_client"])


class Migration(migrations.Migration):

    dependencies = [
        ("interop", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="machineclient",
            name="fields",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(machine_roles, migrations.RunPython.noop),
    ]
