"""A small hand-made province for the reports (Lạng Sơn, code 20), figures worked out by hand in
the tests:

- p1 Vĩnh Trại (old) → Đông Kinh (new): F, Tày, born 1940, 5.5c; Agribank account registered
  01/03/2024, confirmed 20/03/2024; paid by bank in June 2024 (and May's arrears in June's run).
- p2 old Đông Kinh → Đông Kinh: M, Nùng, born 1950, 5.6-severe, no ID number; Viettel Money
  account registered 10/06/2024 (not confirmed); June's bank line reported unpaid.
- p3 Vĩnh Trại → Đông Kinh: died 01/05/2024 (not a beneficiary in May or June); account.
- p4 Kỳ Lừa: F, Kinh, born 2015, 5.1; no account; paid in cash in June.
- p5 old Đông Kinh → Đông Kinh: starts 2024-07.
"""
from __future__ import annotations

import datetime as dt

import pytest

D = dt.date
PROVINCE = "20"


def unit(code: str, old: bool):
    from ansinh.units.models import AdminUnit

    return AdminUnit.objects.get(code=code, level=3, valid_to__isnull=not old, province_code=PROVINCE)


def person(i, residence, commune, *, gender="F", ethnicity="Tày", born=1940, category="5.5c", start="2023-12",
           deceased_on=None, id_number=True, name="Nguyễn Thị Đào"):
    from ansinh.registry.models import Enrolment, Person
    from ansinh.text import fold

    p = Person.objects.create(full_name=name, name_key=fold(name), dob=D(born, 3, 1),
                              id_number=f"0201400{i:05d}" if id_number else None, residence_unit=residence,
                              commune=commune, scope_commune=commune or residence, province_code=PROVINCE,
                              gender=gender, ethnicity=ethnicity, status="deceased" if deceased_on else "alive",
                              deceased_on=deceased_on)
    Enrolment.objects.create(person=p, category=category, start_month=start, scope_commune=p.scope_commune,
                             province_code=PROVINCE)
    return p


def account(p, reg, conf=None, provider="970405"):
    from ansinh.registry.models import PaymentAccount

    return PaymentAccount.objects.create(person=p, provider=provider, account_number="8300123456789",
                                         holder_name=p.name_key, registered_on=reg, confirmed_on=conf,
                                         approval="approved")


@pytest.fixture
def town(db):
    from ansinh.accounts.kpi import clear_caches
    from ansinh.accounts.models import Target
    from ansinh.payroll.models import PayrollLine, PayrollRun

    clear_caches()
    vt, dk_old, dk, kl = unit("05977", True), unit("05980", True), unit("05977", False), unit("06187", False)
    p1 = person(1, vt, dk)
    p2 = person(2, dk_old, dk, gender="M", ethnicity="Nùng", born=1950, category="5.6-severe", id_number=False)
    p3 = person(3, vt, dk, deceased_on=D(2024, 5, 1))
    p4 = person(4, kl, kl, ethnicity="Kinh", born=2015, category="5.1")
    p5 = person(5, dk_old, dk, start="2024-07")
    account(p1, D(2024, 3, 1), D(2024, 3, 20))
    account(p2, D(2024, 6, 10), provider="971005")
    account(p3, D(2024, 2, 1))
    # the seeded targets (accounts migration 0002; PostgreSQL's unique constraint treats the
    # null commune as equal, so create() would collide there)
    Target.objects.update_or_create(province_code="", commune=None, due=D(2024, 6, 30), defaults={"low": 30, "high": 40})
    Target.objects.update_or_create(province_code="", commune=None, due=D(2024, 12, 31), defaults={"low": 70, "high": 80})
    run = PayrollRun.objects.create(period="2024-06", province_code=PROVINCE, status="reconciled")

    def line(p, month, amount, channel, provider, result, sc):
        return PayrollLine.objects.create(run=run, person=p, programme="tcxh", period_month=month, category=
                                          p.enrolments.get().category, amount=amount, channel=channel,
                                          provider=provider, scope_commune=sc, province_code=PROVINCE,
                                          active=result != "unpaid", result=result)

    lines = [line(p1, "2024-06", 500_000, "bank", "970405", "paid", dk),
             line(p1, "2024-05", 500_000, "bank", "970405", "paid", dk),
             line(p2, "2024-06", 750_000, "bank", "971005", "unpaid", dk),
             line(p4, "2024-06", 1_000_000, "cash", "VNPOST", "paid", kl)]
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "p5": p5, "vt": vt, "dk_old": dk_old, "dk": dk, "kl": kl,
            "run": run, "lines": lines}


@pytest.fixture
def users(db):
    from ansinh.core.services import upsert_user

    return {"tinh": upsert_user("r_tinh", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"]),
            "dongkinh": upsert_user("r_dongkinh", "Mk-thu-nghiem-2024", roles=["commune_officer"],
                                    unit_codes=["05977"]),
            "kyluatv": upsert_user("r_kyluatv", "Mk-thu-nghiem-2024", roles=["commune_officer"],
                                   unit_codes=["06187"]),
            "kiemtoan": upsert_user("r_kiemtoan", "Mk-thu-nghiem-2024", roles=["auditor"], unit_codes=["20"])}
