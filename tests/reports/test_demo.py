"""On the demo (tests/web/demo_site.py: `ansinh demo setup`, 240 people, November 2024 reconciled,
December 2024 generated): the reports say what the dashboard and the run pages say, and the
progress reports of 06/2024 and 12/2024 on both maps are files LibreOffice opens (converted here)."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import zipfile

import pytest

from ansinh.reports import outputs
from ansinh.reports import selectors as S
from ansinh.reports.periods import parse_period
from tests.web.demo_site import PROVINCE, demo_site  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)


def _user(name):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


@pytest.mark.parametrize("month", ["2024-06", "2024-11", "2024-12"])
@pytest.mark.parametrize("map_", ["old", "new"])
def test_progress_equals_the_dashboard(demo_site, month, map_):  # noqa: F811
    from ansinh.accounts import kpi

    user = _user("tinh")
    p = parse_period(month)
    r = S.build("progress", user, p, PROVINCE, map_)
    day = p.end
    computed = kpi.snapshot_days(user)
    units = kpi.coverage(user, day, "commune", map_, use_snapshot=day in computed)  # what the dashboard reads
    dash = kpi.total(units, day)
    for k in ("beneficiaries", "with_account", "confirmed", "paid_noncash"):
        assert r.figures["total"][k] == dash[k], k
    by_code = {u.unit.code: u for u in units}
    for row in r.figures["rows"]:
        assert row["with_account"] == by_code[row["code"]].counts.with_account
    if month == "2024-11":
        assert r.figures["total"]["paid_noncash"] > 0 and r.figures["total"]["paid_cash"] > 0
    # a commune officer's report is their commune's row of the province's report
    mine = S.build("progress", _user("dongkinh"), p, None, map_)
    assert mine.figures["total"]["beneficiaries"] == sum(
        row["beneficiaries"] for row in mine.figures["rows"])


def test_payroll_equals_the_run_totals(demo_site):  # noqa: F811
    from ansinh.payroll import selectors as P
    from ansinh.payroll.models import PayrollRun

    user = _user("tinh")
    for month in ("2024-11", "2024-12"):
        r = S.build("payroll", user, parse_period(month), PROVINCE, "new")
        runs = list(P.runs(user).filter(period=month).exclude(status="cancelled"))
        assert runs, month
        tots = [P.totals(user, run) for run in runs]
        assert r.figures["total"]["lines"] == sum(t["lines"] for t in tots)
        assert r.figures["total"]["total_amount"] == sum(t["total_vnd"] for t in tots)
        chan = {row["label"]: row["total_amount"]
                for row in next(t for t in r.tables if t.title == "Theo kênh chi trả").rows}
        kinds = next(t for t in r.tables if t.title == "Theo loại bảng chi trả")
        assert kinds.total["total_amount"] == r.figures["total"]["total_amount"]
        for t in tots:
            for g in t["by_channel"]:
                assert chan[g["label"]] >= g["total"]
    nov = PayrollRun.objects.get(period="2024-11")
    paid = sum(1 for _ in nov.lines.filter(result="paid"))
    assert S.build("payroll", user, parse_period("2024-11"), PROVINCE, "old").figures["total"]["paid"] == paid


def test_files_open_in_libreoffice(demo_site, tmp_path):  # noqa: F811
    from docx import Document
    from openpyxl import load_workbook

    from ansinh.formats import vn_number
    from ansinh.outreach.rendering import soffice_path

    user = _user("tinh")
    files = []
    for month in ("2024-06", "2024-12"):
        for map_ in ("old", "new"):
            r = S.build("progress", user, parse_period(month), PROVINCE, map_)
            for fmt in ("xlsx", "docx"):
                path = tmp_path / outputs.file_name(r, fmt)
                path.write_bytes(outputs.render(r, fmt, day=dt.date(2024, 12, 31)))
                files.append((path, r))
    pay = S.build("payroll", user, parse_period("2024-11"), PROVINCE, "new")
    for fmt in ("xlsx", "docx"):
        path = tmp_path / outputs.file_name(pay, fmt)
        path.write_bytes(outputs.render(pay, fmt))
        files.append((path, pay))
    total = pay.figures["total"]["total_amount"]
    assert total >= 1_000_000
    for path, r in files:
        if path.suffix == ".xlsx":
            ws = load_workbook(path).active
            numeric = [c for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]
            assert numeric and {c.number_format for c in numeric} <= {"#,##0", "0.0"}
            key = "beneficiaries" if r.code == "progress" else "total_amount"
            assert any(c.value == r.figures["total"][key] for c in numeric)
        else:
            text = "\n".join(c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells)
            if r.code == "payroll":
                assert vn_number(total) in text and "." in vn_number(total)  # 1.000.000, never 1,000,000
            assert "Phụ lục" in "\n".join(p.text for p in Document(str(path)).paragraphs)
        with zipfile.ZipFile(path) as z:
            assert z.testzip() is None
    if soffice_path() is None:
        pytest.fail("LibreOffice (soffice) is needed for this test")
    out = tmp_path / "pdf"
    subprocess.run([soffice_path(), f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(out), *[str(p) for p, _ in files]],
                   check=True, capture_output=True, timeout=300)
    from pypdf import PdfReader

    for path, r in files:
        pdf = out / (path.stem + ".pdf")
        assert pdf.exists(), path.name
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages)
        assert r.unit_label in text or r.unit_label.upper() in text
        if path.suffix == ".docx" and r.code == "payroll":
            assert vn_number(total) in text
