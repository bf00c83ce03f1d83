"""read_list on lists laid out the way communes send them (written with openpyxl the way
Excel/LibreOffice write them: merged cells, title rows, numbering row, totals, footers)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.styles import Font

from ansinh.registry.reader import ParsedList, ReadError, map_header, read_list
from ansinh.text.legacy import unicode_to_tcvn3, unicode_to_vni

# --------------------------------------------------------------------------- helpers

PEOPLE = [
    # stt, name, gender, dob cell, id, village, category, coef, amount
    (1, "Nguyễn Văn An", "M", date(1940, 2, 5), "020040123456", "Thôn Nà Pàn", "NCT trên 80 tuổi", 1.0, 360000),
    (2, "Hoàng Thị Nhì", "F", "12/11/1938", "020138654321", "Bản Khau Slư", "Người khuyết tật nặng", 2.0, 720000),
    (3, "Nông Văn Pảo", "M", "1942", "020042111222", "Thôn Pác Cáp", "NKT đặc biệt nặng", 2.5, 900000),
    (4, "Lương Thị Hòa", "F", date(1935, 12, 31), "", "Thôn Nà Pàn", "NCT ≥80 không lương hưu", 1.0, 360000),
]


def _accounting(pl: ParsedList, sheet_rows: int):
    """Every sheet row after the header is either a data row or a skipped row."""
    after = set(range(pl.header_rows[-1] + 1, sheet_rows + 1))
    got = [r.row for r in pl.rows] + [s.row for s in pl.skipped]
    assert len(got) == len(set(got)), "a row is both data and skipped, or twice"
    assert set(got) == after


def write_merged(path, people=PEOPLE, encode=None, font=None, extra_rows=None):
    """Layout (a): title rows, two-row header with Ngày tháng năm sinh over Nam/Nữ,
    numbering row, data, Tổng cộng, blank, footer with merged signature cells."""
    enc = encode or (lambda s: s)
    wb = openpyxl.Workbook()
    ws = wb.active

    def put(r, c, v, bold=False):
        cell = ws.cell(row=r, column=c, value=enc(v) if isinstance(v, str) else v)
        if font or bold:
            cell.font = Font(name=font or "Times New Roman", bold=bold)
        return cell

    put(1, 1, "UBND HUYỆN HỮU LŨNG"); ws.merge_cells("A1:D1")
    put(1, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"); ws.merge_cells("F1:L1")
    put(2, 1, "UBND XÃ MINH TIẾN"); ws.merge_cells("A2:D2")
    put(2, 6, "Độc lập - Tự do - Hạnh phúc"); ws.merge_cells("F2:L2")
    put(4, 1, "DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"); ws.merge_cells("A4:L4")
    put(5, 1, "Tháng 01 năm 2024"); ws.merge_cells("A5:L5")
    put(6, 1, "(Kèm theo Quyết định số 05/QĐ-UBND ngày 02 tháng 12 năm 2023)"); ws.merge_cells("A6:L6")
    top = ["STT", "Họ và tên", "Ngày tháng năm sinh", None, "Số định danh cá nhân", "Thôn, bản",
           "Diện đối tượng", "Hệ số", "Mức trợ cấp\n(đồng)", "Tài khoản nhận trợ cấp", None, "Ghi chú"]
    bot = [None, None, "Nam", "Nữ", None, None, None, None, None, "Số tài khoản", "Ngân hàng", None]
    for c, (t, b) in enumerate(zip(top, bot), 1):
        if t is not None:
            put(8, c, t, bold=True)
        if b is not None:
            put(9, c, b, bold=True)
        if t is not None and b is None:
            ws.merge_cells(start_row=8, start_column=c, end_row=9, end_column=c)
    ws.merge_cells("C8:D8")
    ws.merge_cells("J8:K8")
    for c in range(1, 13):
        put(10, c, f"({c})")
    r = 11
    for stt, name, g, dob, idn, village, cat, coef, amount in people:
        put(r, 1, stt); put(r, 2, name); put(r, 3 if g == "M" else 4, dob)
        if isinstance(dob, date):
            ws.cell(row=r, column=3 if g == "M" else 4).number_format = "dd/mm/yyyy"
        put(r, 5, idn or None); put(r, 6, village); put(r, 7, cat); put(r, 8, coef); put(r, 9, amount)
        r += 1
    for row in extra_rows or ():
        for c, v in enumerate(row, 1):
            if v is not None:
                put(r, c, v)
        r += 1
    put(r, 1, "Tổng cộng"); ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    put(r, 9, sum(p[8] for p in people))
    r += 2
    put(r, 9, "Minh Tiến, ngày 05 tháng 01 năm 2024"); ws.merge_cells(start_row=r, start_column=9, end_row=r, end_column=12)
    r += 1
    put(r, 2, "NGƯỜI LẬP BIỂU", bold=True); ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=3)
    put(r, 9, "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH", bold=True); ws.merge_cells(start_row=r, start_column=9, end_row=r, end_column=12)
    r += 1
    put(r, 2, "(Ký, ghi rõ họ tên)"); put(r, 9, "(Ký tên, đóng dấu)")
    r += 4
    put(r, 2, "Hoàng Thị Mai", bold=True); put(r, 9, "Nông Văn Hùng", bold=True)
    ws.merge_cells(start_row=r, start_column=9, end_row=r, end_column=12)
    wb.save(path)
    return r


def check_merged(pl: ParsedList, last_row: int):
    assert pl.header_rows == [8, 9]
    assert pl.period == "2024-01"
    assert pl.commune_hint == "Xã Minh Tiến"
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pl.title_lines
    assert pl.columns["full_name"] == 1
    assert pl.columns["dob_male"] == 2 and pl.columns["dob_female"] == 3
    assert pl.columns["account_number"] == 9 and pl.columns["bank"] == 10
    assert pl.original_header[0][2] == "Ngày tháng năm sinh"
    assert pl.original_header[1][2:4] == ["Nam", "Nữ"]
    assert [r.row for r in pl.rows] == [11, 12, 13, 14]
    a, b, c, d = (r.values for r in pl.rows)
    assert a["full_name"] == "Nguyễn Văn An" and a["gender"] == "M" and a["dob"] == (date(1940, 2, 5), "day")
    assert b["full_name"] == "Hoàng Thị Nhì" and b["gender"] == "F" and b["dob"] == (date(1938, 11, 12), "day")
    assert c["dob"] == (date(1942, 1, 1), "year") and c["gender"] == "M"
    assert d["gender"] == "F" and d["dob"] == (date(1935, 12, 31), "day") and d["id_number"] is None
    assert a["id_number"] == "020040123456"
    assert a["village"] == "Thôn Nà Pàn" and b["village"] == "Bản Khau Slư"
    assert b["category"] == "Người khuyết tật nặng"
    assert b["coefficient"] == Decimal("2.0") and c["coefficient"] == Decimal("2.5")
    assert a["amount"] == 360000 and b["amount"] == 720000
    assert all(not r.errors for r in pl.rows)
    reasons = {s.row: s.reason for s in pl.skipped}
    assert reasons[10] == "column numbering row"
    assert reasons[15] == "totals row"
    assert reasons[16] == "blank row"
    assert all(reasons[k].startswith("footer") for k in (17, 18, 19, last_row))
    _accounting(pl, last_row)


# --------------------------------------------------------------------------- layouts

def test_two_row_merged_header(tmp_path):
    p = tmp_path / "xa_minh_tien.xlsx"
    last = write_merged(p)
    pl = read_list(p)
    check_merged(pl, last)
    assert pl.legacy_encoding is None
    assert pl.rows[0].raw["dob_male"] == "05/02/1940"
    assert pl.rows[0].cells_text()[1] == "Nguyễn Văn An"


def test_tcvn3_file(tmp_path):
    p = tmp_path / "tcvn3.xlsx"
    last = write_merged(p, encode=unicode_to_tcvn3, font=".VnTime")
    pl = read_list(p)
    assert pl.legacy_encoding == "tcvn3"
    check_merged(pl, last)
    # the header and the title rows are decoded too
    assert pl.original_header[1][3] == "Nữ"
    assert pl.rows[1].raw["full_name"] == "Hoàng Thị Nhì"


def test_vni_file(tmp_path):
    p = tmp_path / "vni.xlsx"
    last = write_merged(p, encode=unicode_to_vni, font="VNI-Times")
    pl = read_list(p)
    assert pl.legacy_encoding == "vni"
    check_merged(pl, last)


def test_legacy_cell_pasted_into_unicode_list(tmp_path):
    people = list(PEOPLE)
    people[1] = (2, unicode_to_tcvn3("Hoàng Thị Nhì"), "F", "12/11/1938", "020138654321", "Bản Khau Slư",
                 "Người khuyết tật nặng", 2.0, 720000)
    p = tmp_path / "mixed.xlsx"
    write_merged(p, people=people)
    pl = read_list(p)
    assert pl.legacy_encoding is None
    assert pl.rows[1].values["full_name"] == "Hoàng Thị Nhì"


def write_single(path, header, rows, title=("DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI THÁNG 1/2024",), sheet=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    if sheet:
        ws.title = sheet
    for t in title:
        ws.append([t])
    ws.append([])
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return wb


def test_single_row_header_variants(tmp_path):
    p = tmp_path / "b.xlsx"
    header = ["TT", "Họ tên", "Năm sinh", "Giới tính", "Số CMND/CCCD", "Địa chỉ", "Đối tượng", "Mức hưởng",
              "Số TK", "Tại ngân hàng", "SĐT", "Cột lạ"]
    rows = [
        (1, "NGUYỄN VĂN  AN", 1940.0, "Nam", 20040123456, "Thôn A, xã B", "NCT trên 80 tuổi", 360000,
         "8300205123456", "Agribank", 912345678, "x"),
        (2, "hoàng thị hoà", "1938", "Nữ", "083123456", "Thôn C", "NKT nặng", "720.000", None, None,
         "01681234567", None),
        (3, "Lê Thị  Mai", 1950, "nữ", "020150000001", None, "Trẻ em mồ côi", "1.080.000", None, None, None, None),
    ]
    write_single(p, header, rows)
    pl = read_list(p)
    assert pl.header_rows == [3]
    assert pl.period == "2024-01"
    assert pl.commune_hint is None
    assert set(pl.columns) >= {"stt", "full_name", "dob", "gender", "id_number", "address", "category",
                               "amount", "account_number", "bank", "phone"}
    assert pl.unmapped_columns == {11: "Cột lạ"}
    a, b, c = (r.values for r in pl.rows)
    assert a["full_name"] == "Nguyễn Văn An"
    assert b["full_name"] == "Hoàng Thị Hòa"          # canonical (old-style) tone placement
    assert a["dob"] == (date(1940, 1, 1), "year") and b["dob"] == (date(1938, 1, 1), "year")
    assert (a["gender"], b["gender"], c["gender"]) == ("M", "F", "F")
    assert a["id_number"] == "020040123456"             # numeric cell: leading 0 restored
    assert b["id_number"] == "083123456"
    assert a["phone"] == "0912345678" and b["phone"] == "01681234567"
    assert a["account_number"] == "8300205123456" and a["bank"] == "Agribank"
    assert a["amount"] == 360000 and b["amount"] == 720000 and c["amount"] == 1080000
    assert a["stt"] == 1
    _accounting(pl, 6)


@pytest.mark.parametrize("header, field", [
    ("STT", "stt"), ("Số TT", "stt"), ("TT", "stt"),
    ("Họ và tên", "full_name"), ("Họ tên", "full_name"), ("Họ tên đối tượng", "full_name"),
    ("HỌ VÀ TÊN ĐỐI TƯỢNG", "full_name"), ("Ho va ten", "full_name"),
    ("Ngày sinh", "dob"), ("Năm sinh", "dob"), ("Ngày tháng năm sinh", "dob"), ("Ngày, tháng, năm sinh", "dob"),
    ("Giới tính", "gender"),
    ("Số CCCD", "id_number"), ("Số định danh cá nhân", "id_number"), ("Số CMND/CCCD", "id_number"),
    ("CCCD", "id_number"), ("Số định danh", "id_number"), ("Số CMND", "id_number"),
    ("Địa chỉ", "address"), ("Nơi ở", "address"), ("Nơi cư trú", "address"),
    ("Thôn/bản", "village"), ("Thôn, bản", "village"), ("Thôn", "village"), ("Bản", "village"),
    ("Khu", "village"), ("Tổ", "village"),
    ("Đối tượng", "category"), ("Diện hưởng", "category"), ("Nhóm đối tượng", "category"),
    ("Diện đối tượng", "category"),
    ("Hệ số", "coefficient"), ("Mức trợ cấp", "amount"), ("Mức hưởng", "amount"), ("Số tiền", "amount"),
    ("Số quyết định", "decision_number"), ("Số QĐ", "decision_number"),
    ("Ngày quyết định", "decision_date"), ("Ngày QĐ", "decision_date"),
    ("Hưởng từ tháng", "start_month"), ("Thời điểm hưởng", "start_month"),
    ("Số tài khoản", "account_number"), ("Số TK", "account_number"),
    ("Ngân hàng", "bank"), ("Tại ngân hàng", "bank"), ("Chủ tài khoản", "account_holder"),
    ("Người được ủy quyền", "authorised_person"), ("Người nhận thay", "authorised_person"),
    ("Số điện thoại", "phone"), ("SĐT", "phone"), ("Điện thoại", "phone"),
    ("Ghi chú", "note"), ("Dân tộc", "ethnicity"),
    ("Quê quán", None), ("Nơi sinh", None), ("Họ tên chủ hộ", None),
])
def test_header_aliases(header, field):
    assert map_header(header) == field


def test_csv_semicolon_utf8_bom(tmp_path):
    p = tmp_path / "xa_c.csv"
    text = ("DANH SÁCH ĐỐI TƯỢNG THÁNG 01/2024\r\n"
            "STT;Họ và tên;Ngày sinh;Giới tính;Số CCCD;Thôn;Đối tượng;Hệ số;Số tiền\r\n"
            "1;Nguyễn Văn An;05/02/1940;Nam;020040123456;Thôn A;NCT trên 80 tuổi;1,0;360.000\r\n"
            "2;\"Hoàng Thị; Nhì\";12-11-1938;Nữ;;Thôn B;NKT nặng;1,5;540.000\r\n"
            ";;;;;;;;\r\n"
            "Tổng cộng;;;;;;;;900.000\r\n")
    p.write_bytes(text.encode("utf-8-sig"))
    pl = read_list(p)
    assert pl.sheet is None and pl.header_rows == [2] and pl.period == "2024-01"
    a, b = (r.values for r in pl.rows)
    assert a["full_name"] == "Nguyễn Văn An" and a["coefficient"] == Decimal("1.0") and a["amount"] == 360000
    assert b["full_name"] == "Hoàng Thị; Nhì" and b["dob"] == (date(1938, 11, 12), "day")
    assert b["id_number"] is None
    assert [s.reason for s in pl.skipped] == ["blank row", "totals row"]
    _accounting(pl, 6)


def test_csv_cp1258_and_tab(tmp_path):
    p = tmp_path / "xa_d.csv"
    # Windows-1258 stores the tone marks as combining characters
    text = "STT\tHọ và tên\tNăm sinh\n1\tNguyễn Thị Hà\t1941\n"
    import unicodedata
    data = unicodedata.normalize("NFD", text)
    # cp1258 has precomposed â ê ô ơ ư ă đ: recompose those letters, keep the tone marks combining
    data = (data.replace("e\u0302", "ê").replace("a\u0302", "â").replace("o\u0302", "ô")
            .replace("o\u031b", "ơ").replace("u\u031b", "ư").replace("a\u0306", "ă"))
    p.write_bytes(data.encode("cp1258"))
    pl = read_list(p)
    assert pl.rows[0].values["full_name"] == "Nguyễn Thị Hà"
    assert pl.rows[0].values["dob"] == (date(1941, 1, 1), "year")


def test_csv_comma_with_title_and_tcvn3_bytes(tmp_path):
    p = tmp_path / "xa_e.csv"
    lines = ["DANH SÁCH", "STT,Họ và tên,Ngày sinh,Số CCCD", "1,Nguyễn Thị Bảo,05/02/1940,020140123456",
             "2,Lương Văn Tuấn,1945,", "Người lập biểu", "Hoàng Văn Nam"]
    p.write_bytes("\r\n".join(unicode_to_tcvn3(x) for x in lines).encode("latin-1"))
    pl = read_list(p)
    assert [r.values["full_name"] for r in pl.rows] == ["Nguyễn Thị Bảo", "Lương Văn Tuấn"]
    assert [s.row for s in pl.skipped] == [5, 6]
    _accounting(pl, 6)


def test_dates_in_every_format_and_bad_row_does_not_stop_good_rows(tmp_path):
    p = tmp_path / "dates.xlsx"
    dobs = [date(1940, 2, 5), 14646.0, "05/02/1940", "05-02-1940", "05.02.1940", "5/2/40", "02/1940",
            "1940", 1940.0, "31/02/1940", "không rõ", "19400205", None]
    rows = [(k + 1, f"Người Số {chr(65 + k)}", d, f"0201400000{k:02d}") for k, d in enumerate(dobs)]
    write_single(p, ["STT", "Họ và tên", "Ngày sinh", "Số CCCD"], rows)
    pl = read_list(p)
    got = [r.values["dob"] for r in pl.rows]
    day = (date(1940, 2, 5), "day")
    assert got[:6] == [day] * 6
    assert got[6] == (date(1940, 2, 1), "month")
    assert got[7] == got[8] == (date(1940, 1, 1), "year")
    assert got[9] is None and got[10] is None
    assert got[11] == day
    assert got[12] is None
    errs = {r.row: [(e.field, e.message) for e in r.errors] for r in pl.rows if r.errors}
    assert set(errs) == {3 + 10, 3 + 11}
    assert errs[13][0][0] == "dob" and "invalid date" in errs[13][0][1]
    assert "unrecognised date" in errs[14][0][1]
    assert len(pl.rows) == len(dobs)


def test_gender_mark_columns(tmp_path):
    """'Giới tính' over 'Nam'/'Nữ' with an x in one of them."""
    p = tmp_path / "x.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Họ và tên", "Năm sinh", "Giới tính", None, "Số CCCD"])
    ws.append([None, None, None, "Nam", "Nữ", None])
    ws.merge_cells("D1:E1")
    for c in "ABCF":
        ws.merge_cells(f"{c}1:{c}2")
    ws.append([1, "Nguyễn Văn An", 1940, "x", None, "020040123456"])
    ws.append([2, "Lê Thị Hoa", 1941, None, "x", "020141123456"])
    ws.append([3, "Lê Thị Lan", 1942, "x", "x", "020142123456"])
    wb.save(p)
    pl = read_list(p)
    assert pl.header_rows == [1, 2]
    assert [r.values["gender"] for r in pl.rows] == ["M", "F", None]
    assert pl.rows[2].errors[0].field == "gender"


def test_parent_header_row_above(tmp_path):
    """A group header above: 'Thông tin tài khoản' over 'Số tài khoản'/'Ngân hàng'; STT merged down."""
    p = tmp_path / "above.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH THÁNG 12 NĂM 2023"])
    ws.append(["STT", "Thông tin đối tượng", None, None, "Thông tin tài khoản", None])
    ws.append([None, "Họ và tên", "Ngày sinh", "Số CCCD", "Số tài khoản", "Ngân hàng"])
    ws.merge_cells("A2:A3"); ws.merge_cells("B2:D2"); ws.merge_cells("E2:F2")
    ws.append([1, "Nguyễn Văn An", "05/02/1940", "020040123456", "105000123456", "VietinBank"])
    wb.save(p)
    pl = read_list(p)
    assert pl.header_rows == [2, 3]
    assert pl.period == "2023-12"
    assert pl.columns == {"stt": 0, "full_name": 1, "dob": 2, "id_number": 3, "account_number": 4, "bank": 5}
    assert pl.rows[0].values["bank"] == "VietinBank"


def test_separate_cmnd_and_cccd_columns(tmp_path):
    p = tmp_path / "ids.xlsx"
    write_single(p, ["STT", "Họ và tên", "Ngày sinh", "Số CMND", "Số CCCD"], [
        (1, "Nguyễn Văn An", "05/02/1940", "083123456", "020040123456"),
        (2, "Nguyễn Văn Bình", "05/02/1941", "083123457", None),
    ])
    pl = read_list(p)
    assert pl.columns["cmnd"] == 3 and pl.columns["id_number"] == 4
    assert pl.rows[0].values["id_number"] == "020040123456" and pl.rows[0].values["cmnd"] == "083123456"
    assert pl.rows[1].values["id_number"] == "083123457"


def test_sections_blank_rows_and_stray_rows(tmp_path):
    p = tmp_path / "sections.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UBND THỊ TRẤN HỮU LŨNG"])
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Số CCCD", "Đối tượng"])
    ws.append(["I. NGƯỜI CAO TUỔI"]); ws.merge_cells("A3:E3")
    ws.append([1, "Nguyễn Văn An", "05/02/1940", "020040123456", "NCT trên 80 tuổi"])
    ws.append([])
    ws.append([2, "Nguyễn Văn Bình", None, None, "NCT trên 80 tuổi"])         # no dob/ID: kept
    ws.append(["II", "NGƯỜI KHUYẾT TẬT"])
    ws.append([1, "Lê Thị Hoa", "05/02/1941", None, "NKT nặng"])
    ws.append([None, "Trần Văn Cường", None, None, None])                       # name only: kept
    ws.append([None, None, None, None, "ghi chú lạc"])                          # no name: skipped
    ws.append([1, "Lê Văn Dũng", "1950", None, "NKT nặng"])
    ws.append(["Cộng: 5 người"])
    ws.append([None, "Xác nhận của UBND thị trấn"])
    ws.append([None, "Nguyễn Thị Lan"])
    wb.save(p)
    pl = read_list(p)
    assert pl.commune_hint == "Thị trấn Hữu Lũng"
    assert [r.row for r in pl.rows] == [4, 6, 8, 9, 11]
    assert [r.values["section"] for r in pl.rows] == ["I. NGƯỜI CAO TUỔI"] * 2 + ["II NGƯỜI KHUYẾT TẬT"] * 3
    reasons = {s.row: s.reason for s in pl.skipped}
    assert reasons[3].startswith("section heading") and reasons[7].startswith("section heading")
    assert reasons[5] == "blank row"
    assert reasons[10].startswith("no name")
    assert reasons[12] == "totals row"
    assert reasons[13].startswith("footer") and reasons[14].startswith("footer")
    _accounting(pl, 14)


def test_first_sheet_with_a_header_is_used(tmp_path):
    p = tmp_path / "sheets.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Huong dan"
    ws.append(["Hướng dẫn nhập liệu"])
    ws.append(["Cột", "Ý nghĩa"])
    ws2 = wb.create_sheet("DS")
    ws2.append(["STT", "Họ và tên", "Ngày sinh"])
    ws2.append([1, "Nguyễn Văn An", "05/02/1940"])
    wb.save(p)
    pl = read_list(p)
    assert pl.sheet == "DS" and len(pl.rows) == 1


def test_repeated_header_row_is_skipped(tmp_path):
    p = tmp_path / "rep.xlsx"
    write_single(p, ["STT", "Họ và tên", "Ngày sinh"], [
        (1, "Nguyễn Văn An", "05/02/1940"), ("STT", "Họ và tên", "Ngày sinh"), (2, "Lê Văn Bình", "1941")])
    pl = read_list(p)
    assert len(pl.rows) == 2 and pl.skipped[0].reason == "repeated header row"


# --------------------------------------------------------------------------- errors

def test_no_header_names_the_file(tmp_path):
    p = tmp_path / "lists" / "xa_a.xlsx"
    p.parent.mkdir()
    write_single(p, ["Cột 1", "Cột 2"], [(1, 2)])
    with pytest.raises(ReadError) as exc:
        read_list(p)
    assert exc.value.file == p.name          # the file's name, never the server folder
    assert str(exc.value).startswith(f"{p.name}: no recognisable header")
    assert str(tmp_path) not in str(exc.value)


def test_header_without_dob_or_id(tmp_path):
    p = tmp_path / "partial.xlsx"
    write_single(p, ["STT", "Họ và tên", "Thôn"], [(1, "Nguyễn Văn An", "Thôn A")])
    with pytest.raises(ReadError) as exc:
        read_list(p)
    assert "no date-of-birth" in str(exc.value) and "row 3" in str(exc.value)


def test_password_protected(tmp_path):
    p = tmp_path / "khoa.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 1024)
    with pytest.raises(ReadError) as exc:
        read_list(p)
    assert "password-protected" in str(exc.value) and p.name in str(exc.value)
    assert str(tmp_path) not in str(exc.value)


def test_encrypted_package_marker(tmp_path):
    p = tmp_path / "khoa2.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le")
                  + b"\0" * 64 + "Workbook".encode("utf-16-le"))
    with pytest.raises(ReadError, match="password-protected"):
        read_list(p)


@pytest.mark.parametrize("name, content, fragment", [
    ("a.docx", b"PK\x03\x04", "unsupported file type"),
    ("a.pdf", b"%PDF", "unsupported file type"),
    ("noext", b"x", "unsupported file type"),
    ("a.xlsx", b"PK\x03\x04garbage", "tệp nén bị hỏng"),
    ("a.xlsx", b"", "empty"),
    ("a.xls", b"<html><table><tr><td>x</td></tr></table></html>", "web page"),
    ("a.xlsx", b"just text", "not a .xlsx file"),
])
def test_unreadable_files(tmp_path, name, content, fragment):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ReadError) as exc:
        read_list(p)
    assert fragment in str(exc.value) and str(exc.value).startswith(f"{name}: ")
    assert str(tmp_path) not in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(ReadError, match="file not found"):
        read_list(tmp_path / "nope.xlsx")


def test_wrong_extension_xlsx_saved_as_xls(tmp_path):
    p = tmp_path / "really_xlsx.xls"
    write_single(p, ["STT", "Họ và tên", "Ngày sinh"], [(1, "Nguyễn Văn An", "05/02/1940")])
    assert read_list(p).rows[0].values["full_name"] == "Nguyễn Văn An"


def test_read_error_str():
    e = ReadError("lists/xa_a.xlsx", message="unrecognised date '31/02/1945'", row=7, column="Ngày sinh")
    assert str(e) == "lists/xa_a.xlsx: row 7, column 'Ngày sinh': unrecognised date '31/02/1945'"
    assert (e.file, e.row, e.column) == ("lists/xa_a.xlsx", 7, "Ngày sinh")
    assert str(ReadError("f.xlsx", message="m")) == "f.xlsx: m"


def test_skipped_rows_keep_their_text(tmp_path):
    p = tmp_path / "noname.xlsx"
    write_single(p, ["STT", "Họ và tên", "Ngày sinh", "Ghi chú"], [
        (1, "Nguyễn Văn An", "05/02/1940", None), (2, None, "06/03/1941", "chưa có tên"),
        (3, "Lê Văn Bình", "1941", None)])
    pl = read_list(p)
    s = next(s for s in pl.skipped if s.reason.startswith("no name"))
    assert s.row == 5 and s.cells == ["2", "", "06/03/1941", "chưa có tên"]
