"""Size limits of uploaded spreadsheets, checked before any reader parses them.

One home for every reader of a table file (commune lists, bank lists, population extracts,
payroll result files; web and CLI): ``check_table_file(path, name)`` looks at the file
without inflating it into memory and raises :class:`InputRefused` (a one-line message that
names the file, and the row or cell where relevant) when

* the file is bigger than ``MAX_FILE_BYTES``;
* .xlsx/.ods (a zip container): too many entries, an entry or the whole archive inflates
  beyond ``MAX_ENTRY_BYTES``/``MAX_TOTAL_BYTES`` (measured by inflating in a stream, not
  taken from the archive's declared sizes), an entry compresses more than ``MAX_RATIO``
  times (zip bomb), an unknown compression method;
* the declared used range (xlsx ``<dimension>``) or the cells actually present (a cell far
  out such as XFD1048576, found by a streaming scan of the sheet XML; ODS repeated rows and
  cells) exceed ``MAX_ROWS`` rows, ``MAX_COLUMNS`` columns or ``MAX_CELLS`` cells: the
  readers (calamine, openpyxl) lay a sheet out as a dense grid of that size;
* .xls: the same limits on xlrd's sheet sizes;
* .csv: more than ``MAX_ROWS`` lines.

Pure layer (no Django): callers turn InputRefused into their own error (ReadError,
BadInput). Messages are Vietnamese, like the rest of the user-facing text, and never
contain a server path: ``name`` is the name the user knows the file by.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path

__all__ = [
    "InputRefused",
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "check_table_file",
    "display_name",
]

MAX_FILE_BYTES = 100 * 1024 * 1024        # the file as uploaded
MAX_ENTRY_BYTES = 512 * 1024 * 1024       # one inflated zip entry (a sheet's XML)
MAX_TOTAL_BYTES = 1024 * 1024 * 1024      # all entries inflated
MAX_ENTRIES = 2000
MAX_RATIO = 200                           # inflated / compressed, for entries above RATIO_FLOOR
RATIO_FLOOR = 8 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
MAX_CELLS = 12_000_000                    # rows x columns of a sheet's dense grid

_CHUNK = 4 * 1024 * 1024
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class InputRefused(ValueError):
    """A file refused before parsing; ``str()`` is one line naming the file."""

    def __init__(self, name: str, message: str):
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}")


def display_name(path, name: str | None = None) -> str:
    """The name to show for a file: the given one, else the file's own name (never its folder)."""
    text = name if name else Path(str(path)).name
    return " ".join(str(text).split())[:120] or "tệp"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def _num(n: int) -> str:
    from ansinh.formats import vn_number

    return vn_number(n)


def _col_letters(c: int) -> str:
    s = ""
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _check_extent(name: str, rows: int, cols: int, where: str) -> None:
    """rows/cols: the 1-based extent of a sheet's grid (its last row and column)."""
    if rows > MAX_ROWS or cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
        raise InputRefused(name, f"{where} vượt giới hạn đọc được ({_num(rows)} dòng × {_num(cols)} cột; "
                                 f"tối đa {_num(MAX_ROWS)} dòng, {MAX_COLUMNS} cột, {_num(MAX_CELLS)} ô) — "
                                 "xóa các ô thừa ở xa vùng dữ liệu rồi lưu lại")


# --------------------------------------------------------------------------- entry point

def check_table_file(path, name: str | None = None) -> dict:
    """Check a table file before reading it; raise InputRefused, else return its measures
    ({"kind", "bytes", "rows", "columns"}; rows/columns: the largest sheet extent found)."""
    p = Path(str(path))
    name = display_name(p, name)
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputRefused(name, f"không mở được tệp ({exc.strerror or type(exc).__name__})") from None
    if size > MAX_FILE_BYTES:
        raise InputRefused(name, f"tệp quá lớn ({_mb(size)}; tối đa {_mb(MAX_FILE_BYTES)})")
    if head.startswith(_ZIP_MAGIC):
        return {"kind": "zip", "bytes": size, **_check_zip(p, name)}
    if head.startswith(_OLE_MAGIC):
        return {"kind": "ole", "bytes": size, **_check_ole(p, name)}
    return {"kind": "text", "bytes": size, **_check_text(p, name)}


# --------------------------------------------------------------------------- text (csv)

def _check_text(p: Path, name: str) -> dict:
    lines = 0
    with open(p, "rb") as fh:
        while True:
            block = fh.read(_CHUNK)
            if not block:
                break
            lines += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
            if lines > MAX_ROWS + 1:
                raise InputRefused(name, f"tệp có hơn {_num(MAX_ROWS)} dòng (tối đa {_num(MAX_ROWS)})")
    return {"rows": lines, "columns": None}


def check_row_width(name: str, row_number: int, width: int) -> None:
    """For readers that count fields themselves (csv): refuse a row wider than MAX_COLUMNS."""
    if width > MAX_COLUMNS:
        raise InputRefused(name, f"dòng {row_number}: {_num(width)} cột (tối đa {MAX_COLUMNS})")


def check_grid(name: str, rows: int, cols: int) -> None:
    """For readers that count rows and columns themselves (csv after splitting)."""
    _check_extent(name, rows, cols, "bảng")


# --------------------------------------------------------------------------- .xls (OLE)

def _check_ole(p: Path, name: str) -> dict:
    import xlrd

    try:
        book = xlrd.open_workbook(str(p), on_demand=True, ragged_rows=True, formatting_info=False,
                                  logfile=_Null())
    except Exception:  # noqa: BLE001 - xlrd raises many types; the reader reports what it can
        return {"rows": None, "columns": None}     # (encrypted, not a workbook: the reader says so)
    rows = cols = 0
    try:
        for i in range(book.nsheets):
            try:
                sh = book.sheet_by_index(i)
            except Exception:  # noqa: BLE001
                continue
            n_rows = sh.nrows
            n_cols = max((sh.row_len(r) for r in range(n_rows)), default=0)
            # the sheet's DIMENSIONS record, which readers may trust to lay out the grid
            d_rows, d_cols = getattr(sh, "_dimnrows", 0) or 0, getattr(sh, "_dimncols", 0) or 0
            _check_extent(name, max(n_rows, d_rows), max(n_cols, d_cols), f"trang tính '{sh.name}'")
            rows, cols = max(rows, n_rows), max(cols, n_cols)
            book.unload_sheet(i)
    finally:
        book.release_resources()
    return {"rows": rows, "columns": cols}


class _Null:
    def write(self, *_a) -> None:
        pass


# --------------------------------------------------------------------------- zip (.xlsx, .ods)

_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def _inflate(fh, info: zipfile.ZipInfo, name: str, budget: list[int]):
    """Yield the inflated bytes of one entry in chunks, counting them against the entry
    limit and the archive's budget (the declared sizes are not trusted)."""
    fh.seek(info.header_offset)
    hdr = fh.read(_LOCAL_HEADER.size)
    if len(hdr) != _LOCAL_HEADER.size or hdr[:4] != b"PK\x03\x04":
        raise InputRefused(name, "tệp nén bị hỏng (không phải bảng tính .xlsx/.ods hợp lệ)")
    fields = _LOCAL_HEADER.unpack(hdr)
    fh.seek(info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10])
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        dec = None
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        dec = zlib.decompressobj(-15)
    else:
        raise InputRefused(name, f"tệp nén dùng kiểu nén không hỗ trợ ({info.compress_type})")
    out = 0
    compressed = 0
    while left > 0 or (dec is not None and dec.unconsumed_tail):
        if dec is not None and dec.unconsumed_tail:
            piece = dec.decompress(dec.unconsumed_tail, _CHUNK)
        else:
            raw = fh.read(min(left, 1024 * 1024))
            if not raw:
                break
            left -= len(raw)
            compressed += len(raw)
            piece = raw if dec is None else dec.decompress(raw, _CHUNK)
        if piece:
            out += len(piece)
            budget[0] += len(piece)
            if out > MAX_ENTRY_BYTES or budget[0] > MAX_TOTAL_BYTES:
                raise InputRefused(name, "tệp nén bất thường: giải nén ra quá lớn (tối đa "
                                         f"{_mb(MAX_ENTRY_BYTES)} mỗi phần, {_mb(MAX_TOTAL_BYTES)} cả tệp)")
            if out > RATIO_FLOOR and out > MAX_RATIO * max(compressed, 1):
                raise InputRefused(name, f"tệp nén bất thường: tỷ lệ nén hơn {MAX_RATIO} lần (zip bomb)")
            yield piece
        if dec is not None and dec.eof:
            break


def _check_zip(p: Path, name: str) -> dict:
    try:
        zf = zipfile.ZipFile(p)
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputRefused(name, "tệp nén bị hỏng hoặc bị cắt cụt (không phải bảng tính .xlsx/.ods hợp lệ)") from None
    with zf:
        if len(infos) > MAX_ENTRIES:
            raise InputRefused(name, f"tệp nén có quá nhiều thành phần ({_num(len(infos))}; tối đa {MAX_ENTRIES})")
        declared = 0
        for info in infos:
            declared += info.file_size
            if info.file_size > MAX_ENTRY_BYTES or declared > MAX_TOTAL_BYTES:
                raise InputRefused(name, "tệp nén bất thường: giải nén ra quá lớn (tối đa "
                                         f"{_mb(MAX_ENTRY_BYTES)} mỗi phần, {_mb(MAX_TOTAL_BYTES)} cả tệp)")
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise InputRefused(name, f"tệp nén bất thường: tỷ lệ nén hơn {MAX_RATIO} lần (zip bomb)")
        names = {i.filename for i in infos}
        is_ods = "content.xml" in names and not any(n.startswith("xl/") for n in names)
        budget = [0]
        rows = cols = 0
        try:
            with open(p, "rb") as fh:
                for info in infos:
                    if info.is_dir():
                        continue
                    chunks = _inflate(fh, info, name, budget)
                    if is_ods and info.filename == "content.xml":
                        r, c = _scan_ods(chunks, name)
                    elif not is_ods and info.filename.lower().endswith(".xml"):
                        r, c = _scan_xlsx_part(chunks, name, info.filename)
                    else:
                        for _ in chunks:       # inflate to measure (a bomb hides anywhere)
                            pass
                        continue
                    rows, cols = max(rows, r), max(cols, c)
        except zlib.error:
            raise InputRefused(name, "tệp nén bị hỏng (dữ liệu nén không đọc được)") from None
    return {"rows": rows, "columns": cols}


# xlsx sheet XML: <row r="N">, <c r="AB12">, <dimension ref="A1:XFD1048576"/>.  The fast
# path counts on every writer's form (r= the first attribute, double quotes, no prefix);
# any other form sends the part to the exact scan.
_ROW_FAST = re.compile(rb'<row r="(\d{1,9})"')
_CELL_LETTERS = re.compile(rb'<c r="([A-Z]{1,4})')
_CELL_DIGITS = re.compile(rb'<c r="[A-Z]{1,4}(\d{1,9})"')
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)")
_REF = re.compile(rb"\$?([A-Za-z]{1,4})\$?(\d+)")
_TAG = re.compile(rb"<(/?)(?:\w+:)?(row|c)(?=[\s/>])([^>]*)>")
_ATTR_R = re.compile(rb"\br\s*=\s*[\"']\$?([A-Za-z]{0,4})\$?(\d+)")


def _standard_form(data: bytes, n_rows: int, n_cells: int) -> bool:
    """Every <row> and <c> tag of the block is one the fast path counted."""
    if data.count(b"<row ") + data.count(b"<row>") + data.count(b"<row/>") != n_rows:
        return False
    if data.count(b"<c ") + data.count(b"<c>") + data.count(b"<c/>") != n_cells:
        return False
    return b":c " not in data and b":row " not in data and b":c>" not in data and b":row>" not in data


def _cut(carry: bytes, piece: bytes) -> tuple[bytes, bytes]:
    """(text to scan now, tail to carry): cut before the last '<' so no tag is split."""
    data = carry + piece
    k = data.rfind(b"<")
    if k < 0:
        return data, b""
    return data[:k], data[k:]


def _scan_xlsx_part(chunks, name: str, part: str) -> tuple[int, int]:
    """The extent (last row, last column) of the cells of one xlsx part, and its declared
    dimension, in a streaming scan; refuse beyond the limits."""
    sheet = part.rsplit("/", 1)[-1]
    max_row = max_col = 0
    carry = b""
    exact: list | None = None          # state of the exact scan once cells without r= appear
    for piece in chunks:
        data, carry = _cut(carry, piece)
        if len(carry) > 1024 * 1024:   # a '<' with no tag after it for a megabyte: not a sheet
            data, carry = data + carry, b""
        max_row, max_col, exact = _scan_block(data, max_row, max_col, exact, name, sheet)
    if carry:
        max_row, max_col, exact = _scan_block(carry, max_row, max_col, exact, name, sheet)
    if exact is not None:
        max_row, max_col = max(max_row, exact[2]), max(max_col, exact[3])
    _check_extent(name, max_row, max_col, f"trang tính '{sheet}'")
    return max_row, max_col


def _scan_block(data: bytes, max_row: int, max_col: int, exact, name: str, sheet: str):
    for m in _DIMENSION.finditer(data):
        refs = _REF.findall(m.group(1))
        if refs:
            letters, digits = refs[-1]
            _check_extent(name, int(digits), _col_number(letters), f"trang tính '{sheet}' (vùng khai báo "
                                                                  f"{m.group(1).decode('ascii', 'replace')[:40]})")
    if exact is None:
        rows = _ROW_FAST.findall(data)
        letters = _CELL_LETTERS.findall(data)
        if _standard_form(data, len(rows), len(letters)):
            if rows:
                max_row = max(max_row, max(map(int, rows)))
            if letters:
                max_col = max(max_col, _col_number(max(set(letters), key=lambda s: (len(s), s))))
                max_row = max(max_row, max(map(int, set(_CELL_DIGITS.findall(data)))))
            if max_row > MAX_ROWS or max_col > MAX_COLUMNS:
                _check_extent(name, max_row, max_col, f"trang tính '{sheet}'")
            return max_row, max_col, None
        exact = [max_row, 0, max_row, max_col]      # row, col, max row, max col
    # exact scan (cells or rows without a reference: positions follow the previous one)
    row, col, mr, mc = exact
    for m in _TAG.finditer(data):
        closing, tag, attrs = m.groups()
        if closing:
            continue
        ref = _ATTR_R.search(attrs)
        if tag == b"row":
            row = int(ref.group(2)) if ref else row + 1
            col = 0
        else:
            if ref and ref.group(1):
                col = _col_number(ref.group(1))
                if int(ref.group(2)) > mr:
                    mr = int(ref.group(2))
            else:
                col += 1
            if col > mc:
                mc = col
        if row > mr:
            mr = row
        if mr > MAX_ROWS or mc > MAX_COLUMNS:
            _check_extent(name, mr, mc, f"trang tính '{sheet}'")
    exact[:] = [row, col, mr, mc]
    return max_row, max_col, exact


def _scan_ods(chunks, name: str) -> tuple[int, int]:
    """The extent of the non-empty cells of an ODS content.xml (repeated rows and cells
    counted as the readers expand them), by a streaming expat parse; refuse beyond the limits."""
    import xml.parsers.expat

    T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
    O = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
    st = {"table": "", "row": 0, "row_rep": 1, "col": 0, "cell_rep": 0, "cell_start": 0, "cell_full": False,
          "row_full_to": 0, "max_row": 0, "max_col": 0, "depth_in_cell": 0}

    def start(tag, attrs):
        if tag == T + "table":
            st["table"] = attrs.get(T + "name", "")
            st["row"] = 0
        elif tag == T + "table-row":
            st["row_rep"] = _int(attrs.get(T + "number-rows-repeated"), 1)
            st["col"] = 0
            st["row_full_to"] = 0
        elif tag in (T + "table-cell", T + "covered-table-cell"):
            st["cell_rep"] = _int(attrs.get(T + "number-columns-repeated"), 1)
            st["cell_full"] = (O + "value-type") in attrs or (O + "value") in attrs
            st["depth_in_cell"] = 1
        elif st["depth_in_cell"]:
            st["cell_full"] = True           # a <text:p> (or any content) inside the cell
            st["depth_in_cell"] += 1

    def end(tag):
        if tag in (T + "table-cell", T + "covered-table-cell"):
            st["depth_in_cell"] = 0
            st["col"] += st["cell_rep"]
            if st["cell_full"]:
                st["row_full_to"] = st["col"]
                if st["col"] > st["max_col"]:
                    st["max_col"] = st["col"]
                    if st["max_col"] > MAX_COLUMNS:
                        _check_extent(name, max(st["max_row"], st["row"] + 1), st["max_col"],
                                      f"trang tính '{st['table']}'")
        elif tag == T + "table-row":
            st["row"] += st["row_rep"]
            if st["row_full_to"]:
                st["max_row"] = max(st["max_row"], st["row"])
                _check_extent(name, st["max_row"], st["max_col"], f"trang tính '{st['table']}'")
        elif st["depth_in_cell"] > 1:
            st["depth_in_cell"] -= 1

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    # no entity expansion beyond the predefined ones ("billion laughs")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def no_entities(*_a):
        raise InputRefused(name, "tệp .ods khai báo thực thể XML (không được phép)")

    parser.EntityDeclHandler = no_entities
    try:
        for piece in chunks:
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError:
        raise InputRefused(name, "tệp .ods bị hỏng (nội dung XML không đọc được)") from None
    return st["max_row"], st["max_col"]


def _int(v, default: int) -> int:
    try:
        n = int(v)
    except (TypeError, ValueError):
        return default
    return n if n > 0 else default
