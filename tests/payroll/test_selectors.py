from __future__ import annotations

import datetime as dt

from ansinh.payroll import approval, generate, reconcile, selectors
from ansinh.payroll.files import write_demo_result


def test_noncash_paid_counts(make_person, commune, users, tmp_path, settings):
    settings.ANSINH_DEMO = True
    maker, checker = users
    make_person(account=("970405", "111122223333"))
    make_person(account=("971005", "0912000111"))
    make_person()  # cash
    run = generate.generate("2024-06", commune=commune, user=maker)
    approval.approve(run, checker)
    approval.export(run, tmp_path / "out", user=checker, pdf=False)
    assert selectors.noncash_paid_counts(dt.date(2024, 6, 1)) == {}  # not reconciled yet
    reconcile.reconcile(run, write_demo_result(run, tmp_path / "r.csv", unpaid_every=0), user=checker)
    assert selectors.noncash_paid_counts(dt.date(2024, 6, 15)) == {commune.pk: 2}
    assert selectors.noncash_paid_counts(dt.date(2024, 7, 1)) == {}
