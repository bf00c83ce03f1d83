"""Cleaning rules: pure functions, no database."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.registry import rules


def codes(findings):
    return [(f.rule, f.severity) for f in findings]


class TestIdShape:
    def test_valid_12_digits(self):
        assert rules.classify_id("020040001234") == ("020040001234", None, [])

    def test_nine_digits_is_legacy_cmnd(self):
        assert rules.classify_id("080123456") == (None, "080123456", [])

    @pytest.mark.parametrize("value", ["12345", "0200400012345", "02004000123A", "0200400012"])
    def test_wrong_shape_is_an_error_and_not_kept(self, value):
        idn, legacy, f = rules.classify_id(value)
        assert idn is None and legacy is None
        assert codes(f) == [("ID_SHAPE", "error")] and f[0].details["value"] == value

    def test_unknown_province_prefix_is_kept_with_a_warning(self):
        idn, _, f = rules.classify_id("003040001234")  # 003 is not a province code
        assert idn == "003040001234" and codes(f) == [("ID_SHAPE", "warning")]

    def test_every_63_province_code_is_known(self):
        assert len(rules.PROVINCE_ID_CODES) == 63 and rules.PROVINCE_ID_CODES["020"] == "Lạng Sơn"

    def test_empty(self):
        assert rules.classify_id(None) == (None, None, []) and rules.classify_id("  ") == (None, None, [])


class TestIdDigits:
    def test_century_gender_digit(self):
        assert rules.id_century_gender("020140001234") == (1900, "F")
        assert rules.id_century_gender("020215001234") == (2000, "M")
        assert rules.id_century_gender("020315001234") == (2000, "F")

    def test_gender_mismatch(self):
        assert codes(rules.check_id_gender("020140001234", "M")) == [("ID_GENDER", "warning")]
        assert rules.check_id_gender("020140001234", "F") == []
        assert rules.check_id_gender("020140001234", None) == []
        assert rules.check_id_gender(None, "F") == []

    def test_birth_year_mismatch(self):
        f = rules.check_id_birth_year("020045001234", dt.date(1940, 3, 5))
        assert codes(f) == [("ID_BIRTH_YEAR", "warning")]
        assert f[0].details == {"id_year": 1945, "dob_year": 1940}
        assert rules.check_id_birth_year("020040001234", dt.date(1940, 3, 5)) == []
        assert rules.check_id_birth_year("020215001234", dt.date(2015, 1, 1)) == []


class TestDob:
    today = dt.date(2024, 1, 15)

    def test_future_and_too_old(self):
        assert codes(rules.check_dob(dt.date(2025, 1, 1), today=self.today)) == [("DOB_PLAUSIBLE", "error")]
        assert codes(rules.check_dob(dt.date(1900, 1, 1), today=self.today)) == [("DOB_PLAUSIBLE", "error")]
        assert rules.check_dob(dt.date(1930, 1, 1), today=self.today) == []

    @pytest.mark.parametrize("category,dob,ok", [
        ("5.5c", dt.date(1944, 1, 31), True),    # 80 by the end of January 2024
        ("5.5c", dt.date(1944, 2, 1), False),    # turns 80 in February
        ("5.5b", dt.date(1949, 1, 1), True),
        ("5.5b", dt.date(1950, 6, 1), False),
        ("5.5a", dt.date(1965, 1, 1), False),
        ("5.1", dt.date(2010, 1, 1), True),
        ("5.1", dt.date(2007, 1, 1), False),     # 17
        ("5.2", dt.date(2005, 1, 1), True),      # 19
        ("5.2", dt.date(2010, 1, 1), False),     # 14
        ("5.7", dt.date(2020, 1, 1), False),     # 4
        ("5.7", dt.date(2022, 6, 1), True),
        ("5.6-severe", dt.date(1990, 1, 1), True),  # no age condition
    ])
    def test_age_consistent_with_category_at_payment_month(self, category, dob, ok):
        f = rules.check_dob(dob, "day", category, "2024-01", self.today)
        assert (f == []) is ok, f

    def test_year_precision_is_lenient(self):
        # born some day in 1944: may be 80 by the end of January 2024
        assert rules.check_dob(dt.date(1944, 1, 1), "year", "5.5c", "2024-01", self.today) == []
        assert rules.check_dob(dt.date(1945, 1, 1), "year", "5.5c", "2024-01", self.today) != []


class TestName:
    def test_changed_name_is_info_with_before_after(self):
        f = rules.check_name("NGUYỄN  THỊ HOÀ", "Nguyễn Thị Hòa")
        assert codes(f) == [("NAME_NORMALISED", "info")]
        assert f[0].details == {"before": "NGUYỄN  THỊ HOÀ", "after": "Nguyễn Thị Hòa"}

    def test_unchanged(self):
        assert rules.check_name("Nguyễn Thị Hòa", "Nguyễn Thị Hòa") == []


class TestAccountFields:
    def test_complete(self):
        assert rules.check_account_fields(full_name="A", dob=dt.date(1940, 1, 1), id_number="020040001234",
                                          residence_known=True, account_number="123") == []

    def test_authorised_account_counts(self):
        assert rules.check_account_fields(full_name="A", dob=dt.date(1940, 1, 1), id_number="020040001234",
                                          residence_known=True, account_number=None, authorised_account=True) == []

    def test_lists_what_is_missing(self):
        f = rules.check_account_fields(full_name="A", dob=None, id_number=None, residence_known=False,
                                       account_number=None)
        assert codes(f) == [("ACCOUNT_FIELDS", "warning"), ("ACCOUNT_MISSING", "warning")]
        assert f[0].details["missing"] == ["ngày sinh", "số định danh", "nơi cư trú"]
        assert "số tài khoản" in f[1].message and "số tài khoản" not in f[0].message


class TestPhone:
    @pytest.mark.parametrize("old,new", [
        ("01682345678", "0382345678"), ("01692345678", "0392345678"), ("01202345678", "0702345678"),
        ("01212345678", "0792345678"), ("01222345678", "0772345678"), ("01262345678", "0762345678"),
        ("01282345678", "0782345678"), ("01232345678", "0832345678"), ("01242345678", "0842345678"),
        ("01252345678", "0852345678"), ("01272345678", "0812345678"), ("01292345678", "0822345678"),
        ("01862345678", "0562345678"), ("01882345678", "0582345678"), ("01992345678", "0592345678"),
        ("01622345678", "0322345678"),
    ])
    def test_old_11_digit_prefixes(self, old, new):
        phone, f = rules.normalise_phone(old)
        assert phone == new and codes(f) == [("PHONE", "info")]

    @pytest.mark.parametrize("value,expected", [
        ("0912 345 678", "0912345678"), ("+84912345678", "0912345678"), ("84912345678", "0912345678"),
        ("912345678", "0912345678"), ("0205.3870.123", "02053870123"),
    ])
    def test_normalised(self, value, expected):
        phone, _ = rules.normalise_phone(value)
        assert phone == expected

    @pytest.mark.parametrize("value", ["12345", "0112345678", "abc", "012345678901"])
    def test_invalid_is_a_warning(self, value):
        phone, f = rules.normalise_phone(value)
        assert phone == "" and codes(f) == [("PHONE", "warning")]

    def test_empty(self):
        assert rules.normalise_phone(None) == ("", []) and rules.normalise_phone("") == ("", [])


class TestResidence:
    def test_resolved(self):
        assert rules.check_residence({"status": "exact"}) == []
        assert rules.check_residence({"status": "converted"}) == []

    def test_split_goes_to_review(self):
        f = rules.check_residence({"status": "ambiguous", "candidates": [{"id": 1, "name": "Xã A"},
                                                                          {"id": 2, "name": "Xã B"}]}, "Xã C")
        assert codes(f) == [("RESIDENCE", "warning")] and "Xã A, Xã B" in f[0].message
        assert [c["id"] for c in f[0].details["candidates"]] == [1, 2]

    def test_not_found_is_an_error(self):
        assert codes(rules.check_residence({"status": "not_found"})) == [("RESIDENCE", "error")]
        assert codes(rules.check_residence(None)) == [("RESIDENCE", "error")]


class TestCategory:
    def test_unmapped(self):
        f = rules.check_category("Đối tượng khác", None)
        assert codes(f) == [("CATEGORY_UNMAPPED", "error")] and f[0].details["label"] == "Đối tượng khác"

    def test_incomplete(self):
        assert codes(rules.check_category("Người khuyết tật", "5.6", complete=False)) == [
            ("CATEGORY_INCOMPLETE", "warning")]

    def test_mapped(self):
        assert rules.check_category("NCT ≥80", "5.5c") == []


def test_every_finding_code_has_a_title_and_severity():
    for code, (sev, title) in rules.RULES.items():
        assert sev in ("error", "warning", "info") and title


def test_rule_titles_follow_the_interface_language():
    from django.utils import translation

    for code, (_sev, title) in rules.RULES.items():
        with translation.override("vi"):
            vi = str(title)
        with translation.override("en"):
            en = str(title)
        assert vi != en, f"{code}: no English title"
    with translation.override("en"):
        assert str(rules.RULES["ID_GENDER"][1]) == "ID number does not match the gender"
