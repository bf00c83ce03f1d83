"""Worked examples of the entitlement rules, amounts computed by hand in each test."""
from __future__ import annotations

import datetime as dt

from ansinh.payroll import entitlement as E
from ansinh.payroll.seeds import COEFFICIENTS, RATES

D = dt.date
RATE_ROWS = [E.RateRow(k, a, f, t, p) for k, a, f, t, p, _ in RATES]
COEF_ROWS = [E.CoefRow(c, lo, hi, m) for c, lo, hi, m, _ in COEFFICIENTS]


def dues(period, enrolments, dob, **kw):
    return E.dues(period, enrolments, dob, RATE_ROWS, COEF_ROWS, **kw)


def test_rates_are_dated():
    assert E.rate_for("2021-06", RATE_ROWS) == 270_000
    assert E.rate_for("2021-07", RATE_ROWS) == 360_000
    assert E.rate_for("2024-06", RATE_ROWS) == 360_000
    assert E.rate_for("2024-07", RATE_ROWS) == 500_000
    assert E.rate_for("2025-06", RATE_ROWS, "social_pension") is None
    assert E.rate_for("2025-07", RATE_ROWS, "social_pension") == 500_000


def test_province_override_wins_for_its_months_only():
    rows = RATE_ROWS + [E.RateRow("standard", 650_000, D(2026, 1, 1), None, "01")]
    assert E.rate_for("2026-01", rows, province_code="01") == 650_000
    assert E.rate_for("2025-12", rows, province_code="01") == 500_000
    assert E.rate_for("2026-01", rows, province_code="20") == 500_000


def test_severe_disability_adult_june_and_july_2024():
    e = [E.Enrol("tcxh", "5.6-severe", "2024-06")]
    dob = D(1980, 5, 5)
    june = dues("2024-06", e, dob)
    assert [(d.month, d.amount) for d in june] == [("2024-06", 1500 * 360_000 // 1000)]
    assert june[0].amount == 540_000
    july = dues("2024-07", e, dob, paid_through="2024-06")
    assert [(d.month, d.amount) for d in july] == [("2024-07", 750_000)]
    assert 750_000 == 1500 * 500_000 // 1000


def test_arrears_across_the_july_2024_change():
    # Decision in May 2024, first payroll in August 2024: May, June at 360,000 × 1.5, July, Aug at 500,000 × 1.5.
    e = [E.Enrol("tcxh", "5.6-severe", "2024-05")]
    got = dues("2024-08", e, D(1980, 1, 1))
    assert [(d.month, d.amount) for d in got] == [
        ("2024-05", 540_000), ("2024-06", 540_000), ("2024-07", 750_000), ("2024-08", 750_000)]
    assert sum(d.amount for d in got) == 2 * 540_000 + 2 * 750_000 == 2_580_000


def test_arrears_never_repay_months_paid_before_ansinh_or_already_paid():
    e = [E.Enrol("tcxh", "5.6-severe", "2024-05")]
    got = dues("2024-08", e, D(1980, 1, 1), paid_through="2024-06")
    assert [d.month for d in got] == ["2024-07", "2024-08"]
    got = dues("2024-08", e, D(1980, 1, 1), paid_through="2024-06", already_paid=[("tcxh", "2024-07")])
    assert [d.month for d in got] == ["2024-08"]


def test_several_categories_highest_only():
    # Very severe disability adult (2.0) and HIV poor (1.5): only 2.0 -> 1,000,000 at 500,000.
    e = [E.Enrol("tcxh", "5.6-very-severe", "2024-07"), E.Enrol("tcxh", "5.8", "2024-07")]
    got = dues("2024-07", e, D(1990, 1, 1))
    assert [(d.category, d.amount) for d in got] == [("5.6-very-severe", 1_000_000)]


def test_single_parent_exception_gets_both():
    # Poor single parent (1.0) who is a severely disabled adult (1.5): both -> 2.5 × 500,000.
    e = [E.Enrol("tcxh", "5.4", "2024-07"), E.Enrol("tcxh", "5.6-severe", "2024-07")]
    got = dues("2024-07", e, D(1990, 1, 1))
    assert [(d.category, d.amount) for d in got] == [("5.4+5.6-severe", 500_000 + 750_000)]
    # 5.4 with an orphan-type category is not the exception: highest only.
    e = [E.Enrol("tcxh", "5.4", "2024-07"), E.Enrol("tcxh", "5.2", "2024-07")]
    assert [(d.category, d.amount) for d in dues("2024-07", e, D(2005, 1, 1))] == [("5.2", 750_000)]


def test_death_on_the_10th_paid_that_month_not_the_next():
    e = [E.Enrol("tcxh", "5.5c", "2024-01")]
    dob = D(1930, 3, 3)
    assert [d.amount for d in dues("2024-09", e, dob, paid_through="2024-08", deceased_on=D(2024, 9, 10))] == [
        500_000]
    assert dues("2024-10", e, dob, paid_through="2024-09", deceased_on=D(2024, 9, 10)) == []
    assert E.last_paid_month(D(2024, 9, 10)) == "2024-09"


def test_eightieth_birthday_month():
    # Born 15/08/1944: 80 in August 2024. Not paid in July, paid 500,000 from August.
    e = [E.Enrol("tcxh", "5.5c", "2024-07")]
    dob = D(1944, 8, 15)
    assert dues("2024-07", e, dob) == []
    assert [(d.month, d.amount) for d in dues("2024-08", e, dob)] == [("2024-08", 500_000)]
    assert E.start_month("5.5c", D(2024, 3, 1), dob=dob) == "2024-08"
    # 5.5a (poor, alone): 1.5 below 80, 2.0 from the 80th birthday month.
    e = [E.Enrol("tcxh", "5.5a", "2024-07")]
    assert [(d.month, d.amount) for d in dues("2024-08", e, dob)] == [("2024-07", 750_000), ("2024-08", 1_000_000)]


def test_social_pension_vs_monthly_allowance_higher_only():
    # 80+ without pension (5.5c, 1.0 × 500,000) and social pension 500,000 from 07/2025: equal -> one payment.
    e = [E.Enrol("tcxh", "5.5c", "2025-01"), E.Enrol("nd176", "ND176", "2025-07")]
    got = dues("2025-07", e, D(1940, 1, 1), paid_through="2025-06")
    assert len(got) == 1 and got[0].amount == 500_000
    # poor alone 80+ (5.5a, 2.0 -> 1,000,000) beats the social pension (500,000).
    e = [E.Enrol("tcxh", "5.5a", "2025-01"), E.Enrol("nd176", "ND176", "2025-07")]
    got = dues("2025-07", e, D(1940, 1, 1), paid_through="2025-06")
    assert [(d.programme, d.amount) for d in got] == [("tcxh", 1_000_000)]
    # Only the pension: not before 07/2025 (no rate), 500,000 after.
    e = [E.Enrol("nd176", "ND176", "2025-05")]
    got = dues("2025-07", e, D(1948, 1, 1))
    assert [(d.month, d.amount) for d in got] == [("2025-07", 500_000)]


def test_care_support_on_top_of_own_allowance():
    e = [E.Enrol("tcxh", "5.6-very-severe", "2024-07"),
         E.Enrol("art20", "ART20", "2024-07", coefficient_milli=1500)]
    got = dues("2024-07", e, D(1990, 1, 1))
    assert [(d.programme, d.amount) for d in got] == [("tcxh", 1_000_000), ("art20", 750_000)]


def test_start_month_rules():
    assert E.start_month("5.1", D(2024, 3, 28)) == "2024-03"
    assert E.start_month("5.5b", D(2024, 3, 28), dob=D(1949, 11, 2)) == "2024-11"  # 75 in 11/2024
    assert E.start_month("5.5b", D(2024, 3, 28), dob=D(1940, 11, 2)) == "2024-03"
    assert E.start_month("5.6-severe", D(2024, 3, 28), certificate_date=D(2024, 1, 5)) == "2024-01"


def test_suspension_after_three_uncollected_months():
    assert not E.should_suspend([True, False, False])
    assert E.should_suspend([True, False, False, False])
    assert not E.should_suspend([False, False, True])


def test_move_between_communes():
    assert E.move(D(2024, 9, 20)) == ("2024-09", "2024-10")
    old = E.Enrol("tcxh", "5.6-severe", "2024-01", end_month="2024-09")
    new = E.Enrol("tcxh", "5.6-severe", "2024-10")
    got = dues("2024-10", [old, new], D(1980, 1, 1), paid_through="2024-08")
    assert [(d.month, d.amount) for d in got] == [("2024-09", 750_000), ("2024-10", 750_000)]


def test_funeral_support_at_least_20_times():
    assert E.funeral_support(500_000) == 10_000_000


def test_child_orphan_coefficient_changes_at_4():
    e = [E.Enrol("tcxh", "5.1", "2024-07")]
    got = dues("2024-09", e, D(2020, 8, 10))  # 4 years old from 08/2024
    assert [(d.month, d.amount) for d in got] == [("2024-07", 1_250_000), ("2024-08", 750_000),
                                                   ("2024-09", 750_000)]


def test_single_parent_per_child_and_exception():
    # Poor single parent raising 2 children (2 × 1.0) who is also severely disabled (1.5): 3.5 × 500,000.
    e = [E.Enrol("tcxh", "5.4", "2024-07", coefficient_milli=2000), E.Enrol("tcxh", "5.6-severe", "2024-07")]
    assert [(d.category, d.amount) for d in dues("2024-07", e, D(1990, 1, 1))] == [
        ("5.4+5.6-severe", 2 * 500_000 + 750_000)]


def test_unknown_start_month():
    e = [E.Enrol("tcxh", "5.6-severe", "")]
    # came with an opening position: owed from the month after it
    assert [d.month for d in dues("2024-09", e, D(1980, 1, 1), paid_through="2024-06")] == [
        "2024-07", "2024-08", "2024-09"]
    # nothing known: this month only
    assert [d.month for d in dues("2024-09", e, D(1980, 1, 1))] == ["2024-09"]


# Disagreements the property test (test_generate_properties.py) found between these rules and the
# set-based SQL; each example fixed here in the rules, the reference.

def test_unknown_start_is_per_enrolment_not_moved_by_another_enrolment():
    # An enrolment without a start month starts with the run's month (or after the opening
    # position): another enrolment's earlier start (here a suspended one) does not open arrears
    # for it (Decree 20 Art. 8: paid from the decision's month, unknown here).
    e = [E.Enrol("tcxh", "5.6-severe", ""), E.Enrol("tcxh", "5.1", "2024-12", status="suspended")]
    assert [d.month for d in dues("2025-04", e, D(1980, 1, 1))] == ["2025-04"]
    e = [E.Enrol("tcxh", "5.6-severe", "2024-03"), E.Enrol("art20", "ART20", "", coefficient_milli=1500)]
    got = [(d.programme, d.month) for d in dues("2024-08", e, D(1980, 1, 1))]
    assert ("art20", "2024-08") in got and ("art20", "2024-07") not in got and ("tcxh", "2024-03") in got


def test_equal_coefficients_name_the_first_category_in_code_order():
    # Art. 6.2 pays the highest coefficient once; when two are equal the line names the first
    # category in the order of Art. 5 (5.6 before 5.8), whatever order the enrolments come in.
    assert E.combine_categories([("5.8", 1500), ("5.6-severe", 1500)]) == ("5.6-severe", 1500)
    assert E.combine_categories([("5.6-severe", 1500), ("5.8", 1500)]) == ("5.6-severe", 1500)
    assert E.combine_categories([("5.4", 1000), ("5.8", 1500), ("5.6-severe", 1500)]) == ("5.4+5.6-severe", 2500)


def test_two_single_parent_enrolments_count_the_higher():
    # Two 5.4 enrolments (a list re-typed with the number of children): the higher one, with the exception.
    assert E.combine_categories([("5.4", 1000), ("5.4", 2000), ("5.8", 1500)]) == ("5.4+5.8", 3500)
