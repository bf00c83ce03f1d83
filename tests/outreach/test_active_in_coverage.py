"""Issue 19: outreach's coverage count is the accounts' coverage KPI, which uses the one definition
of an enrolment in force in a month (Enrolment.objects.active_in): an enrolment ended this month
(terminated, with its end month) still counts this month."""
from __future__ import annotations

import datetime as dt


def test_coverage_counts_an_enrolment_ended_this_month(demo):
    from ansinh.outreach import selectors
    from ansinh.registry.models import Enrolment, PaymentAccount, Person
    from ansinh.units.models import AdminUnit

    unit = AdminUnit.objects.get(code="05977", level=3, valid_to__isnull=True)
    today = dt.date.today()
    this_month, last_month = f"{today:%Y-%m}", f"{(today.replace(day=1) - dt.timedelta(days=1)):%Y-%m}"
    people = Person.objects.bulk_create([Person(full_name=f"Người {i}", name_key=f"NGUOI {i}", commune=unit,
                                                scope_commune=unit, province_code="20") for i in range(4)])
    Enrolment.objects.bulk_create([
        Enrolment(person=people[0], category="5.5c", start_month="2023-01", scope_commune=unit, province_code="20"),
        # moved away this month: terminated, last month paid = this month -> in force this month
        Enrolment(person=people[1], category="5.5c", start_month="2023-01", end_month=this_month,
                  status="terminated", scope_commune=unit, province_code="20"),
        # ended last month -> not in force this month
        Enrolment(person=people[2], category="5.5c", start_month="2023-01", end_month=last_month,
                  status="terminated", scope_commune=unit, province_code="20"),
        # suspended without an end month -> not in force
        Enrolment(person=people[3], category="5.5c", start_month="2023-01", status="suspended",
                  scope_commune=unit, province_code="20"),
    ])
    PaymentAccount.objects.create(person=people[1], account_number="100001", provider="970405")
    assert selectors.coverage(unit, today) == (2, 1)  # the accounts coverage KPI
