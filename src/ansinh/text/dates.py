"""Dates typed by people: the one place that turns text (or a spreadsheet cell) into a date.

Pure layer: no Django, no database.  Who reads what:

=========================  ===============================================  ============================
function                   accepts                                          used by
=========================  ===============================================  ============================
``parse_cell(value)``      a commune-list cell: dates, Excel serials,       registry reader/importer,
                           dd/mm/yyyy (also - and .), d/m/yy (pivoted),     matching (death lists)
                           yyyy-mm-dd, ddmmyyyy, mm/yyyy, yyyy,
                           "ngày 5 tháng 2 năm 1940", "tháng 2 năm 1940"
                           -> ``(date, "day"|"month"|"year")``
``parse_day(text, fmts)``  exactly the given strptime formats: default      web pages; a form field that
                           ``DAY_FORMATS`` (yyyy-mm-dd or dd/mm/yyyy);      shows dd/mm/yyyy takes
                           ``(DMY,)``; ``LIST_DAY_FORMATS`` (also           ``(DMY,)``; bank lists
                           dd-mm-yyyy, dd.mm.yyyy)
``parse_iso(text)``        ISO 8601 as ``date.fromisoformat`` reads it      CLI options, API payloads,
                                                                            result files
``parse_month(text)``      "YYYY-MM" (month 01-12) -> the same text;        payroll periods, ?month=;
                           ``lenient=True`` also YYYY-M, YYYY-MM-DD,        the import's month option
                           M/YYYY, MM/YYYY, MM.YYYY, MM-YYYY -> "YYYY-MM"   ("paid through")
=========================  ===============================================  ============================

All raise ``ValueError`` for what they cannot read (``parse_cell`` gives None for an
empty cell); callers word the message for their audience.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from time import monotonic as _monotonic

from ansinh.text.core import fold, nfc
from ansinh.text.legacy import decode_legacy

__all__ = ["DAY_FORMATS", "DMY", "LIST_DAY_FORMATS", "YMD", "parse_cell", "parse_day", "parse_iso", "parse_month"]

#: the form the web pages show and take
DMY = "%d/%m/%Y"
#: ISO 8601
YMD = "%Y-%m-%d"
#: what a page's date field takes: ISO or the Vietnamese dd/mm/yyyy
DAY_FORMATS = (YMD, DMY)
#: a date column of a file people fill in (a bank's list of opened accounts)
LIST_DAY_FORMATS = (YMD, DMY, "%d-%m-%Y", "%d.%m.%Y")

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_MONTH_YM = re.compile(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?")   # YYYY-MM, YYYY-M, YYYY-MM-DD (the day not read)
_MONTH_MY = re.compile(r"(\d{1,2})[/.-](\d{4})")             # MM/YYYY, M/YYYY, MM.YYYY, MM-YYYY


def parse_day(text: str, formats: Iterable[str] = DAY_FORMATS) -> date:
    """The date in ``text`` (surrounding spaces ignored) read by the first of ``formats``
    (strptime formats) that fits; ValueError when none does."""
    t = (text or "").strip()
    for fmt in formats:
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {t[:40]!r}")


def parse_iso(text: str) -> date:
    """An ISO 8601 date (what the CLI, the API and machine-written files carry)."""
    return date.fromisoformat(text)


def parse_month(text: str, *, lenient: bool = False) -> str:
    """A month "YYYY-MM" (surrounding spaces ignored), returned as that text; ValueError otherwise.

    ``lenient=True`` (what a person types into the import's month option) also reads YYYY-M,
    YYYY-MM-DD (its month), M/YYYY, MM/YYYY, MM.YYYY and MM-YYYY, returned as "YYYY-MM"."""
    t = (text or "").strip()
    if _MONTH.match(t):
        return t
    if lenient:
        m = _MONTH_YM.fullmatch(t)
        if m and 1 <= int(m.group(2)) <= 12:
            return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
        m = _MONTH_MY.fullmatch(t)
        if m and 1 <= int(m.group(1)) <= 12:
            return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
    raise ValueError(f"not a month {'YYYY-MM or MM/YYYY' if lenient else 'YYYY-MM'}: {t[:40]!r}")


def _plain(s: str) -> str:
    """Legacy-decode (TCVN3/VNI, when detected) + NFC; real Unicode is left as it is."""
    return s if s.isascii() else nfc(decode_legacy(s))


# --------------------------------------------------------------------------- spreadsheet cells

_D_DMY_FAST = re.compile(r"(\d\d?)[/.\-](\d\d?)[/.\-](\d{4})$")
_D_DMY = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4}|\d{2})$")
_D_YMD = re.compile(r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_D_MY = re.compile(r"^(?:T|THANG\s*)?(\d{1,2})\s*[/\-.]\s*(\d{4})$")
_D_Y = re.compile(r"^(\d{4})(?:\.0+)?$")
_D_VN = re.compile(r"^(?:NGAY\s*(\d{1,2})\s*)?THANG\s*(\d{1,2})\s*NAM\s*(\d{4})$")
_D_8 = re.compile(r"^(\d{8})$")
_EXCEL_EPOCH = date(1899, 12, 30)
_MIN_YEAR = 1880


_today_cache = [date.min, -1e9]


def _today() -> date:
    """date.today(), re-read at most once a minute (it is called for every date cell)."""
    now = _monotonic()
    if now - _today_cache[1] > 60:
        _today_cache[0] = date.today()
        _today_cache[1] = now
    return _today_cache[0]


def _check_date(y: int, m: int, d: int, text) -> date:
    if m > 12 and d <= 12:
        raise ValueError(f"invalid date {text!r}: month {m} > 12 (day and month swapped?)")
    try:
        r = date(y, m, d)
    except ValueError:
        raise ValueError(f"invalid date {text!r}") from None
    return _check_range(r, text)


def _check_range(r: date, text) -> date:
    if r.year < _MIN_YEAR:
        raise ValueError(f"date {text!r} is before {_MIN_YEAR}")
    if r.year >= 2020 and r > _today():
        raise ValueError(f"date {text!r} is in the future")
    return r


def _pivot(yy: int) -> int:
    cur = _today().year
    return 1900 + yy if yy > cur % 100 else 2000 + yy


def parse_cell(value, decode: Callable[[str], str] | None = None) -> tuple[date, str] | None:
    """Parse a date cell: ``(date, precision)`` with precision "day", "month" or "year".

    Accepts date/datetime objects, Excel serial numbers, a year number (1945.0),
    and strings dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, d/m/yy (two-digit years are
    pivoted so the date is not in the future), yyyy-mm-dd, ddmmyyyy, mm/yyyy,
    yyyy, "ngày 5 tháng 2 năm 1940", "tháng 2 năm 1940".  Coarser precisions give
    the first day of the month/year.  Empty input gives None; anything else that
    cannot be parsed raises ValueError.  ``decode`` turns a non-ASCII cell into
    Unicode (the reader passes its cached per-sheet decoder; default: legacy-decode
    when detected, then NFC).
    """
    tp = type(value)
    if tp is date and 1905 < value.year < 2020:     # fast path: a date cell
        return value, "day"
    if tp is str:
        m = _D_DMY_FAST.match(value)
        if m is not None:                            # fast path: "05/02/1940"
            d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if mo <= 12 and 1 <= d and y < 2020:
                try:
                    r = date(y, mo, d)
                except ValueError:
                    pass
                else:
                    if y >= _MIN_YEAR:
                        return r, "day"
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.year <= 1905:
            # a year typed into a date-formatted cell: Excel stored serial 1945 = 1905-04-28
            serial = (value - _EXCEL_EPOCH).days
            if _MIN_YEAR <= serial <= _today().year:
                return date(serial, 1, 1), "year"
        return _check_range(value, value.isoformat()), "day"
    if isinstance(value, bool) or isinstance(value, (time, timedelta)):
        raise ValueError(f"not a date: {value!r}")
    if isinstance(value, (int, float)):
        if value != int(value):
            raise ValueError(f"not a date: {value!r}")
        n = int(value)
        if _MIN_YEAR <= n <= 2100:
            return date(_check_year(n, value), 1, 1), "year"
        if 1 <= n <= 2958465:
            return _check_range(_EXCEL_EPOCH + timedelta(days=n), value), "day"
        raise ValueError(f"not a date: {value!r}")
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value
    t = value.strip().lstrip("'").strip().rstrip(".").strip()
    if not t:
        return None
    m = _D_DMY.match(t)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        yi = int(y) if len(y) == 4 else _pivot(int(y))
        return _check_date(yi, mo, d, text), "day"
    m = _D_YMD.match(t)
    if m:
        return _check_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), text), "day"
    m = _D_Y.match(t)
    if m:
        return date(_check_year(int(m.group(1)), text), 1, 1), "year"
    m = _D_8.match(t)
    if m:
        s = m.group(1)
        if 18 <= int(s[:2]) <= 20 and 1 <= int(s[4:6]) <= 12 and int(s[6:]) <= 31 and int(s[2:4]) > 12:
            return _check_date(int(s[:4]), int(s[4:6]), int(s[6:]), text), "day"
        return _check_date(int(s[4:]), int(s[2:4]), int(s[:2]), text), "day"
    if not t.isascii() or any(c.isalpha() for c in t):
        k = " ".join(fold((decode or _plain)(t)).replace(",", " ").split())
        m = _D_VN.match(k)
        if m:
            if m.group(1):
                return _check_date(int(m.group(3)), int(m.group(2)), int(m.group(1)), text), "day"
            mo = int(m.group(2))
            if not 1 <= mo <= 12:
                raise ValueError(f"invalid month in {text!r}")
            return _check_range(date(int(m.group(3)), mo, 1), text), "month"
        t = k
    m = _D_MY.match(t)
    if m:
        mo, y = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise ValueError(f"invalid month in {text!r}")
        return _check_range(date(y, mo, 1), text), "month"
    raise ValueError(f"unrecognised date {text!r} (expected dd/mm/yyyy, mm/yyyy or yyyy)")


def _check_year(y: int, text) -> int:
    if y < _MIN_YEAR or y > _today().year:
        raise ValueError(f"year {text!r} out of range")
    return y
