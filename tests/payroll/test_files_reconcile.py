from __future__ import annotations

import csv
import hashlib

import openpyxl
import pytest

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, generate, reconcile
from ansinh.payroll.models import PayrollLine, RunStatus


@pytest.fixture
def exported(make_person, commune, users, tmp_path):
    maker, checker = users
    e = [("tcxh", "5.6-severe", "2024-07")]
    a = make_person(enrolments=e, account=("970405", "100200300"))
    b = make_person(enrolments=e, account=("970405", "100200301"))
    c = make_person(enrolments=e)
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "out", user=checker, pdf=False)
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
    # printable: A4 landscape, header row repeated, bold bordered header, bordered lines
    assert cash.page_setup.orientation == "landscape" and cash.page_setup.paperSize in (9, "9")
    assert cash.print_title_rows == "$4:$4"
    assert cash.cell(4, 3).font.b and cash.cell(4, 3).border.left.style == "thin"
    assert cash.cell(5, 10).border.bottom.style == "thin" and cash.cell(5, 10).value is None
    assert cash.cell(5, 8).value == 750_000 and isinstance(cash.cell(5, 1).value, int)


def test_province_run_files_carry_payloads_without_images(make_person, commune, users, tmp_path):
    """A province's files go to the banks' bulk import: VietQR payloads, no images."""
    maker, checker = users
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")], account=("970405", "100200300"),
                name="Lò Thị <Mai> & \"Hoa\"")
    run = generate.generate("2024-07", province_code="20", user=maker)
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "out", user=checker, pdf=False)
    ws = openpyxl.load_workbook(next(p for p in paths if p.name.endswith("Agribank.xlsx"))).active
    assert len(ws._images) == 0
    row = [c.value for c in ws[5]]
    assert row[3] == "Lò Thị <Mai> & \"Hoa\"" and row[6] == 750_000 and row[11].startswith("000201010212")
    assert ws.cell(7, 1).value.startswith("#CHECKSUM;lines=1;total_vnd=750000;sha256=")


def test_reconcile_unpaid_carry_and_switch_to_cash(exported, tmp_path, commune, users):
    checker = users[1]
    run, _, (a, b, c) = exported
    la = PayrollLine.objects.get(run=run, person=a)
    lb = PayrollLine.objects.get(run=run, person=b)
    lc = PayrollLine.objects.get(run=run, person=c)
    result = tmp_path / "result.csv"
    result.write_text("line_id;status;reason;paid_date;amount\n"
                      f"{la.pk};paid;;2024-07-18;750000\n"
                      f"{lb.pk};unpaid;account_closed;;750000\n"
                      f"{lc.pk};unpaid;not_collected;;750000\n", encoding="utf-8")
    rep = reconcile.reconcile(run, result, user=checker)
    assert rep["balanced"] and rep["paid"]["total_vnd"] == 750_000 and rep["unpaid"]["total_vnd"] == 1_500_000
    assert rep["by_provider"]["970405"]["unpaid"]["lines"] == 1
    assert rep["by_commune"][commune.code]["paid"]["lines"] == 1
    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED
    nxt = generate.generate("2024-08", commune=commune)
    got = {(ln.person_id, ln.period_month): ln.channel for ln in nxt.lines.all()}
    assert got == {(a.pk, "2024-08"): "bank",
                   (b.pk, "2024-07"): "cash", (b.pk, "2024-08"): "cash",  # account failed -> cash
                   (c.pk, "2024-07"): "cash", (c.pk, "2024-08"): "cash"}  # carried over


def test_reconcile_rejects_bad_files(exported, tmp_path, users):
    checker = users[1]
    run, _, _ = exported
    bad = tmp_path / "bad.csv"
    bad.write_text("line_id;status\n999999;paid\n", encoding="utf-8")
    with pytest.raises(BadInput, match="not in run"):
        reconcile.reconcile(run, bad, user=checker)
    bad.write_text("line_id;status\nabc;paid\n", encoding="utf-8")
    with pytest.raises(BadInput, match="row 2, line_id"):
        reconcile.reconcile(run, bad, user=checker)
    ln = run.lines.first()
    bad.write_text(f"line_id;status;amount\n{ln.pk};paid;1\n", encoding="utf-8")
    with pytest.raises(BadInput, match="amount"):
        reconcile.reconcile(run, bad, user=checker)


def test_cash_list_pdf(exported, tmp_path, users):
    from pypdf import PdfReader

    run, _, _ = exported
    paths = approval.export(run, tmp_path / "pdf", user=users[1], pdf=True)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    assert pdf.read_bytes()[:4] == b"%PDF"
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Ký nhận" in text and "TỔNG CỘNG" in text and "750.000" in text and "Thủ trưởng đơn vị" in text


def test_reconcile_errors_name_row_and_field_and_write_nothing(exported, tmp_path, users):
    checker = users[1]
    run, _, _ = exported
    ids = sorted(run.lines.values_list("id", flat=True))
    bad = tmp_path / "ket-qua.csv"
    bad.write_text("line_id;status;reason;paid_date\n"
                   f"{ids[0]};paid;;2024-07-18\n{ids[1]};paid;;2024-07-18\n{ids[-1] + 1000};paid;;2024-07-18\n",
                   encoding="utf-8")
    with pytest.raises(BadInput, match=rf"^ket-qua.csv: row 4, line_id: line {ids[-1] + 1000} is not in run"):
        reconcile.reconcile(run, bad, user=checker)
    assert not PayrollLine.objects.filter(run=run).exclude(result="pending").exists()  # nothing half-written
    bad.write_text(f"line_id;status\n{ids[0]};paid\n{ids[1]};unpaid\n{ids[0]};unpaid\n", encoding="utf-8")
    with pytest.raises(BadInput, match=rf"row 4, line_id: line {ids[0]} is already given in row 2"):
        reconcile.reconcile(run, bad, user=checker)
    bad.write_text(f"line_id;status;amount\n{ids[0]};paid;750000\n{ids[1]};paid;75O000\n", encoding="utf-8")
    with pytest.raises(BadInput, match="row 3, amount: '75O000' is not a whole number"):
        reconcile.reconcile(run, bad, user=checker)
    bad.write_text(f"line_id;status;amount\n{ids[0]};paid;750000\n{ids[1]};paid;740000\n", encoding="utf-8")
    with pytest.raises(BadInput, match=rf"row 3, amount: 740000 đồng for line {ids[1]}, 750000 đồng in run"):
        reconcile.reconcile(run, bad, user=checker)
    assert not PayrollLine.objects.filter(run=run).exclude(result="pending").exists()
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED


def test_export_and_reconcile_a_larger_run_to_the_dong(make_person, commune, users, tmp_path, settings):
    """300 beneficiaries with arrears across the July 2024 change (June 1.5 × 360,000, July-August
    1.5 × 500,000), some with accounts at two banks: every provider file's total and checksum
    match the lines, and a partial then a complete result file reconcile to the đồng."""
    import datetime as dt

    from ansinh.payroll import files

    maker, checker = users
    e = [("tcxh", "5.6-severe", "2024-06")]
    for i in range(300):
        acc = (("970405", "970436")[i % 2], f"{500000000 + i}") if i % 3 else None
        make_person(enrolments=e, account=acc)  # born 1980: an adult, coefficient 1.5
    run = generate.generate("2024-08", commune=commune, user=maker)
    per_person = 540_000 + 2 * 750_000
    assert run.summary["lines"] == 900 and run.summary["total_vnd"] == 300 * per_person
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "out", user=checker, pdf=False)
    seen_total = seen_lines = 0
    for p in paths:
        if p.suffix != ".csv":
            continue
        rows = list(csv.reader(p.open(encoding="utf-8"), delimiter=";"))
        data = rows[1:-2]
        digest = hashlib.sha256("".join(";".join(r) + "\n" for r in data).encode()).hexdigest()
        total = sum(int(r[6]) for r in data)
        assert rows[-2][6] == str(total)
        assert rows[-1] == ["#CHECKSUM", f"lines={len(data)}", f"total_vnd={total}", f"sha256={digest}"]
        seen_total, seen_lines = seen_total + total, seen_lines + len(data)
        if "VNPost" not in p.name:  # one QR image per bank line (a commune's file is small)
            wb = openpyxl.load_workbook(p.with_suffix(".xlsx"))
            assert len(wb.active._images) == len(data)
    assert (seen_lines, seen_total) == (900, 300 * per_person)
    result = tmp_path / "result.csv"
    settings.ANSINH_DEMO = True
    files.write_demo_result(run, result, unpaid_every=7)
    # first only the first half of the file: the run stays exported, the rest pending
    text = result.read_text(encoding="utf-8").splitlines()
    half = tmp_path / "half.csv"
    half.write_text("\n".join(text[:451]) + "\n", encoding="utf-8")
    rep = reconcile.reconcile(run, half, user=checker)
    assert rep["pending"]["lines"] == 450 and rep["balanced"]
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED
    # results are final per line: the whole file again is refused at its first row, then the
    # rest of the file (the provider's second batch) completes the run
    with pytest.raises(BadInput, match=r"^result.csv: row 2, status: line \d+ already has a confirmed result"):
        reconcile.reconcile(run, result, user=checker)
    rest = tmp_path / "rest.csv"
    rest.write_text("\n".join(text[:1] + text[451:]) + "\n", encoding="utf-8")
    rep = reconcile.reconcile(run, rest, user=checker)
    unpaid = [int(r.split(";")[4]) for r in text[1:] if ";unpaid;" in r]
    assert rep["pending"]["lines"] == 0 and rep["unpaid"]["lines"] == len(unpaid) == 900 // 7
    assert rep["unpaid"]["total_vnd"] == sum(unpaid)
    assert rep["paid"]["total_vnd"] + rep["unpaid"]["total_vnd"] == 300 * per_person and rep["balanced"]
    by_provider = rep["by_provider"].values()
    assert sum(v["paid"]["total_vnd"] + v["unpaid"]["total_vnd"] for v in by_provider) == 300 * per_person
    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED
    assert PayrollLine.objects.filter(run=run, result="unpaid", active=False).count() == 900 // 7
    assert PayrollLine.objects.filter(run=run, result="paid", paid_on=dt.date(2024, 8, 20)).count() == 900 - 900 // 7
