"""A report's period (pure): a month, a quarter, a year or a range of days, read from what a
person types, with its label, its months, the period before it, and the first working day of a
month (the scheduled report's day).

Forms read by `parse_period`: "2024-06" or "06/2024" (a month), "2024-Q2" or "Q2/2024" (a
quarter), "2024" (a year), "2024-01-15..2024-03-31" or "15/01/2024..31/03/2024" (a range).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ansinh.text.dates import DAY_FORMATS, parse_day, parse_month

MONTH, QUARTER, YEAR, RANGE = "month", "quarter", "year", "range"
_QUARTER = (re.compile(r"(\d{4})-?[Qq]([1-4])"), re.compile(r"[Qq]([1-4])[/-](\d{4})"))
_YEAR = re.compile(r"\d{4}")


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # inclusive

    @property
    def code(self) -> str:
        """The period as typed in the canonical form ("2024-06", "2024-Q2", "2024", "a..b")."""
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        """Vietnamese words for the period: "tháng 06/2024", "quý II/2024", "năm 2024",
        "từ 15/01/2024 đến 31/03/2024" (the files are Vietnamese documents)."""
        if self.kind == MONTH:
            return f"tháng {self.start:%m/%Y}"
        if self.kind == QUARTER:
            return f"quý {'I II III IV'.split()[(self.start.month - 1) // 3]}/{self.start.year}"
        if self.kind == YEAR:
            return f"năm {self.start.year}"
        return f"từ {self.start:%d/%m/%Y} đến {self.end:%d/%m/%Y}"

    def months(self) -> list[str]:
        """The months ("YYYY-MM") the period touches, in order."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def previous(self) -> Period:
        """The period of the same kind just before (a range: the same number of days before)."""
        if self.kind == MONTH:
            return month_period(_add_months(self.start, -1))
        if self.kind == QUARTER:
            s = _add_months(self.start, -3)
            return Period(QUARTER, s, _add_months(s, 3) - dt.timedelta(days=1))
        if self.kind == YEAR:
            return Period(YEAR, dt.date(self.start.year - 1, 1, 1), dt.date(self.start.year - 1, 12, 31))
        days = (self.end - self.start).days + 1
        return Period(RANGE, self.start - dt.timedelta(days=days), self.start - dt.timedelta(days=1))

    def as_of(self, today: dt.date | None = None) -> dt.date:
        """The day the stock figures (beneficiaries, accounts) are counted on: the period's last
        day, or today while the period is running."""
        today = today or dt.date.today()
        return min(self.end, today) if self.start <= today else self.end


def _add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def month_period(day: dt.date) -> Period:
    first = dt.date(day.year, day.month, 1)
    return Period(MONTH, first, _add_months(first, 1) - dt.timedelta(days=1))


def parse_period(text: str) -> Period:
    """The period a person typed (see the module's forms); ValueError with a one-line message."""
    t = (text or "").strip()
    if ".." in t:
        a, _, b = t.partition("..")
        start, end = parse_day(a.strip(), DAY_FORMATS), parse_day(b.strip(), DAY_FORMATS)
        if end < start:
            raise ValueError("the range ends before it starts")
        return Period(RANGE, start, end)
    for i, rx in enumerate(_QUARTER):
        m = rx.fullmatch(t)
        if m:
            year, q = (int(m.group(1)), int(m.group(2))) if i == 0 else (int(m.group(2)), int(m.group(1)))
            s = dt.date(year, 3 * q - 2, 1)
            return Period(QUARTER, s, _add_months(s, 3) - dt.timedelta(days=1))
    if _YEAR.fullmatch(t):
        y = int(t)
        return Period(YEAR, dt.date(y, 1, 1), dt.date(y, 12, 31))
    try:
        month = parse_month(t, lenient=True)
    except ValueError:
        raise ValueError(f"not a period (2024-06, 06/2024, 2024-Q2, 2024, 2024-01-01..2024-03-31): {t[:40]!r}") \
            from None
    return month_period(dt.date(int(month[:4]), int(month[5:]), 1))
