"""Complaints test fixtures: a commune with a generated payroll run (one line per person), users."""
from __future__ import annotations

import datetime as dt

import pytest

DONG_KINH = "05977"
KY_LUA = "06187"
PW = "Mk-thu-nghiem-2024"


@pytest.fixture(autouse=True)
def _fast(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": str(tmp_path)}}


@pytest.fixture
def people(db):
    from ansinh.core.services import current_unit
    from ansinh.registry.models import Enrolment, PaymentAccount, Person

    unit = current_unit(DONG_KINH)
    out = []
    for i, (cat, acct) in enumerate([("5.3", "1002003001"), ("5.6-very-severe", "1002003002"), ("5.5c", None)]):
        p = Person.objects.create(full_name=f"Hoàng Văn Thử {i}", name_key=f"HOANG VAN THU {i}",
                                  dob=dt.date(1940 if cat == "5.5c" else 2015, 1, 1), id_number=f"02008800{i:04d}",
                                  commune=unit, residence_unit=unit, scope_commune=unit, province_code="20",
                                  village=f"Thôn Nà {i % 2}")
        Enrolment.objects.create(person=p, category=cat, start_month="2024-12", scope_commune=unit,
                                 province_code="20")
        if acct:
            PaymentAccount.objects.create(person=p, provider="970405", account_number=acct, approval="approved")
        out.append(p)
    return out


@pytest.fixture
def users(db):
    from ansinh.core.services import upsert_user

    return {
        "commune": upsert_user("xa_a", PW, roles=["commune_officer"], unit_codes=[DONG_KINH], full_name="Lý Thị Xã"),
        "commune2": upsert_user("xa_a2", PW, roles=["commune_officer"], unit_codes=[DONG_KINH]),
        "other_commune": upsert_user("xa_b", PW, roles=["commune_officer"], unit_codes=[KY_LUA]),
        "province": upsert_user("tinh", PW, roles=["province_officer"], unit_codes=["20"], full_name="Nông Văn Tỉnh"),
        "approver": upsert_user("duyet", PW, roles=["approver"], unit_codes=["20"]),
        "auditor": upsert_user("kiemtra", PW, roles=["auditor"], unit_codes=["20"]),
    }


@pytest.fixture
def run(people, users):
    from ansinh.core.services import current_unit
    from ansinh.payroll import generate

    return generate.generate("2024-12", commune=current_unit(DONG_KINH), user=users["province"])
