"""ansinh.core.limits and the readers that call it: hostile table files are refused before
parsing, with one line naming the file (and the row or cell), never a server path; the
readers' own failures (encodings, corrupt archives, >100k name words) are one line too."""
from __future__ import annotations

import itertools
import string
import time
import zipfile

import pytest

from ansinh.core.jobs import BadInput
from ansinh.core.limits import MAX_COLUMNS, InputRefused, check_table_file
from ansinh.registry.reader import ReadError, read_list

from .hostile import (BANK_HEADER, HEADER, bank_rows, commune_rows, csv_bytes, declared_range_xlsx, far_cell_xlsx,
                      ods, repeated_ods, sheet_xml, write_xlsx)


def _refused(path, *fragments):
    with pytest.raises(InputRefused) as exc:
        check_table_file(path)
    msg = str(exc.value)
    assert msg.startswith(f"{path.name}: ") and "\n" not in msg and str(path.parent) not in msg, msg
    for f in fragments:
        assert f in msg, (f, msg)
    return msg


def test_far_out_cell_is_refused_before_any_reader_allocates_the_grid(tmp_path):
    p = far_cell_xlsx(tmp_path / "xa.xlsx", commune_rows())
    assert p.stat().st_size < 2000
    t0 = time.monotonic()
    _refused(p, "1.048.576 dòng", "16.384 cột")
    with pytest.raises(ReadError) as exc:
        read_list(p)
    assert time.monotonic() - t0 < 5
    assert str(exc.value).startswith("xa.xlsx: ") and "1.048.576" in str(exc.value)


@pytest.mark.parametrize("cell", [
    '<c t="inlineStr" r="XFD1048576"><is><t>x</t></is></c>',      # r= not the first attribute
    "<c r='XFD1048576'><v>1</v></c>",                               # single quotes
    '<c  r="HZ3"><v>1</v></c>',                                     # two spaces
])
def test_far_out_cell_in_any_attribute_form(tmp_path, cell):
    p = write_xlsx(tmp_path / "lech.xlsx", sheet_xml(commune_rows(), extra_cells=f'<row r="9">{cell}</row>'))
    _refused(p, "vượt giới hạn")


def test_prefixed_sheet_xml_is_scanned(tmp_path):
    xml = sheet_xml(commune_rows(), extra_cells='<row r="9"><c r="ZZ9"><v>1</v></c></row>').decode()
    xml = xml.replace("<worksheet xmlns=", "<x:worksheet xmlns:x=").replace("</worksheet>", "</x:worksheet>")
    for tag in ("sheetData", "row", "c", "v", "is", "t"):
        xml = xml.replace(f"<{tag}>", f"<x:{tag}>").replace(f"<{tag} ", f"<x:{tag} ").replace(f"</{tag}>", f"</x:{tag}>")
    p = write_xlsx(tmp_path / "prefix.xlsx", xml.encode())
    _refused(p, "702 cột")


def test_declared_dimension_is_checked(tmp_path):
    _refused(declared_range_xlsx(tmp_path / "dim.xlsx", commune_rows()), "A1:XFD1048576")


def test_ods_repeated_rows_and_cells_are_counted_as_expanded(tmp_path):
    _refused(repeated_ods(tmp_path / "lap.ods", commune_rows()), "16.384 cột")
    # what LibreOffice writes at the end of every sheet: empty repeated rows and cells, fine
    tail = ('<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
            'table:number-columns-repeated="1024"/></table:table-row>')
    ok = ods(tmp_path / "binh-thuong.ods", commune_rows(), tail)
    assert check_table_file(ok)["rows"] == 3
    assert len(read_list(ok).rows) == 2


def test_too_many_columns_and_rows_in_csv(tmp_path):
    wide = tmp_path / "rong.csv"
    wide.write_bytes(csv_bytes(commune_rows()) + b",".join([b"1"] * (MAX_COLUMNS + 1)) + b"\n")
    with pytest.raises(ReadError, match=r"rong.csv: .*201 cột"):
        read_list(wide)


def test_ordinary_lists_pass(tmp_path):
    big = [HEADER] + [[i, "Nguyễn Văn An", "01/02/1950", f"0201500{i:05d}", "Thôn Nà Pàn"] for i in range(1, 3001)]
    p = write_xlsx(tmp_path / "dai.xlsx", sheet_xml(big, dimension="A1:E3001"))
    assert check_table_file(p) == {"kind": "zip", "bytes": p.stat().st_size, "rows": 3001, "columns": 5}
    assert len(read_list(p).rows) == 3000


def test_corrupt_and_foreign_zip(tmp_path):
    good = write_xlsx(tmp_path / "g.xlsx", sheet_xml(commune_rows()))
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:700])
    _refused(cut, "hỏng")
    odd = tmp_path / "bzip.xlsx"
    with zipfile.ZipFile(odd, "w", zipfile.ZIP_BZIP2) as z:
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    _refused(odd, "kiểu nén không hỗ trợ")


def test_more_than_100k_distinct_name_words_do_not_raise_keyerror(tmp_path):
    """Issue 11 item 14: the reader's shared name-word cache was cleared while a column was
    being converted, so a list with more than 100,000 distinct name words raised KeyError."""
    letters = string.ascii_lowercase
    words = ("".join(t).capitalize() for t in itertools.product(letters, repeat=4))
    rows = [HEADER]
    for i in range(1, 36_001):
        rows.append([i, f"{next(words)} {next(words)} {next(words)}", "01/02/1950", f"0201{i:08d}", "Thôn A"])
    p = tmp_path / "nhieu-ten.csv"
    p.write_bytes(csv_bytes(rows))
    parsed = read_list(p)
    assert len(parsed.rows) == 36_000
    assert parsed.rows[-1].values["full_name"] == rows[-1][1]


# --------------------------------------------------------------------------- bank lists

@pytest.mark.parametrize("name, data, fragment", [
    # a Unicode header over a TCVN3 row: not one encoding (a whole TCVN3 list is read: tests/accounts)
    ("tcvn3.csv", csv_bytes([BANK_HEADER]) + "Nguyôn V¨n An,020150000001,100001,01/03/2024\n".encode("latin-1"),
     "dòng 1, tiêu đề"),
    ("hong.xlsx", b"PK\x03\x04" + b"\x00" * 200, "tệp nén bị hỏng"),
    ("anh.xlsx", bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 50, "không phải tệp .xlsx"),
    ("rong.csv", b"", "tệp rỗng"),
    ("bang.csv", b"PK\x03\x04" + b"\x00" * 50, "tệp nén bị hỏng"),
    ("nul.csv", b"a\x00b,c\n", "byte NUL"),
])
def test_bank_list_read_errors_are_one_vietnamese_line(tmp_path, name, data, fragment):
    from ansinh.accounts.bank_lists import parse_bank_list

    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(BadInput) as exc:
        parse_bank_list(p)
    msg = str(exc.value)
    assert msg.startswith(f"{name}: ") and fragment in msg and "\n" not in msg and str(tmp_path) not in msg, msg
    assert "Error" not in msg and "codec" not in msg, msg


def test_bank_list_in_utf16_is_read(tmp_path):
    from ansinh.accounts.bank_lists import parse_bank_list

    p = tmp_path / "utf16.csv"
    p.write_bytes(csv_bytes(bank_rows(), "utf-16"))
    assert [r["account"] for r in parse_bank_list(p)] == ["1000000001"]


# --------------------------------------------------------------------------- result files

def test_result_file_messages_name_the_upload_not_a_temporary_file(tmp_path):
    from ansinh.payroll.files import read_result

    p = tmp_path / "tmpab12cd.csv"
    p.write_bytes(b"line_id;status\n99999999999999999999999;paid\n")
    with pytest.raises(BadInput) as exc:
        read_result(p, name="ket-qua-thang-12.csv")
    assert str(exc.value).startswith("ket-qua-thang-12.csv: row 2, line_id:") and "tmp" not in str(exc.value)
    p.write_bytes(b"line_id;status\n1;paid\n\xff\xfe\n")
    with pytest.raises(BadInput, match=r"^ket-qua.csv: row 3: not UTF-8"):
        read_result(p, name="ket-qua.csv")


# --------------------------------------------------------------------------- .xls

FIXTURES = __import__("pathlib").Path(__file__).with_name("fixtures")


def test_xls_sheet_sizes_are_checked():
    """Two .xls files saved by LibreOffice: a list, and the same list with a cell in column IV."""
    ok = FIXTURES / "xa-ok.xls"
    assert check_table_file(ok)["columns"] == 5 and len(read_list(ok).rows) == 2
    _refused(FIXTURES / "xa-rong-256-cot.xls", "256 cột")
