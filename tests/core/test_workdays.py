"""Working days of state offices (core/workdays.py): pure, no database."""
import datetime as dt

import pytest

from ansinh.core import workdays as W

D = dt.date

# The weekday days off per year, written out independently of the module's table (cross-checked
# with the holidays package 0.108, which cites the same ministry notices).
EXPECTED_WEEKDAYS_OFF = {
    2024: ["01-01", "02-08", "02-09", "02-12", "02-13", "02-14", "04-18", "04-29", "04-30", "05-01",
           "09-02", "09-03"],
    2025: ["01-01", "01-27", "01-28", "01-29", "01-30", "01-31", "04-07", "04-30", "05-01", "05-02",
           "09-01", "09-02"],
    2026: ["01-01", "02-16", "02-17", "02-18", "02-19", "02-20", "04-27", "04-30", "05-01", "08-31",
           "09-01", "09-02"],
    2027: ["01-01", "02-04", "02-05", "02-08", "02-09", "02-10", "04-16", "04-30", "05-03", "09-02",
           "09-03"],
}
WORKING_SATURDAYS = {2024: ["05-04"], 2025: ["04-26"], 2026: ["08-22"], 2027: []}


@pytest.mark.parametrize("year", sorted(EXPECTED_WEEKDAYS_OFF))
def test_every_day_of_the_year(year):
    off = {D.fromisoformat(f"{year}-{md}") for md in EXPECTED_WEEKDAYS_OFF[year]}
    sat = {D.fromisoformat(f"{year}-{md}") for md in WORKING_SATURDAYS[year]}
    d = D(year, 1, 1)
    while d.year == year:
        expected = d in sat or (d.weekday() < 5 and d not in off)
        assert W.is_working_day(d) is expected, d
        d += dt.timedelta(days=1)


def test_lunar_table():
    # mùng 1 Tết and 10/3 âm lịch
    assert W.LUNAR[2024] == (D(2024, 2, 10), D(2024, 4, 18))
    assert W.LUNAR[2026][1].weekday() == 6  # Hùng Kings 2026 on a Sunday -> compensated Monday
    assert W.holiday(D(2026, 4, 27)).kind == "compensatory"


def test_add_working_days_over_a_weekend():
    fri = D(2025, 3, 7)
    assert W.add_working_days(fri, 1) == D(2025, 3, 10)
    assert W.add_working_days(fri, 5) == D(2025, 3, 14)
    assert W.add_working_days(fri, 0) == fri
    assert W.add_working_days(D(2025, 3, 10), -1) == fri
    # from a Saturday: Monday is the first
    assert W.add_working_days(D(2025, 3, 8), 1) == D(2025, 3, 10)


def test_add_working_days_over_tet_2026():
    # received Thursday 12/02/2026: 10 working days skip 14–22/2 (Tết) entirely
    got = W.add_working_days(D(2026, 2, 12), 10)
    # 13/2 (1), 23–27/2 (2..6), 2–5/3 (7..10)
    assert got == D(2026, 3, 5)
    assert W.working_days_between(D(2026, 2, 12), got) == 10


def test_swapped_saturday_counts():
    # 2025: Friday 2/5 off, Saturday 26/4 worked
    assert W.is_working_day(D(2025, 4, 26))
    assert not W.is_working_day(D(2025, 5, 2))
    assert W.add_working_days(D(2025, 4, 25), 1) == D(2025, 4, 26)
    assert W.add_working_days(D(2025, 4, 29), 1) == D(2025, 5, 5)


def test_calendar_days_end_on_a_working_day():
    # 30 calendar days from 2/1/2026 is Sunday 1/2/2026 -> Monday 2/2
    assert W.add_calendar_days(D(2026, 1, 2), 30) == D(2026, 2, 2)
    # ends inside Tết 2026 -> the Monday after
    assert W.add_calendar_days(D(2026, 2, 1), 16) == D(2026, 2, 23)
    assert W.add_calendar_days(D(2026, 3, 2), 2) == D(2026, 3, 4)


def test_first_working_day():
    assert W.first_working_day(2026, 2) == D(2026, 2, 2)
    assert W.first_working_day(2026, 5) == D(2026, 5, 4)  # 1/5 Friday holiday, weekend
    assert W.first_working_day(2027, 1) == D(2027, 1, 4)
    assert W.first_working_day(2026, 9) == D(2026, 9, 3)


def test_unknown_year_falls_back_to_solar_holidays():
    assert not W.calendar_known(2030)
    assert not W.is_working_day(D(2030, 4, 30))
    # 1/1/2028 is a Saturday -> compensated Monday 3/1
    assert not W.is_working_day(D(2028, 1, 3))
    assert W.is_working_day(D(2028, 1, 4))


def test_unconfirmed_days_are_not_applied():
    for h in W.UNCONFIRMED:
        if h.day.weekday() < 5:
            assert W.is_working_day(h.day)
    assert W.YEARS[2027].estimated and not W.YEARS[2026].estimated
