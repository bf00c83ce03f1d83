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
