"""A data subject's request (ansinh.audit.subject): all ansinh holds about one person, numbers whole,
from the person page by the officers who hold the record, recorded in the audit log."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from django.test import Client

from ansinh.audit.models import Action, AuditEntry
from ansinh.core.services import current_unit, upsert_user

pytestmark = pytest.mark.django_db
PASSWORD = "Mk-thu-nghiem-2024"


@pytest.fixture
def person():
    from ansinh.payroll.models import PayrollLine, PayrollRun
    from ansinh.registry import history
    from ansinh.registry.models import AuthorisedPerson, Enrolment, PaymentAccount, Person

    unit = current_unit("05977")
    p = Person.objects.create(full_name="Hoàng Văn Tư", name_key="HOANG VAN TU", id_number="020150000044",
                              dob=dt.date(1950, 7, 14), phone="0912345678", commune=unit, residence_unit=unit,
                              scope_commune=unit, province_code="20")
    Enrolment.objects.create(person=p, category="5.6-severe", amount=720000, start_month="2024-01", scope_commune=unit,
                             province_code="20")
    PaymentAccount.objects.create(person=p, provider="970405", account_number="1002003004", holder_name="HOANG VAN TU")
    AuthorisedPerson.objects.create(person=p, full_name="Hoàng Thị Năm", id_number="020190000055")
    run = PayrollRun.objects.create(period="2024-06", province_code="20", scope_commune=unit)
    PayrollLine.objects.create(run=run, person=p, programme="tcxh", period_month="2024-06", amount=720000,
                               channel="bank", account_number="1002003004", result="paid",
                               paid_on=dt.date(2024, 6, 12), scope_commune=unit, province_code="20")
    history.log_change(p, "registry.person", p.pk, "phone", "", "0912345678", user=None)
    return p


def client(username, roles, units):
    upsert_user(username, PASSWORD, roles=roles, unit_codes=units, full_name=username)
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def test_officer_exports_everything_whole_and_it_is_audited(person):
    import openpyxl

    c = client("xa_dl", ["commune_officer"], ["05977"])
    page = c.get(f"/registry/persons/{person.pk}/").content.decode()
    assert 'id="subject-export"' in page
    r = c.post(f"/audit/persons/{person.pk}/data/", {"reference": "Đơn ngày 01/12/2026", "format": "json"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith(f'du-lieu-ca-nhan-{person.pk}.json"')
    data = json.loads(r.content)
    assert {"person", "enrolments", "authorised", "accounts", "payments", "complaints", "issues", "history",
            "readers"} == set(data)
    facts = {row["Thông tin"]: row["Giá trị"] for row in data["person"]["rows"]}
    assert facts["Số định danh"] == "020150000044" and facts["Điện thoại"] == "0912345678"
    assert data["accounts"]["rows"][0]["Số tài khoản"] == "1002003004"
    assert data["authorised"]["rows"][0]["Số định danh"] == "020190000055"
    pay = data["payments"]["rows"][0]
    assert (pay["Số tiền (đồng)"], pay["Ngày chi"], pay["Kết quả"]) == (720000, "12/06/2024", "Đã chi trả")
    assert data["history"]["rows"][0]["Giá trị mới"] == "0912345678"
    assert any(row["Việc"] == "Xem hồ sơ đối tượng" and row["Người"] == "xa_dl" for row in data["readers"]["rows"])
    e = AuditEntry.objects.filter(action=Action.SUBJECT_EXPORT).get()
    assert e.sha256 == hashlib.sha256(r.content).hexdigest() and e.subjects == 1
    assert json.loads(e.detail) == {"request": "Đơn ngày 01/12/2026"}
    # the .xlsx: one sheet per section
    r = c.post(f"/audit/persons/{person.pk}/data/", {"reference": "Đơn 12/2026", "format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    assert wb.sheetnames[:5] == ["Thông tin cá nhân", "Diện hưởng", "Người được ủy quyền", "Tài khoản nhận tiền",
                                 "Chi trả"]
    assert ["Số định danh", "020150000044"] in [list(x) for x in wb["Thông tin cá nhân"].iter_rows(values_only=True)]
    # the next export lists the first one among who took the data out
    r = c.post(f"/audit/persons/{person.pk}/data/", {"reference": "Đơn 12/2026", "format": "json"})
    assert any(row["Việc"] == "Cung cấp dữ liệu cho chủ thể dữ liệu"
               for row in json.loads(r.content)["readers"]["rows"])


def test_who_may_export(person):
    # no reference: nothing exported
    c = client("xa_dl2", ["commune_officer"], ["05977"])
    r = c.post(f"/audit/persons/{person.pk}/data/", {"reference": " ", "format": "json"})
    assert r.status_code == 302 and not AuditEntry.objects.filter(action=Action.SUBJECT_EXPORT).exists()
    assert c.get(f"/audit/persons/{person.pk}/data/").status_code == 405
    # another commune's officer: the person does not exist for them
    other = client("xa_khac", ["commune_officer"], ["06187"])
    assert other.post(f"/audit/persons/{person.pk}/data/", {"reference": "x", "format": "json"}).status_code == 404
    # the auditor, the approver: not their task (they see numbers masked); no form on the page
    for login, role in (("kt_dl", "auditor"), ("pd_dl", "approver")):
        c = client(login, [role], ["20"])
        assert c.post(f"/audit/persons/{person.pk}/data/", {"reference": "x", "format": "json"}).status_code == 403
        assert 'id="subject-export"' not in c.get(f"/registry/persons/{person.pk}/").content.decode()
    # a reference with an ID number in it is kept masked in the log
    c = client("tinh_dl", ["province_officer"], ["20"])
    assert c.post(f"/audit/persons/{person.pk}/data/", {"reference": "CCCD 020150000044", "format": "json"}
                  ).status_code == 200
    e = AuditEntry.objects.filter(action=Action.SUBJECT_EXPORT).get()
    assert "020150000044" not in e.detail
