"""Fixtures of the registry database tests: demo lists (generated once per session), small
hand-written lists, users with a scope."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

# Current communes of Lạng Sơn used throughout (post-2025 codes).
DONG_KINH = "05977"   # Phường Đông Kinh (Vĩnh Trại + Đông Kinh + … merged into it)
KY_LUA = "06187"      # Phường Kỳ Lừa
PROVINCE = "20"       # Lạng Sơn


@pytest.fixture(scope="session")
def demo_lists(tmp_path_factory) -> Path:
    """1,500 people in 194 commune lists of Lạng Sơn (plus ground_truth.csv), made once."""
    from ansinh.registry.demo_lists import generate

    out = tmp_path_factory.mktemp("demo1500")
    generate(province_code=PROVINCE, people=1500, seed=1, out_dir=out)
    return out


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    """Uploaded files go to a temporary VAR_DIR, not the working tree's var/."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def officer(db):
    """officer(username, unit_code, role="commune_officer") -> a logged-in-able user (password Mk-thu-nghiem-2024)."""
    from ansinh.core.services import upsert_user

    def make(username: str, unit_code: str, role: str = "commune_officer"):
        return upsert_user(username, "Mk-thu-nghiem-2024", roles=[role], unit_codes=[unit_code])

    return make


HEADER = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "Diện đối tượng", "Số tài khoản",
          "Ngân hàng", "Số điện thoại", "Địa chỉ"]


def write_list(path: Path, rows: list[list], *, commune: str = "PHƯỜNG ĐÔNG KINH", period: str = "01 năm 2024",
               header: list[str] | None = None, district: str = "") -> Path:
    """A small .xlsx list as a commune would send it: title rows, one header row, data rows
    (each row = values for HEADER minus the STT column), a totals row."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if district:
        ws.append([f"UBND {district}"])
    ws.append([f"UBND {commune}", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    ws.append(["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"])
    ws.append([f"Tháng {period}"])
    ws.append(header or HEADER)
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    ws.append(["Tổng cộng"])
    wb.save(path)
    return path


def person_row(name="Nguyễn Văn An", dob="05/03/1940", gender="Nam", id_number="020040001234", village="Khối 1",
               category="Người cao tuổi từ đủ 80 tuổi không có lương hưu", account="", bank="", phone="", address=""):
    return [name, dob, gender, id_number, village, category, account, bank, phone, address]


@pytest.fixture
def small_list(tmp_path):
    def make(rows, name="ds.xlsx", **kw) -> Path:
        return write_list(tmp_path / name, rows, **kw)

    return make


def registry_counts() -> dict:
    from ansinh.registry import models as m

    return {model.__name__: model.objects.count() for model in (
        m.Person, m.Enrolment, m.AuthorisedPerson, m.PaymentAccount, m.ChangeLog, m.ImportBatch, m.ImportRow,
        m.QualityIssue)}


TODAY = dt.date.today()
