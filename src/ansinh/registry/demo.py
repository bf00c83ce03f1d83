"""Demo data: realistic, messy commune beneficiary lists with a ground truth.

``generate(province_code="20" (Lạng Sơn), people=60000, seed=1, out_dir=...)`` writes one list
per pre-2025 commune of the province (Lạng Sơn: 194 communes in 11 districts, from
``vietnamadminunits``), as the communes really send them:

========== ===============================================================================
layout     what it looks like
========== ===============================================================================
merged     .xlsx, title rows (UBND XÃ …, CỘNG HÒA …, Độc lập …, DANH SÁCH …, Tháng 01 năm
           2024), two-row merged header with "Ngày tháng năm sinh" over "Nam"/"Nữ",
           numbering row (1) (2) …, "Tổng cộng" row, footer signature block
sections   as merged, with section-heading rows "I. NGƯỜI CAO TUỔI" … and STT restarting
simple     .xlsx, one header row with varied spellings (Họ tên, Năm sinh year-only,
           Số CMND/CCCD, Giới tính), some with IDs stored as numbers (leading 0 lost)
tcvn3      merged or simple layout, every text cell TCVN3-encoded, font .VnTime
vni        merged or simple layout, every text cell VNI-encoded, font VNI-Times
csv        .csv (";" or ","), UTF-8 with BOM, one header row
========== ===============================================================================

People: Kinh and Tày/Nùng names, 12-digit IDs with a consistent structure (020 +
century/gender digit + YY + 6 digits) and some 9-digit CMND, categories by realistic
shares with a consistent age, coefficient and amount at 360,000 đ (January 2024),
villages, a few bank accounts and phone numbers.

Faults, with the ground truth in ``ground_truth.csv`` (one line per data row):
duplicates within a commune (~3 %) and across communes (~1.5 %) re-typed with a name
typo, missing diacritics, day/month swapped, year-only date of birth, a transposed or
missing ID; wrong IDs (~1 %: gender or year digit inconsistent); missing IDs (~2 %);
deceased people still listed (~0.5 %, ground truth only); unmappable category labels
and invalid dates (a few).

ground_truth.csv columns: file, row (1-based sheet row), person_key (same value = same
real person), faults (";"-separated), deceased_on, layout, category_code,
category_label, true_full_name, true_gender, true_dob, true_id_number,
written_full_name, written_dob, written_id_number.  ``written_*`` is what the row
says (Unicode, before any legacy encoding or case/spacing variation): the reader
must give back ``normalize_name(written_full_name)``, the date ``written_dob``
("YYYY-MM-DD" or "YYYY" for year-only, the raw text when the fault is dob_invalid)
and ``written_id_number`` (empty when missing).
"""
from __future__ import annotations

import csv
import os
import random
import re
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ansinh.core import providers
from ansinh.registry.categories import coefficient as category_coefficient
from ansinh.text import fold
from ansinh.text.legacy import unicode_to_tcvn3, unicode_to_vni

__all__ = ["generate", "CATEGORY_LABEL_VARIANTS", "UNMAPPABLE_LABELS"]

PERIOD = date(2024, 1, 1)
STANDARD_LEVEL = 360_000          # mức chuẩn TGXH in January 2024 (ND 20/2021)

# --------------------------------------------------------------------------- vocabulary

SURNAMES = [  # (name, weight): national mix plus the Tày/Nùng names common in Lạng Sơn
    ("Nguyễn", 38), ("Hoàng", 9), ("Nông", 5), ("Trần", 4), ("Lê", 3), ("Phạm", 2),
    ("Lương", 3), ("Lăng", 2), ("Chu", 2), ("Vi", 3), ("Hà", 2), ("Triệu", 2), ("Lộc", 2),
    ("Mã", 1.5), ("Đinh", 1.5), ("Hứa", 1.5), ("Lâm", 1.5), ("Dương", 1.5), ("Vũ", 1),
    ("Đỗ", 1), ("Bùi", 1), ("Ngô", 1), ("Lý", 1), ("Phùng", 1), ("Bế", 1), ("Hoàng", 1),
    ("Tô", 0.5), ("Đặng", 1), ("Bàn", 0.5), ("Lành", 0.5), ("Mông", 0.5), ("Tống", 0.3),
]
MIDDLE_M = [("Văn", 70), ("Đức", 6), ("Minh", 5), ("Quang", 4), ("Xuân", 3), ("Hữu", 3),
            ("Công", 3), ("Ngọc", 2), ("Thanh", 2), ("Đình", 2)]
MIDDLE_F = [("Thị", 80), ("Thu", 4), ("Ngọc", 3), ("Hồng", 3), ("Thanh", 3), ("Minh", 2),
            ("Bích", 2), ("Kim", 2), ("Mỹ", 1)]
GIVEN_M = ("Hùng Dũng Tuấn Minh Hải Nam Sơn Thắng Cường Bình Lâm Phúc Tùng Quang Hòa Thành Long "
           "Hưng Kiên Chiến Toàn Hợp Pảo Slằn Lường Khánh Phong Tiến Vinh Hiếu Thái Đông Tài Lợi "
           "Nguyên Quý Thuận Sinh Vượng Lưu Pằn Cao Hạnh Dương Tâm Thủy Ngọc Định Bảo").split()
GIVEN_F = ("Lan Hoa Hương Mai Hạnh Thu Hà Nga Liên Thủy Hòa Tuyết Nhung Dung Xuân Đào Cúc Hằng "
           "Huệ Loan Nhì Slao Pằn Lý Sen Thúy Nguyệt Phượng Vân Yến Ánh Oanh Quyên Mến Chiên "
           "Thoa Tươi Nhàn Khuyên Thơm Dịu Hiền Bích Ngân Diệp").split()
NEW_STYLE = {"Hòa": "Hoà", "Thủy": "Thuỷ", "Thúy": "Thuý", "Quý": "Quý", "Khỏe": "Khoẻ"}

VILLAGE_A = ("Nà Pàn|Pác Cáp|Khuổi Mò|Còn Khoang|Lũng Vài|Khòn Pầy|Nặm Cáy|Phai Sen|Co Mười|Pò Tèo|"
             "Kéo Lầy|Nà Làng|Nà Chắt|Nà Thẳm|Nà Rọ|Pác Lũng|Khau Slư|Hợp Thành|Tân Lập|Đồng Tâm|"
             "Thống Nhất|Quyết Thắng|Đoàn Kết|Bó Luông|Nà Mạ|Phiêng Sào|Khòn Lạn|Nà Tềnh|Pò Mã|"
             "Lăng Cùng|Nà Sla|Khuổi Cưởm|Nà Pái|Khưa Cạm|Kéo Coóc|Nà Kéo|Pá Phiêng|Nà Hin").split("|")
ETHNIC = [("Nùng", 43), ("Tày", 35), ("Kinh", 16), ("Dao", 4), ("Sán Chay", 1), ("Hoa", 0.5), ("Mông", 0.5)]
# (provider code, account-number length, prefix) of the accounts the demo lists write
BANKS = [("970405", 13, "83"), ("970415", 12, "10"), ("970418", 14, "83"), ("970436", 10, "10"),
         ("970449", 12, "02")]
PHONE10 = ("098 097 096 086 091 094 088 035 036 037 038 039 032 033 034 081 082 083 084 085 "
           "070 076 077 078 079 056 058 059").split()
PHONE11 = "0168 0169 0166 0167 0165 0164 0163 0162 0123 0124 0125 0127 0129 0126 0128 0188".split()
OTHER_PROVINCES = ["024", "004", "019", "022", "001", "006"]

# category code -> (share, age range [min, max] at PERIOD, share female)
CATEGORY_MIX = {
    "5.5c": (0.47, (80, 103), 0.62),
    "5.5b": (0.04, (75, 79), 0.58),
    "5.5a": (0.02, (60, 95), 0.65),
    "5.5d": (0.003, (62, 92), 0.6),
    "5.6-severe": (0.21, (2, 90), 0.47),
    "5.6-very-severe": (0.12, (1, 92), 0.47),
    "5.1": (0.035, (0, 15), 0.5),
    "5.2": (0.01, (16, 21), 0.5),
    "5.3": (0.002, (1, 15), 0.5),
    "5.4": (0.04, (22, 50), 0.85),
    "5.7": (0.02, (0, 2), 0.5),
    "5.8": (0.008, (25, 55), 0.35),
    "ART20": (0.005, (28, 70), 0.7),
}

#: label variants as commune officials write them (every one maps back with map_category)
CATEGORY_LABEL_VARIANTS = {
    "5.1": ["Trẻ em mồ côi", "Trẻ mồ côi cả cha và mẹ", "Trẻ em mồ côi cả cha lẫn mẹ", "TE mồ côi",
            "Trẻ em không có nguồn nuôi dưỡng"],
    "5.2": ["Người từ 16 đến 22 tuổi đang đi học", "Người từ 16-22 tuổi đang học",
            "Mồ côi 16-22 tuổi đang đi học"],
    "5.3": ["Trẻ em nhiễm HIV", "Trẻ em nhiễm HIV/AIDS hộ nghèo"],
    "5.4": ["Người đơn thân nghèo nuôi con", "Đơn thân nghèo đang nuôi con",
            "Người đơn thân hộ nghèo nuôi con nhỏ"],
    "5.5a": ["Người cao tuổi hộ nghèo không người phụng dưỡng", "NCT cô đơn hộ nghèo",
             "NCT hộ nghèo không có người có nghĩa vụ phụng dưỡng"],
    "5.5b": ["NCT 75-80 tuổi hộ nghèo vùng DTTS", "Người cao tuổi từ 75 đến dưới 80 tuổi hộ nghèo vùng DTTS",
             "NCT từ 75 tuổi đến 80 tuổi hộ cận nghèo vùng ĐBKK"],
    "5.5c": ["Người cao tuổi từ đủ 80 tuổi", "NCT ≥80 không lương hưu", "NCT trên 80 tuổi",
             "Người từ đủ 80 tuổi trở lên", "NCT từ 80 tuổi trở lên", "Người cao tuổi 80+"],
    "5.5d": ["NCT được hộ gia đình nhận chăm sóc", "Người cao tuổi được nhận chăm sóc tại cộng đồng"],
    "5.6-severe": ["Người khuyết tật nặng", "NKT nặng", "Khuyết tật nặng"],
    "5.6-very-severe": ["Người khuyết tật đặc biệt nặng", "NKT đặc biệt nặng", "NKT ĐBN",
                        "Khuyết tật đặc biệt nặng"],
    "5.7": ["Trẻ em dưới 3 tuổi hộ nghèo", "Trẻ em dưới 3 tuổi hộ nghèo vùng DTTS",
            "TE dưới 3 tuổi hộ cận nghèo"],
    "5.8": ["Người nhiễm HIV hộ nghèo", "Người nhiễm HIV/AIDS thuộc hộ nghèo"],
    "ART20": ["Hộ gia đình chăm sóc NKT đặc biệt nặng", "Hỗ trợ chăm sóc người khuyết tật đặc biệt nặng",
              "Hộ nhận chăm sóc, nuôi dưỡng"],
}
UNMAPPABLE_LABELS = ["Đối tượng khác", "BTXH", "Hộ nghèo", "Diện chính sách", "Chưa xác định"]
SECTION_OF = {"5.5a": 0, "5.5b": 0, "5.5c": 0, "5.5d": 0, "5.6-severe": 1, "5.6-very-severe": 1,
              "5.1": 2, "5.2": 2, "5.3": 2, "5.7": 2}
SECTION_TITLES = ["NGƯỜI CAO TUỔI", "NGƯỜI KHUYẾT TẬT", "TRẺ EM", "ĐỐI TƯỢNG KHÁC"]
BAD_DATES = ["31/02/1945", "00/00/1940", "15/13/1938", "1940?", "không rõ", "32/1/1942"]

# --------------------------------------------------------------------------- model


@dataclass
class Person:
    key: str
    full_name: str
    gender: str                 # "M" / "F"
    dob: date
    id_number: str              # true 12-digit (or 9-digit CMND) number
    village: str
    ethnicity: str
    category: str
    coefficient: Decimal
    amount: int
    phone: str | None = None
    bank: str | None = None
    account: str | None = None
    decision_number: str = ""
    decision_date: date | None = None
    deceased_on: date | None = None


@dataclass
class Entry:
    """One row of a list: the person as written."""
    person: Person
    name: str                   # written name (Unicode)
    dob: date | None            # written date (None when dob_text is used)
    dob_year_only: bool = False
    dob_text: str | None = None  # an invalid date written as text
    id_number: str | None = ""   # written ID ("" / None = missing)
    category_label: str = ""
    faults: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- helpers

def _weighted(rng: random.Random, pairs):
    names = [p[0] for p in pairs]
    weights = [p[1] for p in pairs]
    return rng.choices(names, weights)[0]


def _strip_marks(s: str) -> str:
    s = s.replace("đ", "d").replace("Đ", "D")
    d = unicodedata.normalize("NFD", s)
    return unicodedata.normalize("NFC", "".join(c for c in d if not unicodedata.combining(c)))


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(s).lower()).strip("_")


def _make_id(rng: random.Random, dob: date, gender: str, prov: str) -> str:
    g = (dob.year // 100 - 19) * 2 + (1 if gender == "F" else 0)
    return f"{prov}{g}{dob.year % 100:02d}{rng.randrange(10**6):06d}"


def _age_dob(rng: random.Random, age: int) -> date:
    # born between PERIOD - (age+1) years (+1 day) and PERIOD - age years
    hi = date(PERIOD.year - age, PERIOD.month, PERIOD.day) - timedelta(days=1)
    lo = date(PERIOD.year - age - 1, PERIOD.month, PERIOD.day)
    return lo + timedelta(days=rng.randrange((hi - lo).days + 1))


def _name_typo(rng: random.Random, name: str) -> str:
    words = name.split()
    i = rng.randrange(len(words))
    w = words[i]
    choice = rng.random()
    if choice < 0.4 and any(not c.isascii() for c in w):
        # one mark lost or changed: "Nguyễn" -> "Nguyên", "Thị" -> "Thi"
        idx = [k for k, c in enumerate(w) if not c.isascii()]
        k = rng.choice(idx)
        w = w[:k] + _strip_marks(w[k]) + w[k + 1:]
    elif choice < 0.7 and len(w) >= 3:
        k = rng.randrange(1, len(w) - 1)
        w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
    elif len(w) >= 3:
        k = rng.randrange(1, len(w))
        w = w[:k] + w[k + 1:]
    else:
        w = w + w[-1]
    words[i] = w
    out = " ".join(words)
    return out if out != name else name + "h"


def _transpose(rng: random.Random, s: str) -> str:
    cands = [k for k in range(len(s) - 6, len(s) - 1) if s[k] != s[k + 1]]
    if not cands:
        return s[:-1] + str((int(s[-1]) + 1) % 10)
    k = rng.choice(cands)
    return s[:k] + s[k + 1] + s[k] + s[k + 2:]


# --------------------------------------------------------------------------- people

def _communes(province_code: str):
    from vietnamadminunits.database import query

    code = str(province_code).zfill(2)
    rows = query(
        "select district, districtShort, ward, wardShort, wardType, wardCode, districtCode "
        f"from admin_units_legacy where provinceCode='{code}' order by districtCode, wardCode"
    )
    if not rows:
        raise ValueError(f"no communes for province code {province_code!r}")
    return rows


def _villages(rng: random.Random, kind: str) -> list[str]:
    if kind in ("Phường", "Thị trấn"):
        pref = rng.choice(["Khu", "Khối", "Tổ dân phố"])
        return [f"{pref} {i}" for i in range(1, rng.randint(5, 12))]
    n = rng.randint(6, 16)
    names = rng.sample(VILLAGE_A, n)
    return [f"{'Bản' if rng.random() < 0.3 else 'Thôn'} {v}" for v in names]


def _person(rng: random.Random, key: str, villages: list[str], id_prefix: str) -> Person:
    codes = list(CATEGORY_MIX)
    code = rng.choices(codes, [CATEGORY_MIX[c][0] for c in codes])[0]
    _, (amin, amax), pf = CATEGORY_MIX[code]
    if code == "5.5c":
        age = min(amax, amin + int(rng.expovariate(1 / 5.5)))
    else:
        age = rng.randint(amin, amax)
    gender = "F" if rng.random() < pf else "M"
    dob = _age_dob(rng, age)
    surname = _weighted(rng, SURNAMES)
    middle = _weighted(rng, MIDDLE_F if gender == "F" else MIDDLE_M)
    given = rng.choice(GIVEN_F if gender == "F" else GIVEN_M)
    name = f"{surname} {middle} {given}"
    if rng.random() < 0.04:            # four-word names
        name = f"{surname} {middle} {rng.choice(GIVEN_F if gender == 'F' else GIVEN_M)} {given}"
    if age >= 14 and rng.random() < 0.08:
        id_number = "08" + f"{rng.randrange(10**7):07d}"     # old 9-digit CMND
    else:
        prov = id_prefix if rng.random() < 0.92 else rng.choice(OTHER_PROVINCES)
        id_number = _make_id(rng, dob, gender, prov)
    coef = category_coefficient(code, age)
    if code == "5.4":
        coef = Decimal(rng.choice([1, 1, 1, 2, 2, 3]))
    elif code == "ART20":
        coef = Decimal(rng.choice(["1.0", "1.0", "1.5"]))
    elif coef is None:
        coef = Decimal("1.0")
    p = Person(key=key, full_name=name, gender=gender, dob=dob, id_number=id_number,
               village=rng.choice(villages), ethnicity=_weighted(rng, ETHNIC), category=code,
               coefficient=coef, amount=int(coef * STANDARD_LEVEL))
    if rng.random() < 0.3:
        if rng.random() < 0.1:
            p.phone = rng.choice(PHONE11) + f"{rng.randrange(10**7):07d}"
        else:
            p.phone = rng.choice(PHONE10) + f"{rng.randrange(10**7):07d}"
    if rng.random() < 0.03:
        bank, length, pre = rng.choice(BANKS)
        p.bank = providers.ALL[bank].short_name
        p.account = pre + "".join(str(rng.randrange(10)) for _ in range(length - len(pre)))
    dd = date(2015, 1, 1) + timedelta(days=rng.randrange(9 * 365 - 40))
    p.decision_date = dd
    p.decision_number = f"{rng.randint(1, 999)}/QĐ-UBND"
    return p


# --------------------------------------------------------------------------- layouts

LAYOUT_SHARES = [("merged", 0.44), ("simple", 0.31), ("sections", 0.06), ("csv", 0.08),
                 ("tcvn3", 0.07), ("vni", 0.04)]


def _assign_layouts(rng: random.Random, n: int) -> list[str]:
    out = []
    for name, share in LAYOUT_SHARES:
        k = max(1, round(share * n)) if n >= len(LAYOUT_SHARES) else 0
        out += [name] * k
    while len(out) < n:
        out.append("merged")
    out = out[:n]
    rng.shuffle(out)
    return out


@dataclass
class _FileSpec:
    commune: dict
    layout: str
    base: str                        # "merged"/"simple" structure (for tcvn3/vni: the one used)
    encode: object = None            # callable or None
    font: str | None = None
    label_style: int = 0
    dob_as_date: bool = True
    dob_year_only: bool = False
    id_numeric: bool = False
    upper_names: bool = False
    new_style_tones: bool = False
    header_variant: int = 0
    with_accounts: bool = False
    with_decision: bool = False
    delimiter: str = ";"


def _title_kind(commune: dict) -> str:
    return {"Xã": "XÃ", "Phường": "PHƯỜNG", "Thị trấn": "THỊ TRẤN"}[commune["wardType"]]


def _display_name(spec: _FileSpec, e: Entry) -> str:
    name = e.name
    if spec.new_style_tones:
        name = " ".join(NEW_STYLE.get(w, w) for w in name.split())
    if spec.upper_names:
        name = name.upper()
    return name


def _dob_cell(spec: _FileSpec, e: Entry, rng: random.Random):
    if e.dob_text is not None:
        return e.dob_text
    if e.dob_year_only or spec.dob_year_only:
        return e.dob.year if rng.random() < 0.7 else str(e.dob.year)
    if spec.dob_as_date:
        return e.dob
    fmt = rng.random()
    if fmt < 0.85:
        return e.dob.strftime("%d/%m/%Y")
    if fmt < 0.93:
        return e.dob.strftime("%d-%m-%Y")
    return f"{e.dob.day}.{e.dob.month}.{e.dob.year}"


def _id_cell(spec: _FileSpec, e: Entry):
    if not e.id_number:
        return None
    if spec.id_numeric and e.id_number.isdigit():
        return int(e.id_number)
    return e.id_number


class _Sheet:
    """openpyxl worksheet wrapper: row counter, legacy encoding + font, merges."""

    def __init__(self, ws, spec: _FileSpec):
        from openpyxl.styles import Font

        self.ws = ws
        self.r = 0
        self.enc = spec.encode
        self.font = Font(name=spec.font) if spec.font else None
        self.bold = Font(name=spec.font or "Times New Roman", bold=True)

    def row(self, values, bold=False, date_cols=()):
        enc = self.enc
        if enc is not None:
            values = [enc(v) if isinstance(v, str) else v for v in values]
        self.ws.append(values)
        self.r += 1
        if self.font is not None or bold:
            font = self.bold if bold else self.font
            for c, v in enumerate(values, 1):
                if v is not None:
                    self.ws.cell(row=self.r, column=c).font = font
        for c in date_cols:
            if c < len(values) and isinstance(values[c], date):
                self.ws.cell(row=self.r, column=c + 1).number_format = "dd/mm/yyyy"
        return self.r

    def merge(self, r1, c1, r2, c2):
        self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def _footer(sh: _Sheet, commune: dict, rng: random.Random, width: int):
    sh.row([])
    right = max(width - 4, 3)
    place = commune["wardShort"]
    r = sh.row([None] * right + [f"{place}, ngày {rng.randint(2, 9):02d} tháng 01 năm 2024"])
    sh.merge(r, right + 1, r, width)
    r = sh.row([None, "NGƯỜI LẬP BIỂU"] + [None] * (right - 2) + ["TM. ỦY BAN NHÂN DÂN"], bold=True)
    sh.merge(r, 2, r, 3)
    sh.merge(r, right + 1, r, width)
    r = sh.row([None, "(Ký, ghi rõ họ tên)"] + [None] * (right - 2) + ["CHỦ TỊCH"])
    sh.merge(r, 2, r, 3)
    sh.merge(r, right + 1, r, width)
    sh.row([])
    sh.row([])
    n1 = f"{_weighted(rng, SURNAMES)} {_weighted(rng, MIDDLE_F)} {rng.choice(GIVEN_F)}"
    n2 = f"{_weighted(rng, SURNAMES)} {_weighted(rng, MIDDLE_M)} {rng.choice(GIVEN_M)}"
    r = sh.row([None, n1] + [None] * (right - 2) + [n2], bold=True)
    sh.merge(r, 2, r, 3)
    sh.merge(r, right + 1, r, width)


def _write_merged(path: Path, spec: _FileSpec, entries: list[Entry], rng: random.Random,
                  sections: bool) -> list[tuple[int, Entry]]:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sach"
    sh = _Sheet(ws, spec)
    c = spec.commune
    acct = spec.with_accounts
    width = 14 if acct else 12
    kind = _title_kind(c)
    r = sh.row(["UBND HUYỆN " + c["districtShort"].upper() if c["district"].startswith("Huyện")
                else "UBND " + c["district"].upper()] + [None] * 4 + ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
               bold=True)
    sh.merge(r, 1, r, 4)
    sh.merge(r, 6, r, width)
    r = sh.row([f"UBND {kind} {c['wardShort'].upper()}"] + [None] * 4 + ["Độc lập - Tự do - Hạnh phúc"],
               bold=True)
    sh.merge(r, 1, r, 4)
    sh.merge(r, 6, r, width)
    sh.row([])
    r = sh.row(["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"], bold=True)
    sh.merge(r, 1, r, width)
    r = sh.row([rng.choice(["Tháng 01 năm 2024", "Kỳ chi trả: tháng 01/2024", "THÁNG 01 NĂM 2024"])])
    sh.merge(r, 1, r, width)
    if rng.random() < 0.5:
        r = sh.row([f"(Kèm theo Quyết định số {rng.randint(1, 30):02d}/QĐ-UBND ngày 02 tháng 01 năm 2024 "
                    f"của UBND {kind.lower()} {c['wardShort']})"])
        sh.merge(r, 1, r, width)
    r = sh.row([None] * (width - 2) + ["Đơn vị tính: đồng"])
    sh.merge(r, width - 1, r, width)
    id_label = ["Số định danh cá nhân", "Số CCCD", "Số định danh cá nhân/CCCD"][spec.header_variant % 3]
    top = ["STT", "Họ và tên", "Ngày tháng năm sinh", None, id_label, "Dân tộc", "Thôn, bản",
           "Diện đối tượng", "Hệ số", "Mức trợ cấp (đồng)"]
    bot = [None, None, "Nam", "Nữ", None, None, None, None, None, None]
    if acct:
        top += ["Tài khoản nhận trợ cấp", None]
        bot += ["Số tài khoản", "Ngân hàng"]
    top += ["Số điện thoại", "Ghi chú"]
    bot += [None, None]
    h1 = sh.row(top, bold=True)
    h2 = sh.row(bot, bold=True)
    for col in range(1, width + 1):
        if top[col - 1] is not None and bot[col - 1] is None:
            sh.merge(h1, col, h2, col)
    sh.merge(h1, 3, h1, 4)
    if acct:
        sh.merge(h1, 11, h1, 12)
    sh.row([f"({i})" for i in range(1, width + 1)])
    out = []
    total = 0
    groups: list[tuple[str | None, list[Entry]]]
    if sections:
        buckets: dict[int, list[Entry]] = {}
        for e in entries:
            buckets.setdefault(SECTION_OF.get(e.person.category, 3), []).append(e)
        groups = [(f"{'I II III IV'.split()[k]}. {SECTION_TITLES[k]}", buckets[k]) for k in sorted(buckets)]
    else:
        groups = [(None, entries)]
    for title, group in groups:
        if title:
            r = sh.row([title], bold=True)
            sh.merge(r, 1, r, width)
        for stt, e in enumerate(group, 1):
            p = e.person
            dobv = _dob_cell(spec, e, rng)
            male = p.gender == "M"
            row = [stt, _display_name(spec, e), dobv if male else None, None if male else dobv,
                   _id_cell(spec, e), p.ethnicity, p.village, e.category_label, float(p.coefficient), p.amount]
            if acct:
                row += [p.account, p.bank]
            row += [p.phone, None]
            r = sh.row(row, date_cols=(2, 3) if isinstance(dobv, date) else ())
            out.append((r, e))
            total += p.amount
            if rng.random() < 0.002:
                sh.row([])               # a stray blank row inside the table
    r = sh.row(["Tổng cộng", None] + [None] * 7 + [total])
    sh.merge(r, 1, r, 2)
    _footer(sh, c, rng, width)
    wb.save(path)
    return out


SIMPLE_HEADERS = {
    "stt": ["STT", "TT", "Số TT"],
    "name": ["Họ tên", "Họ và tên đối tượng", "Họ tên đối tượng", "HỌ VÀ TÊN"],
    "dob": ["Ngày sinh", "Ngày, tháng, năm sinh", "Ngày/tháng/năm sinh"],
    "year": ["Năm sinh", "Năm sinh", "NĂM SINH"],
    "gender": ["Giới tính", "Giới\ntính", "Giới tính"],
    "id": ["Số CMND/CCCD", "Số CCCD", "Số định danh", "CCCD"],
    "village": ["Thôn/bản", "Thôn", "Địa chỉ"],
    "category": ["Đối tượng", "Diện hưởng", "Nhóm đối tượng"],
    "amount": ["Mức hưởng", "Số tiền", "Mức trợ cấp"],
}


def _write_simple(path: Path, spec: _FileSpec, entries: list[Entry], rng: random.Random) -> list:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DS T1-2024"
    sh = _Sheet(ws, spec)
    c = spec.commune
    hv = spec.header_variant
    kind = _title_kind(c)
    if rng.random() < 0.5:
        sh.row([f"UBND {kind} {c['wardShort'].upper()}"], bold=True)
    sh.row([rng.choice(["DANH SÁCH CHI TRẢ TRỢ CẤP XÃ HỘI THÁNG 1/2024",
                        "DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI THÁNG 01 NĂM 2024"])], bold=True)
    sh.row([f"{c['wardType']} {c['wardShort']}, {c['district']}"])
    sh.row([])
    hdr = [SIMPLE_HEADERS["stt"][hv % 3], SIMPLE_HEADERS["name"][hv % 4],
           SIMPLE_HEADERS["year" if spec.dob_year_only else "dob"][hv % 3],
           SIMPLE_HEADERS["gender"][hv % 3], SIMPLE_HEADERS["id"][hv % 4],
           SIMPLE_HEADERS["village"][hv % 3], SIMPLE_HEADERS["category"][hv % 3], "Hệ số",
           SIMPLE_HEADERS["amount"][hv % 3]]
    if spec.with_accounts:
        hdr += ["Số tài khoản", "Ngân hàng"]
    if spec.with_decision:
        hdr += ["Số quyết định", "Ngày quyết định", "Hưởng từ tháng"]
    hdr += ["Số điện thoại", "Ghi chú"]
    sh.row(hdr, bold=True)
    out = []
    total = 0
    for stt, e in enumerate(entries, 1):
        p = e.person
        dobv = _dob_cell(spec, e, rng)
        row = [stt, _display_name(spec, e), dobv, "Nam" if p.gender == "M" else "Nữ", _id_cell(spec, e),
               p.village if hv % 3 != 2 else f"{p.village}, {c['wardType'].lower()} {c['wardShort']}",
               e.category_label, float(p.coefficient), p.amount]
        if spec.with_accounts:
            row += [p.account, p.bank]
        if spec.with_decision:
            row += [p.decision_number, p.decision_date.strftime("%d/%m/%Y"),
                    f"{p.decision_date.month:02d}/{p.decision_date.year}"]
        row += [p.phone, None]
        r = sh.row(row, date_cols=(2,) if isinstance(dobv, date) else ())
        out.append((r, e))
        total += p.amount
    if rng.random() < 0.5:
        sh.row([None, "Cộng"] + [None] * 6 + [total])
    sh.row([])
    sh.row([None, "Người lập biểu", None, None, None, None, f"Xác nhận của UBND {kind.lower()}"], bold=True)
    sh.row([])
    sh.row([None, f"{_weighted(rng, SURNAMES)} Thị {rng.choice(GIVEN_F)}"])
    wb.save(path)
    return out


def _write_csv(path: Path, spec: _FileSpec, entries: list[Entry], rng: random.Random) -> list:
    out = []
    rows = []
    hv = spec.header_variant
    if rng.random() < 0.5:
        rows.append([f"DANH SÁCH ĐỐI TƯỢNG TRỢ CẤP XÃ HỘI THÁNG 01/2024 - {spec.commune['ward'].upper()}"])
    rows.append(["STT", SIMPLE_HEADERS["name"][hv % 4], "Ngày sinh", "Giới tính", "Số CCCD", "Thôn",
                 "Đối tượng", "Hệ số", "Số tiền", "Số điện thoại"])
    for stt, e in enumerate(entries, 1):
        p = e.person
        if e.dob_text is not None:
            dobv = e.dob_text
        elif e.dob_year_only:
            dobv = str(e.dob.year)
        else:
            dobv = e.dob.strftime("%d/%m/%Y")
        rows.append([str(stt), _display_name(spec, e), dobv, "Nam" if p.gender == "M" else "Nữ",
                     e.id_number or "", p.village, e.category_label,
                     str(p.coefficient).replace(".", ","), f"{p.amount:,}".replace(",", "."), p.phone or ""])
        out.append((len(rows), e))
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh, delimiter=spec.delimiter).writerows(rows)
    return out


def _write_file(job) -> list[tuple[int, int]]:
    """Write one list; [(sheet row, index of the entry)]."""
    path, spec, entries, rng_seed = job
    rng = random.Random(rng_seed)
    path = Path(path)
    if spec.layout == "csv":
        written = _write_csv(path, spec, entries, rng)
    elif spec.base == "simple":
        written = _write_simple(path, spec, entries, rng)
    else:
        written = _write_merged(path, spec, entries, rng, sections=(spec.layout == "sections"))
    index = {id(e): k for k, e in enumerate(entries)}
    return [(row, index[id(e)]) for row, e in written]


# --------------------------------------------------------------------------- main

def generate(province_code: str, people: int = 60000, seed: int = 1,
             out_dir: Path | str = Path("demo-data"), workers: int | None = None) -> dict:
    """Write one beneficiary list per commune plus ground_truth.csv; return a summary.

    ``people`` is the number of distinct (real) people; the lists have a few percent
    more rows because of the duplicates.  Deterministic for a given seed (whatever
    ``workers`` is).  ``workers``: processes writing the files (default: the CPU
    count, at most 8; 1 = in this process).
    """
    t0 = time.perf_counter()
    rng = random.Random(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    communes = _communes(province_code)
    id_prefix = f"{int(province_code):03d}"
    n_c = len(communes)

    # people per commune
    weights = [rng.uniform(0.4, 1.6) * (0.6 if c["wardType"] != "Xã" else 1.0) for c in communes]
    wsum = sum(weights)
    counts = [int(people * w / wsum) for w in weights]
    for k in rng.sample(range(n_c), people - sum(counts)):
        counts[k] += 1

    lists: list[list[Entry]] = []
    all_people: list[tuple[int, Person]] = []
    pid = 0
    for ci, c in enumerate(communes):
        villages = _villages(rng, c["wardType"])
        entries = []
        for _ in range(counts[ci]):
            pid += 1
            p = _person(rng, f"P{pid:06d}", villages, id_prefix)
            entries.append(Entry(person=p, name=p.full_name, dob=p.dob, id_number=p.id_number))
            all_people.append((ci, p))
        lists.append(entries)

    # faults on the original rows
    summary_faults: dict[str, int] = {}

    def mark(e: Entry, f: str):
        e.faults.append(f)
        summary_faults[f] = summary_faults.get(f, 0) + 1

    for entries in lists:
        for e in entries:
            x = rng.random()
            p = e.person
            if x < 0.01 and len(p.id_number) == 12:
                if rng.random() < 0.5:
                    g = int(p.id_number[3])
                    e.id_number = p.id_number[:3] + str(g ^ 1) + p.id_number[4:]
                    mark(e, "id_bad_gender_digit")
                else:
                    yy = (int(p.id_number[4:6]) + rng.randint(1, 9)) % 100
                    e.id_number = p.id_number[:4] + f"{yy:02d}" + p.id_number[6:]
                    mark(e, "id_bad_year")
            elif x < 0.03:
                e.id_number = None
                mark(e, "id_missing")
            y = rng.random()
            if y < 0.003:
                e.dob_text = rng.choice(BAD_DATES)
                e.dob = None
                mark(e, "dob_invalid")
            if rng.random() < 0.003:
                e.category_label = rng.choice(UNMAPPABLE_LABELS)
                mark(e, "category_unmappable")
            if rng.random() < 0.005:
                p.deceased_on = date(2023, rng.randint(6, 12), rng.randint(1, 28))
                mark(e, "deceased")

    def variant(p: Person, base_fault: str) -> Entry:
        e = Entry(person=p, name=p.full_name, dob=p.dob, id_number=p.id_number)
        mark(e, base_fault)
        muts = rng.sample(["name_typo", "name_no_diacritics", "dob_day_month_swapped", "dob_year_only",
                           "id_transposed", "id_missing", "none"], rng.choice([1, 1, 2]))
        for m in muts:
            if m == "name_typo":
                e.name = _name_typo(rng, e.name)
            elif m == "name_no_diacritics":
                e.name = _strip_marks(e.name)
            elif m == "dob_day_month_swapped":
                if p.dob.day <= 12 and p.dob.day != p.dob.month:
                    e.dob = date(p.dob.year, p.dob.day, p.dob.month)
                else:
                    continue
            elif m == "dob_year_only":
                e.dob_year_only = True
            elif m == "id_transposed":
                t = _transpose(rng, p.id_number)
                if t == p.id_number:
                    continue
                e.id_number = t
            elif m == "id_missing":
                e.id_number = None
            else:
                continue
            mark(e, m)
        return e

    # duplicates within the commune (~3 %) and across communes (~1.5 %)
    n_in = round(people * 0.03)
    n_across = round(people * 0.015)
    for ci, p in rng.sample(all_people, min(len(all_people), n_in)):
        lst = lists[ci]
        lst.insert(rng.randrange(len(lst) + 1), variant(p, "duplicate_in_commune"))
    if n_c > 1:
        for ci, p in rng.sample(all_people, min(len(all_people), n_across)):
            # usually a neighbouring commune of the same district
            same = [k for k, c in enumerate(communes) if c["districtCode"] == communes[ci]["districtCode"]
                    and k != ci]
            cj = rng.choice(same) if same and rng.random() < 0.8 else rng.choice(
                [k for k in range(n_c) if k != ci])
            lst = lists[cj]
            lst.insert(rng.randrange(len(lst) + 1), variant(p, "duplicate_other_commune"))

    # layouts and writing
    layouts = _assign_layouts(rng, n_c)
    by_layout: dict[str, int] = {}
    jobs = []
    for ci, c in enumerate(communes):
        entries = lists[ci]
        layout = layouts[ci]
        spec = _FileSpec(commune=c, layout=layout, base=layout,
                         label_style=rng.randrange(6), header_variant=rng.randrange(12),
                         dob_as_date=rng.random() < 0.6, upper_names=rng.random() < 0.05,
                         new_style_tones=rng.random() < 0.1, with_accounts=rng.random() < 0.5,
                         with_decision=rng.random() < 0.3, delimiter=rng.choice([";", ";", ","]))
        if layout in ("tcvn3", "vni"):
            spec.base = rng.choice(["merged", "simple"])
            spec.encode = unicode_to_tcvn3 if layout == "tcvn3" else unicode_to_vni
            spec.font = ".VnTime" if layout == "tcvn3" else "VNI-Times"
            spec.upper_names = False
            spec.new_style_tones = False
        if spec.base == "simple":
            spec.dob_year_only = rng.random() < 0.4
            spec.id_numeric = rng.random() < 0.25
            spec.dob_as_date = rng.random() < 0.3
        for e in entries:
            if not e.category_label:
                variants = CATEGORY_LABEL_VARIANTS[e.person.category]
                e.category_label = variants[(spec.label_style + (1 if rng.random() < 0.05 else 0)) % len(variants)]
        slug = _slug(c["wardShort"])
        ext = ".csv" if layout == "csv" else ".xlsx"
        fname = f"{c['districtCode']}_{c['wardCode']}_{slug}{ext}"
        jobs.append((str(out / fname), spec, entries, f"{seed}/{fname}"))
        by_layout[layout] = by_layout.get(layout, 0) + 1

    # write the files (openpyxl is the slow part: in parallel processes when possible;
    # each file draws its layout details from its own seeded RNG, so the output does not
    # depend on the number of workers)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8)
    if workers > 1 and len(jobs) >= 4:
        import concurrent.futures as cf
        import multiprocessing as mp

        # forkserver: the writers start from a clean server process, not a fork of this one,
        # which may hold threads and native handles (DuckDB, Arrow, Spark) that a forked
        # child must not inherit; each writer imports this module and openpyxl only.
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(_write_file, jobs, chunksize=4))
    else:
        results = [_write_file(job) for job in jobs]

    gt_rows = []
    n_rows = 0
    for (path, spec, entries, _), written in zip(jobs, results):
        fname = Path(path).name
        layout = spec.layout
        for row, k in written:
            e = entries[k]
            p = e.person
            dob_year_only = e.dob_year_only or (spec.dob_year_only and layout != "csv")
            if e.dob_text is not None:
                wdob = e.dob_text
            elif dob_year_only:
                wdob = str(e.dob.year)
            else:
                wdob = e.dob.isoformat()
            gt_rows.append([fname, row, p.key, ";".join(e.faults),
                            p.deceased_on.isoformat() if p.deceased_on else "", layout, p.category,
                            e.category_label, p.full_name, p.gender, p.dob.isoformat(), p.id_number,
                            e.name, wdob, e.id_number or ""])
        n_rows += len(written)

    gt_path = out / "ground_truth.csv"
    with open(gt_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "person_key", "faults", "deceased_on", "layout", "category_code",
                    "category_label", "true_full_name", "true_gender", "true_dob", "true_id_number",
                    "written_full_name", "written_dob", "written_id_number"])
        w.writerows(gt_rows)
    return {
        "province_code": str(province_code),
        "out_dir": str(out),
        "ground_truth": str(gt_path),
        "files": n_c,
        "people": people,
        "rows": n_rows,
        "layouts": by_layout,
        "faults": dict(sorted(summary_faults.items())),
        "deceased": summary_faults.get("deceased", 0),
        "seconds": round(time.perf_counter() - t0, 2),
    }
