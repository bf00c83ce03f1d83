"""A small hand-made population: two old communes merged into Phường Đông Kinh (05977 from
2025-07-01) and one person in Phường Kỳ Lừa, with account histories across 2024."""
from __future__ import annotations

import datetime as dt

import pytest

D = dt.date
PROVINCE = "20"


def old_commune(code: str):
    from ansinh.units.models import AdminUnit

    return AdminUnit.objects.get(code=code, level=3, valid_to__isnull=False, province_code=PROVINCE)


def new_commune(code: str):
    from ansinh.units.models import AdminUnit

    return AdminUnit.objects.get(code=code, level=3, valid_to__isnull=True)


def make_person(i: int, residence, commune, *, name="Nguyễn Thị Đào", village="Khối 1", start="2023-12",
                end="", status="active", deceased_on=None, id_number=None):
    from ansinh.registry.models import Enrolment, Person
    from ansinh.text import fold

    p = Person.objects.create(full_name=name, name_key=fold(name), dob=D(1940, 1, 1) + dt.timedelta(days=i),
                              id_number=id_number or f"0201400{i:05d}", residence_unit=residence, commune=commune,
                              scope_commune=commune or residence, province_code=PROVINCE, village=village,
                              status="deceased" if deceased_on else "alive", deceased_on=deceased_on)
    Enrolment.objects.create(person=p, category="6.1", start_month=start, end_month=end, status=status,
                             scope_commune=p.scope_commune, province_code=PROVINCE)
    return p


def make_account(p, reg, conf=None, act=None, closed=None, number="8300123456789", provider="970405"):
    from ansinh.registry.models import PaymentAccount

    return PaymentAccount.objects.create(person=p, provider=provider, account_number=number,
                                         holder_name=p.name_key, registered_on=reg, confirmed_on=conf,
                                         activated_on=act, closed_on=closed)


@pytest.fixture
def town(db):
    """p1..p5 in Đông Kinh (old Vĩnh Trại / old Đông Kinh), p6 in Kỳ Lừa."""
    vinh_trai, dong_kinh_old = old_commune("05977"), old_commune("05980")
    dong_kinh, ky_lua = new_commune("05977"), new_commune("06187")
    ps = {
        "p1": make_person(1, vinh_trai, dong_kinh, village="Khối 2"),
        "p2": make_person(2, dong_kinh_old, dong_kinh, name="Hoàng Văn Ba", village="Khối 1"),
        "p3": make_person(3, vinh_trai, dong_kinh, deceased_on=D(2024, 5, 1)),
        "p4": make_person(4, ky_lua, ky_lua, name="Lý Thị Bốn"),
        "p5": make_person(5, dong_kinh_old, dong_kinh, name="Vi Văn Năm", start="2024-07"),
    }
    make_account(ps["p1"], D(2024, 3, 1), D(2024, 3, 20), D(2024, 4, 1))
    make_account(ps["p3"], D(2024, 2, 1))
    make_account(ps["p4"], D(2024, 8, 1), closed=D(2024, 10, 1))
    ps.update(vinh_trai=vinh_trai, dong_kinh_old=dong_kinh_old, dong_kinh=dong_kinh, ky_lua=ky_lua)
    return ps


@pytest.fixture
def officer(db):
    from ansinh.core.services import upsert_user

    def make(username: str, unit_code: str, role: str = "commune_officer"):
        return upsert_user(username, "Mk-thu-nghiem-2024", roles=[role], unit_codes=[unit_code])

    return make
