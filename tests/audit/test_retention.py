"""The retention rule (ansinh.audit.retention, `ansinh privacy retention`) on worked examples.

Today 05/12/2026, 5 years: the cut-off month is 12/2021 (an allowance that ended in 11/2021 was
over on 30/11/2021 and is kept until 30/11/2026).

- p1 ended 11/2021 (terminated), two paid lines of 500.000 đ, an account, an authorised person,
  history of an ID fix: anonymised;
- p2 ended 12/2021: kept (until January 2027);
- p3 one enrolment ended 01/2019 and one still active: kept;
- p4 ended 06/2015 but a complaint about them is open: kept;
- p5 no enrolment at all: kept (not judged);
- p6 ended 03/2020, a line still pending: kept.
So 1 person; the payment totals (1.000.000 đ, 2 lines) are unchanged; a search by p1's ID finds nothing;
`ansinh audit verify` stays intact although p1's history rows were emptied, and still sees any
other change to those rows."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.db.models import Count, Sum

from ansinh.audit import retention
from ansinh.audit.models import Action, Anonymisation, AuditEntry
from ansinh.cli import main
from ansinh.core.roles import OPERATOR
from ansinh.core.services import current_unit

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 5)
D = dt.date


def person(name, id_number, *ended, active=False, dob=D(1950, 7, 14)):
    from ansinh.registry.models import Enrolment, Person

    unit = current_unit("05977")
    p = Person.objects.create(full_name=name, name_key=name.upper(), id_number=id_number, dob=dob,
                              phone="0912345678", address_text="Số 5 ngõ 7", village="Thôn Mới",
                              commune=unit, residence_unit=unit, scope_commune=unit, province_code="20")
    for end in ended:
        Enrolment.objects.create(person=p, category="5.1", start_month="2014-01", end_month=end,
                                 status="terminated", scope_commune=unit, province_code="20")
    if active:
        Enrolment.objects.create(person=p, category="5.1", start_month="2020-01", scope_commune=unit,
                                 province_code="20")
    return p


def lines(p, *results):
    from ansinh.payroll.models import PayrollLine, PayrollRun

    run = PayrollRun.objects.create(period="2021-06", province_code="20", scope_commune=p.scope_commune)
    for i, result in enumerate(results):
        PayrollLine.objects.create(run=run, person=p, programme="tcxh", period_month=f"2021-0{i + 5}", amount=500000,
                                   channel="bank", account_number="1002003001", holder_name=p.full_name.upper(),
                                   result=result, active=result != "unpaid", scope_commune=p.scope_commune,
                                   province_code="20")


@pytest.fixture
def people():
    from ansinh.complaints import deadlines
    from ansinh.complaints.models import Case
    from ansinh.registry import history
    from ansinh.registry.models import AuthorisedPerson, PaymentAccount

    p1 = person("Hoàng Văn Một", "020150000001", "2021-11")
    PaymentAccount.objects.create(person=p1, provider="970405", account_number="1002003001", holder_name="HOANG VAN MOT")
    AuthorisedPerson.objects.create(person=p1, full_name="Hoàng Thị Con", id_number="020190000009")
    history.log_change(p1, "registry.person", p1.pk, "id_number", "020150000000", "020150000001", user=OPERATOR)
    history.log_change(p1, "registry.person", p1.pk, "village", "Thôn Cũ", "Thôn Mới", user=OPERATOR)
    lines(p1, "paid", "paid")
    p2 = person("Hoàng Văn Hai", "020150000002", "2021-12")
    p3 = person("Hoàng Văn Ba", "020150000003", "2019-01", active=True)
    p4 = person("Hoàng Văn Bốn", "020150000004", "2015-06")
    Case.objects.create(code="DT0001", kind="complaint", channel="phone", category="payment", status="received",
                        complainant_kind="beneficiary", complainant_person=p4, complainant_name="Hoàng Văn Bốn",
                        text="…", received_on=D(2026, 12, 1), due_accept=deadlines.due_accept("complaint", D(2026, 12, 1)),
                        due_decide=D(2027, 1, 30), scope_commune=p4.scope_commune, province_code="20")
    p5 = person("Hoàng Văn Năm", "020150000005")
    p6 = person("Hoàng Văn Sáu", "020150000006", "2020-03")
    lines(p6, "pending")
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5, "p6": p6}


def test_cutoff_by_hand():
    assert retention.cutoff_month(TODAY, 5) == "2021-12"
    assert retention.ended_before("2021-11", TODAY, 5) and not retention.ended_before("2021-12", TODAY, 5)
    assert not retention.ended_before("", TODAY, 5)
    assert retention.cutoff_month(D(2027, 1, 1), 5) == "2022-01" and retention.ended_before("2021-12", D(2027, 1, 1), 5)
    with pytest.raises(ValueError):
        retention.cutoff_month(TODAY, 0)


def test_who_is_past_retention(people):
    chosen = set(retention.eligible(TODAY, 5).values_list("pk", flat=True))
    assert chosen == {people["p1"].pk}
    # the SQL says what the pure rule says, for the people it judges (no open enrolment, no open matter)
    assert {p.pk for p in retention.eligible(TODAY, 5)} == {
        people[k].pk for k in ("p1", "p2") if retention.ended_before(
            max(people[k].enrolments.values_list("end_month", flat=True)), TODAY, 5)}
    # 4 years: p2 (ended 12/2021) too; 12 years: nobody
    assert set(retention.eligible(TODAY, 4).values_list("pk", flat=True)) == {people["p1"].pk, people["p2"].pk}
    assert not retention.eligible(TODAY, 12).exists()


def test_anonymise_keeps_totals_and_the_chain(people, capsys):
    from ansinh.payroll.models import PayrollLine
    from ansinh.registry import selectors
    from ansinh.registry.models import AuthorisedPerson, ChangeLog, PaymentAccount, Person

    p1 = people["p1"]
    before = PayrollLine.objects.aggregate(n=Count("pk"), total=Sum("amount"))
    assert selectors.persons(OPERATOR, q="020150000001").count() == 1
    dry = retention.run(user=OPERATOR, years=5, today=TODAY, dry_run=True)
    assert (dry["eligible"], dry["anonymised"]) == (1, 0) and not Anonymisation.objects.exists()

    r = retention.run(user=OPERATOR, years=5, today=TODAY)
    assert (r["eligible"], r["anonymised"], r["cutoff_month"]) == (1, 1, "2021-12")
    p = Person.objects.get(pk=p1.pk)
    assert p.full_name == f"Đã ẩn danh #{p1.pk}" and p.name_key == f"DA AN DANH #{p1.pk}"
    assert (p.id_number, p.legacy_cmnd, p.phone, p.address_text, p.village) == (None, None, "", "", "")
    assert (p.dob, p.dob_precision, p.dob_display) == (D(1950, 1, 1), "year", "1950")
    assert (p.gender, p.scope_commune_id) == (people["p1"].gender, people["p1"].scope_commune_id)
    assert PaymentAccount.objects.get(person=p1).account_number == ""
    assert PaymentAccount.objects.get(person=p1).provider == "970405"
    assert AuthorisedPerson.objects.get(person=p1).id_number == ""
    # payment totals and counts kept; the lines' account snapshot emptied
    assert PayrollLine.objects.aggregate(n=Count("pk"), total=Sum("amount")) == before == {"n": 3, "total": 1500000}
    assert set(PayrollLine.objects.filter(person=p1).values_list("account_number", "holder_name")) == {("", "")}
    # the others untouched
    assert Person.objects.get(pk=people["p2"].pk).id_number == "020150000002"
    # a search by the old ID finds nobody; by the new name, the anonymised record
    assert selectors.persons(OPERATOR, q="020150000001").count() == 0
    # history: the identifying values emptied, the fact of the change kept, the anonymisation recorded
    rows = {c.field: (c.old, c.new) for c in ChangeLog.objects.filter(person=p1)}
    assert rows["id_number"] == ("", "") and rows["village"] == ("", "") and rows["anonymised"] == ("", "5")
    e = AuditEntry.objects.filter(action=Action.RETENTION).get()
    assert e.subjects == 1 and json.loads(e.detail)["counts"]["persons"] == 1
    assert len(json.loads(e.detail)["redacted"]) == 2  # the two history writes of p1 re-digested
    # the chain is intact after the rows were emptied …
    assert main(["audit", "verify"]) == 0
    # … and still sees a change to an emptied row
    with connection.cursor() as cur:
        cur.execute("UPDATE registry_changelog SET new = %s WHERE person_id = %s AND field = %s",
                    ["020150000001", p1.pk, "id_number"])
    capsys.readouterr()
    assert main(["audit", "verify", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert "after their anonymisation" in out["reason"]
    # a second run finds nobody new
    assert retention.run(user=OPERATOR, years=5, today=TODAY)["eligible"] == 0


def test_cli(people, capsys):
    assert main(["privacy", "retention", "--years", "5", "--dry-run", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True and out["years"] == 5
    assert main(["privacy", "retention", "--years", "-1"]) == 2
    assert "--years" in capsys.readouterr().err
    assert main(["privacy", "retention", "--as", "nobody"]) == 2
