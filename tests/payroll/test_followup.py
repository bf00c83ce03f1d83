"""Failed-payment follow-up (issue 14 item 2): only the unpaid lines are paid again (retry the same
account, or cash), under maker-checker; the follow-up and the next month's carry-over never both pay."""
from __future__ import annotations

import csv
import datetime as dt

import pytest

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, followup, generate, reconcile
from ansinh.payroll.access import NotAllowed
from ansinh.payroll.models import PayrollLine

D = dt.date


@pytest.fixture
def july(make_person, users, commune, tmp_path):
    """July 2024 sent and reconciled: A paid; B unpaid (name mismatch), C unpaid (account closed),
    D (cash) not collected. Each line 750.000 đ (5.6-severe adult: 1.5 × 500.000)."""
    maker, checker = users
    e = [("tcxh", "5.6-severe", "2024-07")]
    a = make_person(enrolments=e, account=("970405", "111111111"))
    b = make_person(enrolments=e, account=("970405", "222222222"))
    c = make_person(enrolments=e, account=("970405", "333333333"))
    d = make_person(enrolments=e)
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    approval.export(run, user=checker)
    result = tmp_path / "r.csv"
    with open(result, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["line_id", "status", "reason", "paid_date"])
        for p, status, reason in ((a, "paid", ""), (b, "unpaid", "name_mismatch"), (c, "unpaid", "account_closed"),
                                  (d, "unpaid", "not_collected")):
            w.writerow([PayrollLine.objects.get(run=run, person=p).pk, status, reason,
                        "2024-07-20" if status == "paid" else ""])
    reconcile.reconcile(run, result, user=checker)
    return run, (a, b, c, d), maker, checker


def test_followup_pays_only_the_failed_lines_and_blocks_the_carry_over(july, commune):
    run, (a, b, c, d), maker, checker = july
    f = followup.generate_followup(run, user=maker)
    got = {ln.person_id: (ln.period_month, ln.amount, ln.channel, ln.account_number)
           for ln in PayrollLine.objects.filter(run=f)}
    # B retried on the same account; C in cash (its account failed); D in cash; A (paid) not again.
    assert got == {b.pk: ("2024-07", 750_000, "bank", "222222222"), c.pk: ("2024-07", 750_000, "cash", ""),
                   d.pk: ("2024-07", 750_000, "cash", "")}
    assert f.summary["total_vnd"] == 3 * 750_000 == 2_250_000 and f.followup_of_id == run.pk
    with pytest.raises(BadInput, match="no unpaid line is left"):
        followup.generate_followup(run, user=maker)  # the same failures are not followed up twice
    with pytest.raises(NotAllowed):
        approval.approve(f, maker)  # maker-checker, as every run
    approval.approve(f, checker)
    # August: July is claimed by the follow-up, so the carry-over does not pay it again
    aug = generate.generate("2024-08", commune=commune, user=maker)
    months = sorted(PayrollLine.objects.filter(run=aug).values_list("period_month", flat=True))
    assert months == ["2024-08"] * 4  # 4 × 750.000 = 3.000.000 đ, no July line
    assert aug.summary["total_vnd"] == 3_000_000


def test_carry_over_first_then_no_followup(july, commune):
    run, (a, b, c, d), maker, _ = july
    aug = generate.generate("2024-08", commune=commune, user=maker)
    # the three unpaid Julys come as arrears: 4 Augusts + 3 Julys = 7 × 750.000 = 5.250.000 đ
    assert aug.summary["lines"] == 7 and aug.summary["total_vnd"] == 5_250_000
    with pytest.raises(BadInput, match="no unpaid line is left"):
        followup.generate_followup(run, user=maker)


def test_cash_rule(july):
    run, (a, b, c, d), maker, _ = july
    f = followup.generate_followup(run, user=maker, rule="cash")
    assert set(PayrollLine.objects.filter(run=f).values_list("channel", flat=True)) == {"cash"}
    with pytest.raises(BadInput, match="rule"):
        followup.generate_followup(run, user=maker, rule="later")


def test_followup_cli_and_page(july, capsys):
    import json

    from django.test import Client
    from django.urls import reverse

    from ansinh.cli import main

    run, people, maker, checker = july
    web = Client()
    assert web.login(username="checker1", password="Mk-thu-nghiem-2024")
    assert web.post(reverse("payroll:followup", args=[run.pk])).status_code == 403  # an approver is no maker
    assert main(["payroll", "followup", str(run.pk), "--rule", "cash", "--as", "maker1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["lines"], out["total_vnd"], out["followup_of"]) == (3, 2_250_000, run.pk)
    m = Client()
    assert m.login(username="maker1", password="Mk-thu-nghiem-2024")
    r = m.post(reverse("payroll:followup", args=[run.pk]), follow=True)
    assert "no unpaid line is left" in r.content.decode()
    page = m.get(reverse("payroll:run", args=[out["run"]])).content.decode()
    assert 'id="run-followup-of"' in page
