"""Numbers are allocated safely under concurrency (PostgreSQL: real parallel transactions)."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from ansinh.outreach.models import Directive


@pytest.mark.pg
def test_parallel_issue_gives_distinct_consecutive_numbers(transactional_db_with_units):
    if connection.vendor != "postgresql":
        pytest.skip("parallel transactions are tested on PostgreSQL (SQLite serialises writers)")
    from ansinh.core.demo import create_demo_orgs
    from ansinh.outreach import services

    org = create_demo_orgs()["so_tttt"]
    drafts = [services.create_directive(org, symbol="STTTT-TTBCXB", subject=f"văn bản {i}") for i in range(12)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(chunk):
        try:
            barrier.wait()
            for d in chunk:
                services.issue_directive(d, dt.date(2024, 5, 2))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(drafts[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    numbers = sorted(Directive.objects.filter(organisation=org, year=2024).values_list("number", flat=True))
    assert numbers == list(range(1, 13))
