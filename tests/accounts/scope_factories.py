"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): the accounts app's
scoped models, a row of commune `b`."""
from __future__ import annotations

import datetime as dt

MARKER = "Zqxmarkerb"  # tests/core/test_scope_matrix.MARKER: searched for on every page


def _snapshot(b, i):
    from ansinh.accounts.models import CoverageSnapshot

    return CoverageSnapshot.objects.create(day=dt.date(2024, 1, 31) + dt.timedelta(days=31 * i), residence_unit=b,
                                           commune=b, scope_commune=b, province_code=b.province_code,
                                           beneficiaries=1000 + i, with_account=500 + i, confirmed=400 + i)


def _village(b, i):
    from ansinh.accounts.models import CoverageVillage

    return CoverageVillage.objects.create(day=dt.date(2024, 1, 31) + dt.timedelta(days=31 * i), residence_unit=b,
                                          commune=b, scope_commune=b, province_code=b.province_code,
                                          village=f"{MARKER} thôn {i}", beneficiaries=100 + i, with_account=50 + i,
                                          confirmed=40 + i)


def _bank_list(b, i):
    from ansinh.accounts.models import BankListImport

    return BankListImport.objects.create(
        file_name=f"{MARKER}-agribank-{i}.xlsx", provider="970405", scope_commune=b, province_code=b.province_code,
        report={"file": f"{MARKER}-agribank-{i}.xlsx", "rows": 3, "linked": 2, "created": 1, "confirmed": 1,
                "unchanged": 0, "unmatched": 1, "rejected": 0, "holder_mismatch": 1,
                "mismatch_rows": [{"row": 2, "bank_name": f"{MARKER} NGUYEN", "person_id": 1, "full_name": MARKER,
                                   "account": "8300123456789"}],
                "rejected_rows": [{"row": 4, "reason": "ID_NOT_FOUND", "id_number": f"{MARKER}"}]})


def _target(b, i):
    from ansinh.accounts.models import Target

    return Target.objects.create(commune=b, province_code=b.province_code, due=dt.date(2030, 1, 1) + dt.timedelta(i),
                                 low=10 + i, high=20 + i, label=f"{MARKER} target {i}")


def _target_change(b, i):
    from django.utils import timezone

    from ansinh.accounts.models import TargetChange

    return TargetChange.objects.create(action="create", due=dt.date(2030, 1, 1) + dt.timedelta(i), low=10, high=20,
                                       label=f"{MARKER} change {i}", commune=b, province_code=b.province_code,
                                       at=timezone.now())


FACTORIES = {"accounts.CoverageSnapshot": _snapshot, "accounts.CoverageVillage": _village,
             "accounts.BankListImport": _bank_list,
             "accounts.Target": _target, "accounts.TargetChange": _target_change}
