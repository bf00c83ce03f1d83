"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): the accounts app's
scoped model, a row of commune `b`."""
from __future__ import annotations

import datetime as dt


def _snapshot(b, i):
    from ansinh.accounts.models import CoverageSnapshot

    return CoverageSnapshot.objects.create(day=dt.date(2024, 1, 31) + dt.timedelta(days=31 * i), residence_unit=b,
                                           commune=b, scope_commune=b, province_code=b.province_code,
                                           beneficiaries=1000 + i, with_account=500 + i, confirmed=400 + i)


FACTORIES = {"accounts.CoverageSnapshot": _snapshot}
