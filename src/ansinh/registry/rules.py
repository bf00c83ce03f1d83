"""Cleaning rules for the beneficiary registry: pure functions, no database.

Each rule has a code and a severity and returns a list of :class:`Finding` (empty when
the value is fine). Some also return the cleaned value (``normalise_phone``,
``classify_id``). The import service runs them row by row and stores the findings as
QualityIssue rows; the review queue shows them in Vietnamese.

Rules
-----
ID_SHAPE          12 digits (số định danh) or 9 digits (old CMND); a 12-digit number must
                  start with a province code of the 63-province table.
ID_GENDER         the century/gender digit of a 12-digit number vs the gender.
ID_BIRTH_YEAR     century + YY of a 12-digit number vs the year of birth.
DOB_PLAUSIBLE     not in the future, age ≤ 120, age consistent with the category at the
                  payment month.
NAME_NORMALISED   the name was rewritten (NFC, tone placement, case, spaces): info.
ACCOUNT_FIELDS    Dispatch 5234/LĐTBXH-TTTT minimum for opening an account: name, date of birth,
                  ID number, residence.
ACCOUNT_MISSING   no account number recorded (of the beneficiary or the authorised person).
PHONE             10-digit mobile number (old 11-digit mobile prefixes converted) or an 11-digit
                  fixed line (02xx …).
RESIDENCE         the residence resolves to one current commune.
CATEGORY_UNMAPPED the category label maps to no Decree 20 code.
CATEGORY_INCOMPLETE the label names the clause but not the sub-case / severity.
ID_TAKEN          (import service, review queue) an ID number typed or listed for a person is
                  already registered to another person.
LISTED_ELSEWHERE  (import service) a listed person is already registered by a unit outside
                  the importer's scope.

The last two are said to the user without naming the other person, their commune or the
number (an identity oracle otherwise: ID_TAKEN_MESSAGE / LISTED_ELSEWHERE_MESSAGE) and are
routed: the QualityIssue is filed under the narrowest unit whose scope covers both persons
(the province when they are in two communes), not under the person's commune.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass
from dataclasses import field as dc_field

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

ERROR, WARNING, INFO = "error", "warning", "info"

# (code, severity, Vietnamese title) — the titles are shown in the UI (translated; the stored
# findings' messages stay as written at the time, in Vietnamese, like any recorded fact).
RULES: dict[str, tuple[str, str]] = {
    "ID_SHAPE": (ERROR, _("Số định danh/CMND sai định dạng")),
    "ID_GENDER": (WARNING, _("Số định danh không khớp giới tính")),
    "ID_BIRTH_YEAR": (WARNING, _("Số định danh không khớp năm sinh")),
    "DOB_PLAUSIBLE": (WARNING, _("Ngày sinh không hợp lý")),
    "NAME_NORMALISED": (INFO, _("Họ tên đã được chuẩn hóa")),
    "ACCOUNT_FIELDS": (WARNING, _("Thiếu thông tin để mở tài khoản")),
    "ACCOUNT_MISSING": (WARNING, _("Chưa có số tài khoản nhận tiền")),
    "PHONE": (WARNING, _("Số điện thoại")),
    "RESIDENCE": (ERROR, _("Nơi cư trú chưa xác định được xã mới")),
    "CATEGORY_UNMAPPED": (ERROR, _("Không nhận diện được diện đối tượng")),
    "CATEGORY_INCOMPLETE": (WARNING, _("Diện đối tượng chưa rõ điểm/mức độ")),
    # Raised by the import service (they need the database), listed here for the titles.
    "DUPLICATE_LISTED": (WARNING, _("Đã có trong danh sách của xã khác")),
    "CELL_UNREADABLE": (WARNING, _("Ô dữ liệu không đọc được")),
    # Raised when an officer accepts an ID proposed from population data (ansinh.matching).
    "ID_POPULATION": (WARNING, _("Số định danh đề xuất từ dữ liệu dân cư")),
    # Routed to a reviewer whose scope covers both persons (see the module docstring).
    "ID_TAKEN": (WARNING, _("Số định danh đã được đăng ký cho đối tượng khác")),
    "LISTED_ELSEWHERE": (WARNING, _("Đã có trong danh sách của đơn vị khác")),
    # Opened by an officer from a complaint (ansinh.complaints.services.open_review); details["case"].
    "COMPLAINT_ACCOUNT": (WARNING, _("Theo đơn: thay đổi tài khoản nhận tiền")),
    "COMPLAINT_CATEGORY": (WARNING, _("Theo đơn: xem xét lại diện đối tượng")),
    "COMPLAINT_RESIDENCE": (WARNING, _("Theo đơn: điều chỉnh nơi cư trú")),
    "COMPLAINT_VERIFY": (WARNING, _("Theo đơn: xác minh trùng lặp, sai người")),
    # Raised by the authorisation check (ansinh.registry.authorised.flag_authorisations).
    "AUTH_EXPIRED": (ERROR, _("Giấy ủy quyền nhận tiền đã hết hạn")),
    "AUTH_RECHECK": (WARNING, _("Đến hạn kiểm tra lại giấy ủy quyền")),
    # Raised by payroll (payroll/failures.py) when a payment to the account is refused for a reason of
    # the account: the account is blocked until it is corrected and approved again.
    "ACCOUNT_FAILED": (ERROR, _("Tài khoản bị từ chối khi chi trả")),
}

# A rule raised at another severity than its usual one reads differently (the review queue's
# chips count by rule and severity: two chips never read the same).
SEVERITY_TITLES: dict[tuple[str, str], str] = {
    ("ID_SHAPE", WARNING): _("Mã tỉnh đầu số định danh không có trong bảng mã"),
    ("DOB_PLAUSIBLE", ERROR): _("Ngày sinh sai hoặc không đọc được"),
    ("DOB_PLAUSIBLE", WARNING): _("Tuổi không khớp diện hưởng"),
    ("PHONE", INFO): _("Số điện thoại đầu số cũ đã đổi"),
    ("PHONE", WARNING): _("Số điện thoại không hợp lệ"),
    ("RESIDENCE", WARNING): _("Địa bàn đã chia tách: cần chọn xã/phường mới"),
}


def rule_title(rule: str, severity: str | None = None):
    """The words for a rule (at a severity, when it reads differently there); the code when unknown."""
    return SEVERITY_TITLES.get((rule, severity or "")) or RULES.get(rule, ("", rule))[1]


#: Issues filed under the unit covering both persons: they do not follow the person's keys.
ROUTED_RULES = ("ID_TAKEN", "LISTED_ELSEWHERE")

# What the user is told (stored as written in import reports; translated when shown at once).
ID_TAKEN_MESSAGE = gettext_noop("Số định danh này đã được đăng ký cho một đối tượng khác; cấp tỉnh sẽ xử lý.")
LISTED_ELSEWHERE_MESSAGE = gettext_noop(
    "Đối tượng này đã có trong danh sách của một đơn vị khác; cấp tỉnh sẽ xử lý.")

# 63-province-era codes used as the first three digits of every 12-digit number.
PROVINCE_ID_CODES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "TP Hồ Chí Minh",
    "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
    "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

# Old 11-digit mobile prefixes (renumbered 2018) -> current 10-digit prefixes.
OLD_MOBILE_PREFIXES: dict[str, str] = {
    "0162": "032", "0163": "033", "0164": "034", "0165": "035", "0166": "036", "0167": "037",
    "0168": "038", "0169": "039",
    "0120": "070", "0121": "079", "0122": "077", "0126": "076", "0128": "078",
    "0123": "083", "0124": "084", "0125": "085", "0127": "081", "0129": "082",
    "0186": "056", "0188": "058", "0199": "059",
}
# Mobile numbers: 10 digits starting 03/05/07/08/09. Fixed lines since 2017: 0 + 2xx area code
# + 7-8 digits = 11 digits starting 02 (e.g. 0205 3870 123 in Lạng Sơn); kept as written.
_VALID_MOBILE_FIRST2 = ("03", "05", "07", "08", "09")

# Age bounds (inclusive min, exclusive max) a category implies at the payment month.
CATEGORY_AGE: dict[str, tuple[int | None, int | None]] = {
    "5.1": (None, 16),
    "5.2": (16, 23),   # 16 to 22 inclusive
    "5.3": (None, 16),
    "5.5": (60, None),
    "5.5a": (60, None),
    "5.5b": (75, None),
    "5.5c": (80, None),
    "5.5d": (60, None),
    "5.7": (None, 3),
    "ND176": (70, None),
}


@dataclass
class Finding:
    rule: str
    severity: str
    message: str  # Vietnamese, shown to officers
    field: str = ""
    details: dict = dc_field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _f(rule: str, message: str, field: str = "", severity: str | None = None, **details) -> Finding:
    return Finding(rule, severity or RULES[rule][0], message, field, details)


# --------------------------------------------------------------------------- ID numbers

def classify_id(value: str | None) -> tuple[str | None, str | None, list[Finding]]:
    """(id_number, legacy_cmnd, findings) for an ID cell already reduced to digits.

    A 12-digit number is kept even with an unknown province prefix (warning); any other
    shape is not kept as an identifier (error, the value goes into the finding)."""
    if value is None:
        return None, None, []
    s = "".join(str(value).split())
    if not s:
        return None, None, []
    if s.isdigit() and len(s) == 12:
        if s[:3] not in PROVINCE_ID_CODES:
            return s, None, [_f("ID_SHAPE", f"Mã tỉnh {s[:3]} ở đầu số định danh không có trong bảng mã tỉnh",
                                "id_number", severity=WARNING, value=s)]
        return s, None, []
    if s.isdigit() and len(s) == 9:
        return None, s, []
    return None, None, [_f("ID_SHAPE", f"Số định danh/CMND ({len(s)} ký tự) phải gồm 12 chữ số (hoặc 9 chữ số nếu là CMND cũ)",
                           "id_number", value=s)]


def id_century_gender(id_number: str) -> tuple[int, str] | None:
    """(century start year, "M"/"F") from the 4th digit of a 12-digit number."""
    if not id_number or len(id_number) != 12 or not id_number.isdigit():
        return None
    g = int(id_number[3])
    return 1900 + (g // 2) * 100, ("M" if g % 2 == 0 else "F")


def check_id_gender(id_number: str | None, gender: str | None) -> list[Finding]:
    decoded = id_century_gender(id_number or "")
    if decoded is None or gender not in ("M", "F"):
        return []
    if decoded[1] != gender:
        label = {"M": "nam", "F": "nữ"}
        return [_f("ID_GENDER", f"Số định danh là của người {label[decoded[1]]}, "
                                f"danh sách ghi giới tính {label[gender]}", "gender",
                   id_gender=decoded[1], gender=gender)]
    return []


def check_id_birth_year(id_number: str | None, dob: dt.date | None) -> list[Finding]:
    decoded = id_century_gender(id_number or "")
    if decoded is None or dob is None:
        return []
    year = decoded[0] + int(id_number[4:6])
    if year != dob.year:
        return [_f("ID_BIRTH_YEAR", f"Số định danh mang năm sinh {year}, danh sách ghi {dob.year}",
                   "dob", id_year=year, dob_year=dob.year)]
    return []


# --------------------------------------------------------------------------- dates of birth

def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last day of "YYYY-MM"."""
    y, m = int(month[:4]), int(month[5:7])
    return dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])


def age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def _age_range(dob: dt.date, precision: str, day: dt.date) -> tuple[int, int]:
    """Smallest and largest age on `day` for a dob known to a day, month or year."""
    if precision == "year":
        earliest, latest = dt.date(dob.year, 1, 1), dt.date(dob.year, 12, 31)
    elif precision == "month":
        earliest = dob.replace(day=1)
        latest = dob.replace(day=calendar.monthrange(dob.year, dob.month)[1])
    else:
        earliest = latest = dob
    return age_on(latest, day), age_on(earliest, day)


def check_dob(dob: dt.date | None, precision: str = "day", category: str | None = None,
              at_month: str | None = None, today: dt.date | None = None) -> list[Finding]:
    """DOB_PLAUSIBLE: not future, age ≤ 120, age consistent with the category at `at_month`."""
    if dob is None:
        return []
    today = today or dt.date.today()
    if dob > today:
        return [_f("DOB_PLAUSIBLE", f"Ngày sinh {dob:%d/%m/%Y} ở tương lai", "dob", severity=ERROR)]
    if _age_range(dob, precision, today)[0] > 120:
        return [_f("DOB_PLAUSIBLE", f"Tuổi trên 120 (sinh năm {dob.year})", "dob", severity=ERROR)]
    if not category or category not in CATEGORY_AGE:
        return []
    first, last = month_bounds(at_month) if at_month else (today, today)
    lo, hi = CATEGORY_AGE[category]
    # Lenient: the best possible age in the month (oldest at its end, youngest at its start).
    oldest = _age_range(dob, precision, last)[1]
    youngest = _age_range(dob, precision, first)[0]
    month_label = f"{first:%m/%Y}"
    if lo is not None and oldest < lo:
        return [_f("DOB_PLAUSIBLE", f"Diện {category} cần từ đủ {lo} tuổi; tháng {month_label} mới {oldest} tuổi",
                   "dob", age=oldest, category=category, month=at_month)]
    if hi is not None and youngest >= hi:
        return [_f("DOB_PLAUSIBLE", f"Diện {category} chỉ dành cho người dưới {hi} tuổi; "
                                    f"tháng {month_label} đã {youngest} tuổi",
                   "dob", age=youngest, category=category, month=at_month)]
    return []


# --------------------------------------------------------------------------- names

def check_name(written: str | None, normalised: str | None) -> list[Finding]:
    """NAME_NORMALISED (info) when the stored name differs from the cell as written."""
    if not written or not normalised:
        return []
    if written != normalised:
        return [_f("NAME_NORMALISED", f"Họ tên “{written.strip()}” được chuẩn hóa thành “{normalised}”",
                   "full_name", before=written, after=normalised)]
    return []


# --------------------------------------------------------------------------- accounts

ACCOUNT_MISSING_MESSAGE = "Chưa có số tài khoản (của đối tượng hoặc người được ủy quyền)"


def check_account_fields(*, full_name: str | None, dob: dt.date | None, id_number: str | None,
                         residence_known: bool, account_number: str | None,
                         authorised_account: bool = False) -> list[Finding]:
    """ACCOUNT_FIELDS: Dispatch 5234/LĐTBXH-TTTT minimum to open an account (full name, dob, ID
    number, residence); ACCOUNT_MISSING: no account of the beneficiary or of the authorised
    person is recorded. Two issues, so that recording an account closes the second one
    (ansinh.registry.recheck) whatever is still missing for the first."""
    found = []
    if not account_number and not authorised_account:
        found.append(_f("ACCOUNT_MISSING", ACCOUNT_MISSING_MESSAGE, "account"))
    missing = []
    if not full_name:
        missing.append("họ tên")
    if dob is None:
        missing.append("ngày sinh")
    if not id_number:
        missing.append("số định danh")
    if not residence_known:
        missing.append("nơi cư trú")
    if missing:
        found.insert(0, _f("ACCOUNT_FIELDS", "Thiếu " + ", ".join(missing) + " để mở tài khoản (CV 5234/LĐTBXH-TTTT)",
                           "", missing=missing))
    return found


# --------------------------------------------------------------------------- phones

def normalise_phone(value: str | None) -> tuple[str, list[Finding]]:
    """(10-digit phone or "", findings). Converts old 11-digit mobile prefixes."""
    if value is None:
        return "", []
    s = "".join(ch for ch in str(value) if not ch.isspace() and ch not in ".-()")
    if not s:
        return "", []
    if s.startswith("+84"):
        s = "0" + s[3:]
    elif s.startswith("84") and len(s) in (11, 12):
        s = "0" + s[2:]
    elif s.isdigit() and len(s) in (9, 10) and not s.startswith("0"):
        s = "0" + s
    if not s.isdigit():
        return "", [_f("PHONE", "Số điện thoại không hợp lệ", "phone", value=str(value))]
    if len(s) == 11 and s[:4] in OLD_MOBILE_PREFIXES:
        new = OLD_MOBILE_PREFIXES[s[:4]] + s[4:]
        return new, [_f("PHONE", f"Số điện thoại đầu số cũ {s[:4]} đã đổi sang đầu số mới {new[:3]}", "phone", severity=INFO,
                        before=s, after=new)]
    if len(s) == 10 and s[:2] in _VALID_MOBILE_FIRST2:
        return s, []
    if len(s) == 11 and s.startswith("02"):
        return s, []  # fixed line
    return "", [_f("PHONE", "Số điện thoại không hợp lệ (di động cần 10 chữ số)", "phone",
                   value=str(value))]


# --------------------------------------------------------------------------- residence

def check_residence(resolution: dict | None, written: str = "") -> list[Finding]:
    """RESIDENCE from a resolver answer {"status": exact|converted|ambiguous|not_found, ...}."""
    status = (resolution or {}).get("status", "not_found")
    if status in ("exact", "converted"):
        return []
    where = f" “{written}”" if written else ""
    if status == "ambiguous":
        cands = (resolution or {}).get("candidates") or []
        names = ", ".join(c.get("name", "") for c in cands if isinstance(c, dict))
        return [_f("RESIDENCE", f"Địa bàn{where} đã chia tách sau sắp xếp 2025; cần chọn xã/phường mới"
                                + (f" ({names})" if names else ""), "commune", severity=WARNING,
                   candidates=cands)]
    return [_f("RESIDENCE", f"Không xác định được xã/phường của nơi cư trú{where}", "commune")]


# --------------------------------------------------------------------------- categories

def check_category(label: str | None, code: str | None, complete: bool = True) -> list[Finding]:
    if not label:
        return []
    if code is None:
        return [_f("CATEGORY_UNMAPPED", f"Không nhận diện được diện đối tượng “{label}”", "category", label=label)]
    if not complete:
        return [_f("CATEGORY_INCOMPLETE", f"Diện “{label}” chưa ghi rõ điểm/mức độ (mã {code}): cần xác định để tính hệ số",
                   "category", label=label, code=code)]
    return []
