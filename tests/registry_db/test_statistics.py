"""After an import and before a payroll generation, PostgreSQL's planner statistics are fresh
(core/db.py): a province's lists imported a minute ago are not planned as empty tables."""
from __future__ import annotations

import pytest
from django.db import connection

from ansinh.core.db import refresh_statistics
from ansinh.core.roles import OPERATOR
from ansinh.registry.importing.files import import_file
from ansinh.registry.models import Person

from .conftest import person_row


def _planner_rows(table: str) -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cur.fetchone()[0]


@pytest.mark.django_db
def test_refresh_is_nothing_on_sqlite_and_analyze_on_postgresql():
    got = refresh_statistics(Person)
    assert got == ([] if connection.vendor == "sqlite" else ["registry_person"])


@pytest.mark.pg
@pytest.mark.django_db
def test_an_import_leaves_the_planner_knowing_its_rows(small_list):
    if connection.vendor != "postgresql":
        pytest.skip("planner statistics: PostgreSQL only (run by make test's PostgreSQL pass)")
    rows = [person_row(name=f"Hoàng Văn Thống {i}", id_number=f"02004{i:07d}") for i in range(1, 121)]
    import_file(small_list(rows), OPERATOR)
    assert Person.objects.count() == 120
    # ANALYZE counted the imported rows (reltuples is -1 or stale without it)
    assert _planner_rows("registry_person") == 120
    assert _planner_rows("registry_enrolment") == 120
