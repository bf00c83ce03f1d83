"""A person in several categories (Decree 20 Art. 6.2; issue 14 item 6): both shapes of commune
lists — both labels in one cell, or the same person on two rows — give one person with every
category enrolled, and payroll pays what the pure rule (``combine_categories``) says."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.core.roles import OPERATOR
from ansinh.registry.importing.files import import_file
from ansinh.registry.importing.prepare import split_categories
from ansinh.registry.models import Enrolment, ImportRow, Person, RowOutcome

from .conftest import PROVINCE, person_row

pytestmark = pytest.mark.django_db

PARENT = "Người đơn thân nghèo đang nuôi con"
SEVERE = "Người khuyết tật nặng"


def test_split_categories():
    assert split_categories(f"{PARENT}; {SEVERE}") == [(PARENT, "5.4"), (SEVERE, "5.6-severe")]
    assert split_categories(f"{PARENT}\n{SEVERE}") == [(PARENT, "5.4"), (SEVERE, "5.6-severe")]
    assert split_categories(PARENT) == []  # one label: read as before
    assert split_categories(f"{PARENT}; Đối tượng khác") == []  # a part that maps to nothing: one label
    assert split_categories(f"{SEVERE}; NKT nặng") == []  # one code twice: nothing to add


def _categories(person) -> list[str]:
    return sorted(Enrolment.objects.filter(person=person).values_list("category", flat=True))


def test_both_shapes_give_one_person_with_every_category(small_list):
    path = small_list([
        person_row(name="Hoàng Thị Mai", dob="10/10/1985", gender="Nữ", id_number="020185001111",
                   category=f"{PARENT}; {SEVERE}"),                                 # one cell, two labels
        person_row(name="Lý Thị Hoa", dob="01/02/1988", gender="Nữ", id_number="020188002222", category=PARENT),
        person_row(name="Lý Thị Hoa", dob="01/02/1988", gender="Nữ", id_number="020188002222",
                   category="Người khuyết tật đặc biệt nặng"),                      # same person, second row
        person_row(name="Lý Thị Hoa", dob="01/02/1988", gender="Nữ", id_number="020188002222",
                   category=PARENT),                                                # adds nothing: rejected
    ])
    rep = import_file(path, OPERATOR, province=PROVINCE)
    assert (rep["rows"], rep["imported"], rep["updated"], rep["rejected"]) == (4, 2, 1, 1)
    assert rep["rejected_rows"][0]["reasons"] == ["Trùng số định danh với dòng 6 của cùng tệp"]
    mai, hoa = Person.objects.get(id_number="020185001111"), Person.objects.get(id_number="020188002222")
    assert _categories(mai) == ["5.4", "5.6-severe"]
    assert _categories(hoa) == ["5.4", "5.6-very-severe"]
    assert Person.objects.count() == 2
    row7 = ImportRow.objects.get(batch_id=rep["batch"], row=7)
    assert (row7.outcome, row7.person_id) == (RowOutcome.UPDATED, hoa.pk)
    # importing the same person again later with a new category adds it to the person
    later = small_list([person_row(name="Hoàng Thị Mai", dob="10/10/1985", gender="Nữ", id_number="020185001111",
                                   category=f"{PARENT}; Người nhiễm HIV/AIDS thuộc hộ nghèo")], name="later.xlsx")
    import_file(later, OPERATOR, province=PROVINCE)
    assert _categories(mai) == ["5.4", "5.6-severe", "5.8"]


def test_payroll_pays_both_for_a_poor_single_parent_who_is_disabled(small_list):
    """Worked by hand at the 500.000 đ standard level (07/2024 on): a poor single parent (5.4: 1.0 per
    child) who is severely disabled (5.6-severe, adult: 1.5) gets both: 2.5 × 500.000 = 1.250.000 đ;
    a very severely disabled person who is also poor with HIV (5.6-very-severe 2.0, 5.8 1.5) gets the
    higher only: 2.0 × 500.000 = 1.000.000 đ."""
    from ansinh.payroll import generate
    from ansinh.payroll.models import PayrollLine

    path = small_list([
        person_row(name="Hoàng Thị Mai", dob="10/10/1985", gender="Nữ", id_number="020185001111",
                   category=f"{PARENT}; {SEVERE}"),
        person_row(name="Nông Văn Tú", dob="01/02/1970", id_number="020070003333",
                   category="Người khuyết tật đặc biệt nặng"),
        person_row(name="Nông Văn Tú", dob="01/02/1970", id_number="020070003333",
                   category="Người nhiễm HIV/AIDS thuộc hộ nghèo không có nguồn thu nhập ổn định"),
    ])
    import_file(path, OPERATOR, province=PROVINCE, paid_through="2024-08")
    mai, tu = Person.objects.get(id_number="020185001111"), Person.objects.get(id_number="020070003333")
    assert _categories(tu) == ["5.6-very-severe", "5.8"]
    Enrolment.objects.update(start_month="2024-01")
    run = generate.generate("2024-09", province_code=PROVINCE)
    got = {ln.person_id: (ln.period_month, ln.category, ln.amount) for ln in PayrollLine.objects.filter(run=run)}
    assert got == {mai.pk: ("2024-09", "5.4+5.6-severe", 1_250_000), tu.pk: ("2024-09", "5.6-very-severe", 1_000_000)}


def test_care_support_codes_are_stored_whole():
    """Enrolment.category holds every category code (ART20-household-very-severe has 27 characters):
    stored and read back whole on SQLite and PostgreSQL, never cut to "ART20"."""
    from ansinh.registry.categories import COEFFICIENTS

    longest = max((c for c, *_ in COEFFICIENTS), key=len)
    p = Person.objects.create(full_name="Hà Văn Sơn", name_key="HA VAN SON", dob=dt.date(1960, 1, 1),
                              province_code=PROVINCE)
    e = Enrolment.objects.create(person=p, programme="art20", category=longest, province_code=PROVINCE)
    e.refresh_from_db()
    assert e.category == longest == "ART20-household-very-severe"
