"""Dated rates (standard level, social pension, funeral multiple): the seed data, the rows the
pure rules read, and a new rate added by an administrator."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from ansinh.core.jobs import BadInput
from ansinh.payroll import entitlement as E
from ansinh.payroll.models import Coefficient, Rate, RateKind


def ensure_seed_data() -> None:
    """Load the seed rates/coefficients when the tables are empty (e.g. after a test flush)."""
    from ansinh.payroll import seeds

    seeds.load(Rate, Coefficient)


def rate_rows() -> list[E.RateRow]:
    return [E.RateRow(r.kind, r.amount, r.valid_from, r.valid_to, r.province_code) for r in Rate.objects.all()]


def coef_rows() -> list[E.CoefRow]:
    return [E.CoefRow(c.category, c.min_age, c.max_age, c.milli, c.valid_from, c.valid_to)
            for c in Coefficient.objects.all()]


def enrolment_amounts(enrolments, *, dob: dt.date | None, province_code: str, month: str) -> dict[int, tuple[str, int]]:
    """What each enrolment pays a month, by the rule the payroll applies (``entitlement.month_dues``: the
    coefficient of the category at the person's age × the standard level in force, or the social pension):
    in ``month`` ("YYYY-MM"), or in its last month if it ended before, or its first if it starts later.
    {enrolment pk: (that month, amount in đồng)}; an enrolment with no amount (unmapped category, a
    coefficient not reached yet) is left out. The list's own figure (``Enrolment.amount``) is what a
    commune wrote, often at an older standard level."""
    rates, coefs = rate_rows(), coef_rows()
    out = {}
    for e in enrolments:
        m = month
        if e.end_month and e.end_month < m:
            m = e.end_month
        if e.start_month and e.start_month > m:
            m = e.start_month
        milli = int(e.coefficient * 1000) if e.coefficient else None
        one = E.Enrol(e.programme, e.category, e.start_month or m, e.end_month, "active", milli)
        got = sum(d.amount for d in E.month_dues(m, [one], dob, rates, coefs, province_code))
        if got:
            out[e.pk] = (m, got)
    return out



def add_rate(*, kind: str, amount: int, valid_from: dt.date, legal_basis: str, province_code: str = "",
             user=None) -> Rate:
    """A new rate closes the open-ended one of the same kind and province the day before."""
    if kind not in RateKind.values:
        raise BadInput(f"kind: {kind!r} unknown")
    if amount <= 0:
        raise BadInput("amount: must be positive")
    if not legal_basis.strip():
        raise BadInput("legal_basis: required")
    with transaction.atomic():
        Rate.objects.filter(kind=kind, province_code=province_code, valid_to__isnull=True,
                            valid_from__lt=valid_from).update(valid_to=valid_from - dt.timedelta(days=1))
        return Rate.objects.create(kind=kind, amount=amount, valid_from=valid_from, legal_basis=legal_basis.strip(),
                                   province_code=province_code, created_by=user)

