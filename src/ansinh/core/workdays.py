"""Working days of Vietnam's state offices, as dated data and pure functions (no database).

The week: Monday to Friday (state agencies' 40-hour week, Decision 188/1999/QĐ-TTg);
Saturday and Sunday are the weekly rest days.

Public holidays: Labour Code 2019 (45/2019/QH14) Art. 112.1 — Tết Dương lịch (1/1), Tết Âm lịch
(5 days, which ones decided each year by the Prime Minister), Hùng Kings (10/3 lunar), Victory Day
(30/4), International Labour Day (1/5), National Day (2/9 plus one adjacent day before or after,
decided each year). Art. 112.3: a holiday that falls on a weekly rest day is compensated on the
next working day. Each year the ministry in charge (MOLISA, the Ministry of Home Affairs from
2025) announces for civil servants the exact days off, including swaps of a weekday off for a
Saturday worked ("làm bù"); those are data too.

The lunar dates are a table per year (they are astronomy, not law): ``LUNAR`` (mùng 1 Tết and
10/3 âm lịch). Cross-checked against the ``holidays`` package 0.108 (tests/core/test_workdays.py
lists the expected calendar). A year whose ministry notice is not recorded yet is marked
``estimated``: its Tết days follow the usual pattern and should be replaced by the notice.

Everything outside ``YEARS`` falls back to the fixed solar holidays (1/1, 30/4, 1/5, 2/9) with
Art. 112.3 compensation; ``calendar_known(year)`` says whether a year is in the table.

Anything not confirmed in a primary or reliable secondary text is kept in ``UNCONFIRMED`` and is
never applied; adding it to a year's ``days_off`` is a data change.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

D = dt.date

WEEKLY_REST = (5, 6)  # Saturday, Sunday (Decision 188/1999/QĐ-TTg)


@dataclass(frozen=True)
class Holiday:
    day: dt.date
    name: str  # Vietnamese, as announced
    kind: str = "holiday"  # holiday | compensatory (Art. 112.3) | swapped (a Saturday is worked instead)


@dataclass(frozen=True)
class Year:
    year: int
    lunar_new_year: dt.date  # mùng 1 Tết
    hung_kings: dt.date  # 10/3 âm lịch
    days_off: tuple[Holiday, ...]  # every day off that is not a Saturday or Sunday, plus the holidays themselves
    working_saturdays: tuple[dt.date, ...] = ()  # Saturdays worked in exchange for a swapped day
    source: str = ""
    estimated: bool = False  # no ministry notice recorded: usual pattern, replace when announced
    notes: tuple[str, ...] = field(default_factory=tuple)


# The lunar table (mùng 1 Tết, 10/3 âm lịch), Vietnamese calendar (UTC+7).
LUNAR = {
    2024: (D(2024, 2, 10), D(2024, 4, 18)),
    2025: (D(2025, 1, 29), D(2025, 4, 7)),
    2026: (D(2026, 2, 17), D(2026, 4, 26)),
    2027: (D(2027, 2, 6), D(2027, 4, 16)),
}

_TET = "Tết Âm lịch"
_NY = "Tết Dương lịch"
_HUNG = "Giỗ Tổ Hùng Vương"
_VICTORY = "Ngày Chiến thắng 30/4"
_LABOUR = "Ngày Quốc tế Lao động 1/5"
_NATIONAL = "Quốc khánh 2/9"


def _h(y, m, d, name, kind="holiday"):
    return Holiday(D(y, m, d), name, kind)


YEARS: dict[int, Year] = {
    2024: Year(
        2024, *LUNAR[2024],
        days_off=(
            _h(2024, 1, 1, _NY),
            *(_h(2024, 2, d, _TET) for d in (8, 9, 12, 13, 14)),  # off Thu 8/2 – Wed 14/2
            _h(2024, 4, 18, _HUNG),
            _h(2024, 4, 29, _VICTORY, "swapped"),  # swapped with Saturday 4/5
            _h(2024, 4, 30, _VICTORY),
            _h(2024, 5, 1, _LABOUR),
            _h(2024, 9, 2, _NATIONAL),
            _h(2024, 9, 3, _NATIONAL),  # the adjacent day
        ),
        working_saturdays=(D(2024, 5, 4),),
        source="Tết: Notice 6150/TB-LĐTBXH (2023); 30/4: Official Dispatch 2450/VPCP-KGVX (2024)",
    ),
    2025: Year(
        2025, *LUNAR[2025],
        days_off=(
            _h(2025, 1, 1, _NY),
            *(_h(2025, 1, d, _TET) for d in (27, 28, 29, 30, 31)),  # off Sat 25/1 – Sun 2/2
            _h(2025, 4, 7, _HUNG),
            _h(2025, 4, 30, _VICTORY),
            _h(2025, 5, 1, _LABOUR),
            _h(2025, 5, 2, _LABOUR, "swapped"),  # swapped with Saturday 26/4
            _h(2025, 9, 1, _NATIONAL),  # the adjacent day
            _h(2025, 9, 2, _NATIONAL),
        ),
        working_saturdays=(D(2025, 4, 26),),
        source="Tết: Notice 6150/TB-BLĐTBXH (2024); 30/4 swap: Ministry of Home Affairs notice (2025)",
    ),
    2026: Year(
        2026, *LUNAR[2026],
        days_off=(
            _h(2026, 1, 1, _NY),
            *(_h(2026, 2, d, _TET) for d in (16, 17, 18, 19, 20)),  # off Sat 14/2 – Sun 22/2
            _h(2026, 4, 27, _HUNG, "compensatory"),  # 10/3 lunar is Sunday 26/4
            _h(2026, 4, 30, _VICTORY),
            _h(2026, 5, 1, _LABOUR),
            _h(2026, 8, 31, _NATIONAL, "swapped"),  # swapped with Saturday 22/8
            _h(2026, 9, 1, _NATIONAL),  # the adjacent day
            _h(2026, 9, 2, _NATIONAL),
        ),
        working_saturdays=(D(2026, 8, 22),),
        source="Ministry of Home Affairs notices for 2026 (Tết, 2/9 with the 31/8 swap)",
    ),
    2027: Year(
        2027, *LUNAR[2027],
        days_off=(
            _h(2027, 1, 1, _NY),
            *(_h(2027, 2, d, _TET) for d in (4, 5, 8, 9, 10)),  # usual pattern around Saturday 6/2
            _h(2027, 4, 16, _HUNG),
            _h(2027, 4, 30, _VICTORY),
            _h(2027, 5, 3, _LABOUR, "compensatory"),  # 1/5 is a Saturday
            _h(2027, 9, 2, _NATIONAL),
            _h(2027, 9, 3, _NATIONAL),  # the adjacent day (estimated)
        ),
        source="Labour Code 2019 Art. 112 with the usual pattern; no notice recorded yet",
        estimated=True,
    ),
}

# Days off reported by a secondary source only: never applied. Add to a Year's days_off once the
# text is confirmed.
UNCONFIRMED: tuple[Holiday, ...] = (
    # Vietnam Culture Day, paid day off from 2026 (reported after Resolution 80-NQ/TW; the
    # amendment of Labour Code Art. 112 was not seen).
    _h(2026, 11, 24, "Ngày Văn hóa Việt Nam"),
    _h(2027, 11, 24, "Ngày Văn hóa Việt Nam"),
)

_FIXED_SOLAR = ((1, 1, _NY), (4, 30, _VICTORY), (5, 1, _LABOUR), (9, 2, _NATIONAL))


def calendar_known(year: int) -> bool:
    """True when the year's days off (Tết, swaps) are in the table."""
    return year in YEARS


def _fallback_days_off(year: int) -> dict[dt.date, Holiday]:
    """Only the fixed solar holidays, each compensated on the next working day when on a weekend."""
    out: dict[dt.date, Holiday] = {}
    for m, d, name in _FIXED_SOLAR:
        day = D(year, m, d)
        out[day] = Holiday(day, name)
    for day, hol in sorted(out.items()):
        if day.weekday() in WEEKLY_REST:
            c = day
            while c.weekday() in WEEKLY_REST or c in out:
                c += dt.timedelta(days=1)
            out[c] = Holiday(c, hol.name, "compensatory")
    return out


_CACHE: dict[int, tuple[dict[dt.date, Holiday], frozenset[dt.date]]] = {}


def _year_data(year: int) -> tuple[dict[dt.date, Holiday], frozenset[dt.date]]:
    got = _CACHE.get(year)
    if got is None:
        y = YEARS.get(year)
        if y is None:
            got = (_fallback_days_off(year), frozenset())
        else:
            got = ({h.day: h for h in y.days_off}, frozenset(y.working_saturdays))
        _CACHE[year] = got
    return got


def holiday(d: dt.date) -> Holiday | None:
    """The holiday (or compensatory or swapped day off) on d, if any."""
    return _year_data(d.year)[0].get(d)


def is_working_day(d: dt.date) -> bool:
    days_off, saturdays = _year_data(d.year)
    if d in saturdays:
        return True
    if d.weekday() in WEEKLY_REST:
        return False
    return d not in days_off


def next_working_day(d: dt.date) -> dt.date:
    """d itself when it is a working day, else the next one."""
    while not is_working_day(d):
        d += dt.timedelta(days=1)
    return d


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The n-th working day after d (d itself not counted, whether or not it is a working day).

    add_working_days(Friday, 1) is the next Monday (if not a holiday). n == 0 returns d.
    Negative n counts backwards.
    """
    step = 1 if n >= 0 else -1
    left = abs(n)
    while left:
        d += dt.timedelta(days=step)
        if is_working_day(d):
            left -= 1
    return d


def add_calendar_days(d: dt.date, n: int) -> dt.date:
    """The n-th day after d; when that day is not a working day the time runs to the next working
    day (Civil Code 2015 Art. 148.5: a period ending on a day off ends on the next working day)."""
    return next_working_day(d + dt.timedelta(days=n))


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]; negative when end is before start."""
    if end < start:
        return -working_days_between(end, start)
    n = 0
    d = start
    while d < end:
        d += dt.timedelta(days=1)
        if is_working_day(d):
            n += 1
    return n


def first_working_day(year: int, month: int) -> dt.date:
    return next_working_day(D(year, month, 1))
