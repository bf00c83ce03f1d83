"""Issue 19: "an account that may be paid into" has one definition, registry.models.usable_account_q;
its SQL form usable_account_sql (payroll's generation) selects exactly the same accounts."""
from __future__ import annotations

import datetime as dt
import itertools

from django.db import connection


def test_usable_account_q_and_sql_select_the_same_accounts(db):
    from ansinh.core.services import current_unit
    from ansinh.registry.models import PaymentAccount, Person, usable_account_q, usable_account_sql

    unit = current_unit("05977")
    combos = list(itertools.product(["pending", "approved", "rejected"], [None, "", "970405"],
                                    ["registered", "active", "closed"], [None, dt.date(2024, 5, 1)]))
    p = Person.objects.create(full_name="Người thử", name_key="NGUOI THU", commune=unit, scope_commune=unit,
                              province_code=unit.province_code)
    PaymentAccount.objects.bulk_create([
        PaymentAccount(person=p, approval=a, provider=prov, status=st, closed_on=closed, account_number=str(i))
        for i, (a, prov, st, closed) in enumerate(combos)])
    expected = {a.pk for a in PaymentAccount.objects.all() if a.approval == "approved" and a.provider
                and a.status != "closed" and a.closed_on is None}
    assert len(expected) == 2
    assert set(PaymentAccount.objects.filter(usable_account_q()).values_list("pk", flat=True)) == expected
    assert set(Person.objects.filter(usable_account_q("accounts__")).values_list("pk", flat=True)) == {p.pk}
    with connection.cursor() as cur:
        cur.execute(f"SELECT a.id FROM registry_paymentaccount a WHERE {usable_account_sql('a')}")
        assert {r[0] for r in cur.fetchall()} == expected, connection.vendor
