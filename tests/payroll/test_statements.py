"""Paid only on the bank's confirmation; reversals (issue 14 item 3): an MT940 statement of the
programme account confirms, rejects and reverses lines; the run's reconciliation shows sent,
confirmed, failed, reversed and pending to the đồng; a malformed statement names its line and
changes nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, campaigns, generate, statements
from ansinh.payroll.access import NotAllowed
from ansinh.payroll.models import PayrollLine, RunStatus, StatementImport

D = dt.date


def mt940(entries, opening=50_000_000, ref="STMT1", day="240125") -> str:
    """A statement: entries are (sign, amount, reference, text)."""
    out = [":20:" + ref, ":25:970405/1000123456", ":28C:1/1", f":60F:C{day}VND{opening},"]
    bal = opening
    for sign, amount, reference, text in entries:
        out += [f":61:{day}{day[2:]}{sign}{amount},NTRF{reference}//VCB{len(out)}", f":86:{text}"]
        bal += amount if sign == "C" else -amount
    out.append(f":62F:C{day}VND{bal},")
    return "\r\n".join(out) + "\r\n-\r\n"


@pytest.fixture
def sent_run(make_person, users, commune):
    """A run of 07/2024 sent to the bank: four persons at 750.000 đ (5.6-severe adult: 1.5 × 500.000)."""
    maker, checker = users
    people = [make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2024-07")], account=("970405", f"12345678{i}"))
              for i in range(4)]
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    approval.export(run, user=checker)
    lines = [PayrollLine.objects.get(run=run, person=p) for p in people]
    return run, lines, checker


def test_statement_confirms_rejects_and_reverses(sent_run, tmp_path):
    run, (a, b, c, d), checker = sent_run
    s1 = tmp_path / "s1.sta"
    s1.write_text(mt940([("C", 3_000_000, "", "NAP QUY CHI TRA"),                      # funding: not a line
                         ("D", 750_000, f"L{a.pk}", f"ANSINH L{a.pk} TCXH 07/2024"),
                         ("D", 750_000, f"L{b.pk}", f"ANSINH L{b.pk}"),
                         ("D", 750_000, "", f"ANSINH L{c.pk} TCXH"),                       # reference in :86:
                         ("C", 750_000, f"L{d.pk}", "RJCT AC04 TAI KHOAN DA DONG")]), encoding="utf-8")
    rep = statements.import_statement(s1, user=checker)
    assert (rep["confirmed"], rep["failed"], rep["reversed"], rep["other"]) == (3, 1, 0, 1)
    r = rep["runs"][run.pk]
    # sent 4 × 750.000 = 3.000.000 đ = confirmed 2.250.000 + failed 750.000 + reversed 0 + pending 0
    assert r["sent"] == {"lines": 4, "total_vnd": 3_000_000}
    assert r["confirmed"] == {"lines": 3, "total_vnd": 2_250_000} and r["failed"] == {"lines": 1, "total_vnd": 750_000}
    assert r["reversed"] == {"lines": 0, "total_vnd": 0} and r["pending"]["total_vnd"] == 0 and r["states_balanced"]
    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED
    a.refresh_from_db()
    assert (a.result, a.paid_on, a.active) == ("paid", D(2024, 1, 25), True)
    d.refresh_from_db()
    assert (d.result, d.active, d.reversed_on) == ("unpaid", False, None) and "AC04" in d.result_reason
    # the next day: b's transfer comes back (the beneficiary's bank returns it)
    s2 = tmp_path / "s2.sta"
    s2.write_text(mt940([("C", 750_000, f"L{b.pk}", "RETURN AC06 NAME MISMATCH")], ref="STMT2", day="240126"),
                  encoding="utf-8")
    rep = statements.import_statement(s2, user=checker)
    assert (rep["confirmed"], rep["reversed"]) == (0, 1)
    r = rep["runs"][run.pk]
    # confirmed 1.500.000 + failed 750.000 + reversed 750.000 = sent 3.000.000 đ
    assert r["confirmed"]["total_vnd"] == 1_500_000 and r["reversed"] == {"lines": 1, "total_vnd": 750_000}
    assert r["failed"]["total_vnd"] == 750_000 and r["states_balanced"]
    b.refresh_from_db()
    assert (b.result, b.active, b.reversed_on) == ("unpaid", False, D(2024, 1, 26))
    assert b.result_reason.startswith("reversed: RETURN AC06")
    # the reversed month is free again: August's run pays July as arrears (and August)
    aug = generate.generate("2024-08", province_code="20", user=run.generated_by)
    assert sorted(PayrollLine.objects.filter(run=aug, person_id=b.person_id).values_list("period_month", "amount")) == [
        ("2024-07", 750_000), ("2024-08", 750_000)]
    with pytest.raises(BadInput, match="already read"):
        statements.import_statement(s2, user=checker)
    assert StatementImport.objects.count() == 2


@pytest.mark.parametrize("mangle, message", [
    (lambda t: t.replace(":61:240125", ":61:24X125", 1), "line 5: :61: is not a statement line"),
    (lambda t: t.replace(":62F:C240125VND", ":62F:C240125VND1"), "line 9: closing balance"),
    (lambda t: t.replace(":25:", "xx"), "line 2: 'xx970405"),
    (lambda t: t.replace("750000,", "750001,", 1), "line 5: 750.001 đ"),
    (lambda t: t.replace(":20:STMT1\r\n", ""), ":20: (statement reference) missing"),
])
def test_malformed_statement_names_the_line_and_changes_nothing(sent_run, tmp_path, mangle, message):
    run, (a, b, c, d), checker = sent_run
    text = mt940([("D", 750_000, f"L{a.pk}", "x"), ("D", 750_000, f"L{b.pk}", "y")])
    if "750.001" in message:  # a wrong amount also leaves the balances right
        text = text.replace(":62F:C240125VND48500000,", ":62F:C240125VND48499999,")
    p = tmp_path / "bad.sta"
    p.write_text(mangle(text), encoding="utf-8")
    before = list(PayrollLine.objects.filter(run=run).values_list("id", "result", "active", "paid_on"))
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        statements.import_statement(p, user=checker)
    assert list(PayrollLine.objects.filter(run=run).values_list("id", "result", "active", "paid_on")) == before
    assert not StatementImport.objects.exists()


def test_statement_rules(sent_run, tmp_path, users):
    run, (a, b, c, d), checker = sent_run
    maker, _ = users
    twice = tmp_path / "twice.sta"
    twice.write_text(mt940([("D", 750_000, f"L{a.pk}", ""), ("D", 750_000, f"L{a.pk}", "")]), encoding="utf-8")
    with pytest.raises(BadInput, match="line 7: transfer L.* is paid a second time \\(line 5\\)"):
        statements.import_statement(twice, user=checker)
    ok = tmp_path / "ok.sta"
    ok.write_text(mt940([("D", 750_000, f"L{a.pk}", "")]), encoding="utf-8")
    with pytest.raises(NotAllowed):
        statements.import_statement(ok, user=maker)  # the run's maker does not reconcile it
    unknown = tmp_path / "unknown.sta"
    unknown.write_text(mt940([("D", 750_000, "L999999999", "")]), encoding="utf-8")
    with pytest.raises(BadInput, match="line 5: L999999999 is not a payroll line"):
        statements.import_statement(unknown, user=checker)


def test_campaign_run_reconciled_from_a_statement(make_person, users, tmp_path):
    maker, checker = users
    p = make_person(D(1940, 1, 1), [("tcxh", "5.5c", "2020-01")], account=("970405", "99887766"))
    c = campaigns.create_campaign(user=maker, amount=300_000, name="Quà Tết Giáp Thìn 2024", decision_number="1",
                                  reference_date=D(2024, 1, 15), province_code="20")
    run = campaigns.generate(c, user=maker)
    approval.approve(run, checker)
    approval.export(run, user=checker)
    line = PayrollLine.objects.get(run=run, person=p)
    s = tmp_path / "tet.sta"
    s.write_text(mt940([("D", 300_000, f"L{line.pk}", "QUA TET")]), encoding="utf-8")
    rep = statements.import_statement(s, user=checker)
    assert rep["runs"][run.pk]["confirmed"] == {"lines": 1, "total_vnd": 300_000}


def test_cli_and_page(sent_run, tmp_path, capsys):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.urls import reverse

    from ansinh.cli import main

    run, (a, b, c, d), checker = sent_run
    s = tmp_path / "cli.sta"
    s.write_text(mt940([("D", 750_000, f"L{a.pk}", "")]), encoding="utf-8")
    assert main(["payroll", "statement", str(s), "--as", "checker1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["confirmed"] == 1
    assert main(["payroll", "statement", str(s), "--as", "checker1"]) == 2
    assert "already read" in capsys.readouterr().err
    web = Client()
    assert web.login(username="checker1", password="Mk-thu-nghiem-2024")
    page = web.get(reverse("payroll:run", args=[run.pk])).content.decode()
    assert 'id="statement-form"' in page and 'id="run-states"' in page
    bad = SimpleUploadedFile("sao-ke.sta", mt940([("D", 1, f"L{b.pk}", "")]).encode())
    r = web.post(reverse("payroll:statement", args=[run.pk]), {"statement": bad}, follow=True)
    assert "sao-ke.sta: line 5: 1 đ for L" in r.content.decode()
    good = SimpleUploadedFile("sao-ke2.sta", mt940([("D", 750_000, f"L{b.pk}", "")], ref="S9").encode())
    r = web.post(reverse("payroll:statement", args=[run.pk]), {"statement": good}, follow=True)
    assert "1 dòng xác nhận đã chi" in r.content.decode()
