"""The transfer pages: the old commune records the move on the person page, the new commune
accepts on the transfers page, a third commune sees nothing; a death recorded on the person page.
Also the CLI (`ansinh registry transfer stop|accept|list`, `ansinh registry death`)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PW = "Mk-thu-nghiem-2024"


@pytest.fixture
def world(officer):
    from ansinh.core.services import current_unit
    from ansinh.registry.models import Enrolment, Person

    dk, hp = current_unit("05977"), current_unit("06079")
    p = Person.objects.create(full_name="Hoàng Thị Chuyển", name_key="HOANG THI CHUYEN", dob=dt.date(1950, 2, 3),
                              commune=dk, residence_unit=dk, scope_commune=dk, province_code=dk.province_code)
    Enrolment.objects.create(person=p, category="5.6-severe", start_month="2025-01", scope_commune=dk,
                             province_code=dk.province_code)
    return {"p": p, "dk": dk, "hp": hp, "a": officer("oa", "05977"), "b": officer("ob", "06079"),
            "c": officer("oc", "06187"), "prov": officer("op", "20", role="province_officer")}


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_old_commune_records_new_commune_accepts(world):
    from ansinh.registry.models import Transfer

    p, a, b, c = world["p"], _client(world["a"]), _client(world["b"]), _client(world["c"])
    page = a.get(reverse("registry:person", args=[p.pk])).content.decode()
    assert 'data-testid="transfer-form"' in page and "Xã Hồng Phong" in page
    # Hồng Phong cannot record a move of Đông Kinh's person (not in its scope: 404)
    assert b.post(reverse("registry:person_transfer", args=[p.pk]), {}).status_code == 404
    r = a.post(reverse("registry:person_transfer", args=[p.pk]),
               {"to_commune": world["hp"].pk, "moved_on": "15/08/2025", "number": "12/QĐ-UBND",
                "decided_on": "20/08/2025"})
    assert r.status_code == 302
    t = Transfer.objects.get(person=p)
    assert (t.last_old_month, t.status) == ("2025-08", "stopped")
    # Đông Kinh sees it waiting; Hồng Phong sees the accept form; Kỳ Lừa sees nothing
    assert "Chờ nơi mới quyết định" in a.get(reverse("registry:transfers")).content.decode()
    assert 'data-testid="accept-form"' in b.get(reverse("registry:transfers")).content.decode()
    assert "Hoàng Thị Chuyển" not in c.get(reverse("registry:transfers")).content.decode()
    assert c.post(reverse("registry:transfer_accept", args=[t.pk]), {}).status_code == 404
    # Đông Kinh cannot accept for Hồng Phong (it sees the row: the service refuses, nothing changes)
    a.post(reverse("registry:transfer_accept", args=[t.pk]), {"number": "1", "decided_on": "01/10/2025"})
    assert Transfer.objects.get(pk=t.pk).status == "stopped"
    b.post(reverse("registry:transfer_accept", args=[t.pk]), {"number": "45/QĐ-UBND", "decided_on": "05/10/2025"})
    t.refresh_from_db()
    assert (t.status, t.start_number) == ("accepted", "45/QĐ-UBND")
    page = b.get(reverse("registry:person", args=[p.pk])).content.decode()
    assert "12/QĐ-UBND" in page and "45/QĐ-UBND" in page and "09/2025" in page  # both decisions
    assert a.get(reverse("registry:person", args=[p.pk])).status_code == 404  # Hồng Phong's person now


def test_bad_dates_say_so(world):
    a = _client(world["a"])
    r = a.post(reverse("registry:person_transfer", args=[world["p"].pk]),
               {"to_commune": world["hp"].pk, "moved_on": "2025-08-15", "number": "1", "decided_on": "x"},
               follow=True)
    assert "dd/mm/yyyy" in r.content.decode()


def test_death_on_the_person_page(world):
    from ansinh.registry.models import Person

    p = world["p"]
    a = _client(world["a"])
    assert _client(world["b"]).post(reverse("registry:person_death", args=[p.pk]),
                                     {"died_on": "15/03/2025"}).status_code == 404
    a.post(reverse("registry:person_death", args=[p.pk]), {"died_on": "15/03/2025"})
    p = Person.objects.get(pk=p.pk)
    assert (p.status, p.deceased_on) == ("deceased", dt.date(2025, 3, 15))
    assert list(p.enrolments.values_list("end_month", flat=True)) == ["2025-03"]
    page = a.get(reverse("registry:person", args=[p.pk])).content.decode()
    assert 'data-testid="death-form"' not in page and 'data-testid="transfer-form"' not in page


def _cli(capsys, *args):
    from ansinh.cli import main

    rc = main([str(a) for a in args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_cli(world, capsys):
    p = world["p"]
    rc, out, err = _cli(capsys, "registry", "transfer", "stop", p.pk, "--to", "06079", "--moved-on", "2025-08-15",
                        "--decision", "12/QĐ-UBND", "--decision-date", "2025-08-20", "--as", "oa", "--json")
    assert rc == 0, err
    out = json.loads(out)
    assert (out["old_pays_through"], out["new_pays_from"], out["status"]) == ("2025-08", "2025-09", "stopped")
    rc, _out, err = _cli(capsys, "registry", "transfer", "accept", out["transfer"], "--decision", "45/QĐ-UBND",
                         "--decision-date", "2025-10-05", "--as", "oa", "--json")
    assert rc == 2 and len(err.strip().splitlines()) == 1  # Đông Kinh's officer may not decide for Hồng Phong
    rc, acc, err = _cli(capsys, "registry", "transfer", "accept", out["transfer"], "--decision", "45/QĐ-UBND",
                        "--decision-date", "2025-10-05", "--as", "ob", "--json")
    assert rc == 0 and json.loads(acc)["status"] == "accepted", err
    rc, listed, _err = _cli(capsys, "registry", "transfer", "list", "--as", "oc", "--json")
    assert json.loads(listed) == []  # Kỳ Lừa: none of its business
    rc, died, err = _cli(capsys, "registry", "death", p.pk, "--on", "2025-11-02", "--as", "ob", "--json")
    assert rc == 0 and json.loads(died)["last_month_paid"] == "2025-11", err


def test_authorisation_form_and_evidence(world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ansinh.registry.models import AuthorisedPerson, PaymentAccount

    settings.VAR_DIR = tmp_path / "var"
    p = world["p"]
    acc = PaymentAccount.objects.create(person=p, provider="970405", provider_name="Agribank",
                                        account_number="4400123456789", holder="authorised",
                                        holder_name="NGUYEN VAN CON", approval="approved")
    a = _client(world["a"])
    page = a.get(reverse("registry:person", args=[p.pk])).content.decode()
    assert 'data-testid="authorisation-form"' in page and "4400123456789" not in page.split("authorisation-form")[1]
    pdf = SimpleUploadedFile("giấy ủy quyền.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    assert _client(world["b"]).post(reverse("registry:person_authorisation", args=[p.pk]), {}).status_code == 404
    a.post(reverse("registry:person_authorisation", args=[p.pk]),
           {"full_name": "Nguyễn Văn Con", "relationship": "con trai", "account": acc.pk,
            "valid_until": "31/12/2027", "recheck_on": "30/06/2027", "evidence": pdf})
    ap = AuthorisedPerson.objects.get(person=p)
    assert (ap.account_id, ap.valid_until, ap.relationship) == (acc.pk, dt.date(2027, 12, 31), "con trai")
    r = a.get(reverse("registry:authorisation_evidence", args=[ap.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/octet-stream"
    assert b"".join(r.streaming_content).startswith(b"%PDF-")
    assert _client(world["b"]).get(reverse("registry:authorisation_evidence", args=[ap.pk])).status_code == 404
    assert "31/12/2027" in a.get(reverse("registry:person", args=[p.pk])).content.decode()
