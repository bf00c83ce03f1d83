"""Periods and the first working day (pure)."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.core.workdays import first_working_day
from ansinh.reports.periods import parse_period

D = dt.date


@pytest.mark.parametrize("text,kind,start,end,code,label", [
    ("2024-06", "month", D(2024, 6, 1), D(2024, 6, 30), "2024-06", "tháng 06/2024"),
    ("06/2024", "month", D(2024, 6, 1), D(2024, 6, 30), "2024-06", "tháng 06/2024"),
    ("2024-02", "month", D(2024, 2, 1), D(2024, 2, 29), "2024-02", "tháng 02/2024"),
    ("2024-Q2", "quarter", D(2024, 4, 1), D(2024, 6, 30), "2024-Q2", "quý II/2024"),
    ("Q4/2024", "quarter", D(2024, 10, 1), D(2024, 12, 31), "2024-Q4", "quý IV/2024"),
    ("2024", "year", D(2024, 1, 1), D(2024, 12, 31), "2024", "năm 2024"),
    ("15/01/2024..31/03/2024", "range", D(2024, 1, 15), D(2024, 3, 31), "2024-01-15..2024-03-31",
     "từ 15/01/2024 đến 31/03/2024"),
])
def test_parse(text, kind, start, end, code, label):
    p = parse_period(text)
    assert (p.kind, p.start, p.end, p.code, p.label) == (kind, start, end, code, label)
    assert parse_period(p.code) == p


def test_previous_and_months():
    assert parse_period("2024-01").previous().code == "2023-12"
    assert parse_period("2024-Q1").previous().code == "2023-Q4"
    assert parse_period("2024").previous().code == "2023"
    r = parse_period("2024-03-01..2024-03-10").previous()
    assert (r.start, r.end) == (D(2024, 2, 20), D(2024, 2, 29))
    assert parse_period("2024-Q2").months() == ["2024-04", "2024-05", "2024-06"]
    assert parse_period("2024-06-15..2024-08-01").months() == ["2024-06", "2024-07", "2024-08"]


def test_as_of():
    p = parse_period("2024-06")
    assert p.as_of(D(2025, 1, 1)) == D(2024, 6, 30)
    assert p.as_of(D(2024, 6, 10)) == D(2024, 6, 10)  # a running period: today


@pytest.mark.parametrize("bad", ["", "2024-13", "13/2024", "2024-Q5", "2024-03-10..2024-03-01", "x"])
def test_bad(bad):
    with pytest.raises(ValueError):
        parse_period(bad)


def test_first_working_day():
    assert first_working_day(2024, 6) == D(2024, 6, 3)   # 1 June 2024 is a Saturday
    assert first_working_day(2024, 9) == D(2024, 9, 4)   # National Day 2 and 3/9/2024 (and the weekend before)
    assert first_working_day(2024, 7) == D(2024, 7, 1)   # a Monday
    assert first_working_day(2025, 3) == D(2025, 3, 3)
    assert first_working_day(2025, 1) == D(2025, 1, 2)   # New Year's Day is a holiday
