"""The person page's "Mức/tháng": what an enrolment pays a month by the payroll's own rule
(payroll.rates.enrolment_amounts over entitlement.month_dues), not the figure a commune wrote in its
list (often at the standard level before 07/2024)."""
from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from ansinh.payroll.rates import enrolment_amounts
from ansinh.registry.models import Enrolment


def test_amount_by_the_payroll_rule_in_the_month_or_the_enrolments_own(make_person):
    p = make_person(dob=dt.date(1941, 6, 15), enrolments=[
        ("tcxh", "5.5c", "2024-01"),                      # 80+, coefficient 1.0 (seed data)
        ("tcxh", "5.6-severe", "2023-01", "2024-03"),     # ended before: its last month
        ("tcxh", "5.5c", "2027-02"),                      # starts later: its first month
        ("tcxh", "", "2024-01")])                          # unmapped category: no amount (held)
    e = list(Enrolment.objects.filter(person=p).order_by("pk"))
    Enrolment.objects.filter(pk=e[0].pk).update(amount=360_000)  # as the January 2024 list wrote it
    before = enrolment_amounts(e, dob=p.dob, province_code=p.province_code, month="2024-06")
    after = enrolment_amounts(e, dob=p.dob, province_code=p.province_code, month="2026-12")
    assert before[e[0].pk] == ("2024-06", 360_000)        # standard level 360.000 đ until 06/2024
    assert after[e[0].pk] == ("2026-12", 500_000)         # 500.000 đ from 07/2024 (Decree 76/2024)
    assert after[e[1].pk] == ("2024-03", 720_000)         # severe disability at 60 or over: 2.0 × 360.000 đ
    assert after[e[2].pk] == ("2027-02", 500_000)
    assert e[3].pk not in after


def test_person_page_shows_the_amount_in_force_and_the_lists_figure(make_person, users):
    p = make_person(dob=dt.date(1941, 6, 15), enrolments=[("tcxh", "5.5c", "2024-01")])
    Enrolment.objects.filter(person=p).update(amount=360_000)
    c = Client()
    c.force_login(users[0])  # a province officer
    page = c.get(reverse("registry:person", args=[p.pk])).content.decode()
    assert "Mức/tháng" in page
    assert "500.000 đ" in page and "danh sách ghi 360.000 đ" in page
