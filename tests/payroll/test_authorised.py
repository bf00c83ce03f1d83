"""Authorised persons, properly (issue 14 item 4), worked by hand: an authorisation with its
evidence lets payroll pay the authorised person's account (the files say who receives it); after
its end date the account is not paid (cash instead) and a review item blocks the person until it
is renewed; the province sees one authorised person paid for several beneficiaries."""
from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ansinh.core.jobs import BadInput

D = dt.date
PW = "Mk-thu-nghiem-2024"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def setup(db, make_person, commune):
    from ansinh.core.services import upsert_user
    from ansinh.payroll.rates import ensure_seed_data
    from ansinh.registry.models import PaymentAccount

    ensure_seed_data()
    officer = upsert_user("cb_dk", PW, roles=["commune_officer"], unit_codes=["05977"])
    other = upsert_user("cb_hp", PW, roles=["commune_officer"], unit_codes=["06079"])
    province = upsert_user("cb_tinh", PW, roles=["province_officer"], unit_codes=["20"])
    people = []
    for _ in range(2):  # two elderly people (5.5c, coefficient 1,0) whose son collects for both
        p = make_person(dob=D(1940, 1, 1), enrolments=(("tcxh", "5.5c", "2025-01"),), paid_through="2024-12")
        acc = PaymentAccount.objects.create(person=p, provider="970405", provider_name="Agribank",
                                            account_number="4400123456789", holder="authorised",
                                            holder_name="NGUYEN VAN CON", approval="approved")
        people.append((p, acc))
    return {"officer": officer, "other": other, "province": province, "people": people, "commune": commune}


def _gen(period, commune):
    from ansinh.payroll import generate

    return generate.generate(period, commune=commune)


def _line(run, person):
    from ansinh.payroll.models import PayrollLine

    return PayrollLine.objects.filter(run=run, person=person).values_list(
        "period_month", "amount", "channel", "payee", "holder_name").get()


def test_authorisation_expiry_renewal_and_the_list(setup, tmp_path, settings):
    from ansinh.payroll.authorised import shared_payees
    from ansinh.payroll.files import write_all
    from ansinh.registry.authorised import flag_authorisations, record_authorisation
    from ansinh.registry.models import QualityIssue

    settings.VAR_DIR = tmp_path / "var"
    today = timezone.localdate()
    (p1, acc1), (p2, acc2) = setup["people"]
    officer = setup["officer"]
    with pytest.raises(BadInput):  # Hồng Phong's officer: not their person
        record_authorisation(p1, full_name="Nguyễn Văn Con", relationship="con trai", valid_until=today,
                             account=acc1, user=setup["other"])
    with pytest.raises(BadInput):  # a text file is not a signed authorisation
        record_authorisation(p1, full_name="Nguyễn Văn Con", relationship="con trai", valid_until=today,
                             account=acc1, evidence=SimpleUploadedFile("uq.pdf", b"hello"), user=officer)
    ap1 = record_authorisation(p1, full_name="Nguyễn Văn Con", relationship="con trai",
                               valid_until=today + dt.timedelta(days=30), recheck_on=today + dt.timedelta(days=20),
                               account=acc1, evidence=SimpleUploadedFile("giấy ủy quyền.pdf", PDF), user=officer)
    assert ap1.evidence.startswith("uploads/authorisation-evidence/") and (settings.VAR_DIR / ap1.evidence).is_file()
    record_authorisation(p2, full_name="Nguyễn Văn Con", relationship="con trai",
                         valid_until=today + dt.timedelta(days=30), account=acc2, user=officer)
    # January 2025: 500.000 đ × 1,0 each, into the son's account, marked as paid to an authorised person
    run = _gen("2025-01", setup["commune"])
    assert _line(run, p1) == ("2025-01", 500_000, "bank", "authorised", "NGUYEN VAN CON")
    assert run.summary["total_vnd"] == 1_000_000
    bank_csv = next(p for p in write_all(run, tmp_path / "files", pdf=False) if p.suffix == ".csv")
    rows = [r for r in csv.reader(bank_csv.open(encoding="utf-8"), delimiter=";") if len(r) > 8 and r[1].isdigit()]
    assert {(r[8], r[12]) for r in rows} == {("authorised", "NGUYEN VAN CON")}
    # the province's list: one authorised person received for two beneficiaries, 1.000.000 đ
    listed = shared_payees(setup["province"], "2025-01", "2025-12")
    assert [(r["holder"], r["persons"], r["lines"], r["total_vnd"]) for r in listed] == [
        ("NGUYEN VAN CON", 2, 2, 1_000_000)]
    assert shared_payees(setup["other"], "2025-01", "2025-12") == []  # Hồng Phong: none of its lines
    # nothing is due yet: no review item
    assert flag_authorisations(today) == {"AUTH_EXPIRED": 0, "AUTH_RECHECK": 0}
    assert flag_authorisations(today + dt.timedelta(days=20)) == {"AUTH_EXPIRED": 0, "AUTH_RECHECK": 1}
    # p1's authorisation ended yesterday: February is paid in cash to p1, a blocking review item opens once
    record_authorisation(p1, full_name="Nguyễn Văn Con", relationship="con trai",
                         valid_until=today - dt.timedelta(days=1), account=acc1, user=officer)
    run2 = _gen("2025-02", setup["commune"])
    assert _line(run2, p1) == ("2025-02", 500_000, "cash", "beneficiary", "")
    assert _line(run2, p2)[2:4] == ("bank", "authorised")
    assert flag_authorisations(today)["AUTH_EXPIRED"] == 1
    assert flag_authorisations(today)["AUTH_EXPIRED"] == 0  # not twice
    issue = QualityIssue.objects.get(person=p1, rule="AUTH_EXPIRED")
    assert (issue.severity, issue.status) == ("error", "open")
    # renewed: the item closes, March goes to the son's account again
    record_authorisation(p1, full_name="Nguyễn Văn Con", relationship="con trai",
                         valid_until=today + dt.timedelta(days=365), account=acc1, user=officer)
    issue.refresh_from_db()
    assert issue.status == "fixed"
    assert _line(_gen("2025-03", setup["commune"]), p1)[2:4] == ("bank", "authorised")


def test_the_list_page(setup):
    from ansinh.payroll.models import PayrollLine

    run = _gen("2025-01", setup["commune"])
    assert PayrollLine.objects.filter(run=run, payee="authorised").count() == 2
    c = Client()
    c.force_login(setup["province"])
    page = c.get(reverse("payroll:shared_payees") + "?from=01/2025&to=12/2025").content.decode()
    assert "NGUYEN VAN CON" in page and "1.000.000" in page
    c.force_login(setup["other"])
    assert "NGUYEN VAN CON" not in c.get(reverse("payroll:shared_payees") + "?from=01/2025").content.decode()
