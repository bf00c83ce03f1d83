"""Beneficiary categories of Decree 20/2021/NĐ-CP Art. 5, plus two other programmes.

Codes
-----
``"5.1"`` .. ``"5.8"``   the clauses of Art. 5 (the natural codes).
``"5.5a"`` .. ``"5.5d"`` the elderly sub-cases (points a–d of clause 5).
``"5.6-very-severe"``    disability, đặc biệt nặng (coefficient 2.0; child/elderly 2.5).
``"5.6-severe"``         disability, nặng (coefficient 1.5; child/elderly 2.0).
``"5.5"`` / ``"5.6"``    *incomplete* codes: the label names the clause but not the
                         sub-case / the severity, so the coefficient cannot be known.
                         ``CATEGORIES[code].complete`` is False for them; the importer
                         must ask a person.
``"ND176"``              social pension (trợ cấp hưu trí xã hội, Decree 176/2025).
``"ART20"``              monthly care support (hỗ trợ chăm sóc, ND 20 Art. 20).

The 5.1 sub-cases a–l (abandoned child, both parents dead, ...) are not split: the
coefficient depends only on the age, and commune lists almost never name the point.

``map_category(label)`` maps the labels officials actually write ("NCT ≥80 không
lương hưu", "NKT đặc biệt nặng", "Trẻ mồ côi cả cha và mẹ", ...) to a code, or None.
It works on ``fold()``-ed text with keyword rules, after expanding the usual
abbreviations (NCT, NKT, TE, HN, HCN, ĐBN, DTTS, ...).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from ansinh.text import fold

__all__ = [
    "Category",
    "CATEGORIES",
    "CATEGORY_LABELS",
    "COEFFICIENTS",
    "COEFFICIENTS_VALID_FROM",
    "base_code",
    "coefficient",
    "coefficient_milli",
    "disability_severity",
    "map_category",
]


@dataclass(frozen=True)
class Category:
    code: str
    label: str            # Vietnamese display label
    clause: str           # legal reference
    complete: bool = True  # False: sub-case/severity unknown, coefficient undetermined



def gettext_noop(message: str) -> str:
    """Marks a label for the English catalogue (makemessages reads the name); pure: no Django."""
    return message


_C = [
    Category("5.1", gettext_noop("Trẻ em dưới 16 tuổi không có nguồn nuôi dưỡng (mồ côi, bị bỏ rơi…)"),
             "NĐ 20/2021 Đ5 K1"),
    Category("5.2", gettext_noop("Người từ 16 đến 22 tuổi đang đi học, trước đó thuộc diện K1"),
             "NĐ 20/2021 Đ5 K2"),
    Category("5.3", gettext_noop("Trẻ em nhiễm HIV/AIDS thuộc hộ nghèo"), "NĐ 20/2021 Đ5 K3"),
    Category("5.4", gettext_noop("Người đơn thân nghèo/cận nghèo đang nuôi con"), "NĐ 20/2021 Đ5 K4"),
    Category("5.5", gettext_noop("Người cao tuổi (chưa rõ điểm)"), "NĐ 20/2021 Đ5 K5", complete=False),
    Category("5.5a", gettext_noop("Người cao tuổi hộ nghèo không có người phụng dưỡng"),
             "NĐ 20/2021 Đ5 K5 điểm a"),
    Category("5.5b", gettext_noop("Người cao tuổi từ 75 đến 80 tuổi hộ nghèo/cận nghèo vùng DTTS, miền núi ĐBKK"),
             "NĐ 20/2021 Đ5 K5 điểm b"),
    Category("5.5c", gettext_noop("Người từ đủ 80 tuổi không có lương hưu, trợ cấp BHXH hằng tháng"),
             "NĐ 20/2021 Đ5 K5 điểm c"),
    Category("5.5d", gettext_noop("Người cao tuổi hộ nghèo không người phụng dưỡng được hộ gia đình nhận chăm sóc"),
             "NĐ 20/2021 Đ5 K5 điểm d"),
    Category("5.6", gettext_noop("Người khuyết tật (chưa rõ mức độ)"), "NĐ 20/2021 Đ5 K6", complete=False),
    Category("5.6-very-severe", gettext_noop("Người khuyết tật đặc biệt nặng"), "NĐ 20/2021 Đ5 K6"),
    Category("5.6-severe", gettext_noop("Người khuyết tật nặng"), "NĐ 20/2021 Đ5 K6"),
    Category("5.7", gettext_noop("Trẻ em dưới 3 tuổi hộ nghèo/cận nghèo vùng DTTS, miền núi ĐBKK"),
             "NĐ 20/2021 Đ5 K7"),
    Category("5.8", gettext_noop("Người nhiễm HIV/AIDS thuộc hộ nghèo không có nguồn thu nhập ổn định"),
             "NĐ 20/2021 Đ5 K8"),
    Category("ND176", gettext_noop("Trợ cấp hưu trí xã hội"), "NĐ 176/2025"),
    Category("ART20", gettext_noop("Hỗ trợ kinh phí chăm sóc, nuôi dưỡng"), "NĐ 20/2021 Đ20"),
]

CATEGORIES: dict[str, Category] = {c.code: c for c in _C}
#: code -> Vietnamese display label (marked for the English catalogue: pages show `gettext(label)`)
CATEGORY_LABELS: dict[str, str] = {c.code: c.label for c in _C}


def base_code(code: str) -> str:
    """"5.6-severe" -> "5.6", "5.5c" -> "5.5", "5.1" -> "5.1", "ND176" -> "ND176"."""
    if code.startswith("5.") and len(code) >= 3:
        return code[:3]
    return code


def disability_severity(code: str) -> str | None:
    """"very_severe" / "severe" for the 5.6 codes, else None."""
    if code == "5.6-very-severe":
        return "very_severe"
    if code == "5.6-severe":
        return "severe"
    return None


_ART6 = "Nghị định 20/2021/NĐ-CP, Điều 6"
_ART20 = "Nghị định 20/2021/NĐ-CP, Điều 20"

#: The one table of coefficients (Decree 20/2021 Art. 6; care support Art. 20), read by the
#: importer (``coefficient``) and loaded into payroll's dated ``Coefficient`` table (by
#: ansinh.payroll.seeds, in force from ``COEFFICIENTS_VALID_FROM``), which payroll computes with.
#: Rows: (category, min_age, max_age, milli, legal_basis) — coefficient in thousandths
#: (1.5 -> 1500) for ages in whole years in [min_age, max_age); None = unbounded. A category
#: with no row (ND176: a fixed amount; ART20: by the carer's situation; the incomplete 5.5 /
#: 5.6) has no coefficient of its own. 5.4 is per child raised (1.0 each).
COEFFICIENTS: tuple[tuple[str, int | None, int | None, int, str], ...] = (
    ("5.1", None, 4, 2500, _ART6), ("5.1", 4, None, 1500, _ART6),
    ("5.2", None, None, 1500, _ART6),
    ("5.3", None, 4, 2500, _ART6), ("5.3", 4, None, 2000, _ART6),
    ("5.4", None, None, 1000, _ART6),
    ("5.5a", None, 80, 1500, _ART6), ("5.5a", 80, None, 2000, _ART6),
    ("5.5b", 75, None, 1000, _ART6),
    ("5.5c", 80, None, 1000, _ART6),
    ("5.5d", None, None, 3000, _ART6),
    ("5.6-very-severe", None, 16, 2500, _ART6), ("5.6-very-severe", 16, 60, 2000, _ART6),
    ("5.6-very-severe", 60, None, 2500, _ART6),
    ("5.6-severe", None, 16, 2000, _ART6), ("5.6-severe", 16, 60, 1500, _ART6),
    ("5.6-severe", 60, None, 2000, _ART6),
    ("5.7", None, 3, 1500, _ART6),
    ("5.8", None, None, 1500, _ART6),
    # Care support (Art. 20), by situation; an ART20 enrolment carries its own coefficient.
    ("ART20-foster-orphan", None, 4, 2500, _ART20), ("ART20-foster-orphan", 4, 16, 1500, _ART20),
    ("ART20-foster-elderly-5.5d", None, None, 1500, _ART20),
    ("ART20-pwd-parent-1", None, None, 1500, _ART20), ("ART20-pwd-parent-2", None, None, 2000, _ART20),
    ("ART20-household-very-severe", None, None, 1000, _ART20),
    ("ART20-foster-very-severe", None, 16, 2500, _ART20), ("ART20-foster-very-severe", 16, None, 1500, _ART20),
)
#: The day payroll's seeded coefficient rows are in force from.
COEFFICIENTS_VALID_FROM = dt.date(2013, 1, 1)


def coefficient_milli(code: str, age: int | None = None) -> int | None:
    """The coefficient of ``COEFFICIENTS`` in thousandths for a code and the age in whole years;
    None when no row applies (no row for the code, the age outside the rows' ranges, or the age
    unknown while the rows depend on it) — the rule of ansinh.payroll.entitlement.coefficient_for."""
    for cat, lo, hi, milli, _basis in COEFFICIENTS:
        if cat != code:
            continue
        if lo is not None and (age is None or age < lo):
            continue
        if hi is not None and (age is None or age >= hi):
            continue
        return milli
    return None


def coefficient(code: str, age: int | None = None) -> Decimal | None:
    """Decree 20 Art. 6 coefficient for a code and the age in whole years (``coefficient_milli``
    as a Decimal with one decimal place: 1500 -> 1.5), or None when it cannot be determined."""
    milli = coefficient_milli(code, age)
    return None if milli is None else (Decimal(milli) / 1000).quantize(Decimal("0.1"))


# --------------------------------------------------------------------------- mapping

_ABBREV = {
    "NCT": "NGUOI CAO TUOI",
    "NKT": "NGUOI KHUYET TAT",
    "KT": "KHUYET TAT",
    "TE": "TRE EM",
    "HN": "HO NGHEO",
    "HCN": "HO CAN NGHEO",
    "DBN": "DAC BIET NANG",
    "DTTS": "DAN TOC THIEU SO",
    "DBKK": "DAC BIET KHO KHAN",
    "BHXH": "BAO HIEM XA HOI",
    "TCXH": "TRO CAP XA HOI",
    "HTXH": "HUU TRI XA HOI",
    "LH": "LUONG HUU",
    "MC": "MO COI",
    "DT": "DON THAN",
    "TUOI": "TUOI",
}

_SYMBOLS = {  # multi-character ones first
    ">=": " TU DU ", "<=": " DEN ", "≥": " TU DU ", "≤": " DEN ", ">": " TREN ", "<": " DUOI ",
    "+": " TREN ",
}

_CODE_RE = re.compile(r"^(?:K|KHOAN|DIEU)?\s*5\s*[.\-/ ]\s*([1-8])\s*([A-D])?$")
_KHOAN_RE = re.compile(r"(?:DIEM\s+([A-D])\s+)?KHOAN\s+([1-8])(?:\s+DIEU\s+5)?(?:\s+DIEM\s+([A-D]))?")


def _normalise(label: str) -> str:
    s = fold(label)
    for sym, rep in _SYMBOLS.items():
        s = s.replace(sym, rep)
    s = re.sub(r"(\d)\s*-\s*(\d)", r"\1 DEN \2", s)   # 75-80 -> 75 DEN 80
    s = re.sub(r"[^A-Z0-9]+", " ", s)
    toks = [_ABBREV.get(t, t) for t in s.split()]
    return " " + " ".join(toks) + " "


def _has(s: str, *words: str) -> bool:
    return any(f" {w} " in s for w in words)


@lru_cache(maxsize=4096)
def map_category(label: str | None) -> str | None:
    """Map a category label as written in a commune list to a code, or None."""
    if label is None:
        return None
    label = str(label).strip()
    if not label:
        return None
    raw = fold(label).strip()
    m = _CODE_RE.match(raw.replace("  ", " "))
    if m:
        return _code_from_parts(m.group(1), m.group(2))
    s = _normalise(label)
    m = _KHOAN_RE.search(s)
    if m and (_has(s, "DIEU 5") or m.group(1) or m.group(3) or s.strip().startswith("KHOAN")):
        return _code_from_parts(m.group(2), m.group(1) or m.group(3))

    nums = {int(n) for n in re.findall(r"\b(\d{1,3})\b", s)}

    # social pension (Decree 176/2025)
    if _has(s, "HUU TRI XA HOI"):
        return "ND176"

    # care support paid to the carer household (Art. 20)
    passive = _has(s, "DUOC")
    if not passive and (
        _has(s, "HO TRO CHAM SOC", "HO TRO NUOI DUONG", "KINH PHI CHAM SOC", "NHAN NUOI DUONG",
             "NHAN CHAM SOC", "TRUC TIEP CHAM SOC", "CHAM SOC NUOI DUONG")
        or (_has(s, "KHUYET TAT") and _has(s, "MANG THAI", "36 THANG"))
        or (_has(s, "CHAM SOC", "NUOI DUONG")
            and (s.startswith(" HO ") or _has(s, "HO GIA DINH", "CA NHAN", "NGUOI NHAN", "GIA DINH NHAN")))
    ):
        return "ART20"

    # HIV
    if _has(s, "HIV", "AIDS", "HIV AIDS"):
        if _has(s, "TRE EM", "TRE", "CON") or any(n <= 16 for n in nums):
            return "5.3"
        return "5.8"

    # orphans, children without support, 16-22 studying
    studying = _has(s, "DI HOC", "DANG HOC", "HOC SINH", "SINH VIEN", "HOC NGHE") or (16 in nums and 22 in nums)
    if _has(s, "MO COI", "BO ROI", "KHONG CO NGUON NUOI DUONG", "KHONG NGUON NUOI DUONG"):
        return "5.2" if studying else "5.1"
    if studying and (16 in nums or 22 in nums or _has(s, "NGUOI")):
        return "5.2"

    # poor single parent
    if _has(s, "DON THAN", "NUOI CON MOT MINH", "NUOI CON 1 MINH"):
        return "5.4"

    # disability
    if _has(s, "KHUYET TAT", "TAN TAT"):
        if _has(s, "DAC BIET NANG"):
            return "5.6-very-severe"
        if _has(s, "NANG"):
            return "5.6-severe"
        return "5.6"
    if _has(s, "DAC BIET NANG"):          # "Đối tượng ĐBN"
        return "5.6-very-severe"

    # young children in poor households of ethnic/mountain areas
    if (_has(s, "TRE EM", "TRE") and (_has(s, "DUOI 3", "DUOI 36") or 36 in nums)) or _has(s, "DUOI 3 TUOI"):
        return "5.7"

    # elderly
    if _has(s, "CAO TUOI", "NGUOI GIA") or nums & {60, 75, 80}:
        if passive and _has(s, "CHAM SOC", "NHAN NUOI", "NUOI DUONG"):
            return "5.5d"
        if _has(s, "CONG DONG"):
            return "5.5d"
        no_supporter = _has(s, "PHUNG DUONG", "CO DON", "KHONG NGUOI NUOI", "KHONG CO NGUOI NUOI")
        if no_supporter and (_has(s, "KHONG") or _has(s, "CO DON")):
            return "5.5a"
        if 75 in nums and (80 in nums or _has(s, "DEN", "DUOI")):
            return "5.5b"
        if 75 in nums:
            return "5.5b"
        if 80 in nums or _has(s, "LUONG HUU", "BAO HIEM XA HOI"):
            return "5.5c"
        if _has(s, "HO NGHEO", "HO CAN NGHEO") and _has(s, "DAN TOC THIEU SO", "MIEN NUI", "DAC BIET KHO KHAN"):
            return "5.5b"
        return "5.5"
    return None


def _code_from_parts(clause: str, point: str | None) -> str | None:
    code = f"5.{clause}"
    if clause == "5":
        return f"5.5{point.lower()}" if point else "5.5"
    return code if code in CATEGORIES else None
