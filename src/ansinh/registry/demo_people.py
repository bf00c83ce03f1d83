"""Demo people for the generated commune lists: names, villages, IDs, categories and the faults
written into them (see ansinh.registry.demo_lists for what the lists look like)."""
from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ansinh.core import providers
from ansinh.registry.categories import coefficient as category_coefficient
from ansinh.text import fold


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
