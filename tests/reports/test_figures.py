"""Each report's figures on the hand-made province of conftest.py, against figures worked out by
hand (the docstring of conftest.py says who is who)."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.core.roles import OPERATOR
from ansinh.reports import selectors as S
from ansinh.reports.periods import parse_period

JUNE = parse_period("2024-06")


def _rows(table, key="name"):
    return {r[key]: r for r in table.rows}


def _table(report, title):
    return next(t for t in report.tables if t.title == title)


def test_progress_by_commune_new_map(town):
    r = S.build("progress", OPERATOR, JUNE, "20", "new")
    assert r.as_of == dt.date(2024, 6, 30)
    tot = r.figures["total"]
    # p1, p2, p4 are beneficiaries on 30/06 (p3 died in May, p5 starts in July)
    assert (tot["beneficiaries"], tot["with_account"], tot["confirmed"]) == (3, 2, 1)
    # paid through an account in June: p1 (two paid bank lines, one person); p2's line unpaid; cash: p4
    assert (tot["paid_noncash"], tot["paid_cash"]) == (1, 1)
    assert tot["with_account_share"] == 66.7 and tot["paid_noncash_share"] == 50.0
    assert (tot["target_low"], tot["target_high"], tot["band"]) == (30.0, 40.0, "above")
    main = _rows(_table(r, "Tiến độ theo đơn vị"))
    dk, kl = main["Phường Đông Kinh"], main["Phường Kỳ Lừa"]
    assert {k: dk[k] for k in ("beneficiaries", "with_account", "confirmed", "paid_noncash", "paid_cash")} == {
        "beneficiaries": 2, "with_account": 2, "confirmed": 1, "paid_noncash": 1, "paid_cash": 0}
    assert {k: kl[k] for k in ("beneficiaries", "with_account", "confirmed", "paid_noncash", "paid_cash")} == {
        "beneficiaries": 1, "with_account": 0, "confirmed": 0, "paid_noncash": 0, "paid_cash": 1}
    # every other commune of the province is listed with zeros; the totals row adds up the rows
    assert all(row["beneficiaries"] == 0 for n, row in main.items() if n not in ("Phường Đông Kinh", "Phường Kỳ Lừa"))
    # the previous period (May): p1, p2, p4 beneficiaries (p3 died 01/05), only p1 with an account
    prev = r.figures["previous"]
    assert (prev["period"], prev["beneficiaries"], prev["with_account"]) == ("2024-05", 3, 1)
    assert r.figures["change"]["with_account"] == 1 and dk["with_account_change"] == 1


def test_progress_breakdowns(town):
    r = S.build("progress", OPERATOR, JUNE, "20", "new")
    g = _rows(_table(r, "Theo giới tính"), "label")
    assert (g["Nữ"]["beneficiaries"], g["Nữ"]["with_account"], g["Nữ"]["paid_noncash"], g["Nữ"]["paid_cash"]) == (2, 1, 1, 1)
    assert (g["Nam"]["beneficiaries"], g["Nam"]["with_account"], g["Nam"]["confirmed"], g["Nam"]["paid_noncash"]) == (1, 1, 0, 0)
    e = _rows(_table(r, "Theo dân tộc"), "label")
    assert {k: v["beneficiaries"] for k, v in e.items()} == {"Kinh": 1, "Nùng": 1, "Tày": 1}
    a = _rows(_table(r, "Theo nhóm tuổi"), "label")
    assert {k: v["beneficiaries"] for k, v in a.items()} == {
        "Dưới 16 tuổi": 1, "Từ 60 đến dưới 75 tuổi": 1, "Từ 80 tuổi trở lên": 1}
    assert a["Từ 80 tuổi trở lên"]["paid_noncash"] == 1 and a["Dưới 16 tuổi"]["paid_cash"] == 1
    p = _rows(_table(r, "Theo tổ chức cung ứng dịch vụ chi trả"), "label")
    assert (p["Agribank"]["with_account"], p["Agribank"]["confirmed"], p["Agribank"]["paid_noncash"]) == (1, 1, 1)
    assert (p["Viettel Money"]["with_account"], p["Viettel Money"]["confirmed"]) == (1, 0)
    ch = {r_["label"]: r_ for r_ in _table(r, "Theo kênh chi trả").rows}
    assert sum(v["paid_noncash"] for v in ch.values()) == 1 and sum(v["paid_cash"] for v in ch.values()) == 1
    c = _table(r, "Theo diện đối tượng")
    assert c.total["beneficiaries"] == 3 and c.total["paid_noncash"] == 1
    for t in r.tables[2:]:  # every breakdown adds up to the same paid figures as the rows
        assert t.total["paid_noncash"] == 1 and t.total["paid_cash"] == 1


def test_progress_old_map_same_totals(town):
    new = S.build("progress", OPERATOR, JUNE, "20", "new")
    old = S.build("progress", OPERATOR, JUNE, "20", "old")
    assert old.figures["total"] == new.figures["total"]
    rows = _rows(_table(old, "Tiến độ theo đơn vị"))
    assert rows["Phường Vĩnh Trại"]["beneficiaries"] == 1 and rows["Phường Đông Kinh"]["beneficiaries"] == 1
    by_district = S.build("progress", OPERATOR, JUNE, "20", "old", rows="district")
    d = [row for row in _table(by_district, "Tiến độ theo đơn vị").rows if row["beneficiaries"]]
    assert len(d) == 1 and d[0]["beneficiaries"] == 3  # all three lived in Thành phố Lạng Sơn
    district = S.build("progress", OPERATOR, JUNE, d[0]["code"], "old")
    assert district.figures["total"]["beneficiaries"] == 3
    assert {row["name"] for row in _table(district, "Tiến độ theo đơn vị").rows} >= {"Phường Vĩnh Trại"}
    one = S.build("progress", OPERATOR, JUNE, "05977", "old")  # old code 05977: Vĩnh Trại
    assert one.unit_label == "Phường Vĩnh Trại" and one.figures["total"]["beneficiaries"] == 1


def test_progress_matches_the_dashboard(town):
    """The dashboard's function (kpi.coverage + kpi.total) gives the same numbers."""
    from ansinh.accounts import kpi

    r = S.build("progress", OPERATOR, JUNE, "20", "new")
    units = kpi.coverage(OPERATOR, dt.date(2024, 6, 30), "commune", "new", province="20")
    dash = kpi.total(units, dt.date(2024, 6, 30), "20")
    for k in ("beneficiaries", "with_account", "confirmed", "paid_noncash"):
        assert r.figures["total"][k] == dash[k], k


def test_quarter_and_range_periods(town):
    q = S.build("progress", OPERATOR, parse_period("2024-Q2"), "20", "new")
    assert q.as_of == dt.date(2024, 6, 30) and q.figures["total"]["paid_noncash"] == 1
    assert q.figures["previous"]["period"] == "2024-Q1"
    r = S.build("progress", OPERATOR, parse_period("2024-07-01..2024-07-31"), "20", "new")
    assert r.figures["total"]["paid_noncash"] == 0 and r.figures["total"]["beneficiaries"] == 4  # p5 from July


def test_payroll_summary(town):
    from ansinh.payroll.models import ResultCorrection

    users = _two_users()
    ResultCorrection.objects.create(line=town["lines"][2], old_result="unpaid", new_result="paid", reason="đã nhận",
                                    status="approved", requested_by=users[0], approved_by=users[1],
                                    scope_commune=town["dk"], province_code="20")
    r = S.build("payroll", OPERATOR, JUNE, "20", "new")
    tot = r.figures["total"]
    assert tot == {"label": "Tổng cộng", "lines": 4, "total_amount": 2_750_000, "paid": 3, "paid_amount": 2_000_000,
                   "unpaid": 1, "unpaid_amount": 750_000, "pending": 0, "arrears": 1, "arrears_amount": 500_000,
                   "reversed": 0, "reversed_amount": 0, "corrections": 1}
    by_unit = _rows(_table(r, "Theo đơn vị"), "label")
    assert (by_unit["Phường Đông Kinh"]["lines"], by_unit["Phường Đông Kinh"]["total_amount"]) == (3, 1_750_000)
    assert (by_unit["Phường Kỳ Lừa"]["lines"], by_unit["Phường Kỳ Lừa"]["paid_amount"]) == (1, 1_000_000)
    by_channel = _rows(_table(r, "Theo kênh chi trả"), "label")
    assert by_channel["Tiền mặt tại điểm bưu điện"]["paid_amount"] == 1_000_000
    assert by_channel["Tài khoản ngân hàng"]["unpaid_amount"] == 750_000
    # the run page's totals (payroll.selectors.totals) say the same
    from ansinh.payroll.selectors import totals

    assert totals(OPERATOR, town["run"])["total_vnd"] == tot["total_amount"]


def test_payroll_summary_campaigns_followups_reversals(town):
    """June 2024 plus: a one-off campaign "Hỗ trợ sau lũ" (p1 300.000 đ by bank, p4 300.000 đ in
    cash, both paid), a follow-up of the June run paying p2's unpaid 750.000 đ, and p1's June
    transfer (500.000 đ) returned by the bank on 28/06 (unpaid again). By hand:
    monthly 4 lines 2.750.000 đ, paid 2 (May's arrears 500.000 + p4 1.000.000), unpaid 2
    (1.250.000), reversed 1 (500.000); campaign 2 lines 600.000 paid; follow-up 1 line 750.000
    paid; total 7 lines 4.100.000 đ, paid 5 (2.850.000)."""
    from ansinh.payroll.models import Campaign, PayrollLine, PayrollRun

    camp = Campaign.objects.create(name="Hỗ trợ sau lũ", decision_number="12/QĐ-UBND", decision_date=dt.date(2024, 6, 1),
                                   reference_date=dt.date(2024, 6, 1), amount=300_000, pay_from=dt.date(2024, 6, 10),
                                   pay_to=dt.date(2024, 6, 30), province_code="20")
    crun = PayrollRun.objects.create(period=camp.period, campaign=camp, province_code="20", status="reconciled")
    frun = PayrollRun.objects.create(period="2024-06", followup_of=town["run"], province_code="20", status="reconciled")
    for p, channel, provider, sc in ((town["p1"], "bank", "970405", town["dk"]), (town["p4"], "cash", "VNPOST", town["kl"])):
        PayrollLine.objects.create(run=crun, campaign=camp, person=p, programme="campaign", period_month="2024-06",
                                   category=p.enrolments.get().category, amount=300_000, channel=channel,
                                   provider=provider, scope_commune=sc, province_code="20", result="paid")
    PayrollLine.objects.create(run=frun, person=town["p2"], programme="tcxh", period_month="2024-06",
                               category="5.6-severe", amount=750_000, channel="bank", provider="971005",
                               scope_commune=town["dk"], province_code="20", result="paid")
    PayrollLine.objects.filter(pk=town["lines"][0].pk).update(result="unpaid", active=False,
                                                              reversed_on=dt.date(2024, 6, 28))
    r = S.build("payroll", OPERATOR, JUNE, "20", "new")
    kinds = _rows(_table(r, "Theo loại bảng chi trả"), "label")
    assert list(kinds) == ["Chi trả hằng tháng", "Đợt chi một lần: Hỗ trợ sau lũ", "Chi lại dòng chưa chi (hằng tháng)"]
    m = kinds["Chi trả hằng tháng"]
    assert (m["lines"], m["total_amount"], m["paid"], m["paid_amount"], m["unpaid"], m["unpaid_amount"]) == \
        (4, 2_750_000, 2, 1_500_000, 2, 1_250_000)
    assert (m["reversed"], m["reversed_amount"], m["arrears"]) == (1, 500_000, 1)
    c = kinds["Đợt chi một lần: Hỗ trợ sau lũ"]
    assert (c["lines"], c["paid_amount"], c["reversed"], c["arrears"]) == (2, 600_000, 0, 0)
    f = kinds["Chi lại dòng chưa chi (hằng tháng)"]
    assert (f["lines"], f["paid_amount"]) == (1, 750_000)
    tot = r.figures["total"]
    assert (tot["lines"], tot["total_amount"], tot["paid"], tot["paid_amount"], tot["reversed_amount"]) == \
        (7, 4_100_000, 5, 2_850_000, 500_000)
    assert _table(r, "Theo loại bảng chi trả").total["total_amount"] == tot["total_amount"]
    assert [k["kind"] for k in r.figures["by_kind"]] == ["monthly", "campaign", "followup"]


def _two_users():
    from ansinh.core.services import upsert_user

    return [upsert_user(n, "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"]) for n in ("r_a", "r_b")]


def test_cleaning(town):
    from django.utils import timezone

    from ansinh.matching.models import IdProposal, MatchPair, MatchRun
    from ansinh.registry.models import QualityIssue

    at = lambda *a: timezone.make_aware(dt.datetime(*a))  # noqa: E731
    p1, p2, p4, dk = town["p1"], town["p2"], town["p4"], town["dk"]
    prop = IdProposal.objects.create(person=p2, reason="missing", proposed_id="020150012345", probability=0.99,
                                     status="accepted", decided_at=at(2024, 8, 2), scope_commune=dk, province_code="20")
    IdProposal.objects.filter(pk=prop.pk).update(created=at(2024, 8, 1))
    run = MatchRun.objects.create(province_code="20")
    MatchRun.objects.filter(pk=run.pk).update(created=at(2024, 9, 1))
    MatchPair.objects.create(run=run, person_a=p1, person_b=p2, cluster=p1.pk, match_probability=0.95,
                             match_weight=5, status="rejected", decided_at=at(2024, 9, 5), scope_commune=dk,
                             province_code="20")
    open_issue = QualityIssue.objects.create(person=p4, rule="ID_MISSING", severity="error", message="x",
                                             scope_commune=town["kl"], province_code="20")
    fixed = QualityIssue.objects.create(person=p1, rule="DOB", severity="error", message="y", status="fixed",
                                        resolved_at=at(2024, 10, 1), scope_commune=dk, province_code="20")
    QualityIssue.objects.filter(pk__in=[open_issue.pk, fixed.pk]).update(created=at(2024, 3, 1))
    r = S.build("cleaning", OPERATOR, parse_period("2024"), "20", "new")
    rows = _rows(r.tables[0])
    d, k = rows["Phường Đông Kinh"], rows["Phường Kỳ Lừa"]
    # 31/12/2024: p1, p2, p5 in Đông Kinh (p2 without an ID), p4 in Kỳ Lừa
    assert (d["persons"], d["with_id"], d["ids_proposed"], d["ids_accepted"]) == (3, 2, 1, 1)
    assert (d["dups_found"], d["dups_decided"], d["deaths"], d["blocking"]) == (1, 1, 1, 0)
    assert (k["persons"], k["with_id"], k["blocking"]) == (1, 1, 1)
    # at the end of Q1 the issue fixed in October was still open
    q1 = _rows(S.build("cleaning", OPERATOR, parse_period("2024-Q1"), "20", "new").tables[0])
    assert q1["Phường Đông Kinh"]["blocking"] == 1 and q1["Phường Đông Kinh"]["ids_proposed"] == 0


def test_bad_input():
    with pytest.raises(ValueError):
        parse_period("2024-13")


def test_outside_the_department_suppresses_small_sensitive_counts(town, tmp_path):
    from ansinh.reports import outputs

    inside = S.build("progress", OPERATOR, JUNE, "20", "new")
    r = S.build("progress", OPERATOR, JUNE, "20", "new", outside=True)
    cats = {row["key"]: row for row in _table(r, "Theo diện đối tượng").rows}
    assert cats["5.6-severe"]["beneficiaries"] == "<5" and cats["5.6-severe"]["with_account_share"] == ""
    # complementary suppression: the next smallest row is hidden too ("x"), so the total minus the
    # rows shown does not give the "<5" away
    hidden = [k for k, row in cats.items() if row["beneficiaries"] == S.HIDDEN]
    assert hidden and not any(S.sensitive(k) for k in hidden)
    plain = {row["key"]: row["beneficiaries"] for row in _table(inside, "Theo diện đối tượng").rows}
    smallest = sorted(n for k, n in plain.items() if k != "5.6-severe" and n)
    assert sorted(plain[k] for k in hidden) == smallest[:len(hidden)]  # the smallest rows, in order
    total = _table(r, "Theo diện đối tượng").total["beneficiaries"]
    shown = [row["beneficiaries"] for row in cats.values() if isinstance(row["beneficiaries"], int)]
    assert total in (S.HIDDEN, "<5") or total - sum(shown) >= 2 * S.SMALL
    assert r.figures["total"] == inside.figures["total"] and r.figures["outside"] is True
    pay = S.build("payroll", OPERATOR, JUNE, "20", "new", outside=True)
    row = {x["key"]: x for x in _table(pay, "Theo diện đối tượng").rows}["5.6-severe"]
    assert row["lines"] == "<5" and row["total_amount"] == ""
    for fmt in ("xlsx", "docx"):
        assert outputs.render(r, fmt)[:2] == b"PK"


def test_complementary_suppression_worked_example():
    """HIV 3 (shown "<5"), disabled 40, elderly 120, orphan 7; total 170. Hiding HIV alone gives it
    away (170 − 40 − 120 − 7 = 3): the orphan row, the next smallest, is hidden too."""
    counts = {"hiv": 3, "disabled": 40, "elderly": 120, "orphan": 7}
    assert S.cells_to_hide(counts, {"hiv"}) == ({"hiv", "orphan"}, False)
    # two small rows summing to 5 (3 + 2): too narrow a range, the next row joins them
    assert S.cells_to_hide({"hiv": 3, "dis": 2, "elderly": 120}, {"hiv", "dis"}) == ({"hiv", "dis", "elderly"}, False)
    assert S.cells_to_hide({"hiv": 4, "dis": 6, "elderly": 120}, {"hiv"}) == ({"hiv", "dis"}, False)
    # 1 + 1 (the demo's Đông Kinh: disabled 1, elderly 1, total 2): both hidden and the total too
    assert S.cells_to_hide({"dis": 1, "elderly": 1}, {"dis"}) == ({"dis", "elderly"}, True)
    # the sensitive row is the only one counted: the total would give it away, so it is hidden
    assert S.cells_to_hide({"hiv": 3, "elderly": 0}, {"hiv"}) == ({"hiv"}, True)
    # a zero row is never the complement (it would hide nothing); ties: by key
    assert S.cells_to_hide({"hiv": 2, "a": 0, "b": 9, "c": 9}, {"hiv"}) == ({"hiv", "b"}, False)
    # nothing small: nothing hidden
    assert S.cells_to_hide({"hiv": 0, "b": 9}, {"hiv"}) == (set(), False)


def test_suppressed_report_cannot_be_worked_back(town):
    """On the fixture's report for outside the department, no single hidden count can be read as
    the total minus the cells shown: in every column with a hidden cell, at least two are hidden."""
    r = S.build("progress", OPERATOR, JUNE, "20", "new", outside=True)
    t = _table(r, "Theo diện đối tượng")
    for c in t.columns:
        if c.kind != S.INT:
            continue
        hidden = [row for row in t.rows if row[c.key] in ("<5", S.HIDDEN)]
        assert len(hidden) != 1, c.key
