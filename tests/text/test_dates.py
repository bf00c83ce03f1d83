"""ansinh.text.dates: the one home of date parsing (pure: no database)."""
from datetime import date, timedelta

import pytest

from ansinh.registry import reader
from ansinh.text import unicode_to_tcvn3, unicode_to_vni
from ansinh.text.dates import DAY_FORMATS, DMY, LIST_DAY_FORMATS, parse_cell, parse_day, parse_iso, parse_month

# every 5th day from 1900 to 2019: all months, leap days, month ends
DAYS = [date(1900, 1, 1) + timedelta(days=n) for n in range(0, (date(2020, 1, 1) - date(1900, 1, 1)).days, 5)]
DAYS += [date(1904, 2, 29), date(2000, 2, 29), date(1999, 12, 31)]


def test_every_written_form_of_a_day_reads_back_as_that_day():
    for d in DAYS:
        dmy, iso = d.strftime("%d/%m/%Y"), d.isoformat()
        assert parse_day(dmy) == parse_day(iso) == parse_day(f" {dmy} ") == d
        assert parse_day(dmy, (DMY,)) == d
        assert parse_iso(iso) == d
        for text in (dmy, iso, d.strftime("%d-%m-%Y"), d.strftime("%d.%m.%Y")):
            assert parse_day(text, LIST_DAY_FORMATS) == d
        # (a date cell or serial up to 1905 is a year typed into a date-formatted cell)
        objects = (d, (d - date(1899, 12, 30)).days) if d.year > 1905 else ()
        for cell in (*objects, dmy, f"{d.day}/{d.month}/{d.year}", iso, d.strftime("%d%m%Y"), d.strftime("%d.%m.%Y"),
                     f"ngày {d.day} tháng {d.month} năm {d.year}"):
            assert parse_cell(cell) == (d, "day"), cell


@pytest.mark.parametrize("text, formats", [
    ("", DAY_FORMATS), ("   ", DAY_FORMATS), ("31/02/2020", DAY_FORMATS), ("2020-13-01", DAY_FORMATS),
    ("05-02-2020", DAY_FORMATS), ("05.02.2020", DAY_FORMATS), ("2020-02-05", (DMY,)), ("5/2/20", DAY_FORMATS),
    ("ngày 5 tháng 2 năm 2020", DAY_FORMATS), ("02/2020", LIST_DAY_FORMATS),
])
def test_parse_day_is_exactly_its_formats(text, formats):
    with pytest.raises(ValueError):
        parse_day(text, formats)


@pytest.mark.parametrize("text", ["05/02/2020", "", "2020-2-5", "2020-02-30"])
def test_parse_iso_takes_only_iso(text):
    with pytest.raises(ValueError):
        parse_iso(text)


def test_parse_month():
    for y in (1999, 2024, 2025):
        for m in range(1, 13):
            assert parse_month(f"{y}-{m:02d}") == parse_month(f" {y}-{m:02d}\n") == f"{y}-{m:02d}"
    for bad in ("", "2024-00", "2024-13", "2024-1", "24-01", "01/2024", "2024/01", "2024-01-01", None):
        with pytest.raises(ValueError):
            parse_month(bad)


def test_parse_month_lenient_reads_what_people_type_into_the_import_month():
    for y in (1999, 2024):
        for m in range(1, 13):
            want = f"{y}-{m:02d}"
            for text in (want, f"{y}-{m}", f"{want}-15", f"{m:02d}/{y}", f"{m}/{y}", f"{m:02d}.{y}",
                         f"{m:02d}-{y}", f" {m}/{y}\n"):
                assert parse_month(text, lenient=True) == want, text
    for bad in ("", None, "13/2024", "0/2024", "2024-13", "2024-0", "24-01", "01/24", "2024/01", "2024-01-01-01",
                "tháng 2/2024", "02/2024 x", "Feb 2024"):
        with pytest.raises(ValueError, match="YYYY-MM or MM/YYYY"):
            parse_month(bad, lenient=True)
    # the strict form is unchanged: lenient readings are refused without the flag
    for text in ("01/2024", "2024-1", "2024-01-01"):
        with pytest.raises(ValueError):
            parse_month(text)


@pytest.mark.parametrize("encode", [unicode_to_tcvn3, unicode_to_vni])
def test_a_legacy_font_cell_reads_with_or_without_the_readers_decoder(encode):
    for text, expected in (("tháng 2 năm 1940", (date(1940, 2, 1), "month")),
                           ("ngày 5 tháng 2 năm 1940", (date(1940, 2, 5), "day"))):
        legacy = encode(text)
        assert legacy != text
        assert parse_cell(legacy) == reader.parse_date(legacy) == parse_cell(text) == expected


def test_the_reader_parses_cells_with_the_one_parser():
    for cell in ("05/02/1940", "T2/1940", "1945", 14646, "", None, date(1905, 4, 28)):
        assert reader.parse_date(cell) == parse_cell(cell)
    for bad in ("31/02/1945", "13/1940", "abc"):
        with pytest.raises(ValueError) as a:
            reader.parse_date(bad)
        with pytest.raises(ValueError) as b:
            parse_cell(bad)
        assert str(a.value) == str(b.value)
