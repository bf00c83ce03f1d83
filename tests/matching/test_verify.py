"""Population verification against a real xlsx extract."""
import datetime as dt
import json

import openpyxl
import pytest

from ansinh.matching.services import verify_population
from ansinh.registry.models import ChangeLog, Enrolment, Person
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level

from .test_engine import _people

pytestmark = pytest.mark.django_db


def test_verify_outcomes_and_death(tmp_path, capsys):
    from ansinh.cli import main

    c = AdminUnit.objects.get(code="05977", level=Level.COMMUNE, valid_to__isnull=True)
    people = _people(400, seed=21)
    objs = []
    for i, p in enumerate(people[:300]):
        name = p["full_name"]
        dob = p["dob"]
        if i == 1:
            dob = dt.date(dob.year - 3, dob.month, dob.day)       # differs: date of birth
        objs.append(Person(full_name=name, name_key=fold(name), dob=dob, gender=p["gender"],
                           id_number=None if i in (2, 3) else p["id_number"], scope_commune=c, commune=c,
                           province_code=c.province_code, village=p["village"]))
    Person.objects.bulk_create(objs)
    persons = list(Person.objects.order_by("pk"))
    Enrolment.objects.bulk_create([Enrolment(person=x, category="5.5c", start_month="2024-01",
                                             scope_commune=c, province_code=c.province_code) for x in persons])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["KẾT QUẢ ĐỐI CHIẾU DỮ LIỆU DÂN CƯ"])
    ws.append(["STT", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi thường trú",
               "Tình trạng", "Ngày mất"])
    for i, p in enumerate(people):
        dead = i == 0 or i == 2
        ws.append([i + 1, p["id_number"], p["full_name"], p["dob"].strftime("%d/%m/%Y"),
                   "Nam" if p["gender"] == "M" else "Nữ", "Phường Đông Kinh", "Đã mất" if dead else "Còn sống",
                   "15/03/2025" if dead else ""])
    path = tmp_path / "dan_cu.xlsx"
    wb.save(path)
    assert main(["verify", str(path), "--json"]) in (0, None)
    out = json.loads(capsys.readouterr().out)
    counts = out["counts"]
    assert counts["differs"] == 1 and counts["verified"] == 297
    assert counts["proposed"] == 2 and counts["not_found"] == 0 and counts["deceased"] == 2
    rep = verify_population(path, apply=False)
    prop = [d for d in rep["details"] if d["outcome"] == "proposed"]
    assert {d["proposed_id"] for d in prop} == {people[2]["id_number"], people[3]["id_number"]}
    assert all(d["probability"] >= 0.9 for d in prop)
    diff = [d for d in rep["details"] if d["outcome"] == "differs"][0]
    assert set(diff["differences"]) == {"dob"}
    # the deceased with a known ID was marked, and the enrolment ends in the month of death
    dead = persons[0]
    dead.refresh_from_db()
    assert dead.status == "deceased" and dead.deceased_on == dt.date(2025, 3, 15)
    assert Enrolment.objects.get(person=dead).end_month == "2025-03"
    assert ChangeLog.objects.filter(person=dead, field="status", new="deceased").exists()


def _registry_and_extract(tmp_path, c):
    people = _people(120, seed=5)
    objs = []
    for i, p in enumerate(people[:100]):
        objs.append(Person(full_name=p["full_name"], name_key=fold(p["full_name"]), dob=p["dob"], gender=p["gender"],
                           id_number=None if i in (2, 3) else p["id_number"], scope_commune=c, commune=c,
                           province_code=c.province_code, village=p["village"]))
    Person.objects.bulk_create(objs)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["KẾT QUẢ ĐỐI CHIẾU DỮ LIỆU DÂN CƯ"])
    ws.append(["STT", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi thường trú", "Tình trạng"])
    for i, p in enumerate(people):
        ws.append([i + 1, p["id_number"], p["full_name"], p["dob"].strftime("%d/%m/%Y"),
                   "Nam" if p["gender"] == "M" else "Nữ", "Phường Đông Kinh", "Còn sống"])
    path = tmp_path / "dan_cu_2.xlsx"
    wb.save(path)
    return people, path


def test_id_proposals_are_stored_scoped_and_decided_on_the_page(tmp_path):
    from django.test import Client

    from ansinh.core.services import upsert_user
    from ansinh.matching.models import IdProposal, ProposalStatus
    from ansinh.registry.models import QualityIssue

    c = AdminUnit.objects.get(code="05977", level=Level.COMMUNE, valid_to__isnull=True)
    other = AdminUnit.objects.get(code="06079", level=Level.COMMUNE, valid_to__isnull=True)
    people, path = _registry_and_extract(tmp_path, c)
    rep = verify_population(path)
    assert rep["counts"]["proposed"] == 2 and rep["proposals_stored"] == 2
    props = {p.proposed_id: p for p in IdProposal.objects.all()}
    assert set(props) == {people[2]["id_number"], people[3]["id_number"]}
    from django.db import connection

    with connection.cursor() as cur:  # the proposed ID numbers are stored encrypted (decision 0025)
        cur.execute("SELECT proposed_id FROM matching_idproposal")
        stored = [r[0] for r in cur.fetchall()]
    assert len(stored) == 2 and all(v.startswith("e1:") and people[2]["id_number"] not in v for v in stored)
    assert not QualityIssue.objects.filter(message__contains=people[2]["id_number"]).exists()
    assert all(p.status == ProposalStatus.OPEN and p.reason == "missing" and p.probability >= 0.9
               and p.source == "dan_cu_2.xlsx" and p.scope_commune_id == c.pk for p in props.values())

    # another commune's officer sees none of them and cannot decide
    upsert_user("xa_khac", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[other.code])
    cl = Client()
    assert cl.login(username="xa_khac", password="Mk-thu-nghiem-2024")
    body = cl.get("/matching/proposals/").content.decode()
    assert "0 đề xuất" in body and people[2]["id_number"] not in body
    first = props[people[2]["id_number"]]
    assert cl.post(f"/matching/proposals/{first.pk}/decide/", {"action": "accept"}).status_code == 404

    # the commune's officer sees both, accepts one (ID written with history) and rejects the other
    officer = upsert_user("xa_nay", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[c.code])
    cl = Client()
    assert cl.login(username="xa_nay", password="Mk-thu-nghiem-2024")
    body = cl.get("/matching/proposals/").content.decode()
    assert "2 đề xuất" in body and people[2]["id_number"] in body and people[3]["id_number"] in body
    assert cl.post(f"/matching/proposals/{first.pk}/decide/", {"action": "accept"}).status_code == 302
    first.refresh_from_db()
    assert first.status == ProposalStatus.ACCEPTED and first.decided_by == officer and first.decided_at
    person = first.person
    person.refresh_from_db()
    assert person.id_number == people[2]["id_number"]
    log = ChangeLog.objects.get(person=person, field="id_number")
    assert log.new == people[2]["id_number"] and log.user == officer
    assert QualityIssue.objects.get(person=person, rule="ID_POPULATION").status == "fixed"
    second = props[people[3]["id_number"]]
    assert cl.post(f"/matching/proposals/{second.pk}/decide/", {"action": "reject"}).status_code == 302
    second.refresh_from_db()
    assert second.status == ProposalStatus.REJECTED and second.decided_by == officer
    assert second.person.id_number is None
    # deciding twice is refused; the page lists decided proposals with who decided
    cl.post(f"/matching/proposals/{second.pk}/decide/", {"action": "accept"})
    second.refresh_from_db()
    assert second.status == ProposalStatus.REJECTED
    assert "xa_nay" in cl.get("/matching/proposals/?status=all").content.decode()

    # a second verification: the accepted ID now verifies; the rejected proposal is not made again
    rep = verify_population(path)
    assert rep["counts"]["verified"] == 99 and rep["proposals_stored"] == 0
    assert not IdProposal.objects.filter(status=ProposalStatus.OPEN).exists()


def test_population_extract_uploaded_from_the_web_checks_the_uploaders_scope_only(tmp_path, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from ansinh.core import jobs
    from ansinh.core.models import Job, JobStatus
    from ansinh.core.services import upsert_user
    from ansinh.matching.models import IdProposal

    settings.VAR_DIR = tmp_path
    c = AdminUnit.objects.get(code="05977", level=Level.COMMUNE, valid_to__isnull=True)
    other = AdminUnit.objects.get(code="06079", level=Level.COMMUNE, valid_to__isnull=True)
    people, path = _registry_and_extract(tmp_path, c)
    # one person of another commune, whose ID is also missing from the extract: not this officer's
    Person.objects.create(full_name="Lý Văn Khác", name_key=fold("Lý Văn Khác"), dob=dt.date(1950, 1, 1),
                          gender="M", id_number="020050009999", scope_commune=other, commune=other,
                          province_code=other.province_code)
    upsert_user("xa_web", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[c.code])
    upsert_user("kt_web", "Mk-thu-nghiem-2024", roles=["auditor"], unit_codes=["20"])
    cl = Client()
    assert cl.login(username="kt_web", password="Mk-thu-nghiem-2024")
    assert cl.get("/matching/verify/").status_code == 200  # an auditor reads the page, may not upload
    assert cl.post("/matching/verify/", {"file": SimpleUploadedFile("x.xlsx", path.read_bytes())}).status_code == 404
    cl = Client()
    assert cl.login(username="xa_web", password="Mk-thu-nghiem-2024")
    bad = cl.post("/matching/verify/", {"file": SimpleUploadedFile("dan_cu.pdf", b"%PDF-1.4")})
    assert bad.status_code == 200 and "dan_cu.pdf" in bad.content.decode()
    long_name = "d" * 400 + ".xlsx"  # issue 11 item 14: an over-long name is said to be too long
    bad = cl.post("/matching/verify/", {"file": SimpleUploadedFile(long_name, path.read_bytes())}).content.decode()
    assert "tên tệp quá dài" in bad and long_name not in bad and "chỉ nhận tệp" not in bad
    assert not Job.objects.exists()
    r = cl.post("/matching/verify/", {"file": SimpleUploadedFile("dan_cu_2.xlsx", path.read_bytes())})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    job = Job.objects.get()
    assert job.kind == "matching.verify" and job.status == JobStatus.QUEUED
    job = jobs.run_job(job)  # what the worker does
    assert job.status == JobStatus.SUCCEEDED, job.error
    res = job.result
    assert res["persons"] == 100 and res["counts"]["verified"] == 98 and res["counts"]["proposed"] == 2
    assert res["proposals_stored"] == 2 and res["url"] == "/matching/proposals/" and "details" not in res
    assert IdProposal.objects.count() == 2 and set(IdProposal.objects.values_list("scope_commune", flat=True)) == {c.pk}
    assert "2 đề xuất" in cl.get("/matching/proposals/").content.decode()
