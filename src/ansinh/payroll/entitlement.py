"""Entitlement rules of Decree 20/2021 (as amended by 76/2024) and Decree 176/2025, as pure
functions (no database). The set-based SQL in ansinh.payroll.generate implements the same
rules for whole populations; tests/payroll/test_generate_properties.py checks that it
computes exactly what these functions compute, on random populations.

Months are "YYYY-MM" strings. Money is integer đồng. Coefficients are integers in
thousandths (1.5 -> 1500) so every product is exact.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

ALLOWANCE_PROGRAMMES = ("tcxh", "nd176")  # mutually exclusive: the higher is paid
FUNERAL = "funeral"  # the programme (and category) of a funeral support line
SINGLE_PARENT = "5.4"
SINGLE_PARENT_COMBINABLE = ("5.5", "5.6", "5.8")  # Art. 6.2: 5.4 + one of these -> both
UNCOLLECTED_MONTHS_TO_SUSPEND = 3
PER_CHILD = ("5.4",)  # coefficient 1.0 per child raised: the enrolment's own coefficient (n × 1.0) wins


# --------------------------------------------------------------------------- months

def ym(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def month_index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_from_index(i: int) -> str:
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def add_months(month: str, n: int) -> str:
    return month_from_index(month_index(month) + n)


def months_between(first: str, last: str) -> list[str]:
    """Inclusive list of months first..last (empty when first > last)."""
    return [month_from_index(i) for i in range(month_index(first), month_index(last) + 1)]


def first_day(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:7]), 1)


def age_in_month(dob: dt.date | None, month: str) -> int | None:
    """Whole years reached in `month`: a person counts as N from the month of the N-th birthday
    (ND 20 Art. 8: elderly are paid from the month they reach the age)."""
    if dob is None:
        return None
    return (month_index(month) - month_index(ym(dob))) // 12


# --------------------------------------------------------------------------- rates

@dataclass(frozen=True)
class RateRow:
    kind: str
    amount: int
    valid_from: dt.date
    valid_to: dt.date | None = None
    province_code: str = ""


@dataclass(frozen=True)
class CoefRow:
    category: str
    min_age: int | None
    max_age: int | None
    milli: int
    valid_from: dt.date = dt.date(2000, 1, 1)
    valid_to: dt.date | None = None


def rate_for(month: str, rates: Iterable[RateRow], kind: str = "standard", province_code: str = "") -> int | None:
    """The rate of `kind` in force on the first day of `month`; a province override wins."""
    day = first_day(month)
    best: RateRow | None = None
    for r in rates:
        if r.kind != kind or r.valid_from > day or (r.valid_to is not None and r.valid_to < day):
            continue
        if r.province_code and r.province_code != province_code:
            continue
        if best is None or (bool(r.province_code), r.valid_from) > (bool(best.province_code), best.valid_from):
            best = r
    return best.amount if best else None


def coefficient_for(category: str, age: int | None, month: str, coefs: Iterable[CoefRow]) -> int | None:
    """Coefficient (thousandths) of `category` at `age` in `month`; None when no row applies
    (e.g. 5.5c before the 80th-birthday month)."""
    day = first_day(month)
    for c in coefs:
        if c.category != category or c.valid_from > day or (c.valid_to is not None and c.valid_to < day):
            continue
        if c.min_age is not None and (age is None or age < c.min_age):
            continue
        if c.max_age is not None and (age is None or age >= c.max_age):
            continue
        return c.milli
    return None


def amount(level: int, milli: int) -> int:
    """level × coefficient, rounded half up to the đồng (exact for all Art. 6 coefficients)."""
    return (level * milli + 500) // 1000


def funeral_support(level: int, multiple: int = 20) -> int:
    """Art. 11: at least `multiple` × the standard level."""
    return level * multiple


# --------------------------------------------------------------------------- categories

def base(category: str) -> str:
    return category[:3] if category.startswith("5.") else category


def combine_categories(items: Sequence[tuple[str, int]]) -> tuple[str, int] | None:
    """Art. 6.2: several categories -> only the highest coefficient; except a poor single parent
    (5.4) who is also elderly, disabled or HIV-positive (5.5/5.6/5.8) gets both.
    `items` are (category, milli); returns (category label, total milli)."""
    if not items:
        return None
    best = _highest(items)
    parent = [t for t in items if t[0] == SINGLE_PARENT]
    other = [t for t in items if base(t[0]) in SINGLE_PARENT_COMBINABLE]
    if parent and other:
        o = _highest(other)
        return f"{SINGLE_PARENT}+{o[0]}", _highest(parent)[1] + o[1]
    return best


def _highest(items: Sequence[tuple[str, int]]) -> tuple[str, int]:
    """The highest coefficient; of equal ones, the first category in code order (5.6 before 5.8)."""
    return min(items, key=lambda t: (-t[1], t[0]))


# --------------------------------------------------------------------------- enrolments

@dataclass(frozen=True)
class Enrol:
    programme: str            # tcxh | nd176 | art20
    category: str
    start_month: str
    end_month: str = ""       # last month paid ("" = open)
    status: str = "active"
    coefficient_milli: int | None = None  # when the category has no coefficient rows, or per child (5.4)


@dataclass(frozen=True)
class Due:
    month: str
    programme: str
    category: str
    milli: int | None
    level: int
    amount: int


def start_month(category: str, decision_date: dt.date, dob: dt.date | None = None,
                certificate_date: dt.date | None = None) -> str:
    """Art. 8: the month the decision is signed; elderly 5.5b/5.5c from the month they reach
    75 / 80 (if later); disability from the month of the disability certificate."""
    start = ym(decision_date)
    if category in ("5.5b", "5.5c") and dob is not None:
        age = 75 if category == "5.5b" else 80
        start = max(start, add_months(ym(dob), 12 * age))
    if base(category) == "5.6" and certificate_date is not None:
        start = ym(certificate_date)
    return start


def last_paid_month(event: dt.date) -> str:
    """Death or loss of eligibility on any day of a month: that month is still paid, the next is not."""
    return ym(event)


def move(decision_date: dt.date) -> tuple[str, str]:
    """Move between communes: the old enrolment ends with the month of the stop decision, the
    new one starts the following month. Returns (old end month, new start month)."""
    end = ym(decision_date)
    return end, add_months(end, 1)


def should_suspend(collected: Sequence[bool]) -> bool:
    """Suspend when the last 3 consecutive months (oldest first) were not collected."""
    tail = list(collected)[-UNCOLLECTED_MONTHS_TO_SUSPEND:]
    return len(tail) == UNCOLLECTED_MONTHS_TO_SUSPEND and not any(tail)


def month_dues(month: str, enrolments: Iterable[Enrol], dob: dt.date | None, rates: Sequence[RateRow],
               coefs: Sequence[CoefRow], province_code: str = "",
               deceased_on: dt.date | None = None) -> list[Due]:
    """What is due for one month: at most one allowance (TCXH or social pension, the higher)
    plus care support (Art. 20)."""
    if deceased_on is not None and month > last_paid_month(deceased_on):
        return []
    active = [e for e in enrolments if e.status == "active" and e.start_month <= month
              and (not e.end_month or month <= e.end_month) and e.category != ""]  # "": unmapped, held
    age = age_in_month(dob, month)
    coef_cats = {c.category for c in coefs}
    level = rate_for(month, rates, "standard", province_code)
    out: list[Due] = []
    allowance: list[Due] = []
    for programme in ("tcxh", "art20"):
        items = []
        for e in active:
            if e.programme != programme:
                continue
            if e.category in PER_CHILD and e.coefficient_milli:
                milli = e.coefficient_milli
            elif e.category in coef_cats:
                milli = coefficient_for(e.category, age, month, coefs)
            else:
                milli = e.coefficient_milli
            if milli:
                items.append((e.category, milli))
        if programme == "art20" and items:
            items = [_highest(items)]  # care support: the highest only
        comb = combine_categories(items)
        if comb and level:
            d = Due(month, programme, comb[0], comb[1], level, amount(level, comb[1]))
            (allowance if programme == "tcxh" else out).append(d)
    pension = rate_for(month, rates, "social_pension", province_code)
    if pension and any(e.programme == "nd176" for e in active):
        allowance.append(Due(month, "nd176", "ND176", None, pension, pension))
    if allowance:
        out.insert(0, max(allowance, key=lambda d: (d.amount, d.programme)))
    return out


def dues(period: str, enrolments: Sequence[Enrol], dob: dt.date | None, rates: Sequence[RateRow],
         coefs: Sequence[CoefRow], province_code: str = "", deceased_on: dt.date | None = None,
         paid_through: str = "", already_paid: Iterable[tuple[str, str]] = ()) -> list[Due]:
    """Everything payable in the payroll of `period`: the month itself plus arrears (truy lĩnh)
    from the earliest start month, each month at the rate in force then — never a month up to
    `paid_through` (paid before ansinh) nor one already paid (`already_paid` (programme, month))."""
    paid = set(already_paid)
    if not enrolments:
        return []
    # an enrolment whose start is unknown starts after the opening position, else with this month
    unknown = add_months(paid_through, 1) if paid_through else period
    enrolments = [e if e.start_month else replace(e, start_month=unknown) for e in enrolments]
    first = min(e.start_month for e in enrolments)
    if paid_through:
        first = max(first, add_months(paid_through, 1))
    out = []
    for m in months_between(first, period):
        for d in month_dues(m, enrolments, dob, rates, coefs, province_code, deceased_on):
            taken = {(p, m) for p in (ALLOWANCE_PROGRAMMES if d.programme in ALLOWANCE_PROGRAMMES
                                      else (d.programme,))}
            if not (taken & paid):
                out.append(d)
    return out


def funeral_due(period: str, enrolments: Sequence[Enrol], deceased_on: dt.date | None, rates: Sequence[RateRow],
                province_code: str = "", paid_through: str = "", already_paid: bool = False) -> Due | None:
    """Art. 11 funeral support in the payroll of `period`: for a person who died in a month up to
    `period` and after the opening position (`paid_through`), who was a TCXH beneficiary then (an
    enrolment, whatever its status now, started by the death month), once (`already_paid`):
    the funeral multiple × the standard level in force in the death month, in cash to whoever
    organises the funeral."""
    if deceased_on is None or already_paid:
        return None
    month = last_paid_month(deceased_on)
    if month > period or (paid_through and month <= paid_through):
        return None
    if not any(e.programme == "tcxh" and (not e.start_month or e.start_month <= month) for e in enrolments):
        return None
    level = rate_for(month, rates, "standard", province_code) or 0
    multiple = rate_for(month, rates, "funeral_multiple", province_code) or 0
    if not level or not multiple:
        return None
    return Due(month, FUNERAL, FUNERAL, multiple * 1000, level, funeral_support(level, multiple))
