"""parse_date: every format found in commune lists."""
from datetime import date, datetime

import pytest

from ansinh.registry.reader import parse_date

THIS_YEAR = date.today().year


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(1940, 2, 5), (date(1940, 2, 5), "day")),
        (datetime(1940, 2, 5, 0, 0), (date(1940, 2, 5), "day")),
        (14646.0, (date(1940, 2, 5), "day")),           # Excel serial
        (14646, (date(1940, 2, 5), "day")),
        ("05/02/1940", (date(1940, 2, 5), "day")),
        ("5/2/1940", (date(1940, 2, 5), "day")),
        ("05-02-1940", (date(1940, 2, 5), "day")),
        ("05.02.1940", (date(1940, 2, 5), "day")),
        (" 05 / 02 / 1940 ", (date(1940, 2, 5), "day")),
        ("'05/02/1940", (date(1940, 2, 5), "day")),
        ("1940-02-05", (date(1940, 2, 5), "day")),
        ("1940-02-05 00:00:00", (date(1940, 2, 5), "day")),
        ("05021940", (date(1940, 2, 5), "day")),
        ("19400205", (date(1940, 2, 5), "day")),
        ("5/2/40", (date(1940, 2, 5), "day")),          # yy > current yy -> 19yy
        ("5/2/05", (date(2005, 2, 5), "day")),
        ("02/1940", (date(1940, 2, 1), "month")),
        ("2/1940", (date(1940, 2, 1), "month")),
        ("T2/1940", (date(1940, 2, 1), "month")),
        ("tháng 2 năm 1940", (date(1940, 2, 1), "month")),
        ("ngày 5 tháng 2 năm 1940", (date(1940, 2, 5), "day")),
        ("1940", (date(1940, 1, 1), "year")),
        ("1940.0", (date(1940, 1, 1), "year")),
        (1945.0, (date(1945, 1, 1), "year")),
        (1945, (date(1945, 1, 1), "year")),
        (date(1905, 4, 28), (date(1945, 1, 1), "year")),  # "1945" typed into a date-formatted cell
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_two_digit_year_pivot_is_never_in_the_future():
    yy = THIS_YEAR % 100
    assert parse_date(f"01/01/{yy:02d}")[0].year == 2000 + yy
    nxt = (yy + 1) % 100
    assert parse_date(f"01/01/{nxt:02d}")[0].year == 1900 + nxt


@pytest.mark.parametrize(
    "value, fragment",
    [
        ("31/02/1945", "invalid date"),
        ("00/00/1940", "invalid date"),
        ("15/13/1938", "invalid date"),
        ("12/25/1940", "swapped"),
        ("1940?", "unrecognised date"),
        ("không rõ", "unrecognised date"),
        ("13/1940", "invalid month"),
        ("01/01/2999", "future"),
        ("3000", "out of range"),
        (1945.5, "not a date"),
        (True, "not a date"),
    ],
)
def test_parse_date_errors(value, fragment):
    with pytest.raises(ValueError) as exc:
        parse_date(value)
    assert fragment in str(exc.value)
