"""The rates and coefficients in force, as seed data (loaded by migration 0002 and, when the
tables are empty, by ``ensure_seed_data``). Administrators add later rates in the UI;
nothing in the code depends on these numbers."""
from __future__ import annotations

import datetime as dt

from ansinh.registry import categories

D = dt.date

#: (kind, amount, valid_from, valid_to, province_code, legal_basis)
RATES = [
    ("standard", 270_000, D(2013, 1, 1), D(2021, 6, 30), "", "Nghị định 136/2013/NĐ-CP"),
    ("standard", 360_000, D(2021, 7, 1), D(2024, 6, 30), "", "Nghị định 20/2021/NĐ-CP, Điều 4"),
    ("standard", 500_000, D(2024, 7, 1), None, "", "Nghị định 76/2024/NĐ-CP (sửa Điều 4 NĐ 20/2021)"),
    ("social_pension", 500_000, D(2025, 7, 1), None, "", "Nghị định 176/2025/NĐ-CP"),
    ("funeral_multiple", 20, D(2021, 7, 1), None, "", "Nghị định 20/2021/NĐ-CP, Điều 11 (tối thiểu 20 lần)"),
]

#: The coefficients are the registry's table (ansinh.registry.categories.COEFFICIENTS, the one the
#: importer reads): (category, min_age, max_age, milli, legal_basis), age in whole years reached in
#: the paid month, [min, max).
COEFFICIENTS = categories.COEFFICIENTS


def load(Rate, Coefficient) -> None:  # noqa: N803 - model classes (also historical ones in migrations)
    if not Rate.objects.exists():
        Rate.objects.bulk_create([Rate(kind=k, amount=a, valid_from=f, valid_to=t, province_code=p, legal_basis=b)
                                  for k, a, f, t, p, b in RATES])
    if not Coefficient.objects.exists():
        Coefficient.objects.bulk_create([
            Coefficient(category=c, min_age=lo, max_age=hi, milli=m, valid_from=categories.COEFFICIENTS_VALID_FROM,
                        legal_basis=b)
            for c, lo, hi, m, b in COEFFICIENTS])
