"""Failed-payment follow-up (issue 14 item 2): only the unpaid lines are paid again — retried on the
account, in cash, or held until the account is fixed — chosen per line or by rule, under
maker-checker; account failures block the account with a review item until it is fixed; the
follow-up and the next month's carry-over never both pay (constraint on the original obligation)."""
from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, failures, followup, generate, reconcile
from ansinh.payroll.access import NotAllowed
from ansinh.payroll.models import PayrollLine
from ansinh.registry.models import PaymentAccount, QualityIssue, usable_account_q

D = dt.date
LINE = 750_000  # 5.6-severe adult: 1.5 × 500.000 đ


def _results(run, tmp_path, rows, name="r.csv"):
    """Write and reconcile a result file: rows of (person, status, reason)."""
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["line_id", "status", "reason", "paid_date"])
        for p, status, reason in rows:
            w.writerow([PayrollLine.objects.get(run=run, person=p).pk, status, reason,
                        f"{run.period}-20" if status == "paid" else ""])
    return path


def _send(run, checker):
    approval.approve(run, checker)
    approval.export(run, user=checker)


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
    _send(run, checker)
    reconcile.reconcile(run, _results(run, tmp_path, [(a, "paid", ""), (b, "unpaid", "name_mismatch"),
                                                       (c, "unpaid", "account_closed"),
                                                       (d, "unpaid", "not_collected")]), user=checker)
    return run, (a, b, c, d), maker, checker


def _got(run):
    return {ln.person_id: (ln.period_month, ln.amount, ln.channel, ln.account_number)
            for ln in PayrollLine.objects.filter(run=run)}


def test_account_failures_block_the_account_with_a_review_item(july):
    run, (a, b, c, d), maker, checker = july
    acc = {p.pk: PaymentAccount.objects.get(person=p) for p in (a, b, c)}
    # B (name mismatch) and C (account closed) failed for their account; D (not collected) did not
    assert acc[a.pk].failed_at is None and acc[b.pk].failed_at and acc[c.pk].failed_at
    usable = set(PaymentAccount.objects.filter(usable_account_q()).values_list("pk", flat=True))
    assert usable == {acc[a.pk].pk}  # a blocked account is not usable (the one definition)
    issues = QualityIssue.objects.filter(rule="ACCOUNT_FAILED", status="open")
    assert sorted(issues.values_list("person_id", flat=True)) == [b.pk, c.pk]
    assert {i.details["account"] for i in issues} == {acc[b.pk].pk, acc[c.pk].pk}
    assert not any("222222222" in i.message or "333333333" in i.message for i in issues)  # no identifier
    # reconciling again (a statement after the file) does not open a second item
    failures.block_failed_accounts(run)
    assert issues.count() == 2


def test_followup_by_rule_holds_account_failures_until_fixed(july, commune, tmp_path):
    from ansinh.accounts.approval import approve_account
    from ansinh.registry.review import add_account

    run, (a, b, c, d), maker, checker = july
    f = followup.generate_followup(run, user=maker)  # by rule
    # B and C held (their accounts are blocked); D not collected once: retried (cash, as before);
    # A (paid) never again. 1 × 750.000 = 750.000 đ.
    assert _got(f) == {d.pk: ("2024-07", LINE, "cash", "")}
    assert f.summary["total_vnd"] == 750_000 and f.summary["rule"] == "auto"
    lb, lc = (PayrollLine.objects.get(run=run, person=p).pk for p in (b, c))
    assert f.summary["held"] == sorted([lb, lc])
    with pytest.raises(NotAllowed):
        approval.approve(f, maker)  # maker-checker, as every run
    _send(f, checker)
    # B's officer records the corrected account from the review item; a second user approves it:
    # the item closes by itself and the next follow-up retries B on the new account
    issue_b = QualityIssue.objects.get(rule="ACCOUNT_FAILED", person=b)
    add_account(issue_b, maker, "970415", "444444444")
    assert QualityIssue.objects.get(pk=issue_b.pk).status == "open"  # pending approval: not fixed yet
    approve_account(PaymentAccount.objects.get(person=b, account_number="444444444"), checker)
    issue_b.refresh_from_db()
    assert issue_b.status == "fixed" and issue_b.reason.startswith("Tự đóng")
    f2 = followup.generate_followup(run, user=maker)
    # B retried on the fixed account (750.000 đ); C still held; D claimed by the first follow-up
    assert _got(f2) == {b.pk: ("2024-07", LINE, "bank", "444444444")}
    assert f2.summary["held"] == [lc]
    # August: C's blocked account is not used (cash); its July, held and unclaimed, comes as arrears
    aug = generate.generate("2024-08", commune=commune, user=maker)
    got = sorted((ln.person_id, ln.period_month, ln.channel, ln.amount) for ln in PayrollLine.objects.filter(run=aug))
    assert got == sorted([(a.pk, "2024-08", "bank", LINE), (b.pk, "2024-08", "bank", LINE),
                          (c.pk, "2024-07", "cash", LINE), (c.pk, "2024-08", "cash", LINE),
                          (d.pk, "2024-08", "cash", LINE)])
    assert aug.summary["total_vnd"] == 5 * 750_000 == 3_750_000
    with pytest.raises(BadInput, match="no unpaid line is left"):
        followup.generate_followup(run, user=maker)  # C's July is claimed by August now


def test_not_collected_is_retried_once_then_paid_in_cash(make_person, users, commune, tmp_path):
    maker, checker = users
    e = make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")], account=("971005", "0912345678"))
    run = generate.generate("2024-07", commune=commune, user=maker)
    _send(run, checker)
    reconcile.reconcile(run, _results(run, tmp_path, [(e, "unpaid", "not_collected")]), user=checker)
    f1 = followup.generate_followup(run, user=maker)
    assert _got(f1) == {e.pk: ("2024-07", LINE, "ewallet", "0912345678")}  # first failure: retried
    _send(f1, checker)
    reconcile.reconcile(f1, _results(f1, tmp_path, [(e, "unpaid", "not_collected")], "r2.csv"), user=checker)
    f2 = followup.generate_followup(f1, user=maker)
    assert _got(f2) == {e.pk: ("2024-07", LINE, "cash", "")}  # second failure of the same July: cash
    # the wallet did not fail as an account: it stays usable
    assert PaymentAccount.objects.filter(usable_account_q(), person=e).exists()


def test_choice_per_line_and_for_every_line(july):
    run, (a, b, c, d), maker, checker = july
    lb, lc, ld = (PayrollLine.objects.get(run=run, person=p).pk for p in (b, c, d))
    with pytest.raises(BadInput, match="must be"):
        followup.generate_followup(run, user=maker, choices={lb: "later"})
    with pytest.raises(BadInput, match="not an unpaid line"):
        followup.generate_followup(run, user=maker, choices={PayrollLine.objects.get(run=run, person=a).pk: "cash"})
    with pytest.raises(BadInput, match="rule"):
        followup.generate_followup(run, user=maker, rule="later")
    # per line: B in cash (instead of held), D held; C by rule (held): one line, 750.000 đ
    f = followup.generate_followup(run, user=maker, choices={lb: "cash", ld: "hold"})
    assert _got(f) == {b.pk: ("2024-07", LINE, "cash", "")}
    assert f.summary["held"] == sorted([lc, ld]) and f.summary["choices"] == {str(lb): "cash", str(ld): "hold"}
    f.lines.all().delete()
    f.delete()
    # "retry" for every line: blocked accounts are not retried into, they are paid in cash
    f = followup.generate_followup(run, user=maker, rule="retry")
    assert set(_got(f).values()) == {("2024-07", LINE, "cash", "")} and f.summary["total_vnd"] == 2_250_000


def test_the_rule_in_sql_is_the_pure_rule(july, make_person):
    run, (a, b, c, d), maker, checker = july
    rows = followup.planned(run)
    assert {r["choice"] for r in rows} == {"hold", "retry"}
    for r in rows:
        line = PayrollLine.objects.get(pk=r["line"])
        assert r["account_failure"] == failures.is_account_failure(line.result_reason)
        assert r["choice"] == failures.followup_choice(
            account_failure=r["account_failure"], account_usable=r["account_usable"], failures=r["failures"])
    # the reasons as SQL reads them, against the pure test
    from django.db import connection
    reasons = ["account_invalid", "name_mismatch", "not_collected", "", "rejected: RETURN AC04 CLOSED ACCOUNT",
               "reversed: RETURN AC01 WRONG NUMBER", "reversed: RETURN MS03 NO REASON", "AC040", "rejected: BE01",
               "rjct.beneficiary_name.invalid", "rjct.amount.invalid", "HELD"]
    with connection.cursor() as cur:
        for r in reasons:
            cur.execute(f"SELECT CASE WHEN {failures.account_failure_sql('x.r')} THEN 1 ELSE 0 END"
                        f" FROM (SELECT %s AS r) x", [r])
            assert bool(cur.fetchone()[0]) == failures.is_account_failure(r), r


def test_double_payment_is_refused_by_the_database(july):
    """The constraint is on the original obligation, not on the run: a second claiming line for the
    same person-month (or person-campaign) cannot exist, whichever run it is in."""
    run, (a, b, c, d), maker, checker = july
    paid = PayrollLine.objects.get(run=run, person=a)
    f = followup.generate_followup(run, user=maker)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollLine.objects.create(run=f, person=a, programme="tcxh", period_month="2024-07", category="5.6-severe",
                                   amount=paid.amount, channel="cash", provider="VNPOST", province_code=a.province_code)


def test_followup_cli_and_page(july, capsys):
    import json

    from django.test import Client
    from django.urls import reverse

    from ansinh.cli import main

    run, (a, b, c, d), maker, checker = july
    web = Client()
    assert web.login(username="checker1", password="Mk-thu-nghiem-2024")
    assert web.post(reverse("payroll:followup", args=[run.pk])).status_code == 403  # an approver is no maker
    m = Client()
    assert m.login(username="maker1", password="Mk-thu-nghiem-2024")
    page = m.get(reverse("payroll:followup", args=[run.pk])).content.decode()
    lb = PayrollLine.objects.get(run=run, person=b).pk
    assert 'id="followup-lines"' in page and f'name="line-{lb}"' in page and "Giữ lại" in page
    assert main(["payroll", "followup", str(run.pk), "--line", f"{lb}=cash", "--as", "maker1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # B in cash by choice, D retried (cash), C held: 2 × 750.000 = 1.500.000 đ
    assert (out["lines"], out["total_vnd"], out["followup_of"], out["held"]) == (2, 1_500_000, run.pk, 1)
    r = m.post(reverse("payroll:followup", args=[run.pk]), follow=True)
    assert "no unpaid line is left" in r.content.decode()
    page = m.get(reverse("payroll:run", args=[out["run"]])).content.decode()
    assert 'id="run-followup-of"' in page and 'id="run-followup-held"' in page
