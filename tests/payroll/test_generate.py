"""Generation in SQL on the same worked examples as the pure rules: amounts worked by hand from
the law, and every line also what ansinh.payroll.entitlement owes (the reference; random
populations: test_generate_properties.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, generate, rates
from ansinh.payroll.models import PayrollLine, RunStatus

D = dt.date


def lines_of(run, person):
    return [(ln.programme, ln.period_month, ln.category, ln.amount)
            for ln in PayrollLine.objects.filter(run=run, person=person).order_by("period_month", "programme")]


def owed(person, period) -> list[tuple]:
    """What the pure rules owe `person` in the run of `period`, as lines_of lists them."""
    from ansinh.payroll import entitlement as E
    from ansinh.payroll.models import Coefficient
    from ansinh.payroll.rates import rate_rows

    coefs = [E.CoefRow(c.category, c.min_age, c.max_age, c.milli, c.valid_from, c.valid_to)
             for c in Coefficient.objects.all()]
    enrols = [E.Enrol(e.programme, e.category, e.start_month, e.end_month, e.status,
                      int(e.coefficient * 1000) if e.coefficient is not None else None)
              for e in person.enrolments.all()]
    rates = rate_rows()
    dues = E.dues(period, enrols, person.dob, rates, coefs, person.province_code, deceased_on=person.deceased_on,
                  paid_through=person.paid_through)
    funeral = E.funeral_due(period, enrols, person.deceased_on, rates, person.province_code,
                            paid_through=person.paid_through)
    return sorted((d.programme, d.month, d.category, d.amount) for d in dues + ([funeral] if funeral else []))


def test_worked_examples_in_sql(make_person, commune):
    severe = make_person(D(1980, 5, 5), [("tcxh", "5.6-severe", "2024-05")])             # arrears over 07/2024
    paid_before = make_person(D(1980, 5, 5), [("tcxh", "5.6-severe", "2024-05")], paid_through="2024-06")
    several = make_person(D(1990, 1, 1), [("tcxh", "5.6-very-severe", "2024-08"), ("tcxh", "5.8", "2024-08")])
    parent = make_person(D(1990, 1, 1), [("tcxh", "5.4", "2024-08"), ("tcxh", "5.6-severe", "2024-08")])
    dead = make_person(D(1930, 1, 1), [("tcxh", "5.5c", "2024-01")], paid_through="2024-06",
                       deceased_on=D(2024, 7, 10))
    turning80 = make_person(D(1944, 8, 15), [("tcxh", "5.5c", "2024-07")])
    unknown_start = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "")], paid_through="2024-06")
    unknown_new = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "")])
    care = make_person(D(1990, 1, 1), [("art20", "ART20", "2024-08", "", "1.50")])
    two_children = make_person(D(1990, 1, 1), [("tcxh", "5.4", "2024-08", "", "2.00"),
                                               ("tcxh", "5.6-severe", "2024-08")])
    stopped = make_person(D(1980, 1, 1), [("tcxh", "5.6-severe", "2024-01", "2024-06")], paid_through="2024-06")
    run = generate.generate("2024-08", commune=commune)
    assert lines_of(run, severe) == [("tcxh", "2024-05", "5.6-severe", 540_000), ("tcxh", "2024-06", "5.6-severe",
                                     540_000), ("tcxh", "2024-07", "5.6-severe", 750_000),
                                     ("tcxh", "2024-08", "5.6-severe", 750_000)]
    assert [m for _, m, _, _ in lines_of(run, paid_before)] == ["2024-07", "2024-08"]
    assert lines_of(run, several) == [("tcxh", "2024-08", "5.6-very-severe", 2000 * 500_000 // 1000)]
    assert lines_of(run, parent) == [("tcxh", "2024-08", "5.4+5.6-severe", 500_000 + 750_000)]
    # died 10/07: July paid, August not; funeral support 20 × 500,000 for the death month
    assert lines_of(run, dead) == [("funeral", "2024-07", "funeral", 10_000_000), ("tcxh", "2024-07", "5.5c", 500_000)]
    assert lines_of(run, turning80) == [("tcxh", "2024-08", "5.5c", 500_000)]  # 80 in August, not July
    assert lines_of(run, care) == [("art20", "2024-08", "ART20", 750_000)]
    assert lines_of(run, stopped) == []
    assert [m for _, m, _, _ in lines_of(run, unknown_start)] == ["2024-07", "2024-08"]
    assert [m for _, m, _, _ in lines_of(run, unknown_new)] == ["2024-08"]
    assert lines_of(run, two_children) == [("tcxh", "2024-08", "5.4+5.6-severe", 2 * 500_000 + 750_000)]
    s = run.summary
    assert s["total_vnd"] == 2 * 540_000 + 2 * 750_000 + 2 * 750_000 + 1_000_000 + 1_250_000 + 500_000 \
        + 500_000 + 750_000 + 1_750_000 + 3 * 750_000 + 10_000_000  # + the funeral support
    assert s["by_channel"]["cash"]["lines"] == s["lines"]
    for person in (severe, paid_before, several, parent, dead, turning80, unknown_start, unknown_new, care,
                   two_children, stopped):
        assert sorted(lines_of(run, person)) == owed(person, "2024-08"), person.full_name


def test_social_pension_vs_allowance_in_sql(make_person, commune):
    eq = make_person(D(1940, 1, 1), [("tcxh", "5.5c", "2025-01"), ("nd176", "ND176", "2025-07")],
                     paid_through="2025-06")
    alone = make_person(D(1940, 1, 1), [("tcxh", "5.5a", "2025-01"), ("nd176", "ND176", "2025-07")],
                        paid_through="2025-06")
    only = make_person(D(1948, 1, 1), [("nd176", "ND176", "2025-05")])
    run = generate.generate("2025-07", commune=commune)
    assert [(a, c) for _, _, c, a in lines_of(run, eq)] == [(500_000, "ND176")] or \
        [(a, c) for _, _, c, a in lines_of(run, eq)] == [(500_000, "5.5c")]
    assert lines_of(run, alone) == [("tcxh", "2025-07", "5.5a", 1_000_000)]
    assert lines_of(run, only) == [("nd176", "2025-07", "ND176", 500_000)]


def test_channels_and_accounts(make_person, commune):
    bank = make_person(account=("970405", "1234567890123"))
    wallet = make_person(account=("971005", "0912345678"))
    auth = make_person(account=("970449", "55554444"), holder="authorised")
    cash = make_person()
    run = generate.generate("2024-06", commune=commune)
    got = {ln.person_id: (ln.channel, ln.provider, ln.payee) for ln in run.lines.all()}
    assert got[bank.pk] == ("bank", "970405", "beneficiary")
    assert got[wallet.pk] == ("ewallet", "971005", "beneficiary")
    assert got[auth.pk] == ("bank", "970449", "authorised")
    assert got[cash.pk] == ("cash", "VNPOST", "beneficiary")


def test_no_double_payment_and_regenerate(make_person, commune, users):
    from ansinh.payroll.models import PayrollRun

    maker, _ = users
    p = make_person()
    run1 = generate.generate("2024-06", commune=commune)
    assert run1.lines.count() == 1
    # overlapping scope: nothing left to pay, and no empty run is left behind
    with pytest.raises(BadInput, match=f"period 2024-06: already has run {run1.pk} .draft.; nothing is left to pay"):
        generate.generate("2024-06", province_code="20", user=maker)
    assert list(PayrollRun.objects.values_list("pk", flat=True)) == [run1.pk]
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollLine.objects.create(run=run1, person=p, programme="tcxh", period_month="2024-06", amount=1,
                                   channel="cash")
    generate.regenerate(run1, maker)
    assert run1.lines.count() == 1
    generate.cancel(run1, maker)
    run3 = generate.generate("2024-06", province_code="20")
    assert run3.lines.count() == 1 and run1.lines.count() == 0


def test_maker_checker(make_person, commune, users):
    maker, checker = users
    make_person()
    run = generate.generate("2024-06", commune=commune, user=maker)
    with pytest.raises(BadInput, match="role"):
        approval.approve(run, maker)  # a province officer is no approver
    maker.groups.add(__import__("django.contrib.auth.models", fromlist=["Group"]).Group.objects.get(name="approver"))
    maker = type(maker).objects.get(pk=maker.pk)  # roles are cached on the instance
    with pytest.raises(BadInput, match="different user"):
        approval.approve(run, maker)  # an approver who made the run
    approval.approve(run, checker)
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED and run.approved_by == checker


def test_new_rate_changes_generation(make_person, commune):
    rates.ensure_seed_data()
    make_person(enrolments=[("tcxh", "5.6-severe", "2026-01")])
    rates.add_rate(kind="standard", amount=650_000, valid_from=D(2026, 1, 1), province_code="20",
                      legal_basis="Nghị quyết HĐND tỉnh (thử)")
    run = generate.generate("2026-01", commune=commune)
    assert [ln.amount for ln in run.lines.all()] == [1500 * 650_000 // 1000]


def test_period_validation(commune):
    with pytest.raises(BadInput):
        generate.generate("2024-13", commune=commune)


def test_funeral_support_once_to_the_organiser(make_person, commune):
    """Decree 20 Art. 11: at least 20 × the standard level in force in the month of death, once,
    in cash to whoever organises the funeral; never for a death the old process had paid through."""
    from ansinh.payroll.models import Rate

    june = make_person(D(1940, 3, 3), [("tcxh", "5.5c", "2024-01")], paid_through="2024-05",
                       deceased_on=D(2024, 6, 28), account=("970405", "111222333"))
    july = make_person(D(1940, 3, 3), [("tcxh", "5.5c", "2024-01")], paid_through="2024-06",
                       deceased_on=D(2024, 7, 1))
    before = make_person(D(1940, 3, 3), [("tcxh", "5.5c", "2024-01")], paid_through="2024-06",
                         deceased_on=D(2024, 5, 2))
    make_person(D(1940, 3, 3), [("nd176", "ND176", "2024-01")], paid_through="2024-06", deceased_on=D(2024, 7, 2))
    run = generate.generate("2024-07", commune=commune)
    funeral = {(ln.person_id, ln.period_month): (ln.amount, ln.level, ln.coefficient_milli, ln.channel, ln.payee,
                                                 ln.provider)
               for ln in PayrollLine.objects.filter(run=run, programme="funeral")}
    assert funeral == {(june.pk, "2024-06"): (20 * 360_000, 360_000, 20_000, "cash", "organiser", "VNPOST"),
                       (july.pk, "2024-07"): (20 * 500_000, 500_000, 20_000, "cash", "organiser", "VNPOST")}
    assert not PayrollLine.objects.filter(run=run, person=before).exists()
    assert run.summary["by_category"]["funeral"] == {"lines": 2, "total_vnd": 17_200_000}
    # paid once: the next month's run does not offer it again (nobody is owed anything: no run is made)
    with pytest.raises(BadInput, match="nobody is owed anything"):
        generate.generate("2024-08", commune=commune)
    # a province resolution raising the multiple applies to deaths in its months
    Rate.objects.create(kind="funeral_multiple", amount=25, valid_from=D(2024, 9, 1), province_code="20",
                        legal_basis="Nghị quyết HĐND tỉnh (thử)")
    sept = make_person(D(1940, 3, 3), [("tcxh", "5.5c", "2024-01")], paid_through="2024-08",
                       deceased_on=D(2024, 9, 5))
    run = generate.generate("2024-09", commune=commune)
    assert [(ln.person_id, ln.amount) for ln in run.lines.filter(programme="funeral")] == [(sept.pk, 25 * 500_000)]
