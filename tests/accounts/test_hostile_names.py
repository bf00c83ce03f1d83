"""Issue 11, item 9: markup in a name crashed the commune's outreach PDF (500). Item 8: the outreach
workbook carried names as live formulas. Item 14: the bank-list upload names the file by its
client name only and says when that name is too long."""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from ansinh.accounts.models import BankListImport
from ansinh.core.models import Job

from .conftest import make_person

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","y")'
MARKUP = ["<b>Bold", "<font name=x>Phong", "Lo & Hoa", "<para>Vi Van", "Ha </i> Tong", "<a href=x>Link",
          "<img src=x/>Anh", "Le &amp; Ly", "<br>Nong", "Be <u"]


@pytest.fixture
def hostile_town(town):
    dk = town["dong_kinh"]
    people = [make_person(100 + i, dk, dk, name=n, village="Khối <9> & \"Bản\"") for i, n in enumerate(MARKUP)]
    people.append(make_person(200, dk, dk, name=FORMULA, village="@Khối 1"))
    return dk, people


def _login(officer, unit_code="05977") -> Client:
    officer("dk_h", unit_code)
    c = Client()
    assert c.login(username="dk_h", password="Mk-thu-nghiem-2024")
    return c


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_outreach_pdf_with_markup_in_names_is_a_valid_pdf_showing_them_literally(hostile_town, officer):
    dk, people = hostile_town
    c = _login(officer)
    for query in ({}, {"village": 'Khối <9> & "Bản"'}):
        r = c.get(f"/accounts/units/{dk.pk}/outreach.pdf", query)
        assert r.status_code == 200, r.content[:300]
        assert r.content.startswith(b"%PDF-")
        text = _squash("".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages))
        for name in MARKUP:
            assert _squash(name) in text, name
        assert _squash('<9>&"Bản"') in text


def test_outreach_workbook_has_no_live_formula(hostile_town, officer):
    dk, _people = hostile_town
    r = _login(officer).get(f"/accounts/units/{dk.pk}/outreach.xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [cl.coordinate for cl in cells if cl.data_type == "f"]
    values = [cl.value for cl in cells]
    assert "'" + FORMULA in values and "'@Khối 1" in values and FORMULA not in values
    assert "<b>Bold" in values  # markup is only text in a workbook


def test_bank_list_upload_names_the_file_only_and_says_when_the_name_is_too_long(town, officer, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    officer("tinh_n", "20", role="province_officer")
    c = Client()
    assert c.login(username="tinh_n", password="Mk-thu-nghiem-2024")
    long_name = "agribank_" + "x" * 400 + ".xlsx"
    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile(long_name, b"PK\x03\x04")})
    body = r.content.decode()
    assert r.status_code == 400 and "tên tệp quá dài" in body and "chỉ nhận tệp" not in body
    assert long_name not in body
    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("D:\\tai-lieu\\ds.pdf", b"%PDF-1.4")})
    body = r.content.decode()
    assert r.status_code == 400 and "ds.pdf: chỉ nhận tệp" in body and "tai-lieu" not in body
    assert str(settings.VAR_DIR) not in body
    assert not BankListImport.objects.exists() and not Job.objects.exists()
    uploads = Path(settings.VAR_DIR) / "uploads"
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]
