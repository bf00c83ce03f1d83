"""Two runs generated at the same time on PostgreSQL never pay one person twice."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_pay_each_person_once(transactional_db_with_units, make_person, commune):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite has a single writer)")
    from ansinh.core.jobs import BadInput
    from ansinh.payroll import generate
    from ansinh.payroll.models import PayrollLine, PayrollRun

    people = [make_person() for _ in range(40)]
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def work(kwargs):
        try:
            barrier.wait(timeout=10)
            runs.append(generate.generate("2024-06", **kwargs))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(kw,)) for kw in ({"commune": commune}, {"province_code": "20"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    # Either both runs got part of the work, or one got all of it and the other was refused
    # ("already has run N") without leaving an empty run behind (issue 11, item 14).
    assert all(isinstance(e, BadInput) and "already has run" in str(e) for e in errors), errors
    assert len(runs) + len(errors) == 2 and runs
    assert PayrollRun.objects.count() == len(runs)
    lines = PayrollLine.objects.filter(period_month="2024-06")
    assert lines.count() == len(people)
    assert lines.values("person_id").distinct().count() == len(people)
    assert sum(r.lines.count() for r in runs) == len(people)


def _race(*jobs):
    """Run the callables at the same moment, one connection each; returns (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [], []

    def work(fn):
        try:
            barrier.wait(timeout=10)
            results.append(fn())
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(fn,)) for fn in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def _july_unpaid_twice(make_person, commune, tmp_path):
    """One person whose July 2024 is unpaid in two runs (July's own line and August's arrears
    line): two lines that may each be corrected to paid."""
    from ansinh.core.services import upsert_user
    from ansinh.payroll import approval, generate, reconcile
    from ansinh.payroll.models import PayrollLine

    maker = upsert_user("maker1", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    checker = upsert_user("checker1", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"])
    checker2 = upsert_user("checker2", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"])
    person = make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")])
    lines = []
    for period in ("2024-07", "2024-08"):
        run = generate.generate(period, commune=commune, user=maker)
        approval.approve(run, checker)
        approval.export(run, user=checker)
        res = tmp_path / f"{period}.csv"
        res.write_text("line_id;status;reason\n" + "".join(f"{ln.pk};unpaid;not_collected\n" for ln in run.lines.all()),
                       encoding="utf-8")
        reconcile.reconcile(run, res, user=checker)
        lines.append(PayrollLine.objects.get(run=run, person=person, period_month="2024-07"))
    return person, lines, maker, checker, checker2


@pytest.mark.django_db(transaction=True)
def test_two_corrections_to_paid_of_one_month_exactly_one_wins(transactional_db_with_units, make_person, commune,
                                                               tmp_path):
    """Item 4 of issue 11: July 2024 unpaid in two runs, both lines corrected to paid and
    approved at the same moment by two approvers: the partial unique index lets exactly one
    line hold the month; the other approval is refused and changes nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite has a single writer)")
    from ansinh.core.jobs import BadInput
    from ansinh.payroll import corrections
    from ansinh.payroll.models import PayrollLine, ResultCorrection

    person, (l1, l2), maker, checker, checker2 = _july_unpaid_twice(make_person, commune, tmp_path)
    c1 = corrections.request_correction(l1, new_result="paid", paid_on=dt.date(2024, 7, 30), reason="đã chi", user=maker)
    c2 = corrections.request_correction(l2, new_result="paid", paid_on=dt.date(2024, 8, 30), reason="đã chi", user=maker)
    results, errors = _race(lambda: corrections.approve_correction(c1, checker),
                            lambda: corrections.approve_correction(c2, checker2))
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(errors[0], BadInput) and "cannot be paid twice" in str(errors[0])
    july = PayrollLine.objects.filter(person=person, period_month="2024-07")
    assert july.filter(active=True).count() == 1 and july.filter(result="paid").count() == 1
    assert sorted(ResultCorrection.objects.values_list("status", flat=True)) == ["approved", "requested"]


@pytest.mark.django_db(transaction=True)
def test_correction_to_paid_racing_the_next_run_pays_the_month_once(transactional_db_with_units, make_person, commune,
                                                                    tmp_path):
    """A correction saying July was paid after all, approved while September's run is being
    generated (which would carry July as arrears): July ends up claimed by exactly one line."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite has a single writer)")
    from ansinh.core.jobs import BadInput
    from ansinh.payroll import corrections, generate
    from ansinh.payroll.models import PayrollLine

    person, (l1, _), maker, checker, _ = _july_unpaid_twice(make_person, commune, tmp_path)
    c1 = corrections.request_correction(l1, new_result="paid", paid_on=dt.date(2024, 7, 30), reason="đã chi", user=maker)
    results, errors = _race(lambda: corrections.approve_correction(c1, checker),
                            lambda: generate.generate("2024-09", commune=commune, user=maker))
    assert all(isinstance(e, BadInput) for e in errors), errors
    assert len(results) + len(errors) == 2
    july = PayrollLine.objects.filter(person=person, period_month="2024-07")
    assert july.filter(active=True).count() == 1
