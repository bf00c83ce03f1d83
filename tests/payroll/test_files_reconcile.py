from __future__ import annotations

import csv
import hashlib

import openpyxl
import pytest

from ansinh.core.jobs import BadInput
from ansinh.payroll import services
from ansinh.payroll.models import PayrollLine, RunStatus


@pytest.fixture
def exported(make_person, commune, users, tmp_path):
    maker, checker = users
    e = [("tcxh", "5.6-severe", "2024-07")]
    a = make_person(enrolments=e, account=("970405", "100200300"))
    b = make_person(enrolments=e, account=("970405", "100200301"))
    c = make_person(enrolments=e)
    run = services.generate("2024-07", commune=commune, user=maker)
    services.approve(run, checker)
    paths = services.export(run, tmp_path / "out", pdf=False)
    return run, paths, (a, b, c)


def test_provider_files_totals_and_checksum(exported):
    run, paths, _ = exported
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED
    agri = next(p for p in paths if p.name.endswith("Agribank.csv"))
    rows = list(csv.reader(agri.open(encoding="utf-8"), delimiter=";"))
    data = rows[1:-2]
    assert len(data) == 2 and rows[-2][0] == "TONG" and rows[-2][6] == str(2 * 750_000)
    digest = hashlib.sha256("".join(";".join(r) + "\n" for r in data).encode()).hexdigest()
    assert rows[-1] == ["#CHECKSUM", "lines=2", "total_vnd=1500000", f"sha256={digest}"]
    assert all(r[11].startswith("000201010212") for r in data)
    wb = openpyxl.load_workbook(next(p for p in paths if p.name.endswith("Agribank.xlsx")))
    assert len(wb.active._images) == 2  # one VietQR image per bank line
    cash = openpyxl.load_workbook(next(p for p in paths if p.name.endswith("VNPost.xlsx"))).active
    assert cash.cell(4, 10).value == "Ký nhận"
    assert [r for r in cash.iter_rows(values_only=True) if r[2] == "TỔNG CỘNG"][0][7] == 750_000


def test_reconcile_unpaid_carry_and_switch_to_cash(exported, tmp_path, commune):
    run, _, (a, b, c) = exported
    la = PayrollLine.objects.get(run=run, person=a)
    lb = PayrollLine.objects.get(run=run, person=b)
    lc = PayrollLine.objects.get(run=run, person=c)
    result = tmp_path / "result.csv"
    result.write_text("line_id;status;reason;paid_date;amount\n"
                      f"{la.pk};paid;;2024-07-18;750000\n"
                      f"{lb.pk};unpaid;account_closed;;750000\n"
                      f"{lc.pk};unpaid;not_collected;;750000\n", encoding="utf-8")
    rep = services.reconcile(run, result)
    assert rep["balanced"] and rep["paid"]["total_vnd"] == 750_000 and rep["unpaid"]["total_vnd"] == 1_500_000
    assert rep["by_provider"]["970405"]["unpaid"]["lines"] == 1
    assert rep["by_commune"][commune.code]["paid"]["lines"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED
    nxt = services.generate("2024-08", commune=commune)
    got = {(ln.person_id, ln.period_month): ln.channel for ln in nxt.lines.all()}
    assert got == {(a.pk, "2024-08"): "bank",
                   (b.pk, "2024-07"): "cash", (b.pk, "2024-08"): "cash",  # account failed -> cash
                   (c.pk, "2024-07"): "cash", (c.pk, "2024-08"): "cash"}  # carried over


def test_reconcile_rejects_bad_files(exported, tmp_path):
    run, _, _ = exported
    bad = tmp_path / "bad.csv"
    bad.write_text("line_id;status\n999999;paid\n", encoding="utf-8")
    with pytest.raises(BadInput, match="not in run"):
        services.reconcile(run, bad)
    bad.write_text("line_id;status\nabc;paid\n", encoding="utf-8")
    with pytest.raises(BadInput, match="row 2, line_id"):
        services.reconcile(run, bad)
    ln = run.lines.first()
    bad.write_text(f"line_id;status;amount\n{ln.pk};paid;1\n", encoding="utf-8")
    with pytest.raises(BadInput, match="amount"):
        services.reconcile(run, bad)


def test_cash_list_pdf(exported, tmp_path):
    import shutil

    if not shutil.which("soffice"):
        pytest.skip("LibreOffice not installed")
    run, _, _ = exported
    paths = services.export(run, tmp_path / "pdf", pdf=True)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    assert pdf.read_bytes()[:4] == b"%PDF"
