"""Unrecognised categories never pay silently (issue 14 item 7): a person whose category was not
mapped is held out of the run with a visible reason and a review item; mapping the category releases
them for the next run (arrears included)."""
from __future__ import annotations

import datetime as dt

from ansinh.payroll import campaigns, generate
from ansinh.payroll.models import PayrollLine
from ansinh.registry.models import QualityIssue

LINE = 750_000  # 5.6-severe adult: 1.5 × 500.000 đ


def test_unmapped_category_is_held_until_mapped(make_person, users, commune):
    from django.test import Client
    from django.urls import reverse

    from ansinh.registry.review import fix_issue

    maker, checker = users
    ok = make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")])
    # the list's coefficient (1.5) was read, but its category words matched no code: never paid as such
    held = make_person(enrolments=[("tcxh", "", "2024-07", "", "1.50")])
    july = generate.generate("2024-07", commune=commune, user=maker)
    assert sorted(PayrollLine.objects.filter(run=july).values_list("person_id", "amount")) == [(ok.pk, LINE)]
    assert "" not in july.summary["by_category"]
    assert july.summary["held_unmapped"] == {"persons": 1}
    issue = QualityIssue.objects.get(person=held, rule="CATEGORY_UNMAPPED", status="open")
    assert f"#{july.pk}" in issue.message
    # the run page says so, with the way to the review queue
    web = Client()
    assert web.login(username="maker1", password="Mk-thu-nghiem-2024")
    page = web.get(reverse("payroll:run", args=[july.pk])).content.decode()
    assert 'id="run-held-unmapped"' in page and "rule=CATEGORY_UNMAPPED" in page
    # a second run does not open a second item
    generate.regenerate(july, maker)
    assert QualityIssue.objects.filter(person=held, rule="CATEGORY_UNMAPPED").count() == 1
    # an officer maps the category: the item is closed, August pays July and August (2 × 750.000 đ)
    fix_issue(issue, maker, "category", "5.6-severe")
    issue.refresh_from_db()
    assert issue.status == "fixed"
    aug = generate.generate("2024-08", commune=commune, user=maker)
    got = sorted(PayrollLine.objects.filter(run=aug, person=held).values_list("period_month", "amount"))
    assert got == [("2024-07", LINE), ("2024-08", LINE)]
    assert aug.summary["held_unmapped"] == {"persons": 0}
    assert aug.summary["total_vnd"] == 3 * LINE == 2_250_000  # ok's August + held's July and August


def test_campaign_holds_unmapped_categories(make_person, users, commune):
    maker, _ = users
    ok = make_person(enrolments=[("tcxh", "5.6-severe", "2024-01")])
    held = make_person(enrolments=[("tcxh", "", "2024-01", "", "1.50")])
    c = campaigns.create_campaign(user=maker, name="Quà Tết Giáp Thìn 2024", decision_number="01/QĐ-UBND",
                                  reference_date=dt.date(2024, 1, 15), amount=500_000,
                                  province_code=commune.province_code)
    run = campaigns.generate(c, user=maker)
    assert list(PayrollLine.objects.filter(run=run).values_list("person_id", "amount")) == [(ok.pk, 500_000)]
    assert run.summary["held_unmapped"] == {"persons": 1}
    assert QualityIssue.objects.filter(person=held, rule="CATEGORY_UNMAPPED", status="open").exists()
