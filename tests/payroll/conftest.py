from __future__ import annotations

import datetime as dt
import itertools

import pytest

DONG_KINH = "05977"
HONG_PHONG = "06079"
_seq = itertools.count(1)


@pytest.fixture
def commune(db):
    from ansinh.core.services import current_unit

    return current_unit(DONG_KINH)


@pytest.fixture
def make_person(db, commune):
    """make_person(dob, enrolments=[(programme, category, start_month, ...)], account=(bin, number) | None, ...)"""
    from ansinh.registry.models import Enrolment, PaymentAccount, Person

    def make(dob=dt.date(1980, 1, 1), enrolments=(("tcxh", "5.6-severe", "2024-06"),), account=None,
             unit=None, paid_through="", deceased_on=None, holder="beneficiary", name=None, approval="approved"):
        unit = unit or commune
        n = next(_seq)
        p = Person.objects.create(full_name=name or f"Người thử {n}", name_key=f"NGUOI THU {n}", dob=dob,
                                  id_number=f"020080{n:06d}", commune=unit, residence_unit=unit,
                                  scope_commune=unit, province_code=unit.province_code, paid_through=paid_through,
                                  deceased_on=deceased_on, status="deceased" if deceased_on else "alive")
        for e in enrolments:
            programme, category, start = e[:3]
            end = e[3] if len(e) > 3 else ""
            coef = e[4] if len(e) > 4 else None
            Enrolment.objects.create(person=p, programme=programme, category=category, start_month=start,
                                     end_month=end, coefficient=coef, scope_commune=unit,
                                     province_code=unit.province_code)
        if account:
            # An account is paid into only once a second user approved it (maker-checker): the
            # accounts of these fixtures stand for approved ones unless a test says otherwise.
            PaymentAccount.objects.create(person=p, provider=account[0], account_number=account[1],
                                          holder=holder, holder_name=p.full_name, approval=approval)
        return p

    return make


@pytest.fixture
def users(db):
    from ansinh.core.services import upsert_user

    maker = upsert_user("maker1", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    checker = upsert_user("checker1", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"])
    return maker, checker
