"""Issue 11, item 8: a name such as =HYPERLINK(…) never becomes a live formula in the person export
(.csv and .xlsx, web and CLI) or in the rejected-rows workbook. Item 14: the list upload names
the file by its client name only and says when that name is too long (not "unsupported type")."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ansinh.core.masking import for_user
from ansinh.core.models import Job
from ansinh.core.roles import OPERATOR
from ansinh.registry import selectors
from ansinh.registry.importing.files import import_file
from ansinh.registry.models import Person

from .conftest import DONG_KINH, HEADER, PROVINCE, person_row

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://x","y")'
OTHERS = ["@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1+1"]


def login(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password="Mk-thu-nghiem-2024")
    return c


def _no_formula(ws) -> list:
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula cell in the workbook"
    return [c.value for c in cells]


def write_csv(path: Path, rows: list[list]) -> Path:
    """A commune list as .csv (text cells stay text: an .xlsx written by openpyxl would turn
    "=…" into a formula, which the readers read as empty)."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["UBND PHƯỜNG ĐÔNG KINH"])
        w.writerow(["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"])
        w.writerow(["Tháng 01 năm 2024"])
        w.writerow(HEADER)
        for i, r in enumerate(rows, 1):
            w.writerow([i, *r])
    return path


@pytest.fixture
def hostile(tmp_path, officer):
    path = write_csv(tmp_path / "hostile.csv", [
        person_row(name=HOSTILE, id_number="020040001111"),                        # imported
        person_row(name="Nguyễn Văn Bình", id_number="020040002222", address=OTHERS[0]),
        person_row(name=HOSTILE, dob="", id_number="020040003333", village=OTHERS[1]),
        person_row(name=HOSTILE + " B", id_number="020040003333", village=OTHERS[2]),  # rejected: same ID
    ])
    rep = import_file(path, OPERATOR, province=PROVINCE)
    assert (rep["imported"], rep["rejected"]) == (3, 1), rep
    return {"rep": rep, "user": officer("oa", DONG_KINH)}


def test_person_export_csv_and_xlsx_have_no_live_formula(hostile, tmp_path):
    p = Person.objects.get(id_number="020040001111")
    stored = p.full_name
    assert stored.startswith("=")  # stored as typed (the reader keeps it): only exports neutralise
    c = login(hostile["user"])
    rows = list(csv.reader(io.StringIO(c.get(reverse("registry:export")).content.decode("utf-8-sig"))))
    names = [r[1] for r in rows[1:]]
    assert "'" + stored in names and stored not in names
    assert not [f for r in rows[1:] for f in r if f.startswith(("=", "+", "@", "\t", "\r"))]
    wb = openpyxl.load_workbook(io.BytesIO(c.get(reverse("registry:export") + "?format=xlsx").content))
    values = _no_formula(wb.active)
    assert "'" + stored in values
    # the CLI writes the same: `ansinh export persons --out FILE.xlsx|.csv`
    selectors.export_xlsx(selectors.persons(OPERATOR), tmp_path / "p.xlsx", for_user(OPERATOR))
    assert "'" + stored in _no_formula(openpyxl.load_workbook(tmp_path / "p.xlsx").active)
    text = "".join(selectors.export_csv_lines(selectors.persons(OPERATOR), for_user(OPERATOR)))
    assert f"'{stored}".replace('"', '""') in text


def test_rejected_rows_workbook_has_no_live_formula(hostile):
    c = login(hostile["user"])
    x = c.get(reverse("registry:batch_rejected", args=[hostile["rep"]["batch"]]))
    assert x.status_code == 200
    values = _no_formula(openpyxl.load_workbook(io.BytesIO(x.content)).active)
    assert "'" + HOSTILE + " B" in values and "'" + OTHERS[2] in values
    assert not [v for v in values if isinstance(v, str) and v.startswith(("=", "+", "@"))]


def test_list_upload_with_a_400_character_name_says_the_name_is_too_long(officer, small_list):
    user = officer("ob", DONG_KINH)
    data = small_list([person_row()], name="ok.xlsx").read_bytes()
    c = login(user)
    long_name = "danh-sach-" + "x" * 390 + ".xlsx"
    r = c.post(reverse("registry:import"), {"file": SimpleUploadedFile(long_name, data)})
    assert r.status_code == 200
    body = r.content.decode()
    assert "tên tệp quá dài" in body and "chỉ nhận tệp" not in body and long_name not in body
    assert not Job.objects.exists()
    uploads = Path(settings.VAR_DIR) / "uploads"
    assert not uploads.exists() or not [p for p in uploads.rglob("*") if p.is_file()]
    # a wrong type names the file by its client name only (no folder, no server path)
    r = c.post(reverse("registry:import"), {"file": SimpleUploadedFile("C:\\fakepath\\ds.pdf", b"%PDF-1.4")})
    body = r.content.decode()
    assert "ds.pdf: chỉ nhận tệp" in body and "fakepath" not in body and str(settings.VAR_DIR) not in body
    # a long but acceptable name keeps its extension on disk, so the reader knows the format
    name = "Danh sách đối tượng bảo trợ xã hội phường Đông Kinh tháng 01 năm 2024 " * 2 + ".xlsx"
    assert len(name) < 200
    r = c.post(reverse("registry:import"), {"file": SimpleUploadedFile(name, data)})
    assert r.status_code == 302
    job = Job.objects.get(kind="registry.import")
    stored = Path(job.params["path"])
    assert stored.suffix == ".xlsx" and len(stored.name.encode()) <= 120 and job.params["file_name"] == name
