"""Issue 12 (exports): amounts and counts in the files a person reads show Vietnamese grouping:
PDF and .docx `1.234.567`, .xlsx numbers with the format `#,##0`. Each test reads the produced
file back (pypdf, python-docx, openpyxl)."""
from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import openpyxl
import pytest

from ansinh.core.masking import for_user
from ansinh.core.roles import OPERATOR
from ansinh.formats import vn_number

UNGROUPED = re.compile(r"\b\d{4,}\b")


def test_vn_number():
    assert [vn_number(n) for n in (0, 999, 1000, 60_723, 1_000_000, 46_693_750_000, -5000)] == [
        "0", "999", "1.000", "60.723", "1.000.000", "46.693.750.000", "-5.000"]


def _totals_rows():
    from ansinh.outreach.models import METRICS

    return [{"label": "Xã Hữu Lũng", "reports": 1_234, **{f: 12_345 + i for i, (f, _) in enumerate(METRICS)}},
            {"label": "=1+1", "reports": 3, **{f: 7 for f, _ in METRICS}}]


def test_outreach_totals_docx_groups_counts():
    from docx import Document

    from ansinh.outreach.selectors import totals_docx

    doc = Document(io.BytesIO(totals_docx(_totals_rows(), "Tổng hợp")))
    cells = [c.text for row in doc.tables[0].rows[1:] for c in row.cells]
    assert "1.234" in cells and "12.345" in cells and "12.346" in cells and "7" in cells
    assert not [c for c in cells if UNGROUPED.search(c)]


def test_outreach_totals_xlsx_counts_are_numbers_with_grouping():
    from ansinh.outreach.selectors import totals_xlsx

    ws = openpyxl.load_workbook(io.BytesIO(totals_xlsx(_totals_rows(), "Tổng hợp"))).active
    reports = ws.cell(3, 2)
    assert reports.value == 1_234 and reports.data_type == "n" and reports.number_format == "#,##0"
    assert ws.cell(3, 3).value == 12_345 and ws.cell(3, 3).number_format == "#,##0"
    assert ws.cell(4, 1).value == "'=1+1"  # still no live formula


def _people(n: int) -> list[dict]:
    person = SimpleNamespace(full_name="Lò Thị Mai", dob_display="01/02/1950", id_number="020080000001", phone="")
    return [{"person": person, "village": "Thôn Nà Sla", "missing_labels": ["Thiếu số tài khoản"],
             "bring": "Căn cước", "authorised": []} for _ in range(n)]


def test_account_outreach_pdf_and_xlsx_group_the_count():
    from pypdf import PdfReader

    from ansinh.accounts.exports import outreach_pdf, outreach_xlsx
    from ansinh.core.pdf import unicode_fonts

    unit = SimpleNamespace(name="Xã Hữu Lũng")
    rows = _people(1_203)
    day = dt.date(2024, 12, 31)
    ws = openpyxl.load_workbook(io.BytesIO(outreach_xlsx(unit, rows, day, for_user(OPERATOR)))).active
    assert ws.cell(2, 1).value == "Tính đến ngày 31/12/2024; 1.203 người"
    if unicode_fonts() is None:
        pytest.fail("no Unicode TrueType font on this machine (fonts-dejavu-core): the PDF cannot be checked")
    text = PdfReader(io.BytesIO(outreach_pdf(unit, rows, day, for_user(OPERATOR)))).pages[0].extract_text()
    assert "1.203 người" in text and "1203" not in text
