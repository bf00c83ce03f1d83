"""Read a commune beneficiary list (.xlsx/.xls/.ods/.csv) into clean rows.

Pure layer: no Django, no database.  ``read_list(path)`` finds the table under the
title rows (one- or two-row header, merged cells), maps the header cells to canonical
field names, skips the column-numbering row, totals, section headings, blank rows and
the signature footer, and returns every other row as a :class:`SourceRow` with cleaned
values and per-field errors.  Every sheet row after the header ends up either in
``ParsedList.rows`` or in ``ParsedList.skipped`` with a reason.

Cleaned values (``SourceRow.values``, only for the mapped fields):

=================== ==========================================================
field               value
=================== ==========================================================
full_name, account_holder, authorised_person
                    ``normalize_name()``: NFC, canonical tones, title case
dob, decision_date  ``(date, precision)`` with precision "day"/"month"/"year"
gender              "M" / "F" (from a Giới tính column, or from the Nam/Nữ
                    birth-date sub-columns, or from Nam/Nữ "x" mark columns)
id_number, cmnd     digits as a string (leading zeros restored when the cell
                    was numeric and lost them: 10/11 -> 12, 8 -> 9 digits);
                    id_number falls back to the CMND column when a list has
                    separate CMND and CCCD columns and the CCCD cell is empty
phone               digits as a string, leading 0 restored, +84 -> 0
account_number      string without spaces
coefficient         ``Decimal``
amount              ``int`` (VND)
start_month         "YYYY-MM"
stt                 int when numeric, else the text
other fields        text: legacy-decoded, NFC, single spaces
section             (only when the list has section-heading rows such as
                    "I. Người cao tuổi"): the last heading above the row
=================== ==========================================================

A field is present in ``values`` (possibly None) iff its column was found (dob and
gender also for the Nam/Nữ layouts); a value that cannot be parsed becomes None plus
a :class:`FieldError`.  No validation beyond parsing happens here (ID structure,
ages, categories are the importer's job: see ``ansinh.registry.categories``).

Legacy fonts: a sheet whose text cells mostly hold TCVN3/VNI byte-characters gets
one encoding for all its 8-bit cells (``ParsedList.legacy_encoding``); in a Unicode
sheet each 8-bit cell is detected on its own (cells pasted from an old file).
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

import python_calamine as pc

from ansinh.core.limits import InputRefused, check_grid, check_table_file, display_name
from ansinh.text import decode_legacy, fold, nfc, normalize_name
from ansinh.text.dates import parse_cell
from ansinh.text.legacy import detect_legacy_column

__all__ = [
    "FIELDS",
    "FieldError",
    "ParsedList",
    "ReadError",
    "SkippedRow",
    "SourceRow",
    "cell_text",
    "convert_cell",
    "header_key",
    "is_closing_row",
    "load_sheets",
    "map_header",
    "parse_date",
    "read_list",
    "sheet_decoder",
]

SUPPORTED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")

#: canonical fields a column can map to
FIELDS = (
    "stt", "full_name", "dob", "gender", "id_number", "cmnd", "address", "village",
    "category", "coefficient", "amount", "decision_number", "decision_date",
    "start_month", "account_number", "bank", "account_holder", "authorised_person",
    "phone", "note", "ethnicity",
)
# column-only fields, folded into dob/gender in the values
_SUB_FIELDS = ("dob_male", "dob_female", "gender_male", "gender_female")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


# --------------------------------------------------------------------------- model

class ReadError(Exception):
    """The file cannot be read as a beneficiary list."""

    def __init__(self, file, message: str, row: int | None = None, column: str | None = None):
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        loc = (", ".join(where) + ": ") if where else ""
        return f"{self.file}: {loc}{self.message}"


@dataclass(slots=True)
class FieldError:
    field: str
    message: str


@dataclass(slots=True)
class SkippedRow:
    row: int        # 1-based sheet row number
    reason: str
    cells: list[str] | None = None   # the whole row as text (legacy-decoded); None for blank rows


@dataclass(slots=True)
class SourceRow:
    row: int                                   # 1-based sheet row number, as Excel shows it
    values: dict[str, object]                  # canonical field -> cleaned value
    errors: list[FieldError] = dc_field(default_factory=list)
    cells: list = dc_field(default_factory=list, repr=False)   # the whole sheet row, as read
    columns: dict[str, int] = dc_field(default_factory=dict, repr=False)  # shared with ParsedList
    decoder: object = dc_field(default=None, repr=False, compare=False)   # the sheet's legacy decoder

    @property
    def raw(self) -> dict[str, str]:
        """Mapped column field -> the cell as text (legacy-decoded, otherwise untouched).

        Keys are the column fields of ``ParsedList.columns`` (so "dob_male"/"dob_female"
        rather than "dob" for the Nam/Nữ layout)."""
        cells = self.cells
        n = len(cells)
        dec = self.decoder or _PLAIN
        return {f: (_cell_text(cells[c], dec) if c < n else "") for f, c in self.columns.items()}

    def cells_text(self) -> list[str]:
        """The whole row as text (legacy-decoded), for re-writing it in the original layout."""
        dec = self.decoder or _PLAIN
        # fast path for the common cell, plain ASCII text (what _cell_text returns for it)
        return [v if type(v) is str and v.isascii() else _cell_text(v, dec) for v in self.cells]


@dataclass
class ParsedList:
    file: str
    sheet: str | None
    header_rows: list[int]                     # 1-based sheet row numbers
    columns: dict[str, int]                    # field -> 0-based column index
    unmapped_columns: dict[int, str]           # 0-based column index -> header text
    rows: list[SourceRow]
    skipped: list[SkippedRow]
    period: str | None                         # "YYYY-MM" named in the title
    commune_hint: str | None                   # "Xã Tân Thành" from "UBND XÃ TÂN THÀNH"
    title_lines: list[str]
    original_header: list[list[str]]           # header rows as text, full width
    legacy_encoding: str | None = None         # "tcvn3"/"vni" when the sheet was typed in a legacy font
    last_row: int | None = None                # 1-based number of the last sheet row

    def column_letter(self, field: str) -> str | None:
        c = self.columns.get(field)
        return None if c is None else _col_letter(c)


def _col_letter(c: int) -> str:
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


# --------------------------------------------------------------------------- text helpers

# Vietnamese letters (and combining tone marks) outside Latin-1: a cell holding one is
# real Unicode text, which no legacy 8-bit font produces.  (Symbols such as "≥", "–"
# can occur in legacy cells, so "any character above U+00FF" is not the test.)
_VN_UNICODE = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1"
                         "\u01af\u01b0\u1ea0-\u1ef9\u0300-\u0323]")


class _Decoder:
    """Legacy-decode (TCVN3/VNI) + NFC for non-ASCII cells, with a per-sheet cache.

    ``encoding`` is the sheet's legacy encoding when most of the sheet was typed in
    a legacy font: then every 8-bit-only cell is decoded with it (short cells such
    as "Leâ" are ambiguous on their own).  Otherwise each cell is detected alone,
    which catches cells pasted from an old file into a Unicode list.
    """

    __slots__ = ("encoding", "_cache")
    _caches: dict[str | None, dict[str, str]] = {}     # shared by the sheets of one encoding

    def __init__(self, encoding: str | None = None):
        self.encoding = encoding
        self._cache = self._caches.setdefault(encoding, {})

    def __call__(self, s: str) -> str:
        if s.isascii():
            return s
        r = self._cache.get(s)
        if r is None:
            if _VN_UNICODE.search(s) is not None:
                r = s                    # real Unicode: a legacy font cannot produce it
            elif self.encoding is not None:
                r = decode_legacy(s, self.encoding)
            else:
                r = decode_legacy(s)
            r = nfc(r)
            if len(self._cache) >= 100_000:
                self._cache.clear()
            self._cache[s] = r
        return r


_PLAIN = _Decoder(None)


# 8-bit characters that Unicode Vietnamese text never holds but TCVN3/VNI text does
# (µ ¶ · ¸ ¹ ¨ © ® Þ × ... for TCVN3, the mark characters ø û õ ï ... for VNI)
_VN_LATIN1 = "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ"
_STRONG_LEGACY = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(0xA1, 0x100) if chr(c) not in _VN_LATIN1
                  and chr(c) not in "°±²³·«»´") + "]")


def _decoder_for(grid, limit_rows: int = 80, limit_cells: int = 25) -> _Decoder:
    """The sheet's decoder: a legacy encoding if the distinct 8-bit text cells of the
    first rows that hold characters Unicode Vietnamese never uses read as TCVN3/VNI
    (weighing all of them together), else None (per-cell detection)."""
    sample: dict[str, None] = {}
    n_strong = 0
    n_unicode = 0
    search = _VN_UNICODE.search
    strong_search = _STRONG_LEGACY.search
    for row in grid[:limit_rows]:
        for v in row:
            if type(v) is str and not v.isascii():
                if search(v) is not None:
                    n_unicode += 1
                elif strong_search(v) is not None:
                    n_strong += 1
                    sample[v] = None
        if len(sample) >= limit_cells:
            break
    # a Unicode sheet with a few cells pasted from an old file: per-cell detection
    if not sample or n_unicode >= n_strong:
        return _Decoder(None)
    return _Decoder(detect_legacy_column(list(sample)))


def _cell_text(v, dec: _Decoder = _PLAIN) -> str:
    if type(v) is str:
        return dec(v)  # "" stays ""
    if v is None or v == "":
        return ""
    if isinstance(v, str):
        return dec(v)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, datetime):
        if v.time() == time(0):
            return v.strftime("%d/%m/%Y")
        return v.strftime("%d/%m/%Y %H:%M:%S")
    if isinstance(v, date):
        return v.strftime("%d/%m/%Y")
    return str(v)


def _key(text: str, dec: _Decoder = _PLAIN) -> str:
    """Folded header key: no marks, upper, punctuation -> space, '(..)' removed."""
    s = fold(dec(text))
    s = re.sub(r"\([^)]*\)", " ", s)
    s = re.sub(r"[^A-Z0-9/]+", " ", s)
    s = re.sub(r"\s*/\s*", "/", s)
    return " ".join(s.split())


# --------------------------------------------------------------------------- header mapping

_EXACT = {
    "STT": "stt", "TT": "stt", "SO TT": "stt", "SO THU TU": "stt", "S TT": "stt",
    "THON": "village", "BAN": "village", "THON/BAN": "village", "THON BAN": "village",
    "THON/BAN/KHU": "village", "KHU": "village", "TO": "village", "XOM": "village",
    "THON/XOM": "village", "THON/TO": "village", "KHOI": "village", "KHOI/PHO": "village",
    "THON/KHOI": "village", "TO/KHOI": "village", "THON/BAN/TO": "village", "KHU/TO": "village",
    "THON/KHU": "village", "THON XOM": "village", "THON TO": "village", "BAN/THON": "village",
    "NAM": "sub_male", "NU": "sub_female",
    "GIOI": "gender", "GIOI TINH": "gender", "PHAI": "gender",
    "SINH NGAY": "dob",
    "TAI KHOAN": "account_number",
}

# ordered (field, any-of substrings); first match wins; None = explicitly not mapped
_RULES: list[tuple[str | None, tuple[str, ...]]] = [
    (None, ("CHU HO", "NOI SINH", "QUAN HE", "HO TEN CHA", "HO TEN ME", "NGAY CHET", "NGAY MAT")),
    ("authorised_person", ("UY QUYEN", "NHAN THAY", "NHAN HO", "GIAM HO", "NGUOI NHAN TIEN")),
    ("account_holder", ("CHU TAI KHOAN", "CHU TK", "TEN TAI KHOAN", "TEN TK")),
    ("account_number", ("SO TAI KHOAN", "SO TK", "TAI KHOAN SO", "SO TAI KHOAN/THE")),
    ("bank", ("NGAN HANG", "MO TAI KHOAN", "NOI MO TK", "TAI NH", "TEN NH")),
    ("phone", ("DIEN THOAI", "SDT", "SO DT", "DTDD")),
    ("decision_number", ("SO QUYET DINH", "SO QD", "QUYET DINH SO", "QD SO")),
    ("decision_date", ("NGAY QUYET DINH", "NGAY QD", "NGAY KY QUYET DINH", "NGAY KY QD", "NGAY KY")),
    ("id_number", ("CCCD", "CMND", "DINH DANH", "CAN CUOC", "CMT")),
    ("start_month", ("HUONG TU", "THOI DIEM HUONG", "THANG BAT DAU", "THOI GIAN HUONG", "NGAY HUONG",
                     "BAT DAU HUONG", "THANG HUONG")),
    ("dob", ("NGAY SINH", "NAM SINH", "NGAY THANG NAM SINH", "NGAY/THANG/NAM SINH", "NGAY, THANG, NAM SINH",
             "THANG NAM SINH", "NGAY THANG SINH")),
    ("full_name", ("HO VA TEN", "HO TEN", "TEN DOI TUONG", "HO, TEN", "HO VA TEN DOI TUONG")),
    ("gender", ("GIOI TINH",)),
    ("ethnicity", ("DAN TOC",)),
    ("address", ("DIA CHI", "NOI O", "NOI CU TRU", "CHO O", "THUONG TRU", "HO KHAU")),
    ("village", ("THON/BAN", "THON, BAN", "THON BAN", "THON, XOM", "THON XOM")),
    ("category", ("DOI TUONG", "DIEN HUONG", "DIEN DOI TUONG", "NHOM DOI TUONG", "LOAI DOI TUONG",
                  "PHAN LOAI", "DIEN TRO CAP", "DIEN")),
    ("coefficient", ("HE SO",)),
    ("amount", ("MUC TRO CAP", "MUC HUONG", "SO TIEN", "MUC TRO GIUP", "THANH TIEN", "MUC CHI",
                "TIEN TRO CAP", "MUC TIEN", "SO TIEN HUONG")),
    ("note", ("GHI CHU",)),
]


@lru_cache(maxsize=4096)
def map_header(text: str) -> str | None:
    """Canonical field for one header cell text (accent/case/spacing-insensitive)."""
    k = _key(text)
    if not k:
        return None
    f = _EXACT.get(k)
    if f is not None:
        return f
    padded = " " + k.replace("/", " ") + " "
    for fld, subs in _RULES:
        for s in subs:
            if f" {s} " in padded or (len(s) > 4 and s in k):
                return fld
    return None


@lru_cache(maxsize=4096)
def _combine(parent: str, sub: str) -> tuple[str | None, str]:
    """Field for a column with parent header text and sub-header text."""
    label = f"{parent} / {sub}" if parent and sub else (parent or sub)
    if not sub:
        f = map_header(parent)
        return (None if f in ("sub_male", "sub_female") else f), label
    fs = map_header(sub)
    if not parent:
        return (None if fs in ("sub_male", "sub_female") else fs), label
    fp = map_header(parent)
    if fs in ("sub_male", "sub_female"):
        male = fs == "sub_male"
        if fp == "dob" or (fp is None and "SINH" in _key(parent)):
            return ("dob_male" if male else "dob_female"), label
        if fp == "gender":
            return ("gender_male" if male else "gender_female"), label
        return None, label
    if fs is not None:
        return fs, label
    fc = map_header(f"{parent} {sub}")
    if fc is not None and fc not in ("sub_male", "sub_female"):
        return fc, label
    return None, label


# --------------------------------------------------------------------------- row patterns

_NUMBERING_TOKEN = re.compile(r"^\(?\s*(\d{1,2}|[A-Za-z]|[0-9()=xX*+\-/.\s]{3,20})\s*\)?$")
_FOOTER_WORDS = (
    "NGUOI LAP", "LAP BIEU", "CHU TICH", "KY GHI RO", "KY, GHI RO", "GHI RO HO TEN", "KY TEN",
    "XAC NHAN", "TM ", "TM.", "KT ", "KT.", "TL.", "TUQ", "CAN BO", "KE TOAN", "THU TRUONG",
    "UY BAN NHAN DAN", "UBND", "DONG DAU", "GIAM DOC", "CONG CHUC", "VAN HOA XA HOI", "LDTBXH",
    "NOI NHAN", "GHI CHU:", "LUU Y", "THU QUY", "TRUONG THON", "TRUONG BAN", "DA KY",
)
_FOOTER_DATE = re.compile(r"NGAY\s*[\d.…]*\s*THANG\s*[\d.…]*\s*NAM")
_HEADING = re.compile(r"^([IVX]{1,5}|[A-Z]|\d{1,2})[.)\-]\s+\S")
_PERIOD = re.compile(r"THANG\s*(\d{1,2})\s*(?:NAM|/|-|\.)\s*(\d{4})")
_COMMUNE = re.compile(r"\b(?:UBND|UY BAN NHAN DAN)\s+(XA|PHUONG|THI TRAN)\s+(.+)$")


def _is_blank(v) -> bool:
    return v == "" or v is None or (isinstance(v, str) and not v.strip())


def _is_numbering_row(row) -> bool:
    n = 0
    numeric = 0
    for v in row:
        if _is_blank(v):
            continue
        n += 1
        if isinstance(v, float) or isinstance(v, int):
            if v != int(v) or not 0 <= v < 100:
                return False
            numeric += 1
            continue
        if not isinstance(v, str):
            return False
        t = v.strip()
        if not _NUMBERING_TOKEN.match(t):
            return False
        if any(ch.isdigit() for ch in t):
            numeric += 1
    return n >= 2 and numeric * 2 >= n


def _footer_like(row, dec: _Decoder) -> bool:
    for v in row:
        if isinstance(v, str) and v.strip():
            k = fold(dec(v))
            if _FOOTER_DATE.search(k):
                return True
            kp = k + " "
            for w in _FOOTER_WORDS:
                if kp.startswith(w) or f" {w}" in kp or f"({w}" in kp:
                    return True
    return False


def _name_like(v) -> bool:
    if not isinstance(v, str):
        return False
    t = v.strip()
    if not t:
        return False
    words = t.split()
    if not 2 <= len(words) <= 7:
        return False
    return all(ch.isalpha() or ch in " .'-" for ch in t)


# --------------------------------------------------------------------------- dates

def parse_date(value) -> tuple[date, str] | None:
    """A date cell: :func:`ansinh.text.dates.parse_cell` with this reader's legacy decoder."""
    return parse_cell(value, _PLAIN)


# --------------------------------------------------------------------------- cell converters
# each returns (value, error message or None)

def _conv_text(v, dec):
    if isinstance(v, str):
        if not v.isascii():
            v = dec(v)
        v = " ".join(v.split())
        return (v or None), None
    if v is None or v == "":
        return None, None
    return _cell_text(v, dec), None


_NAME_WORDS: dict[str, str] = {}


def _name_word(w: str) -> str:
    r = _NAME_WORDS.get(w)
    if r is None:
        r = normalize_name(w)
        if len(_NAME_WORDS) >= 100_000:
            _NAME_WORDS.clear()      # (the same dict object: _conv_name holds its .get)
        _NAME_WORDS[w] = r
    return r


_LEGACY_NAME_WORDS: dict[tuple[str, str], str] = {}


def _legacy_name_word(enc: str, w: str) -> str:
    key = (enc, w)
    r = _LEGACY_NAME_WORDS.get(key)
    if r is None:
        r = _name_word(nfc(decode_legacy(w, enc)))
        if len(_LEGACY_NAME_WORDS) >= 100_000:
            _LEGACY_NAME_WORDS.clear()
        _LEGACY_NAME_WORDS[key] = r
    return r


def _conv_name(v, dec, _get=_NAME_WORDS.get):
    """normalize_name(), word by word through a cache (names share few distinct words;
    normalize_name works on each space-separated word independently, and so does the
    legacy decoding up to letter case, which normalize_name sets anyway)."""
    if type(v) is not str:
        v = _cell_text(v, dec)
    elif not v.isascii() and _VN_UNICODE.search(v) is None:
        # 8-bit text only: legacy-font text, or Unicode that happens to fit in Latin-1
        if dec.encoding is not None:
            enc = dec.encoding
            words = [_legacy_name_word(enc, w) for w in v.split()]
            s = " ".join(w for w in words if w)
            return (s or None), None
        v = dec(v)
    # (no NFC here: _name_word normalises each word, NFD input included)
    words = [_get(w) or _name_word(w) for w in v.split()]
    if not all(words):                                 # a word that normalised to nothing
        words = [w for w in words if w]
    return (" ".join(words) or None), None


def _conv_date(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    try:
        return parse_date(v), None
    except ValueError as e:
        return None, str(e)


def _digits_from_number(v: float) -> str | None:
    if isinstance(v, bool) or v != int(v) or v < 0:
        return None
    return str(int(v))


_ID_STRIP = str.maketrans("", "", " .-'_,\u00a0\t")


def _conv_id(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    if isinstance(v, (float, int)):
        s = _digits_from_number(v)
        if s is None:
            return None, f"not an ID number: {v!r}"
        if len(s) in (10, 11):      # the leading 0(s) of the province code were lost
            s = s.zfill(12)
        elif len(s) == 8:           # 9-digit CMND starting with 0
            s = "0" + s
        if v >= 1e15:
            return s, "stored as a number: digits may have been lost"
        return s, None
    if isinstance(v, str) and v.isdigit() and v.isascii():
        return v, None
    s = _cell_text(v, dec).translate(_ID_STRIP)
    if not s:
        return None, None
    if not s.isdigit():
        return s, f"contains non-digit characters: {s!r}"
    return s, None


def _conv_phone(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    if isinstance(v, (float, int)):
        s = _digits_from_number(v)
        if s is None:
            return None, f"not a phone number: {v!r}"
        if len(s) in (9, 10) and not s.startswith("0"):
            s = "0" + s
        return s, None
    s = _cell_text(v, dec).translate(_ID_STRIP).replace("(", "").replace(")", "")
    if s.startswith("+84"):
        s = "0" + s[3:]
    elif s.startswith("84") and len(s) in (11, 12):
        s = "0" + s[2:]
    if not s:
        return None, None
    if not s.isdigit():
        return s, f"contains non-digit characters: {s!r}"
    return s, None


def _conv_account(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    if isinstance(v, (float, int)):
        s = _digits_from_number(v)
        if s is None:
            return None, f"not an account number: {v!r}"
        if v >= 1e15:
            return s, "stored as a number with more than 15 digits: digits were lost"
        return s, None
    s = "".join(_cell_text(v, dec).split()).replace(".", "").replace("-", "").lstrip("'")
    return (s or None), None


def _conv_decimal(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    if isinstance(v, bool):
        return None, f"not a number: {v!r}"
    if isinstance(v, (int, float)):
        return (Decimal(int(v)) if v == int(v) else Decimal(repr(round(float(v), 6)))), None
    s = _cell_text(v, dec).strip().replace(" ", "").replace(",", ".")
    try:
        return Decimal(s), None
    except InvalidOperation:
        return None, f"not a number: {v!r}"


_AMOUNT_STRIP = re.compile(r"(?i)\s|đồng|đ|vnđ|vnd|d$")
_AMOUNT_GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")


def _conv_amount(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    if isinstance(v, bool):
        return None, f"not an amount: {v!r}"
    if isinstance(v, (int, float)):
        return int(round(v)), None
    s = _AMOUNT_STRIP.sub("", _cell_text(v, dec))
    if s.isdigit():
        return int(s), None
    if _AMOUNT_GROUPED.match(s):
        return int(s.replace(".", "").replace(",", "")), None
    return None, f"not an amount: {v!r}"


def _conv_stt(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    if isinstance(v, float) and v.is_integer():
        return int(v), None
    if isinstance(v, str):
        t = v.strip()
        return (int(t) if t.isdigit() else _conv_text(t, dec)[0]), None
    return v, None


def _conv_gender(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    k = fold(_cell_text(v, dec)).strip()
    if k in ("NAM", "M", "MALE", "TRAI", "NAM GIOI", "1"):
        return "M", None
    if k in ("NU", "F", "FEMALE", "GAI", "NU GIOI", "0"):
        return "F", None
    return None, f"unknown gender {_cell_text(v, dec)!r}"


def _conv_month(v, dec):
    if isinstance(v, str) and (not v or v.isspace()):
        return None, None
    try:
        r = parse_date(v)
    except ValueError as e:
        return None, str(e)
    if r is None:
        return None, None
    d, prec = r
    if prec == "year":
        return None, f"a month is expected, got the year {d.year}"
    return f"{d.year:04d}-{d.month:02d}", None


_CONVERTERS = {
    "stt": _conv_stt,
    "full_name": _conv_name,
    "account_holder": _conv_name,
    "authorised_person": _conv_name,
    "dob": _conv_date,
    "decision_date": _conv_date,
    "gender": _conv_gender,
    "id_number": _conv_id,
    "cmnd": _conv_id,
    "phone": _conv_phone,
    "account_number": _conv_account,
    "coefficient": _conv_decimal,
    "amount": _conv_amount,
    "start_month": _conv_month,
}


# --------------------------------------------------------------------------- loading

def _load_grids(path: Path, name: str):
    """Yield (sheet name, rows, merged ranges) for each worksheet, visible ones first."""
    ext = path.suffix.lower()
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise ReadError(name, message=f"cannot open file: {e.strerror or e}") from None
    if not head:
        raise ReadError(name, message="the file is empty")
    use_content = False
    if head.startswith(_OLE_MAGIC):
        if ext != ".xls":
            data = path.read_bytes()
            if (b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00e\x00d\x00P\x00a\x00c\x00k\x00a\x00g\x00e" in data
                    or b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k" not in data):
                raise ReadError(name, message="the file is password-protected (encrypted); "
                                              "remove the password in Excel and save it again")
            use_content = True           # an .xls saved with another extension
    elif head.startswith(_ZIP_MAGIC):
        if ext == ".xls":
            use_content = True           # an .xlsx/.ods saved as .xls
    else:
        stripped = head.lstrip()
        if stripped[:1] == b"<" or head.startswith(b"\xef\xbb\xbf<"):
            raise ReadError(name, message="the file is a web page (HTML/XML) saved with a spreadsheet "
                                          "extension; open it in Excel and save it as .xlsx")
        raise ReadError(name, message=f"not a {ext} file (unrecognised content)")
    _limits(path, name)
    try:
        if use_content:
            with open(path, "rb") as fh:
                wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(fh.read()))
        else:
            wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise ReadError(name, message="the file is password-protected; remove the password "
                                      "and save it again") from None
    except Exception as e:  # calamine: ZipError, XmlError, CalamineError, ...
        raise ReadError(name, message="cannot read the file (corrupt or not a spreadsheet): "
                                      f"{_no_path(str(e), path)}") from None
    try:
        metas = wb.sheets_metadata
        order = [i for i, m in enumerate(metas) if m.typ == pc.SheetTypeEnum.WorkSheet
                 and m.visible == pc.SheetVisibleEnum.Visible]
        order += [i for i, m in enumerate(metas) if m.typ == pc.SheetTypeEnum.WorkSheet and i not in order]
        if not order:
            order = list(range(len(metas)))
        for i in order:
            try:
                sh = wb.get_sheet_by_index(i)
                rows = sh.to_python(skip_empty_area=False)
                merged = sh.merged_cell_ranges
            except pc.PasswordError:
                raise ReadError(name, message="the file is password-protected") from None
            except Exception as e:
                raise ReadError(name, message=f"cannot read sheet '{metas[i].name}': {_no_path(str(e), path)}") from None
            yield metas[i].name, rows, merged
    finally:
        try:
            wb.close()
        except Exception:
            pass


def _sniff_delimiter(head: str) -> str:
    """',', ';' or tab: the one that splits the most lines into the same number of fields.

    (csv.Sniffer gives up on files that start with a one-cell title line.)"""
    lines = head.splitlines()[:60]
    if len(lines) > 1 and len(head) >= 20000:
        lines = lines[:-1]                       # the last line may be cut
    best, best_score = ",", -1
    for d in (";", ",", "\t"):
        counts: dict[int, int] = {}
        for r in csv.reader(lines, delimiter=d):
            if len(r) > 1:
                counts[len(r)] = counts.get(len(r), 0) + 1
        if not counts:
            continue
        width, rows = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
        score = rows * width
        if score > best_score:
            best, best_score = d, score
    return best


def _load_csv(path: Path, name: str):
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise ReadError(name, message=f"cannot open file: {e.strerror or 'error'}") from None
    if head.startswith(_OLE_MAGIC) or head.startswith(_ZIP_MAGIC):
        raise ReadError(name, message="not a CSV file (it is a spreadsheet saved with a .csv extension)")
    _limits(path, name)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ReadError(name, message=f"cannot open file: {e.strerror or 'error'}") from None
    if not data.strip():
        raise ReadError(name, message="the file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = nfc(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise ReadError(name, message="the file is not valid UTF-16 text") from None
    else:
        text = None
    if text is not None:
        pass
    elif b"\x00" in data:
        raise ReadError(name, message="not a text file (it holds NUL bytes); save the list as CSV UTF-8 or .xlsx")
    else:
        text = _decode_csv(data)
    delim = _sniff_delimiter(text[:20000])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as e:
        raise ReadError(name, message=f"cannot read the CSV file: {_no_path(str(e), path)}") from None
    del text, data
    width = max((len(r) for r in rows), default=0)
    try:
        check_grid(name, len(rows), width)
    except InputRefused as e:
        raise ReadError(name, message=e.message) from None
    for r in rows:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    yield None, rows, None


def _decode_csv(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        latin = data.decode("latin-1")
        # legacy-font (TCVN3/VNI) text keeps its bytes as Latin-1 characters; otherwise
        # the file is most likely Windows-1258 (Vietnamese ANSI)
        sample = [ln for ln in latin.splitlines()[:300] if not ln.isascii()]
        if sample and detect_legacy_column(sample):
            text = latin
        else:
            text = nfc(data.decode("cp1258", errors="replace"))
    return text


# --------------------------------------------------------------------------- header search

@dataclass
class _Header:
    rows: list[int]                    # 0-based indices
    columns: dict[str, int]
    unmapped: dict[int, str]
    labels: list[str]


def _row_texts(row, dec: _Decoder) -> list[str]:
    out = []
    for v in row:
        if isinstance(v, str):
            out.append(" ".join(dec(v).split()))
        else:
            out.append("" if _is_blank(v) else _cell_text(v, dec))
    return out


def _parent_spans(top_idx: int, width: int, merged) -> dict[int, int]:
    """column -> column of the top-left cell, for horizontal merges covering row top_idx."""
    spans = {}
    for (r0, c0), (r1, c1) in merged or ():
        if r0 <= top_idx <= r1 and c1 > c0:
            for c in range(c0 + 1, min(c1, width - 1) + 1):
                spans[c] = c0
    return spans


def _build_header(grid, idxs: list[int], merged, dec: _Decoder) -> _Header:
    width = max(len(grid[i]) for i in idxs)
    texts = [_row_texts(grid[i], dec) + [""] * (width - len(grid[i])) for i in idxs]
    if len(idxs) == 1:
        parents, subs = texts[0], [""] * width
    else:
        top, bot = texts
        spans = _parent_spans(idxs[0], width, merged)
        parents = list(top)
        for c in range(width):
            if parents[c]:
                continue
            if c in spans:
                parents[c] = top[spans[c]]
            elif not merged and bot[c] and c > 0 and bot[c - 1] and parents[c - 1]:
                # no merge information (csv, some .xls/.ods): a sub-column right of another
                parents[c] = parents[c - 1]
        subs = bot
    columns: dict[str, int] = {}
    unmapped: dict[int, str] = {}
    labels = []
    for c in range(width):
        f, label = _combine(parents[c], subs[c])
        labels.append(label)
        if not label:
            continue
        if f is None:
            unmapped[c] = label
            continue
        if f == "id_number" and "id_number" in columns:
            # separate CMND and CCCD columns: the CCCD/định danh one is id_number
            prev = columns["id_number"]
            kp = _key(labels[prev])
            if "CMND" in kp and "CCCD" not in kp and "DINH DANH" not in kp:
                columns["cmnd"] = prev
                columns["id_number"] = c
            elif "cmnd" not in columns:
                columns["cmnd"] = c
            else:
                unmapped[c] = label + " (duplicate)"
            continue
        if f in columns:
            unmapped[c] = label + " (duplicate)"
            continue
        columns[f] = c
    return _Header(rows=idxs, columns=columns, unmapped=unmapped, labels=labels)


def _has_key_field(cols: dict[str, int]) -> bool:
    return "full_name" in cols and bool({"dob", "dob_male", "dob_female", "id_number"} & cols.keys())


def _looks_like_data(v) -> bool:
    if isinstance(v, (int, float, date)) and not isinstance(v, bool):
        return True
    if isinstance(v, str):
        return sum(ch.isdigit() for ch in v) >= 4
    return False


def _is_sub_header(top, below, top_idx: int, merged, dec: _Decoder) -> bool:
    """Is ``below`` a sub-header row of ``top``?  Each of its texts must sit under an
    empty top cell (merged parent), under a parent merged across several columns,
    or be a known header itself ("Nam"/"Nữ", "Số tài khoản" ...)."""
    spans = _parent_spans(top_idx, max(len(top), len(below)), merged)
    starts = set(spans.values())
    found = False
    for c, v in enumerate(below):
        if _is_blank(v):
            continue
        if not isinstance(v, str) or _looks_like_data(v):
            return False
        t = top[c] if c < len(top) else ""
        if _is_blank(t) or c in spans or c in starts or map_header(dec(v)) is not None:
            found = True
            continue
        return False
    return found


def _find_header(grid, merged, dec: _Decoder):
    """(_Header or None, message about a partial header or None)."""
    n = min(len(grid), 80)
    partial = None
    for i in range(n):
        row = grid[i]
        strings = 0
        for v in row:
            if isinstance(v, str) and v.strip():
                strings += 1
        if strings < 2:
            continue
        single = _build_header(grid, [i], merged, dec)
        if "full_name" not in single.columns:
            continue
        name_col = single.columns["full_name"]
        candidates = []
        # sub-header row below ("Nam"/"Nữ" under "Ngày tháng năm sinh"): the name cell
        # is empty there (merged down), and nothing in it looks like data
        if i + 1 < len(grid):
            below = grid[i + 1]
            if ((name_col >= len(below) or _is_blank(below[name_col]))
                    and not _is_numbering_row(below) and _is_sub_header(row, below, i, merged, dec)):
                candidates.append([i, i + 1])
        # parent row above ("Thông tin tài khoản" over "Số TK"/"Ngân hàng", STT merged down)
        if i > 0:
            above = grid[i - 1]
            a_vals = [v for v in above if not _is_blank(v)]
            if len(a_vals) >= 2 and all(isinstance(v, str) for v in a_vals) and any(
                    not _is_blank(above[c]) and (c >= len(row) or _is_blank(row[c]))
                    and map_header(_cell_text(above[c], dec)) for c in range(len(above))):
                candidates.append([i - 1, i])
        candidates.append([i])
        for idxs in candidates:
            hdr = single if idxs == [i] else _build_header(grid, idxs, merged, dec)
            if _has_key_field(hdr.columns):
                return hdr, None
        if partial is None:
            partial = (f"row {i + 1} has a name column but no date-of-birth "
                       f"('Ngày sinh'/'Năm sinh') or ID ('Số CCCD') column")
    return None, partial


# --------------------------------------------------------------------------- title info

def _title_info(grid, header_first: int, dec: _Decoder):
    lines: list[str] = []
    period = None
    commune = None
    for i in range(header_first):
        for v in grid[i]:
            if not (isinstance(v, str) and v.strip()):
                continue
            for part in re.split(r"[\r\n]+", dec(v)):
                t = " ".join(part.split())
                if not t or t in lines:
                    continue
                lines.append(t)
                k = fold(t)
                if period is None:
                    for m in _PERIOD.finditer(k):
                        if re.search(r"NGAY\s*\d{1,2}\s*$", k[:m.start()]):
                            continue          # "ngày 05 tháng 01 năm 2024": a signing date
                        if 1 <= int(m.group(1)) <= 12:
                            period = f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
                            break
                if commune is None:
                    m = _COMMUNE.search(k)
                    if m:
                        commune = _commune_name(t, k, m)
    return lines, period, commune


def _commune_name(t: str, k: str, m: re.Match) -> str | None:
    kind = {"XA": "Xã", "PHUONG": "Phường", "THI TRAN": "Thị trấn"}[m.group(1)]
    rest_k = re.split(r"\s+[-–,(]\s*|\s+HUYEN\s|\s+TINH\s|\s+THANH PHO\s", m.group(2) + " ")[0].strip()
    if not rest_k:
        return None
    start_word = len(k[:m.start(2)].split())
    words = t.split()
    n = len(rest_k.split())
    orig = words[start_word:start_word + n] if len(words) == len(k.split()) else rest_k.split()
    return f"{kind} {normalize_name(' '.join(orig))}"


# --------------------------------------------------------------------------- main

def read_list(path, name: str | None = None) -> ParsedList:
    """Read a beneficiary list file; raise ReadError if it cannot be used at all.

    ``name``: the name the user knows the file by (an upload's original name); messages name
    the file by it, or by the file's own name, never by its folder (no server paths).  The
    size limits of ``ansinh.core.limits`` are checked before anything is parsed."""
    name, sheets = load_sheets(path, name)
    return _read_sheets(name, sheets)


def load_sheets(path, name: str | None = None):
    """The grid loader: ``(name, sheets)``, ``sheets`` yielding ``(sheet name, rows, merged
    ranges)`` for each worksheet, visible ones first (a CSV is one sheet named None, its
    encoding and delimiter detected).  ``name`` as for :func:`read_list`; ReadError for a file
    of another type, a missing file, one over the size limits or one that cannot be read.
    Used by :func:`read_list` and by the bank-list reader (``ansinh.accounts.bank_lists``)."""
    p = Path(path)
    name = display_name(p, name)
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise ReadError(name, message=f"unsupported file type '{p.suffix or '(none)'}' "
                                      f"(expected {', '.join(SUPPORTED_EXTENSIONS)})")
    if not p.exists():
        raise ReadError(name, message="file not found")
    if not p.is_file():
        raise ReadError(name, message="not a file")
    return name, (_load_csv(p, name) if ext == ".csv" else _load_grids(p, name))


def _no_path(text: str, p: Path) -> str:
    """An error text without the file's folder (messages never show server paths)."""
    text = " ".join(text.split())
    for s in (str(p), str(p.resolve()) if p.exists() else str(p), str(p.parent)):
        if s and s != ".":
            text = text.replace(s + "/", "").replace(s, p.name)
    return text[:300]


def _limits(p: Path, name: str) -> None:
    try:
        check_table_file(p, name)
    except InputRefused as e:
        raise ReadError(name, message=e.message) from None


def _read_sheets(name: str, sheets) -> ParsedList:
    tried = []
    partial = None
    for sheet_name, grid, merged in sheets:
        tried.append(sheet_name)
        if not grid:
            continue
        dec = _decoder_for(grid)
        hdr, part = _find_header(grid, merged, dec)
        if hdr is None:
            if part and partial is None:
                partial = (f"sheet '{sheet_name}': " if sheet_name else "") + part
            continue
        return _parse(name, sheet_name, grid, hdr, dec)
    where = ", ".join(f"'{s}'" for s in tried if s is not None)
    msg = ("no recognisable header (need a 'Họ và tên' column and a 'Ngày sinh' or 'Số CCCD' column)"
           + (f" in sheet(s) {where}" if where else ""))
    if partial:
        msg += f"; {partial}"
    raise ReadError(name, message=msg)


_TOTALS_EXACT = frozenset({"TONG", "CONG", "TONG CONG", "TONG SO", "CONG SO", "TONG CONG SO", "TONG SO TIEN",
                           "CONG TIEN", "TONG TIEN", "CONG TOAN XA", "TONG CONG TOAN XA"})
_TOTALS_START = re.compile(r"^(TONG\s*CONG|TONG\s*SO|CONG\s*[:(\d]|TONG\s*[:(\d]|CONG TOAN)")
_HEADING_WORDS = frozenset({"thôn", "bản", "khu", "xóm", "khối", "tổ", "đội", "nhóm", "diện", "người",
                            "trẻ", "đối", "danh", "phần", "mục", "loại", "hộ"})


def _is_totals(row, label_cols, dec) -> bool:
    w = len(row)
    for c in label_cols:
        v = row[c] if c < w else ""
        if isinstance(v, str) and v.strip():
            k = fold(dec(v)).strip(" :.")
            if k in _TOTALS_EXACT or _TOTALS_START.match(k):
                return True
    return False


def _is_repeated_header(row, dec) -> bool:
    found = set()
    for v in row:
        if isinstance(v, str) and v.strip():
            f = map_header(dec(v))
            if f:
                found.add(f)
    return "full_name" in found and len(found) >= 2


def _section_heading(row, name_col: int, dec: _Decoder) -> str | None:
    """Text of a section-heading row ("I. Người cao tuổi", "Thôn Nà Pàn"), else None."""
    texts = []
    for v in row:
        if not _is_blank(v):
            t = " ".join(_cell_text(v, dec).split())
            if t not in texts:
                texts.append(t)
    if not texts:
        return None
    nm = row[name_col] if name_col < len(row) else ""
    first_col = next(c for c, v in enumerate(row) if not _is_blank(v))
    if len(texts) == 1:
        t = texts[0]
        if _is_blank(nm):
            # a merged heading starting left of the name column; text further right
            # (a stray note) is not a heading
            return t if first_col < name_col else None
        k = fold(t)
        if _HEADING.match(k):
            return t
        first = t.split()[0].lower()
        if first in _HEADING_WORDS and len(t.split()) >= 2:
            return t
        return None                      # maybe a person with nothing else filled in: kept
    if len(texts) == 2 and re.fullmatch(r"[IVX]{1,5}|[A-Z]", fold(texts[0]).strip(" .")):
        return " ".join(texts)           # "I" | "Người cao tuổi"
    return None


def _convert_column(col: list, conv, dec: _Decoder) -> tuple[list, list]:
    """Convert a column: (values, [(index, error message)]).  Each distinct cell value
    is converted once; the per-cell work is done by C-level map()."""
    memo: dict = {}
    bad: dict = {}
    distinct = set(col)
    if conv is _conv_name:
        distinct = _convert_names(distinct, dec, memo)
    for v in distinct:
        if v == "" or v is None:
            memo[v] = None
        else:
            val, err = conv(v, dec)
            memo[v] = val
            if err is not None:
                bad[v] = err
    values = list(map(memo.__getitem__, col))
    if not bad:
        return values, []
    return values, [(k, bad[v]) for k, v in enumerate(col) if v in bad]


def _convert_names(distinct: set, dec: _Decoder, memo: dict) -> set:
    """Fast path of _conv_name for a column: the Unicode/ASCII names go word by word
    through the name-word cache with C-level map(); returns the values left for
    _conv_name (legacy or 8-bit-only text, non-strings)."""
    search = _VN_UNICODE.search
    plain = [v for v in distinct if type(v) is str and (v.isascii() or search(v) is not None)]
    words = set(" ".join(plain).split())
    shared = _NAME_WORDS
    if len(shared) + len(words) > 100_000:
        shared.clear()
    # this column's words in a dict of its own: the shared cache is bounded and may be
    # cleared while the words are converted (a list with more than 100,000 distinct words)
    cache = {w: shared.get(w) or _name_word(w) for w in words}
    if any(not v for v in cache.values()):          # a word that normalises to nothing
        return distinct
    get = cache.__getitem__
    for v in plain:
        memo[v] = " ".join(map(get, v.split())) or None
    return distinct.difference(plain)


def _non_data_reason(row, i: int, last_data: int, footer_started: bool, name_col: int,
                     label_cols, dec: _Decoder) -> str | None:
    """Why a row that is not plainly data is skipped, or None to keep it as a data row."""
    if all(_is_blank(v) for v in row):
        return "blank row"
    if _is_totals(row, label_cols, dec):
        return "totals row"
    if i > last_data and (footer_started or _footer_like(row, dec)):
        return "footer (signatures, place and date, notes)"
    if _is_numbering_row(row):
        return "column numbering row"
    if _is_repeated_header(row, dec):
        return "repeated header row"
    if i < last_data:
        heading = _section_heading(row, name_col, dec)
        if heading is not None:
            return f"section heading: {heading}"
    nm = row[name_col] if name_col < len(row) else ""
    if i > last_data and not _name_like(_cell_text(nm, dec)):
        return ("not a data row (no name with a date of birth, ID or number) after the last data row: "
                + _short(row, dec))
    if _is_blank(nm):
        return "no name: " + _short(row, dec)
    return None


def _short(row, dec) -> str:
    t = " | ".join(x for x in (_cell_text(v, dec) for v in row) if x)
    return t if len(t) <= 80 else t[:77] + "..."


def _parse(name: str, sheet_name, grid, hdr: _Header, dec: _Decoder) -> ParsedList:
    columns = hdr.columns
    header_last = hdr.rows[-1]
    title_lines, period, commune = _title_info(grid, hdr.rows[0], dec)
    width = max(len(grid[i]) for i in hdr.rows)
    original_header = [_row_texts(grid[i], dec) + [""] * (width - len(grid[i])) for i in hdr.rows]

    skipped: list[SkippedRow] = []
    n = len(grid)
    start = header_last + 1
    if start < n and _is_numbering_row(grid[start]):
        skipped.append(SkippedRow(start + 1, "column numbering row", _row_texts(grid[start], dec)))
        start += 1

    name_col = columns["full_name"]
    stt_col = columns.get("stt")
    key_cols = [columns[f] for f in ("dob", "dob_male", "dob_female", "id_number", "cmnd") if f in columns]
    label_cols = [c for c in (stt_col, name_col) if c is not None]

    name_header = {grid[i][name_col] for i in hdr.rows if name_col < len(grid[i])} - {""}

    def is_data(row, name_col=name_col, stt_col=stt_col, key_cols=tuple(key_cols)) -> bool:
        """A name plus a date of birth, an ID or a number in the STT column."""
        w = len(row)
        if name_col >= w:
            return False
        nm = row[name_col]
        if nm == "" or nm is None or (isinstance(nm, str) and nm.isspace()) or nm in name_header:
            return False
        for c in key_cols:
            if c < w:
                v = row[c]
                if v != "" and v is not None:
                    return True
        if stt_col is not None and stt_col < w:
            sv = row[stt_col]
            if (isinstance(sv, (int, float)) and not isinstance(sv, bool)) or (
                    isinstance(sv, str) and sv.strip().rstrip(".").isdigit()):
                # numbered, but neither a birth date nor an ID: not "Tổng cộng" with a count
                return not (isinstance(nm, str) and _is_totals(row, label_cols, dec))
        return False

    # the last data row: everything after it is the footer or stray rows
    last_data = -1
    for i in range(n - 1, start - 1, -1):
        if is_data(grid[i]):
            last_data = i
            break

    # classify every row after the header
    data_idx: list[int] = []
    row_sections: list[str | None] = []
    footer_started = False
    section = None
    for i in range(start, n):
        row = grid[i]
        if i <= last_data and is_data(row):
            data_idx.append(i)
            row_sections.append(section)
            continue
        reason = _non_data_reason(row, i, last_data, footer_started, name_col, label_cols, dec)
        if reason is None:
            # a person with neither a date of birth, an ID nor a number: kept (the
            # importer reports the missing fields)
            data_idx.append(i)
            row_sections.append(section)
            continue
        if reason.startswith("footer"):
            footer_started = True
        elif reason.startswith("section heading: "):
            section = reason[len("section heading: "):]
        skipped.append(SkippedRow(i + 1, reason, None if reason == "blank row" else _row_texts(row, dec)))
    skipped.sort(key=lambda s: s.row)

    # convert column by column: each distinct value of a repetitive column (village,
    # category, amount, date ...) is converted once
    rows = [grid[i] for i in data_idx]
    need = max(columns.values()) + 1
    if any(len(r) < need for r in rows):
        rows = [r if len(r) >= need else list(r) + [""] * (need - len(r)) for r in rows]
    fields: list[str] = []
    cols_values: list[list] = []
    errors_by_row: dict[int, list[FieldError]] = {}
    for f, c in columns.items():
        if f in _SUB_FIELDS:
            continue
        conv = _CONVERTERS.get(f, _conv_text)
        vals, errs = _convert_column(list(map(itemgetter(c), rows)), conv, dec)
        for k, msg in errs:
            errors_by_row.setdefault(k, []).append(FieldError(f, msg))
        fields.append(f)
        cols_values.append(vals)

    # Nam/Nữ birth-date columns -> dob + gender; Nam/Nữ mark columns -> gender
    dm, df = columns.get("dob_male"), columns.get("dob_female")
    gm, gf = columns.get("gender_male"), columns.get("gender_female")
    split_dob: list | None = None
    if dm is not None or df is not None:
        males = list(map(itemgetter(dm), rows)) if dm is not None else [""] * len(rows)
        females = list(map(itemgetter(df), rows)) if df is not None else [""] * len(rows)
        m_vals, m_errs = _convert_column(males, _conv_date, dec)
        f_vals, f_errs = _convert_column(females, _conv_date, dec)
        m_err, f_err = dict(m_errs), dict(f_errs)
        split_dob = []
        none2 = (None, None)
        for k, (vm, vf) in enumerate(zip(males, females)):
            bm = vm == "" or vm is None or (type(vm) is str and vm.isspace())
            bf = vf == "" or vf is None or (type(vf) is str and vf.isspace())
            if bm:
                if bf:
                    split_dob.append(none2)
                    continue
                dob, err = f_vals[k], f_err.get(k)
                g = "F"
            elif bf:
                dob, err = m_vals[k], m_err.get(k)
                g = "M"
            else:
                errors_by_row.setdefault(k, []).append(
                    FieldError("dob", "both the 'Nam' and the 'Nữ' birth-date columns are filled"))
                split_dob.append(none2)
                continue
            if err:
                errors_by_row.setdefault(k, []).append(FieldError("dob", err))
            split_dob.append((dob, g))
    split_gender: list | None = None
    if gm is not None or gf is not None:
        split_gender = []
        for k, r in enumerate(rows):
            bm = gm is None or _is_blank(r[gm])
            bf = gf is None or _is_blank(r[gf])
            if not bm and not bf:
                errors_by_row.setdefault(k, []).append(
                    FieldError("gender", "both the 'Nam' and the 'Nữ' columns are marked"))
                split_gender.append(None)
            else:
                split_gender.append("M" if not bm else ("F" if not bf else None))

    any_section = any(x is not None for x in row_sections)
    has_cmnd = "cmnd" in columns
    out_rows: list[SourceRow] = []
    append = out_rows.append
    for k, vals in enumerate(zip(*cols_values)):
        values = dict(zip(fields, vals))
        errors = errors_by_row.get(k, [])
        if split_dob is not None:
            dob, g = split_dob[k]
            if values.get("dob") is None:
                values["dob"] = dob
            g_col = values.get("gender")
            if g_col is not None and g is not None and g_col != g:
                errors.append(FieldError("gender", "the Giới tính column contradicts the Nam/Nữ "
                                                   "birth-date column"))
            elif g_col is None:
                values["gender"] = g
        if split_gender is not None and values.get("gender") is None:
            values["gender"] = split_gender[k]
        if has_cmnd and values.get("id_number") is None and values.get("cmnd") is not None:
            values["id_number"] = values["cmnd"]
        if any_section:
            values["section"] = row_sections[k]
        i = data_idx[k]
        append(SourceRow(i + 1, values, errors, grid[i], columns, dec))

    return ParsedList(
        file=name,
        sheet=sheet_name,
        header_rows=[i + 1 for i in hdr.rows],
        columns=dict(columns),
        unmapped_columns=hdr.unmapped,
        rows=out_rows,
        skipped=skipped,
        period=period,
        commune_hint=commune,
        title_lines=title_lines,
        original_header=original_header,
        legacy_encoding=dec.encoding,
        last_row=n,
    )


# --------------------------------------------------------------------------- for other readers of user tables
# The bank-list reader (ansinh.accounts.bank_lists) reads its sheets the way commune lists are
# read: load_sheets above, then these.

#: the sheet's legacy-font decoder (TCVN3/VNI when most of the sheet was typed in one)
sheet_decoder = _decoder_for
#: a cell as text, legacy-decoded (dates dd/mm/yyyy, whole numbers without ".0")
cell_text = _cell_text
#: a header cell folded as the header mapper sees it (no marks, upper case, single spaces)
header_key = _key


def convert_cell(field: str, value, dec: _Decoder = _PLAIN) -> tuple[object, str | None]:
    """A cell of a column mapped to ``field`` as read_list converts it: ``(value, error or None)``
    (ID numbers with their lost leading zeros restored, account numbers without separators,
    text legacy-decoded with single spaces)."""
    return _CONVERTERS.get(field, _conv_text)(value, dec)


def is_closing_row(row, dec: _Decoder = _PLAIN) -> bool:
    """A totals row, a signature/place-and-date footer row or a column-numbering row."""
    return _is_totals(row, range(len(row)), dec) or _footer_like(row, dec) or _is_numbering_row(row)
