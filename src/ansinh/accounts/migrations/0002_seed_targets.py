"""Seed the province-wide campaign targets (editable data, not code): baseline 3.04% at
2024-01-01, 30–40% by 2024-06-30, 70–80% by 2024-12-31."""
import datetime as dt
from decimal import Decimal

from django.db import migrations

SEED = [
    (dt.date(2024, 1, 1), None, None, Decimal("3.04"), "Điểm xuất phát đầu năm 2024"),
    (dt.date(2024, 6, 30), Decimal("30"), Decimal("40"), None, "Hết quý II/2024"),
    (dt.date(2024, 12, 31), Decimal("70"), Decimal("80"), None, "Hết năm 2024"),
]


def seed(apps, schema_editor):
    Target = apps.get_model("accounts", "Target")
    for due, low, high, base, label in SEED:
        Target.objects.get_or_create(province_code="", commune=None, due=due,
                                     defaults={"low": low, "high": high, "baseline": base, "label": label})


def unseed(apps, schema_editor):
    Target = apps.get_model("accounts", "Target")
    Target.objects.filter(province_code="", commune=None, due__in=[s[0] for s in SEED]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
