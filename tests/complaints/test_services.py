"""Cases, holds, postings and the public page, on the database (SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.test import Client

from ansinh.complaints import services
from ansinh.complaints.models import Case, LineHold, Status
from ansinh.core.jobs import BadInput

d = dt.date
pytestmark = pytest.mark.django_db


def _line(run, i=0):
    return run.lines.select_related("person", "run").order_by("person__name_key")[i]


def test_anonymous_only_for_feedback(users, people):
    with pytest.raises(BadInput):
        services.create_case(users["commune"], kind="complaint", channel="phone", category="payment", text="x",
                             received=d(2026, 1, 9), person=people[0], complainant_kind="anonymous")
    c = services.create_case(users["commune"], kind="feedback", channel="phone", category="payment", text="x",
                             received=d(2026, 1, 9), person=people[0], complainant_kind="anonymous")
    assert c.complainant_name == "" and c.due_accept == d(2026, 1, 23)  # 10 working days


def test_scope_and_roles_of_writes(users, people):
    with pytest.raises(services.NotAllowed):
        services.create_case(users["other_commune"], kind="complaint", channel="phone", category="payment", text="x",
                             received=d(2026, 1, 9), person=people[0], complainant_name="Bà Hoa")
    with pytest.raises(services.NotAllowed):
        services.create_case(users["auditor"], kind="complaint", channel="phone", category="payment", text="x",
                             received=d(2026, 1, 9), person=people[0], complainant_name="Bà Hoa")


def test_remote_area_gives_longer_deadlines(users, people):
    from ansinh.complaints.models import RemoteArea

    RemoteArea.objects.create(unit=people[0].scope_commune, valid_from=d(2021, 1, 1), basis="test")
    c = services.create_case(users["commune"], kind="complaint", channel="letter", category="amount", text="x",
                             received=d(2026, 1, 12), person=people[0], complainant_name="Bà Hoa")
    assert c.remote
    c = services.accept(c, users["commune"], d(2026, 1, 15))
    assert c.due_decide == d(2026, 3, 2)  # 45 days (remote)


def test_hold_decide_release_with_four_eyes(users, run, tmp_path):
    from ansinh.payroll import approval, files, holds

    line = _line(run)
    c = services.create_case(users["commune"], kind="complaint", channel="in_person", category="amount",
                             text="Số tiền sai", received=d(2026, 1, 9), line=line, complainant_name="Hoàng Văn Thử 0",
                             sensitive="Nhiễm HIV")
    services.accept(c, users["commune"], d(2026, 1, 12))
    h = services.hold(c, users["commune"])
    line.refresh_from_db()
    assert holds.is_held(line) and line.active
    # the held line is not in the provider files
    approval.check(run, users["approver"])
    approval.approve(run, users["approver"])
    paths = files.write_all(run, tmp_path)
    g2p = next(p for p in paths if p.name.endswith("g2p-disburse.json")).read_text()
    assert f"line-{line.pk}" not in g2p
    assert f"line-{_line(run, 1).pk}" in g2p
    services.decide(c, users["commune"], d(2026, 1, 20), outcome="rejected", decision="Đúng mức")
    with pytest.raises(services.NotAllowed):
        services.release(h, users["commune"])  # the one who held it
    with pytest.raises(services.NotAllowed):
        services.release(h, users["auditor"])
    services.release(LineHold.objects.get(pk=h.pk), users["approver"])
    line.refresh_from_db()
    assert not holds.is_held(line) and line.result == "pending" and line.active  # paid with its run
    assert [e.action for e in c.events.all()] == ["received", "accepted", "held", "decided", "released"]


def test_release_after_export_frees_the_month(users, run):
    from ansinh.payroll import approval

    line = _line(run)
    c = services.create_case(users["commune"], kind="feedback", channel="phone", category="payment", text="x",
                             received=d(2026, 1, 9), line=line, complainant_kind="anonymous")
    h = services.hold(c, users["commune"])
    approval.check(run, users["approver"])
    approval.approve(run, users["approver"])
    approval.export(run, user=users["approver"])
    services.release(h, users["province"])
    line.refresh_from_db()
    assert (line.active, line.result, line.result_reason) == (False, "unpaid", "HELD_RELEASED")


def test_sensitive_part_only_for_handler_and_above(users, people):
    c = services.create_case(users["commune"], kind="complaint", channel="phone", category="eligibility",
                             text="Bị đưa ra khỏi danh sách", received=d(2026, 1, 9), person=people[0],
                             complainant_name="Bà Hoa", sensitive="SECRETHIVNOTE")
    for key, sees in (("commune", True), ("commune2", False)):  # before acceptance: the officer who received it
        cl = Client()
        cl.force_login(users[key])
        assert ("SECRETHIVNOTE" in cl.get(f"/complaints/{c.pk}/").content.decode()) is sees, key
    services.accept(c, users["commune"], d(2026, 1, 12))
    for key, sees in (("commune", True), ("commune2", False), ("province", True), ("auditor", False),
                      ("approver", False)):
        cl = Client()
        cl.force_login(users[key])
        body = cl.get(f"/complaints/{c.pk}/").content.decode()
        assert ("SECRETHIVNOTE" in body) is sees, key
        assert "Bị đưa ra khỏi danh sách" in body
    cl = Client()
    cl.force_login(users["other_commune"])
    assert cl.get(f"/complaints/{c.pk}/").status_code == 404


def test_auditor_reads_but_cannot_act(users, people):
    c = services.create_case(users["commune"], kind="complaint", channel="phone", category="payment", text="x",
                             received=d(2026, 1, 9), person=people[0], complainant_name="Bà Hoa")
    cl = Client()
    cl.force_login(users["auditor"])
    assert cl.get("/complaints/").status_code == 200
    assert cl.post(f"/complaints/{c.pk}/accept/", {"day": "12/01/2026"}).status_code == 403
    assert Case.objects.get(pk=c.pk).status == Status.RECEIVED


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def test_posting_pdf_has_no_identifiers_nor_sensitive_detail(users, run, people):
    posting = services.create_posting(run, users["commune"], d(2026, 2, 13))
    assert (posting.starts, posting.ends) == (d(2026, 2, 13), d(2026, 2, 23))
    cl = Client()
    cl.force_login(users["commune"])
    for q in ("", "?village=Thôn Nà 0"):
        resp = cl.get(f"/complaints/postings/{posting.pk}/list.pdf{q}")
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
        text = _pdf_text(resp.content)
        assert "Hoàng Văn Thử 0" in text and "13/02/2026" in text and "23/02/2026" in text
        for p in people:
            assert p.id_number not in text
        for forbidden in ("1002003001", "1002003002", "HIV", "đặc biệt nặng", "nặng", "970405", "Agribank"):
            assert forbidden not in text, forbidden
    assert "Người khuyết tật" in _pdf_text(cl.get(f"/complaints/postings/{posting.pk}/list.pdf").content)
    assert cl.get(f"/complaints/postings/{posting.pk}/list.pdf?village=nowhere").status_code == 404


def test_public_page_records_feedback_without_echo_and_limits_rate(users, run, settings):
    posting = services.create_posting(run, users["commune"], d(2026, 2, 13))
    cl = Client()
    url = f"/public/feedback/{posting.token}/"
    page = cl.get(url)
    assert page.status_code == 200 and "Hoàng Văn Thử" not in page.content.decode()  # the list is not on the page
    import re

    stamp = re.search(r'name="stamp" value="([^"]+)"', page.content.decode()).group(1)
    # sent too fast: refused, nothing stored
    assert cl.post(url, {"stamp": stamp, "text": "Thiếu bà Hoa", "category": "eligibility"}).status_code == 400
    # the hidden field filled: a robot
    from django.core import signing

    old = signing.dumps(int(time.time()) - 10, salt="ansinh.complaints.public")
    assert cl.post(url, {"stamp": old, "text": "spam", "website": "x"}).status_code == 400
    assert Case.objects.count() == 0
    resp = cl.post(url, {"stamp": old, "text": "ECHOTEXT thiếu bà Hoa", "name": "ECHONAME", "contact": "0912345678",
                         "category": "eligibility"})
    body = resp.content.decode()
    assert resp.status_code == 200 and "ECHOTEXT" not in body and "ECHONAME" not in body and "0912345678" not in body
    c = Case.objects.get()
    assert c.code in body and c.kind == "feedback" and c.channel == "online" and c.posting == posting
    assert c.scope_commune_id == run.scope_commune_id
    status = cl.get(f"/public/feedback/status/?code={c.code.lower()}").content.decode()
    assert "Đã tiếp nhận" in status and "ECHOTEXT" not in status and "ECHONAME" not in status
    for _i in range(10):
        last = cl.post(url, {"stamp": old, "text": "lần nữa", "category": "other"})
    assert last.status_code == 429
    assert Case.objects.count() <= 5
    assert cl.get("/public/feedback/not-a-token/").status_code == 404


def test_rate_limit_behind_nginx_counts_the_address_nginx_saw(users, run, settings):
    """Behind the TLS proxy the address is the last X-Forwarded-For entry (nginx appends it); the
    entries before it are the client's own and cannot buy a fresh budget."""
    from django.core import signing

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    posting = services.create_posting(run, users["commune"], d(2026, 2, 13))
    url = f"/public/feedback/{posting.token}/"
    stamp = signing.dumps(int(time.time()) - 10, salt="ansinh.complaints.public")
    cl = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    codes = [cl.post(url, {"stamp": stamp, "text": "x", "category": "other"},
                     HTTP_X_FORWARDED_FOR=f"1.2.3.{i}, 203.0.113.7", secure=True).status_code for i in range(7)]
    assert codes == [200] * 5 + [429] * 2
    other = cl.post(url, {"stamp": stamp, "text": "x", "category": "other"},
                    HTTP_X_FORWARDED_FOR="203.0.113.8", secure=True)
    assert other.status_code == 200
