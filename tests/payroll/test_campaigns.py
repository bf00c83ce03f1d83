"""One-off payment campaigns (issue 14 item 1): worked examples computed by hand, the SQL equal
to the pure rule on random populations, once per campaign (constraint; concurrent generation on
PostgreSQL), the monthly run untouched, files carrying the campaign's name, reconciliation."""
from __future__ import annotations

import csv
import datetime as dt
import random
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, campaign_rules as R, campaigns, generate
from ansinh.payroll.access import NotAllowed
from ansinh.payroll.models import Campaign, PayrollLine, PayrollRun

D = dt.date
TET = dict(name="Quà Tết Nguyên đán Giáp Thìn 2024", decision_number="25/QĐ-UBND", reference_date=D(2024, 1, 15),
           decision_date=D(2024, 1, 10), pay_from=D(2024, 1, 20), pay_to=D(2024, 2, 8), province_code="20")


def lines(run):
    return {ln.person_id: (ln.category, ln.amount, ln.channel)
            for ln in PayrollLine.objects.filter(run=run)}


def due(campaign, person):
    """What the pure rule owes `person` (the reference the SQL is checked against)."""
    from ansinh.payroll.rates import rate_rows

    enrols = [R.Enrolment(e.programme, e.category, e.start_month, e.end_month, e.status, e.decision_date)
              for e in person.enrolments.all()]
    d = R.campaign_due(campaigns.spec(campaign), enrols, person.dob, alive=person.status == "alive",
                       deceased_on=person.deceased_on, rates=rate_rows(), province_code=person.province_code)
    return d


def test_fixed_gift_worked_by_hand(make_person, users):
    maker, checker = users
    disabled = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-05")], account=("970405", "1234567890"))
    elderly = make_person(D(1940, 3, 1), [("tcxh", "5.5c", "2021-01")])
    pension = make_person(D(1945, 3, 1), [("nd176", "ND176", "2023-07")])
    two = make_person(D(1990, 1, 1), [("tcxh", "5.4", "2023-01"), ("tcxh", "5.6-severe", "2023-01")])
    dead = make_person(D(1930, 1, 1), [("tcxh", "5.5c", "2020-01")], deceased_on=D(2024, 1, 5))
    dead_after = make_person(D(1930, 1, 1), [("tcxh", "5.5c", "2020-01")], deceased_on=D(2024, 1, 25))
    later = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2024-03")])
    ended = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2022-01", "2023-12")])
    care = make_person(D(1980, 1, 1), [("art20", "ART20", "2023-01", "", "1.50")])  # not a listed programme
    decided_later = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "")])
    decided_later.enrolments.update(decision_date=D(2024, 2, 1))  # no start month: decided after 01/2024
    c = campaigns.create_campaign(user=maker, amount=300_000, **TET)
    run = campaigns.generate(c, user=maker)
    got = lines(run)
    assert decided_later.pk not in got
    # 300.000 đ each for the six persons alive on 15/01/2024 with a TCXH or social-pension enrolment in
    # force in 01/2024 (dead_after died after the reference date); one line for the person in two categories.
    assert got == {disabled.pk: ("5.6-severe", 300_000, "bank"), elderly.pk: ("5.5c", 300_000, "cash"),
                   pension.pk: ("ND176", 300_000, "cash"), two.pk: ("5.4", 300_000, "cash"),
                   dead_after.pk: ("5.5c", 300_000, "cash")}
    assert dead.pk not in got and later.pk not in got and ended.pk not in got and care.pk not in got
    assert run.summary["total_vnd"] == 5 * 300_000 == 1_500_000
    assert run.period == "2024-01" and run.campaign_id == c.pk
    ln = PayrollLine.objects.get(run=run, person=disabled)
    assert (ln.programme, ln.period_month, ln.account_number) == ("campaign", "2024-01", "1234567890")


def test_per_category_and_level_multiple_worked_by_hand(make_person, users):
    maker, _ = users
    old = make_person(D(1938, 6, 1), [("tcxh", "5.5c", "2020-01")])                   # 86 in 01/2024
    very = make_person(D(1980, 1, 1), [("tcxh", "5.6-very-severe", "2023-01")])
    parent = make_person(D(1990, 1, 1), [("tcxh", "5.4", "2023-01"), ("tcxh", "5.6-severe", "2023-01")])
    orphan = make_person(D(2015, 1, 1), [("tcxh", "5.1", "2023-01")])
    per = campaigns.create_campaign(user=maker, amount=300_000, category_amounts={"5.5c": 500_000, "5.6": 400_000},
                                    **TET)
    got = lines(campaigns.generate(per, user=maker))
    # 5.5c 500.000; any 5.6 400.000 (the parent gets the higher of 5.4 → 300.000 and 5.6-severe → 400.000);
    # 5.1 not listed: the default 300.000. Total 500.000 + 400.000 + 400.000 + 300.000 = 1.600.000 đ.
    assert {k: v[:2] for k, v in got.items()} == {old.pk: ("5.5c", 500_000), very.pk: ("5.6-very-severe", 400_000),
                                                  parent.pk: ("5.6-severe", 400_000), orphan.pk: ("5.1", 300_000)}
    assert sum(v[1] for v in got.values()) == 1_600_000
    # 0.5 × the standard level in force on the reference date: 360.000 đ in 01/2024 → 180.000 đ;
    # 500.000 đ from 07/2024 → 250.000 đ. Only persons aged 80 or more: the 86-year-old alone.
    half = campaigns.create_campaign(user=maker, level_milli=500, min_age=80, **{**TET, "name": "Nửa mức chuẩn"})
    run = campaigns.generate(half, user=maker)
    assert lines(run) == {old.pk: ("5.5c", 180_000, "cash")}
    ln = PayrollLine.objects.get(run=run)
    assert (ln.level, ln.coefficient_milli) == (360_000, 500)
    later = campaigns.create_campaign(user=maker, level_milli=500, categories=["5.6"],
                                      **{**TET, "name": "Quốc khánh", "reference_date": D(2025, 9, 1),
                                         "pay_from": D(2025, 9, 1), "pay_to": D(2025, 9, 2)})
    assert {k: v[1] for k, v in lines(campaigns.generate(later, user=maker)).items()} == {
        very.pk: 250_000, parent.pk: 250_000}


def test_paid_once_per_campaign(make_person, users, commune):
    maker, _ = users
    p = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-01")])
    c = campaigns.create_campaign(user=maker, amount=100_000, **TET)
    run = campaigns.generate(c, commune=commune, user=maker)
    with pytest.raises(BadInput, match="already has run"):
        campaigns.generate(c, user=maker)  # the province's run finds nobody left
    assert PayrollRun.objects.filter(campaign=c).count() == 1
    line = PayrollLine.objects.get(run=run)
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a second claim
        PayrollLine.objects.create(run=run, person=p, programme="campaign", period_month="2024-02", amount=1,
                                   channel="cash", campaign=c)
    # another campaign in the same month pays the same person again, and the month's allowance too
    other = campaigns.create_campaign(user=maker, amount=100_000, **{**TET, "name": "Hỗ trợ khẩn cấp"})
    assert lines(campaigns.generate(other, user=maker)) == {p.pk: ("5.6-severe", 100_000, "cash")}
    month = generate.generate("2024-01", commune=commune, user=maker)
    assert PayrollLine.objects.filter(run=month, person=p, programme="tcxh", period_month="2024-01").count() == 1
    assert line.campaign_id == c.pk


def test_roles_and_validation(make_person, users):
    from ansinh.core.services import upsert_user

    maker, checker = users
    with pytest.raises(NotAllowed):
        campaigns.create_campaign(user=checker, amount=1, **TET)  # an approver does not create campaigns
    commune_officer = upsert_user("xa1", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["05977"])
    with pytest.raises(NotAllowed):
        campaigns.create_campaign(user=commune_officer, amount=1, **TET)
    with pytest.raises(BadInput, match="not a category code"):
        campaigns.create_campaign(user=maker, category_amounts={"9.9": 1}, **TET)
    with pytest.raises(BadInput, match="amount"):
        campaigns.create_campaign(user=maker, **TET)
    c = campaigns.create_campaign(user=maker, amount=1, **TET)
    with pytest.raises(NotAllowed):
        campaigns.generate(c, user=checker)


def test_maker_checker_files_and_reconcile(make_person, users, tmp_path):
    from ansinh.payroll import reconcile

    maker, checker = users
    a = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-01")], account=("970405", "1234567890"))
    b = make_person(D(1940, 1, 1), [("tcxh", "5.5c", "2020-01")])
    c = campaigns.create_campaign(user=maker, amount=300_000, **TET)
    run = campaigns.generate(c, user=maker)
    with pytest.raises(NotAllowed):
        approval.approve(run, maker)  # maker ≠ checker, as for a monthly run
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path, user=checker, pdf=True)
    names = sorted(p.name for p in paths)
    assert all(f"dotchi{c.pk}" in n for n in names if not n.endswith(".json"))
    bank = next(p for p in paths if p.name.endswith("970405.csv") or ("970405" in p.name and p.suffix == ".csv")) \
        if any("970405" in p.name for p in paths) else next(p for p in paths if p.suffix == ".csv" and "VNPOST" not in p.name)
    text = bank.read_text(encoding="utf-8")
    assert "Quà Tết Nguyên đán Giáp Thìn 2024" in text and "DOT CHI" in text  # the name; VietQR purpose
    cash_pdf = next(p for p in paths if p.suffix == ".pdf")
    assert cash_pdf.stat().st_size > 1000
    import openpyxl

    for x in (p for p in paths if p.suffix == ".xlsx"):
        ws = openpyxl.load_workbook(x, read_only=True).active
        top = " ".join(str(v) for row in ws.iter_rows(max_row=2, values_only=True) for v in row if v)
        assert "Quà Tết Nguyên đán Giáp Thìn 2024" in top
    la, lb = PayrollLine.objects.get(run=run, person=a), PayrollLine.objects.get(run=run, person=b)
    result = tmp_path / "result.csv"
    with open(result, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["line_id", "status", "reason", "paid_date", "amount"])
        w.writerow([la.pk, "paid", "", "2024-01-25", 300_000])
        w.writerow([lb.pk, "unpaid", "not_collected", "", 300_000])
    rep = reconcile.reconcile(run, result, user=checker)
    assert rep["paid"] == {"lines": 1, "total_vnd": 300_000} and rep["unpaid"] == {"lines": 1, "total_vnd": 300_000}
    assert rep["balanced"]
    # the unpaid person is free again for this campaign (a later run pays them, and only them)
    again = campaigns.generate(c, user=maker)
    assert lines(again) == {b.pk: ("5.5c", 300_000, "cash")}


SPECS = [
    dict(amount=300_000),
    dict(amount=200_000, category_amounts={"5.5": 500_000, "5.6-very-severe": 450_000, "5.6": 400_000, "ND176": 0}),
    dict(level_milli=1500, min_age=60),
    dict(amount=100_000, categories=["5.6", "5.4"], programmes=["tcxh"], max_age=75),
]


@pytest.mark.parametrize("kw", SPECS)
def test_sql_equals_pure_rule_on_random_population(kw, make_person, users):
    maker, _ = users
    rnd = random.Random(20240115 + len(str(kw)))
    cats = ["5.1", "5.4", "5.5a", "5.5c", "5.6-severe", "5.6-very-severe", "5.8", "ND176"]
    people = []
    for _ in range(70):
        enrols = []
        for _ in range(rnd.choice([1, 1, 2, 3])):
            cat = rnd.choice(cats)
            prog = "nd176" if cat == "ND176" else rnd.choice(["tcxh"] * 6 + ["art20"])
            start = rnd.choice(["", "2020-01", "2023-12", "2024-01", "2024-02"])
            end = rnd.choice(["", "", "", "2023-12", "2024-01"])
            enrols.append((prog, cat, start, end))
        dob = None if rnd.random() < 0.1 else D(rnd.randint(1925, 2020), rnd.randint(1, 12), 1)
        dead = rnd.choice([None, None, None, D(2024, 1, 15), D(2024, 1, 16), D(2023, 6, 1)])
        p = make_person(dob, enrols, deceased_on=dead)
        from ansinh.registry.models import Enrolment

        if rnd.random() < 0.15:
            Enrolment.objects.filter(person=p).update(status=rnd.choice(["suspended", "terminated"]))
        if rnd.random() < 0.3:  # no start month written: the decision's date decides
            Enrolment.objects.filter(person=p).update(start_month="", decision_date=rnd.choice(
                [D(2023, 5, 1), D(2024, 1, 31), D(2024, 2, 1)]))
        people.append(p)
    c = campaigns.create_campaign(user=maker, **{**TET, **kw})
    try:
        got = lines(campaigns.generate(c, user=maker))
    except BadInput:
        got = {}
    want = {}
    for p in people:
        d = due(c, p)
        if d is not None:
            want[p.pk] = (d.category, d.amount)
    assert {k: v[:2] for k, v in got.items()} == want
    assert want  # the population is not trivially empty


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_generations_pay_each_person_once(transactional_db_with_units, make_person, commune):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite has a single writer)")
    from ansinh.core.services import upsert_user

    maker = upsert_user("maker1", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    people = [make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-01")]) for _ in range(60)]
    c = campaigns.create_campaign(user=maker, amount=300_000, **TET)
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def work(kw):
        try:
            barrier.wait(timeout=10)
            runs.append(campaigns.generate(Campaign.objects.get(pk=c.pk), user=maker, **kw))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(kw,)) for kw in ({"commune": commune}, {})]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(e, BadInput) and "already has run" in str(e) for e in errors), errors
    assert runs and len(runs) + len(errors) == 2
    got = PayrollLine.objects.filter(campaign=c)
    assert got.count() == len(people) == got.values("person_id").distinct().count()
    assert sum(ln.amount for ln in got) == 60 * 300_000


def test_cli_create_and_generate(make_person, users, capsys):
    import json

    from ansinh.cli import main

    make_person(D(1938, 6, 1), [("tcxh", "5.5c", "2020-01")], account=("970405", "123456789"))
    make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-01")])
    assert main(["campaign", "create", "--name", "Quà Tết Giáp Thìn", "--decision", "25/QĐ-UBND",
                 "--reference-date", "2024-01-15", "--amount", "300.000", "--category", "5.5c=500000",
                 "--province", "20", "--as", "maker1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["amount_kind"] == "per_category" and out["category_amounts"] == {"5.5c": 500_000}
    assert main(["campaign", "generate", str(out["campaign"]), "--as", "maker1", "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    # 500.000 đ (5.5c, into the account) + 300.000 đ (5.6-severe, cash) = 800.000 đ
    assert (run["lines"], run["total_vnd"], run["campaign"]) == (2, 800_000, out["campaign"])
    assert run["by_channel"]["bank"]["total_vnd"] == 500_000 and run["by_channel"]["cash"]["total_vnd"] == 300_000
    assert main(["campaign", "generate", str(out["campaign"]), "--as", "maker1", "--json"]) == 2
    assert "already has run" in capsys.readouterr().err
    assert main(["campaign", "create", "--name", "X", "--decision", "1", "--reference-date", "15/01/2024",
                 "--amount", "1", "--as", "maker1"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["campaign", "generate", "999999", "--as", "maker1"]) == 2


def test_pages_create_generate_and_run(make_person, users, commune, settings):
    import re

    from django.test import Client
    from django.urls import reverse

    from ansinh.core.services import upsert_user

    maker, checker = users
    make_person(D(1938, 6, 1), [("tcxh", "5.5c", "2020-01")])
    make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2023-01")], account=("970405", "123456789"))
    m, a = Client(), Client()
    assert m.login(username="maker1", password="Mk-thu-nghiem-2024")
    assert a.login(username="checker1", password="Mk-thu-nghiem-2024")
    form = {"name": "Quà Tết Giáp Thìn 2024", "decision_number": "25/QĐ-UBND", "decision_date": "10/01/2024",
            "reference_date": "15/01/2024", "pay_from": "20/01/2024", "pay_to": "08/02/2024",
            "programme": ["tcxh", "nd176"], "amount": "300.000", "cat_5.5c": "500.000"}
    assert a.post(reverse("payroll:campaigns"), form).status_code == 403  # an approver does not create them
    r = m.post(reverse("payroll:campaigns"), form)
    c = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("payroll:campaign", args=[c.pk])
    assert (c.amount_kind, c.amount, c.category_amounts, c.province_code) == ("per_category", 300_000,
                                                                              {"5.5c": 500_000}, "20")
    r = m.post(reverse("payroll:campaigns"), {**form, "reference_date": "2024-01-15"})
    assert r.status_code == 302 and Campaign.objects.count() == 1  # a message, nothing made
    page = m.get(reverse("payroll:campaign", args=[c.pk])).content.decode()
    assert "Quà Tết Giáp Thìn 2024" in page and "500.000" in page and "Người từ đủ 80 tuổi" in page
    r = m.post(reverse("payroll:campaign_generate", args=[c.pk]), {"commune": commune.pk})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    run = PayrollRun.objects.filter(campaign=c).first() or campaigns.generate(c, commune=commune, user=maker)
    page = a.get(reverse("payroll:run", args=[run.pk])).content.decode()
    assert 'id="run-campaign"' in page and "Quà Tết Giáp Thìn 2024" in page
    assert re.sub(r"\D", "", re.search(r'id="run-total">([^<]*)<', page).group(1)) == str(500_000 + 300_000)
    outsider = upsert_user("qn1", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["22"])
    o = Client()
    assert o.login(username=outsider.username, password="Mk-thu-nghiem-2024")
    assert o.get(reverse("payroll:campaign", args=[c.pk])).status_code == 404
    assert o.post(reverse("payroll:campaign_generate", args=[c.pk])).status_code == 404
    assert "25/QĐ-UBND" not in o.get(reverse("payroll:campaigns")).content.decode()
