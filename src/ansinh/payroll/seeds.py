"""The rates and coefficients in force, as seed data (loaded by migration 0002 and, when the
tables are empty, by ``ensure_seed_data``). Administrators add later rates in the UI;
nothing in the code depends on these numbers."""
from __future__ import annotations

import datetime as dt

D = dt.date

#: (kind, amount, valid_from, valid_to, province_code, legal_basis)
RATES = [
    ("standard", 270_000, D(2013, 1, 1), D(2021, 6, 30), "", "Nghị định 136/2013/NĐ-CP"),
    ("standard", 360_000, D(2021, 7, 1), D(2024, 6, 30), "", "Nghị định 20/2021/NĐ-CP, Điều 4"),
    ("standard", 500_000, D(2024, 7, 1), None, "", "Nghị định 76/2024/NĐ-CP (sửa Điều 4 NĐ 20/2021)"),
    ("social_pension", 500_000, D(2025, 7, 1), None, "", "Nghị định 176/2025/NĐ-CP"),
    ("funeral_multiple", 20, D(2021, 7, 1), None, "", "Nghị định 20/2021/NĐ-CP, Điều 11 (tối thiểu 20 lần)"),
]

_ART6 = "Nghị định 20/2021/NĐ-CP, Điều 6"
_ART20 = "Nghị định 20/2021/NĐ-CP, Điều 20"
#: (category, min_age, max_age, milli) — age in whole years reached in the paid month, [min, max)
COEFFICIENTS = [
    ("5.1", None, 4, 2500, _ART6), ("5.1", 4, None, 1500, _ART6),
    ("5.2", None, None, 1500, _ART6),
    ("5.3", None, 4, 2500, _ART6), ("5.3", 4, None, 2000, _ART6),
    ("5.4", None, None, 1000, _ART6),
    ("5.5a", None, 80, 1500, _ART6), ("5.5a", 80, None, 2000, _ART6),
    ("5.5b", 75, None, 1000, _ART6),
    ("5.5c", 80, None, 1000, _ART6),
    ("5.5d", None, None, 3000, _ART6),
    ("5.6-very-severe", None, 16, 2500, _ART6), ("5.6-very-severe", 16, 60, 2000, _ART6),
    ("5.6-very-severe", 60, None, 2500, _ART6),
    ("5.6-severe", None, 16, 2000, _ART6), ("5.6-severe", 16, 60, 1500, _ART6),
    ("5.6-severe", 60, None, 2000, _ART6),
    ("5.7", None, 3, 1500, _ART6),
    ("5.8", None, None, 1500, _ART6),
    # Care support (Art. 20), by situation; an ART20 enrolment carries its own coefficient.
    ("ART20-foster-orphan", None, 4, 2500, _ART20), ("ART20-foster-orphan", 4, 16, 1500, _ART20),
    ("ART20-foster-elderly-5.5d", None, None, 1500, _ART20),
    ("ART20-pwd-parent-1", None, None, 1500, _ART20), ("ART20-pwd-parent-2", None, None, 2000, _ART20),
    ("ART20-household-very-severe", None, None, 1000, _ART20),
    ("ART20-foster-very-severe", None, 16, 2500, _ART20), ("ART20-foster-very-severe", 16, None, 1500, _ART20),
]
COEFFICIENTS_FROM = D(2021, 7, 1)


def load(Rate, Coefficient) -> None:  # noqa: N803 - model classes (also historical ones in migrations)
    if not Rate.objects.exists():
        Rate.objects.bulk_create([Rate(kind=k, amount=a, valid_from=f, valid_to=t, province_code=p, legal_basis=b)
                                  for k, a, f, t, p, b in RATES])
    if not Coefficient.objects.exists():
        Coefficient.objects.bulk_create([
            Coefficient(category=c, min_age=lo, max_age=hi, milli=m, valid_from=D(2013, 1, 1), legal_basis=b)
            for c, lo, hi, m, b in COEFFICIENTS])
