"""The pure rules are the reference (issue 19): Hypothesis makes random beneficiaries (several
categories per person, coefficients, start/end months and decision dates, statuses, deaths,
opening positions, province rates across the 2024-07-01 change 360,000 → 500,000 đ and the
2025-07-01 social pension, an earlier run with uncollected lines carried over), runs the
set-based generation SQL (payroll.generate) for a month and checks that every line is exactly
what ansinh.payroll.entitlement computes (``dues``, ``funeral_due``) — on SQLite and, in the
PostgreSQL pass of `make test`, on PostgreSQL. Each example runs in a savepoint rolled back at
its end, so examples never see each other's rows."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansinh.core.jobs import BadInput
from ansinh.payroll import entitlement as E
from ansinh.registry.categories import COEFFICIENTS

D = dt.date
MONTHS = E.months_between("2023-10", "2025-10")
PERIODS = E.months_between("2024-01", "2025-09")
TCXH = sorted({c for c, *_ in COEFFICIENTS if c.startswith("5.")}) + ["5.9-unmapped"]
# (every care-support code fits Enrolment.category since it holds 40 characters; the importer writes
# "ART20" with the enrolment's own coefficient)
ART20 = sorted({c for c, *_ in COEFFICIENTS if c.startswith("ART20")}) + ["ART20"]
COEFS = [None, "0.00", "1.00", "1.50", "2.00", "2.50", "3.00"]

enrolments = st.fixed_dictionaries({
    "programme": st.sampled_from(["tcxh", "tcxh", "art20", "nd176"]),
    "tcxh": st.sampled_from(TCXH), "art20": st.sampled_from(ART20),
    "start": st.sampled_from([""] * 6 + MONTHS), "end": st.sampled_from([""] * 12 + MONTHS),
    "status": st.sampled_from(["active"] * 3 + ["suspended", "terminated"]),
    "decision": st.one_of(st.none(), st.none(), st.dates(D(2023, 6, 1), D(2025, 9, 30))),
    "coef": st.sampled_from(COEFS),
})
persons = st.fixed_dictionaries({
    "dob": st.one_of(st.none(), st.dates(D(1925, 1, 1), D(2023, 9, 30))),
    "paid_through": st.sampled_from([""] * 3 + MONTHS[:18]),
    "deceased_on": st.one_of(st.none(), st.none(), st.dates(D(2023, 10, 1), D(2025, 12, 31))),
    "enrolments": st.lists(enrolments, min_size=1, max_size=4),
})
province_rates = st.one_of(st.none(), st.tuples(st.sampled_from(MONTHS), st.sampled_from([450_000, 650_000])))


def _category(e: dict) -> str:
    return {"tcxh": e["tcxh"], "art20": e["art20"], "nd176": "ND176"}[e["programme"]]


def _enrol(e: dict) -> E.Enrol:
    """A registry enrolment as the pure rules read it: its payable start is the start month,
    else the month of the decision (Decree 20 Art. 8)."""
    start = e["start"] or (E.ym(e["decision"]) if e["decision"] else "")
    return E.Enrol(e["programme"], _category(e), start, e["end"], e["status"],
                   int(Decimal(e["coef"]) * 1000) if e["coef"] else None)


def _make(commune, people: list[dict]) -> list:
    from ansinh.registry.models import Enrolment, Person

    out = []
    for n, p in enumerate(people):
        person = Person.objects.create(
            full_name=f"Người ngẫu nhiên {n}", name_key=f"NGUOI NGAU NHIEN {n}", dob=p["dob"], commune=commune,
            scope_commune=commune, province_code=commune.province_code, paid_through=p["paid_through"],
            deceased_on=p["deceased_on"], status="deceased" if p["deceased_on"] else "alive")
        Enrolment.objects.bulk_create([
            Enrolment(person=person, programme=e["programme"], category=_category(e), start_month=e["start"],
                      end_month=e["end"], status=e["status"], decision_date=e["decision"],
                      coefficient=Decimal(e["coef"]) if e["coef"] else None, scope_commune=commune,
                      province_code=commune.province_code)
            for e in p["enrolments"]])
        out.append((person, p))
    return out


def _line(d: E.Due) -> tuple:
    return (d.programme, d.month, d.category, d.milli, d.level, d.amount)


def _expected(made, period: str, rates, coefs, province: str, paid: dict) -> dict:
    """person id -> sorted lines the pure rules owe in the run of `period`; `paid` is person id
    -> the (programme, month) pairs already claimed by an active line."""
    out = {}
    for person, p in made:
        enrols = [_enrol(e) for e in p["enrolments"]]
        claimed = paid.get(person.pk, set())
        lines = [_line(d) for d in E.dues(period, enrols, p["dob"], rates, coefs, province,
                                          deceased_on=p["deceased_on"], paid_through=p["paid_through"],
                                          already_paid=claimed)]
        funeral = E.funeral_due(period, enrols, p["deceased_on"], rates, province, paid_through=p["paid_through"],
                                already_paid=any(prog == E.FUNERAL for prog, _ in claimed))
        if funeral:
            lines.append(_line(funeral))
        if lines:
            out[person.pk] = sorted(lines)
    return out


def _got(run) -> dict:
    from ansinh.payroll.models import PayrollLine

    out: dict = {}
    for ln in PayrollLine.objects.filter(run=run):
        out.setdefault(ln.person_id, []).append((ln.programme, ln.period_month, ln.category, ln.coefficient_milli,
                                                 ln.level, ln.amount))
    return {k: sorted(v) for k, v in out.items()}


def _generate(period: str, commune):
    from ansinh.payroll import generate

    try:
        return generate.generate(period, commune=commune)
    except BadInput as exc:
        if "nobody is owed anything" not in str(exc) and "nothing is left to pay" not in str(exc):
            raise
        return None


def _coef_rows() -> list[E.CoefRow]:
    from ansinh.payroll.models import Coefficient

    return [E.CoefRow(c.category, c.min_age, c.max_age, c.milli, c.valid_from, c.valid_to)
            for c in Coefficient.objects.all()]


@pytest.fixture
def seeded(db, commune):
    from ansinh.payroll.rates import ensure_seed_data

    ensure_seed_data()
    return commune


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(people=st.lists(persons, min_size=1, max_size=4), period=st.sampled_from(PERIODS),
       earlier=st.one_of(st.none(), st.integers(1, 6)), province_rate=province_rates, data=st.data())
def test_generation_sql_pays_exactly_what_the_pure_rules_owe(seeded, people, period, earlier, province_rate, data):
    from ansinh.payroll.models import LineResult, PayrollLine, Rate
    from ansinh.payroll.rates import rate_rows

    commune = seeded
    province = commune.province_code
    with transaction.atomic():
        if province_rate:
            Rate.objects.create(kind="standard", amount=province_rate[1], valid_from=E.first_day(province_rate[0]),
                                province_code=province, legal_basis="Nghị quyết HĐND tỉnh (thử)")
        made = _make(commune, people)
        rates, coefs = rate_rows(), _coef_rows()
        paid: dict = {}
        if earlier:  # an earlier month's run, some of its lines not collected (their months owed again)
            first = E.add_months(period, -earlier)
            run = _generate(first, commune)
            assert (_got(run) if run else {}) == _expected(made, first, rates, coefs, province, {}), first
            if run is not None:
                ids = sorted(PayrollLine.objects.filter(run=run).values_list("pk", flat=True))
                unpaid = data.draw(st.sets(st.sampled_from(ids)), label="uncollected lines")
                PayrollLine.objects.filter(pk__in=unpaid).update(result=LineResult.UNPAID,
                                                                 result_reason="not_collected", active=False)
                for pid, prog, month in PayrollLine.objects.filter(run=run, active=True).values_list(
                        "person_id", "programme", "period_month"):
                    paid.setdefault(pid, set()).add((prog, month))
        run = _generate(period, commune)
        assert (_got(run) if run else {}) == _expected(made, period, rates, coefs, province, paid), period
        transaction.set_rollback(True)
