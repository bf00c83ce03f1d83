"""Two runs generated at the same time on PostgreSQL never pay one person twice."""
from __future__ import annotations

import threading

import pytest
from django.db import connection, connections


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_pay_each_person_once(transactional_db_with_units, make_person, commune):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is checked on PostgreSQL (SQLite has a single writer)")
    from ansinh.payroll import services
    from ansinh.payroll.models import PayrollLine

    people = [make_person() for _ in range(40)]
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def work(kwargs):
        try:
            barrier.wait(timeout=10)
            runs.append(services.generate("2024-06", **kwargs))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(kw,)) for kw in ({"commune": commune}, {"province_code": "20"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(runs) == 2
    lines = PayrollLine.objects.filter(period_month="2024-06")
    assert lines.count() == len(people)
    assert lines.values("person_id").distinct().count() == len(people)
    assert sum(r.lines.count() for r in runs) == len(people)
