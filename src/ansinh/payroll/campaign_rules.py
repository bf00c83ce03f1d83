"""One-off payment campaigns (a Tết Nguyên đán gift, a national gift, an emergency support) as
pure functions: who is eligible on the reference date and how much each person gets. No
database: ansinh.payroll.campaigns implements the same rule set-based (one INSERT … SELECT),
and tests/payroll/test_campaigns.py checks that the SQL pays exactly what ``campaign_due`` owes.

Months are "YYYY-MM", money integer đồng, coefficients in thousandths (as in
ansinh.payroll.entitlement, whose month and rate helpers these rules read).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ansinh.payroll import entitlement as E

FIXED, PER_CATEGORY, LEVEL_MULTIPLE = "fixed", "per_category", "level_multiple"  # models.AmountKind


@dataclass(frozen=True)
class CampaignSpec:
    reference_date: dt.date
    programmes: tuple[str, ...] = ("tcxh", "nd176")  # () = every programme
    categories: tuple[str, ...] = ()  # () = every category; "5.6" covers "5.6-severe" …
    min_age: int | None = None  # whole years reached in the reference month
    max_age: int | None = None  # exclusive
    amount_kind: str = FIXED
    amount: int = 0  # FIXED: the amount; PER_CATEGORY: the amount of a category not listed (0 = not paid)
    category_amounts: Mapping[str, int] = field(default_factory=dict)
    level_milli: int | None = None  # LEVEL_MULTIPLE: × the standard level in force in the reference month

    @property
    def month(self) -> str:
        return E.ym(self.reference_date)


@dataclass(frozen=True)
class Enrolment:
    """An enrolment as the registry holds it (start/end month "" = open; status active,
    suspended or terminated)."""
    programme: str
    category: str
    start_month: str = ""
    end_month: str = ""
    status: str = "active"
    decision_date: dt.date | None = None


def in_force(e: Enrolment, month: str) -> bool:
    """The registry's "enrolment in force in a month" (registry.models.active_in_q), and, when no
    start month is written, decided by then (the decision's month is the start, as payroll reads it)."""
    return ((not e.start_month or e.start_month <= month) and (not e.end_month or e.end_month >= month)
            and (e.status == "active" or bool(e.end_month))
            and (bool(e.start_month) or e.decision_date is None or E.ym(e.decision_date) <= month))


def covers(code: str, category: str) -> bool:
    """A campaign's category code covers a category and its sub-codes ("5.5" → "5.5c",
    "5.6" → "5.6-severe", "ART20" → "ART20-foster-orphan")."""
    return category.startswith(code)


def category_amount(category: str, spec: CampaignSpec) -> int:
    """PER_CATEGORY: the amount of the most specific listed code covering the category, else
    ``spec.amount``."""
    best = None
    for code in spec.category_amounts:
        if covers(code, category) and (best is None or len(code) > len(best)):
            best = code
    return int(spec.category_amounts[best]) if best is not None else spec.amount


@dataclass(frozen=True)
class CampaignDue:
    category: str
    milli: int | None
    level: int | None
    amount: int


def campaign_due(spec: CampaignSpec, enrolments: Sequence[Enrolment], dob: dt.date | None, *,
                 alive: bool = True, deceased_on: dt.date | None = None, rates: Iterable[E.RateRow] = (),
                 province_code: str = "") -> CampaignDue | None:
    """What one person gets from a campaign, or None.

    Eligible: alive on the reference date (not recorded deceased, or deceased after it), an
    enrolment of a listed programme and category in force in the reference month, and the age
    in [min_age, max_age) in that month (an unknown birth date fails an age condition). Amount:
    FIXED the amount; PER_CATEGORY the highest amount of the person's eligible categories;
    LEVEL_MULTIPLE level_milli × the standard level in force (half up to the đồng). The line's
    category is the one giving the amount (ties: the first code in order). Nothing below 1 đồng
    is paid."""
    if (deceased_on <= spec.reference_date) if deceased_on is not None else not alive:
        return None
    month = spec.month
    if spec.min_age is not None or spec.max_age is not None:
        age = E.age_in_month(dob, month)
        if age is None or (spec.min_age is not None and age < spec.min_age) \
                or (spec.max_age is not None and age >= spec.max_age):
            return None
    cats = sorted({e.category for e in enrolments
                   if e.category  # an unmapped category ("") is held until an officer maps it
                   and (not spec.programmes or e.programme in spec.programmes) and in_force(e, month)
                   and (not spec.categories or any(covers(c, e.category) for c in spec.categories))})
    if not cats:
        return None
    if spec.amount_kind == PER_CATEGORY:
        amount = max(category_amount(c, spec) for c in cats)
        category = min(c for c in cats if category_amount(c, spec) == amount)
        milli, level = None, amount
    elif spec.amount_kind == LEVEL_MULTIPLE:
        level = E.rate_for(month, list(rates), "standard", province_code) or 0
        milli = spec.level_milli or 0
        amount, category = E.amount(level, milli), cats[0]
    else:
        amount, category, milli, level = spec.amount, cats[0], None, spec.amount
    if amount <= 0:
        return None
    return CampaignDue(category, milli, level, amount)
