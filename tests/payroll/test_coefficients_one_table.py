"""Issue 19: the coefficients have one home (ansinh.registry.categories.COEFFICIENTS). Every
category code the importer can produce gets, at import, exactly the coefficient payroll computes
with from its dated ``Coefficient`` table (seeded by migration 0002), at every age."""
from __future__ import annotations

from decimal import Decimal

import pytest

from ansinh.payroll import entitlement as E
from ansinh.registry import categories
from ansinh.registry.categories import CATEGORIES, coefficient, coefficient_milli, map_category
from ansinh.registry.demo_people import CATEGORY_LABEL_VARIANTS

AGES = [None, *range(0, 111)]
MONTHS = ["2021-07", "2024-07", "2026-01"]


def _importer_codes() -> set[str]:
    """The codes map_category (the importer's mapping) returns: only CATEGORIES codes."""
    mapped = {map_category(label) for labels in CATEGORY_LABEL_VARIANTS.values() for label in labels}
    mapped.discard(None)
    assert mapped <= set(CATEGORIES)
    return set(CATEGORIES)


@pytest.mark.django_db
def test_every_imported_category_has_the_coefficient_payroll_uses():
    from ansinh.payroll.models import Coefficient
    from ansinh.payroll.rates import ensure_seed_data

    ensure_seed_data()
    rows = [E.CoefRow(c.category, c.min_age, c.max_age, c.milli, c.valid_from, c.valid_to)
            for c in Coefficient.objects.all()]
    assert rows, "payroll has no coefficient rows"
    payroll_cats = {r.category for r in rows}
    checked = 0
    for code in sorted(_importer_codes()):
        for age in AGES:
            imported = coefficient(code, age)  # what the importer stores on the enrolment
            for month in MONTHS:
                paid = E.coefficient_for(code, age, month, rows) if code in payroll_cats else None
                assert coefficient_milli(code, age) == paid, (code, age, month)
                assert imported == (None if paid is None else Decimal(paid) / 1000), (code, age, month)
                checked += 1
    assert checked > 1000
    # the codes without a coefficient of their own: a fixed amount, the carer's situation, incomplete
    for code in ("ND176", "ART20", "5.5", "5.6"):
        assert code not in payroll_cats and all(coefficient(code, a) is None for a in AGES)


@pytest.mark.django_db
def test_payrolls_table_is_the_registry_table():
    from ansinh.payroll.models import Coefficient
    from ansinh.payroll.rates import ensure_seed_data

    ensure_seed_data()
    in_db = sorted(((c.category, c.min_age, c.max_age, c.milli, c.legal_basis, c.valid_from)
                    for c in Coefficient.objects.all()), key=repr)
    table = sorted(((c, lo, hi, m, b, categories.COEFFICIENTS_VALID_FROM)
                    for c, lo, hi, m, b in categories.COEFFICIENTS), key=repr)
    assert in_db == table


def test_coefficient_keeps_one_decimal():
    assert str(coefficient("5.5c", 85)) == "1.0" and str(coefficient("5.1", 2)) == "2.5"
    assert coefficient("5.5c", 78) is None  # paid from the 80th-birthday month (Art. 8)
