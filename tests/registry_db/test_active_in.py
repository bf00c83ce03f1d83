"""Issue 19: "an enrolment in force in a month" has one definition, Enrolment.objects.active_in
(ansinh.registry.models.active_in_q); its SQL form active_in_sql (used by payroll's set-based
generation) selects exactly the same enrolments, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection

STARTS = ["", "2024-01", "2024-03", "2024-06"]
ENDS = ["", "2024-02", "2024-03", "2024-05"]
STATUSES = ["active", "suspended", "terminated"]
MONTHS = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06", "2024-07"]


@pytest.fixture
def enrolments(db):
    from ansinh.core.services import current_unit
    from ansinh.registry.models import Enrolment, Person

    unit = current_unit("05977")
    combos = list(itertools.product(STARTS, ENDS, STATUSES))
    people = Person.objects.bulk_create([
        Person(full_name=f"Người {i}", name_key=f"NGUOI {i}", commune=unit, scope_commune=unit,
               province_code=unit.province_code) for i in range(len(combos))])
    Enrolment.objects.bulk_create([
        Enrolment(person=p, category="5.5c", start_month=s, end_month=e, status=st,
                  decision_date=dt.date(2024, 4, 10) if i % 2 else None,  # not part of the definition
                  scope_commune=unit, province_code=unit.province_code)
        for i, (p, (s, e, st)) in enumerate(zip(people, combos, strict=True))])
    return {e.pk: e for e in Enrolment.objects.all()}


def _reference(e, month: str) -> bool:
    """The definition written out: started by the month, not ended before it, and still active
    or ended with an end month."""
    return ((not e.start_month or e.start_month <= month) and (not e.end_month or month <= e.end_month)
            and (e.status == "active" or e.end_month != ""))


def test_active_in_queryset_and_sql_select_the_same_enrolments(enrolments):
    from ansinh.registry.models import Enrolment, active_in_q, active_in_sql

    assert len(enrolments) == len(STARTS) * len(ENDS) * len(STATUSES)
    for month in MONTHS:
        expected = {pk for pk, e in enrolments.items() if _reference(e, month)}
        assert 0 < len(expected) < len(enrolments), month
        assert set(Enrolment.objects.active_in(month).values_list("pk", flat=True)) == expected, month
        day = dt.date(int(month[:4]), int(month[5:]), 28)
        assert set(Enrolment.objects.active_in(day).values_list("pk", flat=True)) == expected, month
        with connection.cursor() as cur:
            cond = active_in_sql("%s")
            cur.execute(f"SELECT e.id FROM registry_enrolment e WHERE {cond}", [month] * cond.count("%s"))
            assert {r[0] for r in cur.fetchall()} == expected, (connection.vendor, month)
            # as payroll embeds it: against a month column of a joined VALUES list
            cur.execute(f"WITH months(ym) AS (VALUES (%s)) SELECT e.id FROM registry_enrolment e"
                        f" JOIN months m ON {active_in_sql('m.ym')}", [month])
            assert {r[0] for r in cur.fetchall()} == expected, (connection.vendor, month)
        # from the person's side (the prefix form)
        from ansinh.registry.models import Person

        persons = set(Person.objects.filter(active_in_q(month, "enrolments__")).values_list("pk", flat=True))
        assert persons == {enrolments[pk].person_id for pk in expected}, month
