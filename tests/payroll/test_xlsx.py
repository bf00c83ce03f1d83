"""The payroll .xlsx sheets (decision 0014): amounts are numbers shown `#,##0`, months and dates
real dates, IDs and account numbers text with their leading zeros, no live formula. Read back
with openpyxl; the hand-written writer is checked cell by cell against XlsxWriter's."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from ansinh.payroll import approval

from ansinh.payroll import generate
from ansinh.payroll.files import BANK_KINDS, CASH_KINDS
from ansinh.payroll.xlsx import AMOUNT, BORDER, DATE, HEADER, INT, MONTH, TEXT, Sheet, StreamSheet

KINDS = (INT, TEXT, TEXT, MONTH, AMOUNT, DATE, TEXT)
ROWS = [
    [1, "000123456789", "Lò Thị Mai", "2024-07", 750_000, dt.date(2024, 7, 18), "0012345678"],
    [2, "001987654321", '=HYPERLINK("http://x","y")', "2024-08", 1_234_567_890, dt.date(2024, 12, 31), "@x"],
    [3, "", "Tab\there\x01", "2024-12", 0, None, "+84912345678"],
]


def _write(cls, path):
    s = cls(path, "Thử", (6, 14, 20, 9, 14, 12, 14), landscape=True, print_title_row=1)
    s.row(["STT", "Số định danh", "Họ tên", "Tháng", "Số tiền", "Ngày", "Tài khoản"], HEADER)
    for r in ROWS:
        s.row(r, BORDER, kinds=KINDS)
    s.row(["", "", "TỔNG CỘNG", "", sum(r[4] for r in ROWS), "", ""], HEADER, kinds=KINDS)
    s.row(["Ngày lập", dt.date(2024, 9, 1)])
    return s.close()


def _cells(path):
    ws = openpyxl.load_workbook(path).active
    return ws, [[(c.value, c.number_format, c.data_type, bool(c.font.b), c.border.left.style) for c in row]
                for row in ws.iter_rows()]


@pytest.mark.parametrize("cls", [StreamSheet, Sheet])
def test_typed_cells_read_back(cls, tmp_path):
    ws, _ = _cells(_write(cls, tmp_path / "t.xlsx"))
    amount = ws.cell(2, 5)
    assert amount.value == 750_000 and amount.data_type == "n" and amount.number_format == "#,##0"
    assert ws.cell(3, 5).value == 1_234_567_890 and ws.cell(3, 5).number_format == "#,##0"
    month = ws.cell(2, 4)
    assert month.value == dt.datetime(2024, 7, 1) and month.is_date and month.number_format == "mm/yyyy"
    day = ws.cell(3, 6)
    assert day.value == dt.datetime(2024, 12, 31) and day.is_date and day.number_format == "dd/mm/yyyy"
    assert ws.cell(6, 2).value == dt.datetime(2024, 9, 1) and ws.cell(6, 2).number_format == "dd/mm/yyyy"
    for ref, value in (("B2", "000123456789"), ("G2", "0012345678"), ("B3", "001987654321")):
        assert ws[ref].value == value and ws[ref].data_type == "s" and ws[ref].number_format == "@"  # zeros kept
    assert ws["A2"].value == 1 and ws["A2"].number_format in ("0", "General")
    # no live formula: the formula-looking name carries a leading quote, a plain phone number does not
    assert ws["C3"].value == "'=HYPERLINK(\"http://x\",\"y\")" and ws["C3"].data_type == "s"
    assert ws["G3"].value == "'@x" and ws["G4"].value == "+84912345678"
    assert ws["C4"].value == "Tab\there"  # a control character a sheet cannot carry is dropped
    assert ws["E5"].value == 1_234_567_890 + 750_000 and ws["E5"].number_format == "#,##0"
    assert ws["C5"].font.b and ws["C5"].border.left.style == "thin" and ws["C5"].alignment.horizontal == "center"
    assert ws["D5"].border.left.style == "thin" and ws["D5"].value is None  # bordered blank
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_hand_written_writer_matches_xlsxwriter(tmp_path):
    """Same rows through both writers: the same values, kinds, formats, fonts and borders."""
    _, by_hand = _cells(_write(StreamSheet, tmp_path / "hand.xlsx"))
    _, by_lib = _cells(_write(Sheet, tmp_path / "lib.xlsx"))

    def norm(rows):  # XlsxWriter writes INT as "0", trailing empty cells differ by writer
        out = []
        for row in rows:
            cells = [(v, "0" if f == "General" and isinstance(v, int) else f, t, b, s) for v, f, t, b, s in row]
            while cells and cells[-1][0] is None and cells[-1][4] is None:
                cells.pop()
            out.append(cells)
        return out

    assert norm(by_hand) == norm(by_lib)


@pytest.fixture
def province_files(make_person, commune, users, tmp_path):
    maker, checker = users
    e = [("tcxh", "5.6-severe", "2024-07")]
    make_person(enrolments=e, account=("970405", "0100200300"))
    make_person(enrolments=e)  # cash
    run = generate.generate("2024-07", province_code="20", user=maker)
    approval.approve(run, checker)
    return approval.export(run, tmp_path / "out", user=checker, pdf=False)


def test_province_bank_sheet_amounts_are_numbers(province_files):
    ws = openpyxl.load_workbook(next(p for p in province_files if p.name.endswith("Agribank.xlsx"))).active
    header = [c.value for c in ws[4]]
    line = {h: c for h, c in zip(header, ws[5], strict=False)}
    assert len(BANK_KINDS) == len(header)
    assert line["so_tien"].value == 750_000 and line["so_tien"].data_type == "n"
    assert line["so_tien"].number_format == "#,##0"
    assert line["thang"].value == dt.datetime(2024, 7, 1) and line["thang"].number_format == "mm/yyyy"
    assert line["so_dinh_danh"].value.startswith("020080") and line["so_dinh_danh"].number_format == "@"
    assert line["so_tai_khoan"].value == "0100200300" and line["so_tai_khoan"].data_type == "s"
    assert line["ngan_hang_bin"].value == "970405" and line["ngan_hang_bin"].data_type == "s"
    total = next(r for r in ws.iter_rows() if r[0].value == "TONG")
    assert total[6].value == 750_000 and total[6].number_format == "#,##0"


def test_cash_list_amounts_months_and_date(province_files):
    from django.utils import timezone

    ws = openpyxl.load_workbook(next(p for p in province_files if p.name.endswith("VNPost.xlsx"))).active
    assert len(CASH_KINDS) == len([c for c in ws[4] if c.value])
    row = ws[5]
    assert row[7].value == 750_000 and row[7].number_format == "#,##0" and row[7].border.left.style == "thin"
    assert row[6].value == dt.datetime(2024, 7, 1) and row[6].number_format == "mm/yyyy"
    assert row[3].value == 1980 and row[3].number_format in ("0", "General")  # a year is not 1.980
    made = next(r for r in ws.iter_rows() if r[7].value == "Ngày lập:")
    assert made[8].value.date() == timezone.localdate() and made[8].number_format == "dd/mm/yyyy"


def test_commune_bank_sheet_with_images_is_typed_too(make_person, commune, users, tmp_path):
    maker, checker = users
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")], account=("970405", "0100200300"))
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "out", user=checker, pdf=False)
    ws = openpyxl.load_workbook(next(p for p in paths if p.name.endswith("Agribank.xlsx"))).active
    assert len(ws._images) == 1 and ws._images[0].anchor._from.row == 4  # beside its line (row 5)
    assert ws.cell(5, 7).value == 750_000 and ws.cell(5, 7).number_format == "#,##0"
    assert ws.cell(5, 11).value == "0100200300" and ws.cell(5, 11).number_format == "@"
    assert ws.row_dimensions[5].height == 75
