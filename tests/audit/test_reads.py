"""Reads and exports of personal data are recorded (one chained entry each, with the file's sha256),
and found again on the auditor's page and on a person's "who saw my data" list."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.test import Client

from ansinh.audit.models import Action, AuditEntry, AuditSubject
from ansinh.core.services import upsert_user

pytestmark = pytest.mark.django_db
PASSWORD = "Mk-thu-nghiem-2024"
COMMUNE = "05977"


def person(name="Nguyễn Văn An", id_number="020040001234"):
    from ansinh.registry.models import Person
    from ansinh.units.models import AdminUnit

    c = AdminUnit.objects.get(code=COMMUNE, valid_to__isnull=True)
    return Person.objects.create(full_name=name, name_key=name.upper(), dob=dt.date(1940, 3, 5),
                                 id_number=id_number, commune=c, residence_unit=c, scope_commune=c,
                                 province_code=c.province_code)


def client_for(username, role, unit=COMMUNE):
    upsert_user(username, PASSWORD, roles=[role], unit_codes=[unit])
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def test_person_page_records_who_looked():
    p = person()
    c = client_for("canbo", "commune_officer")
    assert c.get(f"/registry/persons/{p.pk}/").status_code == 200
    e = AuditEntry.objects.get(action=Action.PERSON_VIEW)
    assert (e.action, e.user_name, e.source) == (Action.PERSON_VIEW, "canbo", "web registry:person")
    assert list(AuditSubject.objects.filter(entry=e).values_list("person_id", flat=True)) == [p.pk]


def test_export_records_the_file_and_its_people():
    a, b = person(), person("Lý Thị Ba", "020138000111")
    c = client_for("canbo", "commune_officer")
    r = c.get("/registry/persons/export/?format=xlsx")
    assert r.status_code == 200
    e = AuditEntry.objects.get(action=Action.PERSON_EXPORT)
    assert e.sha256 == hashlib.sha256(r.content).hexdigest() and e.object == "doi-tuong.xlsx"
    assert set(AuditSubject.objects.filter(entry=e).values_list("person_id", flat=True)) == {a.pk, b.pk}
    r = c.get("/registry/persons/export/")
    assert AuditEntry.objects.get(object="doi-tuong.csv").sha256 == hashlib.sha256(r.content).hexdigest()


def test_auditor_finds_who_exported_and_who_saw_a_person():
    p = person()
    officer = client_for("canbo", "commune_officer")
    officer.get(f"/registry/persons/{p.pk}/")
    officer.get("/registry/persons/export/?format=xlsx")
    auditor = client_for("kiemtoan", "auditor", unit="20")
    page = auditor.get("/audit/", {"action": Action.PERSON_EXPORT, "user": "canbo"}).content.decode()
    assert "doi-tuong.xlsx" in page and "Xuất danh sách đối tượng" in page
    assert "Xem hồ sơ đối tượng" not in page.split("<tbody>")[1]
    mine = auditor.get(f"/audit/persons/{p.pk}/").content.decode()
    assert "Xem hồ sơ đối tượng" in mine and "doi-tuong.xlsx" in mine
    assert not AuditEntry.objects.filter(user_name="kiemtoan", action=Action.PERSON_VIEW).exists()


def test_only_auditor_and_admin_open_the_log():
    assert client_for("canbo", "commune_officer").get("/audit/").status_code == 403
    assert client_for("tinh", "province_officer", unit="20").get("/audit/").status_code == 403
    assert client_for("qt", "admin", unit="20").get("/audit/").status_code == 200


def test_who_saw_outside_scope_is_404():
    p = person()
    assert client_for("kylua", "commune_officer", unit="06187").get(f"/audit/persons/{p.pk}/").status_code == 404


def test_bad_dates_say_so():
    page = client_for("kiemtoan", "auditor", unit="20").get("/audit/", {"from": "31/02/2026"}).content.decode()
    assert "Ngày không hợp lệ" in page


def test_role_change_is_recorded_before_and_after():
    import json

    upsert_user("nguoi", PASSWORD, roles=["commune_officer"], unit_codes=[COMMUNE])
    upsert_user("nguoi", None, roles=["approver"], unit_codes=[COMMUNE])
    upsert_user("nguoi", None, roles=["approver"], unit_codes=[COMMUNE])  # nothing changes: no entry
    es = list(AuditEntry.objects.filter(action=Action.ROLE_CHANGE, object="user nguoi").order_by("seq"))
    assert len(es) == 2
    d = json.loads(es[1].detail)
    assert d == {"before": {"roles": ["commune_officer"], "units": [COMMUNE]},
                 "after": {"roles": ["approver"], "units": [COMMUNE]}}


def test_auditor_of_another_province_sees_no_entry_about_these_people():
    p = person()
    client_for("canbo", "commune_officer").get(f"/registry/persons/{p.pk}/")
    other = client_for("kiemtoan_qn", "auditor", unit="22")
    page = other.get("/audit/", {"action": Action.PERSON_VIEW}).content.decode()
    assert "Không có mục nào" in page
    assert "Xem hồ sơ đối tượng" in client_for("kiemtoan", "auditor", unit="20").get(
        "/audit/", {"action": Action.PERSON_VIEW}).content.decode().split("<tbody>")[1]


def test_person_list_records_the_page_and_filters_never_the_search():
    import json

    person()
    c = client_for("canbo_ds", "commune_officer")
    # a number typed in the search box is carried on as a keyed token (ansinh.registry.selectors.search_token)
    r = c.get("/registry/", {"q": "020040001234", "commune": COMMUNE, "page": 1}, follow=True)
    assert r.status_code == 200 and "020040001234" not in r.redirect_chain[-1][0]
    assert c.get("/registry/", {"q": "Nguyễn Văn"}).status_code == 200
    es = list(AuditEntry.objects.filter(action=Action.PERSON_LIST).order_by("seq"))
    assert [json.loads(e.detail) for e in es] == [
        {"filters": {"commune": COMMUNE, "search": "number"}, "page": 1, "rows": 1, "total": 1},
        {"filters": {"search": "name"}, "page": 1, "rows": 0, "total": 0}]  # (name_key not folded here)
    assert all(e.subjects == 0 and e.object == "registry.person" and e.user_name == "canbo_ds" for e in es)
    assert not any("020040001234" in e.detail or "Nguy" in e.detail for e in es)


def test_a_sensitive_category_is_no_filter_for_those_who_do_not_handle_it():
    from ansinh.registry.models import Enrolment

    p = person()
    Enrolment.objects.create(person=p, category="5.3", scope_commune=p.scope_commune, province_code=p.province_code)
    person("Trần Văn Bình", "020040005678")
    officer = client_for("canbo_hiv", "commune_officer")
    page = officer.get("/registry/", {"category": "5.3"}).content.decode()
    assert "Nguyễn Văn An" in page and "Trần Văn Bình" not in page
    auditor = client_for("kiemtoan_hiv", "auditor", "20")
    page = auditor.get("/registry/", {"category": "5.3"}).content.decode()
    assert "Nguyễn Văn An" in page and "Trần Văn Bình" in page  # the filter is ignored: it says nothing
    assert 'value="5.3"' not in page  # and not offered
    detail = auditor.get(f"/registry/persons/{p.pk}/").content.decode()
    assert "Thông tin được bảo vệ" in detail and "HIV" not in detail
    assert "HIV" in officer.get(f"/registry/persons/{p.pk}/").content.decode()
