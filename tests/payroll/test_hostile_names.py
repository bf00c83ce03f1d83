"""Issue 11, item 8: provider files (.csv for the banks, the commune's .xlsx with QR images, the
province's streamed .xlsx, the cash list) never carry a name as a live formula; amounts stay
numbers and the checksum matches what is written. Item 9: the cash list PDF with markup in names
is a valid PDF showing them literally."""
from __future__ import annotations

import csv
import hashlib
import io
import re

import openpyxl
import pytest
from pypdf import PdfReader

from ansinh.payroll import approval, generate

FORMULA = '=HYPERLINK("http://x","y")'
MARKUP = ["<b>Bold", "<font name=x>Phong", "Lo & Hoa", "<para>Vi", "Ha </i> Tong"]
E = [("tcxh", "5.6-severe", "2024-07")]


def _cells(path) -> list:
    ws = openpyxl.load_workbook(path).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], f"a formula cell in {path.name}"
    return [c.value for c in cells]


def _csv(path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8"), delimiter=";"))


@pytest.mark.parametrize("scope", ["commune", "province"])
def test_provider_files_have_no_live_formula(make_person, commune, users, tmp_path, scope):
    maker, checker = users
    make_person(enrolments=E, account=("970405", "100200300"), name=FORMULA)
    make_person(enrolments=E, name="@Lò Thị Mai")  # cash
    make_person(enrolments=E, account=("970405", "100200301"), name="Nguyễn Văn An")
    kw = {"commune": commune} if scope == "commune" else {"province_code": "20"}
    run = generate.generate("2024-07", user=maker, **kw)
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "out", pdf=False, user=checker)
    agri_csv = next(p for p in paths if p.name.endswith("Agribank.csv"))
    rows = _csv(agri_csv)
    data = rows[1:-2]
    names = [r[3] for r in data]
    assert "'" + FORMULA in names and FORMULA not in names and "Nguyễn Văn An" in names
    assert not [f for r in rows for f in r if f.startswith(("=", "+", "@", "\t", "\r"))]
    assert [r[6] for r in data] == ["750000", "750000"]  # amounts as written, unchanged
    assert {r[10] for r in data} == {"100200300", "100200301"}  # account numbers exact
    digest = hashlib.sha256("".join(";".join(r) + "\n" for r in data).encode()).hexdigest()
    assert rows[-1][-1] == f"sha256={digest}"  # the checksum is over what the bank receives
    values = _cells(next(p for p in paths if p.name.endswith("Agribank.xlsx")))
    assert "'" + FORMULA in values and FORMULA not in values and 750_000 in values
    cash = _cells(next(p for p in paths if p.name.endswith("VNPost.xlsx")))
    assert "'@Lò Thị Mai" in cash and 750_000 in cash
    assert not [f for r in _csv(next(p for p in paths if p.name.endswith("VNPost.csv"))) for f in r
                if f.startswith(("=", "+", "@"))]


def test_cash_list_pdf_with_markup_in_names(make_person, commune, users, tmp_path):
    maker, checker = users
    for n in [*MARKUP, FORMULA]:
        make_person(enrolments=E, name=n)
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "pdf", pdf=True, user=checker)
    pdf = next(p for p in paths if p.suffix == ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages))
    for n in [*MARKUP, FORMULA]:
        assert re.sub(r"\s+", "", n) in text, n
