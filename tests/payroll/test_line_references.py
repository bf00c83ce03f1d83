"""A payroll line's references without per-row foreign keys (decision 0032): the rows a line names
cannot be deleted (ORM on both databases, guard triggers on PostgreSQL), and the integrity check
finds a line whose reference is gone."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from ansinh.cli import main
from ansinh.payroll import campaigns
from ansinh.payroll.integrity import orphan_lines
from ansinh.payroll.models import PayrollLine, PayrollRun
from ansinh.registry.models import PaymentAccount, Person

D = dt.date
TET = dict(name="Quà Tết Nguyên đán Giáp Thìn 2024", decision_number="25/QĐ-UBND", reference_date=D(2024, 1, 15),
           decision_date=D(2024, 1, 10), pay_from=D(2024, 1, 20), pay_to=D(2024, 2, 8), province_code="20")


@pytest.fixture
def run_with_lines(make_person, users):
    maker, _ = users
    banked = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-05")], account=("970405", "1234567890"))
    cash = make_person(D(1940, 3, 1), [("tcxh", "5.5c", "2021-01")])
    run = campaigns.generate(campaigns.create_campaign(user=maker, amount=300_000, **TET), user=maker)
    return run, banked, cash


def test_generated_lines_name_rows_that_exist(run_with_lines):
    run, banked, cash = run_with_lines
    assert PayrollLine.objects.filter(run=run).count() == 2
    assert orphan_lines() == {"run": 0, "person": 0, "account": 0, "scope_commune": 0, "campaign": 0}


def test_the_orm_refuses_to_delete_a_paid_person_and_cascades_a_run(run_with_lines):
    run, banked, cash = run_with_lines
    with pytest.raises(ProtectedError):
        cash.delete()
    account = PaymentAccount.objects.get(person=banked)
    account.delete()  # SET_NULL: the line keeps its snapshot (number, provider), loses the link
    line = PayrollLine.objects.get(run=run, person=banked)
    assert line.account_id is None and line.account_number == "1234567890"
    PayrollRun.objects.filter(pk=run.pk).delete()
    assert not PayrollLine.objects.filter(run_id=run.pk).exists()
    assert orphan_lines() == {"run": 0, "person": 0, "account": 0, "scope_commune": 0, "campaign": 0}


@pytest.mark.parametrize("table,column", [("registry_person", "person_id"), ("payroll_payrollrun", "run_id"),
                                          ("registry_paymentaccount", "account_id"),
                                          ("units_adminunit", "scope_commune_id")])
def test_postgresql_refuses_a_raw_delete_of_a_named_row(run_with_lines, table, column):
    if connection.vendor != "postgresql":
        pytest.skip("the guard triggers are PostgreSQL's (SQLite: the ORM and the integrity check)")
    run, banked, cash = run_with_lines
    target = PayrollLine.objects.filter(run=run, person=banked).values_list(column, flat=True).get()
    with pytest.raises(IntegrityError, match="payroll lines still name"):
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE id = %s", [target])
    assert orphan_lines()[{"person_id": "person", "run_id": "run", "account_id": "account",
                           "scope_commune_id": "scope_commune"}[column]] == 0


def test_postgresql_deletes_a_row_no_line_names(make_person):
    if connection.vendor != "postgresql":
        pytest.skip("the guard triggers are PostgreSQL's")
    p = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-05")], account=("970405", "1234567891"))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM registry_paymentaccount WHERE person_id = %s", [p.pk])
        assert cur.rowcount == 1


def test_the_check_finds_a_line_whose_person_is_gone(run_with_lines, capsys):
    run, banked, cash = run_with_lines
    assert main(["payroll", "integrity", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    missing = Person.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    PayrollLine.objects.filter(run=run, person=cash).update(person_id=missing)  # as a partial restore would
    assert orphan_lines()["person"] == 1
    assert main(["payroll", "integrity", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["orphan_lines"]["person"] == 1
    assert main(["payroll", "integrity"]) == 1
    assert "person" in capsys.readouterr().out
