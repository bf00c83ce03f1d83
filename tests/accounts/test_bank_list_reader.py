"""Issue 19: a bank's list is read the way a commune list is (ansinh.registry.reader's grid loader,
legacy-font decoding, header vocabulary and cell conversions): .xls/.xlsx/.csv give the same rows,
a list typed in TCVN3 or VNI reads as Unicode, the commune lists' header variants are recognised,
a bad row is named with its file, row and field.

fixtures/agribank-tcvn3.xls is `sheet()` in TCVN3 saved by LibreOffice (`soffice --headless
--convert-to xls` of `write_xlsx(path, sheet(unicode_to_tcvn3))`)."""
from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from ansinh.accounts.bank_lists import FROM_COMMUNE_LIST, bank_column, import_bank_list, parse_bank_list
from ansinh.core.jobs import BadInput
from ansinh.registry.models import PaymentAccount, QualityIssue
from ansinh.registry.reader import map_header
from ansinh.core.roles import OPERATOR
from ansinh.text.legacy import unicode_to_tcvn3, unicode_to_vni

from .conftest import D

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = ["STT", "Họ tên chủ tài khoản", "Số CCCD", "Số tài khoản", "Ngày mở tài khoản", "Ngân hàng"]


def sheet(encode=lambda s: s, *, numeric_ids: bool = True) -> list[list]:
    """A bank's list of opened accounts as banks print it: a title, the header, two accounts of
    persons of the `town` fixture (the first ID typed as a number: Excel dropped its leading
    zero), the totals row, a blank row, the signature footer."""
    e = encode
    return [
        [e("NGÂN HÀNG NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN - DANH SÁCH TÀI KHOẢN ĐÃ MỞ THÁNG 4/2024")],
        [e(h) for h in HEADER],
        [1, e("Hoàng Văn Ba"), 20140000002 if numeric_ids else "020140000002", "8300999988887",
         D(2024, 4, 2) if numeric_ids else "02/04/2024", "Agribank"],
        [2, e("Lý Thị Bốn"), "020140000004", "8300 5555 66667", "10/04/2024", "Agribank"],
        [e("Tổng cộng: 2 tài khoản")],
        [],
        [None, e("Người lập biểu"), None, e("Kế toán trưởng"), None, e("Giám đốc chi nhánh")],
    ]


def write_xlsx(path: Path, rows) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_csv(path: Path, rows, encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows([["" if v is None else v for v in r] for r in rows])
    text = buf.getvalue()
    if encoding == "cp1258":  # Windows Vietnamese: letters with their shape, tone marks combining
        text = "".join(_cp1258_letter(ch) for ch in text)
    path.write_bytes(text.encode(encoding))
    return path


def _cp1258_letter(ch: str) -> str:
    tones = "\u0300\u0301\u0303\u0309\u0323"
    parts = unicodedata.normalize("NFD", ch)
    return unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones)) + "".join(
        c for c in parts if c in tones)


EXPECTED = [
    {"row": 3, "name": "Hoàng Văn Ba", "id_number": "020140000002", "account": "8300999988887",
     "day": D(2024, 4, 2), "provider": "970405"},
    {"row": 4, "name": "Lý Thị Bốn", "id_number": "020140000004", "account": "8300555566667",
     "day": D(2024, 4, 10), "provider": "970405"},
]


def test_xls_xlsx_and_csv_in_a_legacy_font_read_the_same(tmp_path):
    files = {
        "xls (TCVN3, LibreOffice)": FIXTURES / "agribank-tcvn3.xls",
        "xlsx (TCVN3)": write_xlsx(tmp_path / "tcvn3.xlsx", sheet(unicode_to_tcvn3)),
        "xlsx (VNI)": write_xlsx(tmp_path / "vni.xlsx", sheet(unicode_to_vni)),
        "xlsx (Unicode)": write_xlsx(tmp_path / "unicode.xlsx", sheet()),
        "csv (TCVN3 bytes)": write_csv(tmp_path / "tcvn3.csv", sheet(unicode_to_tcvn3, numeric_ids=False),
                                       "latin-1"),
        "csv (VNI bytes)": write_csv(tmp_path / "vni.csv", sheet(unicode_to_vni, numeric_ids=False), "latin-1"),
        "csv (Windows-1258)": write_csv(tmp_path / "cp1258.csv", sheet(numeric_ids=False), "cp1258"),
        "csv (UTF-8)": write_csv(tmp_path / "utf8.csv", sheet(numeric_ids=False), "utf-8"),
    }
    for label, path in files.items():
        assert parse_bank_list(path) == EXPECTED, label


def test_a_tcvn3_xls_list_links_its_holders(town):
    rep = import_bank_list(FIXTURES / "agribank-tcvn3.xls", user=OPERATOR)
    assert (rep["rows"], rep["created"], rep["linked"], rep["holder_mismatch"]) == (2, 2, 2, 0)
    acc = PaymentAccount.objects.get(person=town["p2"], account_number="8300999988887")
    assert acc.holder_name == "HOÀNG VĂN BA" and acc.registered_on == D(2024, 4, 2) and acc.provider == "970405"


@pytest.mark.parametrize("name, id_number, account, day, bank", [
    ("Họ và tên", "Số định danh cá nhân", "Số TK", "Ngày mở", "Tên ngân hàng"),
    ("HỌ TÊN", "Số CMND/CCCD", "Tài khoản", "Ngày", "Nơi mở TK"),
    ("Tên chủ TK", "Căn cước công dân", "Số tài khoản/thẻ", "Ngày mở tài khoản", "Ngân hàng"),
    ("Tên khách hàng", "Số giấy tờ", "Số tài khoản", "Ngày mở", "BIN"),
    ("Holder name", "ID", "Account", "Date", "Bank"),
])
def test_header_variants(tmp_path, name, id_number, account, day, bank):
    rows = [["DANH SÁCH TÀI KHOẢN"], [name, id_number, account, day, bank],
            ["HOANG VAN BA", "020140000002", "8300999988887", "02/04/2024", "970405"]]
    got = parse_bank_list(write_xlsx(tmp_path / "v.xlsx", rows))
    assert [(r["name"], r["id_number"], r["account"], r["day"], r["provider"]) for r in got] == [
        ("HOANG VAN BA", "020140000002", "8300999988887", D(2024, 4, 2), "970405")]


@pytest.mark.parametrize("text", [
    "Họ và tên", "HỌ TÊN", "Tên chủ tài khoản", "Chủ TK", "Số CCCD", "Số định danh", "CMND", "Căn cước",
    "Số tài khoản", "Số TK", "Tài khoản", "Ngân hàng", "Nơi mở TK", "Tên NH",
])
def test_the_commune_lists_header_mapper_names_the_shared_columns(text):
    assert bank_column(text) == FROM_COMMUNE_LIST[map_header(text)]


def test_the_holder_column_wins_over_the_beneficiary_name(town, tmp_path):
    """A list with both the beneficiary's name and the holder's: the holder is who the account is in."""
    rows = [["Họ tên đối tượng", "Tên chủ tài khoản", "Số CCCD", "Số tài khoản", "Ngày mở"],
            ["Hoàng Văn Ba", "HOANG THI CON", "020140000002", "8300999988887", "02/04/2024"]]
    [row] = parse_bank_list(write_xlsx(tmp_path / "two-names.xlsx", rows), "970405")
    assert row["name"] == "HOANG THI CON"


def test_an_id_number_that_lost_its_leading_zero_is_restored(town, tmp_path):
    """Excel keeps an ID typed as a number without its leading 0: the commune reader restores it."""
    rows = [["Họ tên", "Số CCCD", "Số tài khoản", "Ngày mở"], ["HOANG VAN BA", 20140000002, "8300999988887",
                                                               "02/04/2024"]]
    rep = import_bank_list(write_xlsx(tmp_path / "so.xlsx", rows), user=OPERATOR, provider="970405")
    assert (rep["linked"], rep["unmatched"]) == (1, 0)


def test_totals_and_signature_rows_are_not_accounts(town, tmp_path):
    rows = sheet()
    rows[-1] = [None, "Người lập biểu", None, "Kế toán", None, "Giám đốc"]
    rep = import_bank_list(write_xlsx(tmp_path / "chu-ky.xlsx", rows), user=OPERATOR)
    assert (rep["rows"], rep["created"], rep["unmatched"]) == (2, 2, 0)


@pytest.mark.parametrize("cells, where", [
    (["HOANG VAN BA", "020140000002", "8300999988887", "31/02/2024", "Agribank"], "dòng 3, ngày mở:"),
    (["HOANG VAN BA", "020140000002", "8300999988887", "02/04/2024", "Ngân hàng Mặt Trăng"], "dòng 3, ngân hàng:"),
    # 16 digits typed as a number: Excel kept 15 of them
    (["HOANG VAN BA", "020140000002", 8300999988887123, "02/04/2024", "Agribank"], "dòng 3, số tài khoản:"),
])
def test_a_bad_row_is_named_with_file_row_and_field(tmp_path, cells, where):
    path = write_xlsx(tmp_path / "tmpa1b2.xlsx", [["DANH SÁCH"], HEADER[1:], cells])
    with pytest.raises(BadInput) as exc:
        parse_bank_list(path, name="agribank-04.xlsx")
    msg = str(exc.value)
    assert msg.startswith(f"agribank-04.xlsx: {where}") and "\n" not in msg and "tmp" not in msg, msg
    assert "8300999988887" not in msg  # no account number in a message


def test_no_user_links_nobody(town, tmp_path):
    """A user of None fails closed: no person is in its scope (the CLI passes its operator)."""
    path = write_xlsx(tmp_path / "b.xlsx", sheet())
    rep = import_bank_list(path, user=None)
    assert (rep["linked"], rep["unmatched"], rep["created"]) == (0, 2, 0)
    assert not QualityIssue.objects.filter(rule="HOLDER_MISMATCH").exists()
