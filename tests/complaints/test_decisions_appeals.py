"""Decision documents, the notice and the SMS text, second-level complaints, the court, escalation
as an event, change requests from a case, the API (SQLite and PostgreSQL; the pure parts without)."""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.test import Client

from ansinh.complaints import deadlines, documents, services
from ansinh.complaints.models import Case, Event, Status
from ansinh.core.jobs import BadInput

d = dt.date
PW = "Mk-thu-nghiem-2024"


# --------------------------------------------------------------------------- pure

def test_appeal_period_worked_examples():
    # Art. 33: 30 calendar days from the first decision (Civil Code: from the day after).
    assert deadlines.due_appeal(d(2026, 3, 2), d(2026, 3, 16), received=d(2026, 1, 9)) == d(2026, 4, 1)
    # ... the last day a Sunday: the next working day (Art. 148.5)
    assert deadlines.due_appeal(d(2026, 2, 6), d(2026, 3, 16), received=d(2026, 1, 9)) == d(2026, 3, 9)
    # remote and extremely difficult area: 45 days
    assert deadlines.due_appeal(d(2026, 3, 2), d(2026, 3, 16), received=d(2026, 1, 9), remote=True) == d(2026, 4, 16)
    # never decided: from the last day to decide
    assert deadlines.due_appeal(None, d(2026, 3, 16), received=d(2026, 1, 9)) == d(2026, 4, 15)
    assert not deadlines.may_appeal(None, d(2026, 3, 16), d(2026, 3, 16))
    assert deadlines.may_appeal(None, d(2026, 3, 16), d(2026, 3, 17))
    assert deadlines.may_appeal(d(2026, 3, 1), d(2026, 3, 16), d(2026, 3, 1))


def test_who_decides_is_dated_data():
    assert deadlines.decider_for(1, d(2025, 6, 30)).unit_level == "district"
    assert deadlines.decider_for(1, d(2025, 7, 1)).unit_level == "commune"
    assert deadlines.decider_for(2, d(2025, 7, 1)).unit_level == "province"
    assert deadlines.decider_for(2, d(2024, 1, 1)).unit_level == "province"


def test_free_text_loses_long_numbers():
    assert documents.no_numbers("TK 1002003001, CCCD 020088000001, hẹn 15/3") == "TK …3001, CCCD …0001, hẹn 15/3"


def test_sms_text_without_database():
    c = Case(code="ABCDEFGH23", kind="complaint", level=1, status=Status.DECIDED, outcome="partly",
             received_on=d(2026, 1, 9), accepted_on=d(2026, 1, 12), due_decide=d(2026, 2, 11),
             decided_on=d(2026, 2, 2), decision_number=7, decision_symbol="QĐ-UBND", decision_date=d(2026, 2, 2),
             decider_title="Chủ tịch Ủy ban nhân dân xã Hồng Phong", complainant_name="Bà Hoa",
             decision="Trả bù 1.000.000 đ vào tài khoản 1002003001", sensitive="Nhiễm HIV",
             complainant_contact="0912345678")
    text = documents.sms_text(c, "https://ansinh.example/public/feedback/status/")
    assert text.startswith("Ủy ban nhân dân xã Hồng Phong: đơn mã ABCDEFGH23")
    assert "07/QĐ-UBND" in text and "04/03/2026" in text  # the decision; the last day to appeal
    for secret in ("1002003001", "0912345678", "HIV", "Trả bù"):
        assert secret not in text
    assert len(text) <= documents.SMS_MAX


# --------------------------------------------------------------------------- database



def _complaint(users, people, received=d(2026, 1, 9), **kw):
    return services.create_case(users["commune"], kind="complaint", channel="in_person", category="account",
                                text="Tài khoản 1002003001 không phải của tôi", received=received, person=people[0],
                                complainant_name="Hoàng Văn Thử 0", complainant_contact="0912345678",
                                sensitive="Nhiễm HIV", **kw)


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("word/document.xml").decode("utf-8")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db
def test_the_complainants_contact_is_encrypted_at_rest(users, people):
    from django.db import connection

    case = _complaint(users, people)
    with connection.cursor() as cur:
        cur.execute("SELECT complainant_contact FROM complaints_case WHERE id = %s", [case.pk])
        stored = cur.fetchone()[0]
    assert stored.startswith("e1:") and "0912345678" not in stored
    assert type(case).objects.get(pk=case.pk).complainant_contact == "0912345678"


@pytest.mark.django_db
def test_decision_document_notice_and_sms(users, people):
    c = _complaint(users, people)
    services.accept(c, users["commune"], d(2026, 1, 12))
    c = services.decide(c, users["commune"], d(2026, 2, 2), outcome="partly",
                        decision="Đổi sang tài khoản đúng chủ; trả bù tháng 01/2026 (TK cũ 1002003001).",
                        number=7, signer_name="Hoàng Văn Chủ", signing_mode="KT.")
    assert c.decider_title == "Chủ tịch Ủy ban nhân dân phường Đông Kinh"
    assert (c.decision_number, c.decision_date, c.signer_title) == (7, d(2026, 2, 2), "Phó Chủ tịch")
    xml = _docx_text(documents.decision_docx(c))
    for words in ("QUYẾT ĐỊNH", "Về việc giải quyết khiếu nại lần đầu của Hoàng Văn Thử 0", "Số: 07/QĐ-UBND",
                  "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG ĐÔNG KINH", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hoàng Văn Chủ",
                  "Điều 1. Kết luận nội dung khiếu nại của Hoàng Văn Thử 0 là đúng một phần", "Như Điều 3", "Luật Khiếu nại", "Chủ tịch Ủy ban nhân dân tỉnh"):
        assert words in xml, words
    notice = _pdf_text(documents.notice_pdf(c, "https://x.example/public/feedback/status/"))
    assert "THÔNG BÁO" in notice and c.code in notice
    for text in (xml, notice):
        for secret in (people[0].id_number, "1002003001", "0912345678", "HIV"):
            assert secret not in text


@pytest.mark.django_db
def test_decision_pages_and_sms_copy_button(users, people):
    c = _complaint(users, people)
    services.accept(c, users["commune"], d(2026, 1, 12))
    services.decide(c, users["commune"], d(2026, 2, 2), outcome="upheld", decision="Đúng", number=3)
    web = Client()
    web.force_login(users["commune"])
    page = web.get(f"/complaints/{c.pk}/").content.decode()
    assert 'data-copy="#sms-text"' in page and "03/QĐ-UBND" in page
    r = web.get(f"/complaints/{c.pk}/decision.docx")
    assert r.status_code == 200 and "QUYẾT ĐỊNH" in _docx_text(r.content)
    r = web.get(f"/complaints/{c.pk}/notice.pdf")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    other = Client()
    other.force_login(users["other_commune"])
    assert other.get(f"/complaints/{c.pk}/decision.docx").status_code == 404
    auditor = Client()
    auditor.force_login(users["auditor"])
    assert 'id="sms-text"' not in auditor.get(f"/complaints/{c.pk}/").content.decode()


@pytest.mark.django_db
def test_second_level_complaint(users, people):
    c = _complaint(users, people)
    services.accept(c, users["commune"], d(2026, 1, 12))  # due to decide 11/02/2026
    with pytest.raises(BadInput):  # not decided, period not over
        services.appeal(c, users["province"], d(2026, 2, 10), text="Chưa được giải quyết")
    with pytest.raises(services.NotAllowed):  # the commune does not take its own appeal
        services.appeal(c, users["commune"], d(2026, 2, 20), text="x")
    services.decide(c, users["commune"], d(2026, 2, 2), outcome="rejected", decision="Không có cơ sở")
    with pytest.raises(BadInput):  # after Art. 33's period (04/03/2026) without a reason
        services.appeal(Case.objects.get(pk=c.pk), users["province"], d(2026, 3, 5), text="Không đồng ý")
    second = services.appeal(Case.objects.get(pk=c.pk), users["province"], d(2026, 3, 2), text="Không đồng ý")
    assert (second.level, second.parent_id, second.scope_commune_id) == (2, c.pk, c.scope_commune_id)
    assert second.due_accept == d(2026, 3, 12)  # Art. 36: 10 days
    assert second.complainant_name == "Hoàng Văn Thử 0"
    with pytest.raises(BadInput):
        services.appeal(Case.objects.get(pk=c.pk), users["province"], d(2026, 3, 2), text="again")
    with pytest.raises(services.NotAllowed):  # the commune reads it, the province handles it
        services.accept(second, users["commune"], d(2026, 3, 3))
    second = services.accept(second, users["province"], d(2026, 3, 3))
    assert second.due_decide == d(2026, 4, 17)  # Art. 37: 45 days (17/04 a Friday)
    second = services.decide(second, users["province"], d(2026, 4, 1), outcome="partly", decision="Đúng một phần")
    assert second.decider_title.startswith("Chủ tịch Ủy ban nhân dân tỉnh")
    assert "khởi kiện vụ án hành chính" in _docx_text(documents.decision_docx(second))
    assert Event.objects.filter(case=c, action="appealed").count() == 1
    web = Client()
    web.force_login(users["commune"])
    page = web.get(f"/complaints/{c.pk}/appeal/").content.decode()
    assert second.code in page and 'name="text"' not in page
    web.force_login(users["province"])
    assert web.get(f"/complaints/{c.pk}/appeal/").status_code == 200
    assert web.get(f"/complaints/{second.pk}/appeal/").status_code == 404  # a second level has none


@pytest.mark.django_db
def test_appeal_page_files_one(users, people):
    c = _complaint(users, people, received=d(2026, 1, 9))
    services.accept(c, users["commune"], d(2026, 1, 12))
    web = Client()
    web.force_login(users["province"])
    r = web.post(f"/complaints/{c.pk}/appeal/", {"received": "20/02/2026", "text": "Quá hạn chưa giải quyết",
                                                 "channel": "letter"})
    second = Case.objects.get(parent=c)
    assert r.status_code == 302 and r["Location"] == f"/complaints/{second.pk}/"


@pytest.mark.django_db
def test_court_closes_the_case(users, people):
    c = _complaint(users, people)
    services.accept(c, users["commune"], d(2026, 1, 12))
    c = services.record_court(c, users["commune"], d(2026, 1, 20), "TAND tỉnh")
    assert c.status == Status.COURT and c.court_on == d(2026, 1, 20)
    assert services.escalate_overdue(d(2026, 6, 1)) == 0  # no longer the commune's to decide
    with pytest.raises(BadInput):
        services.appeal(c, users["province"], d(2026, 2, 20), text="x")


@pytest.mark.django_db
def test_escalation_recorded_once_and_seen_by_the_province(users, people):
    late = _complaint(users, people, received=d(2026, 1, 9))  # not accepted by 19/01
    on_time = _complaint(users, people, received=d(2026, 1, 9))
    services.accept(on_time, users["commune"], d(2026, 1, 12))
    assert services.escalate_overdue(d(2026, 1, 19)) == 0
    assert services.escalate_overdue(d(2026, 1, 20)) == 1
    assert services.escalate_overdue(d(2026, 1, 21)) == 0  # once
    ev = Event.objects.get(action="escalated")
    assert ev.case_id == late.pk and (ev.scope_commune_id, ev.province_code) == (late.scope_commune_id, "20")
    assert Case.objects.get(pk=late.pk).escalated_on == d(2026, 1, 20)
    web = Client()
    web.force_login(users["province"])
    page = web.get("/complaints/?status=all&escalated=1").content.decode()
    assert late.code in page and on_time.code not in page
    assert "Xã trễ hạn: chuyển tỉnh theo dõi" in web.get(f"/complaints/{late.pk}/").content.decode()
    web.force_login(users["other_commune"])
    assert late.code not in web.get("/complaints/?status=all&escalated=1").content.decode()


@pytest.mark.django_db
def test_escalation_sql_equals_the_pure_rule(users, people):
    """services.missed (SQL) selects exactly the cases selectors.due_state calls escalated."""
    from ansinh.complaints.selectors import due_state

    base = d(2026, 1, 5)
    made = []
    for i in range(40):
        c = _complaint(users, people, received=base + dt.timedelta(days=i % 9))
        step = i % 5
        if step >= 1:
            c = services.accept(c, users["commune"], c.received_on + dt.timedelta(days=(i * 3) % 14))
        if step == 2:
            c = services.decide(c, users["commune"], c.accepted_on + dt.timedelta(days=(i * 7) % 50),
                                outcome="upheld", decision="x")
        if step == 3:
            c = services.record_court(c, users["commune"], c.accepted_on + dt.timedelta(days=(i * 5) % 45))
        if step == 4 and i % 2:
            c = Case.objects.get(pk=c.pk)
        made.append(c.pk)
    refused = _complaint(users, people, received=base)
    services.refuse(refused, users["commune"], d(2026, 1, 30), "Ngoài thẩm quyền")
    made.append(refused.pk)
    for today in (d(2026, 1, 10), d(2026, 1, 20), d(2026, 2, 20), d(2026, 4, 1)):
        sql = set(services.missed(Case.objects.filter(pk__in=made), today).values_list("pk", flat=True))
        pure = {c.pk for c in Case.objects.filter(pk__in=made) if due_state(c, today)["escalated"]}
        assert sql == pure, today


@pytest.mark.django_db
def test_change_requests_open_in_the_review_queue(users, people):
    from ansinh.registry import review
    from ansinh.registry.models import IssueStatus, PaymentAccount, QualityIssue

    c = _complaint(users, people)
    issue = services.open_review(c, users["commune"], "account", "Con gái đề nghị đổi tài khoản")
    assert issue.rule == "COMPLAINT_ACCOUNT" and issue.details["case"] == c.pk
    assert issue.scope_commune_id == people[0].scope_commune_id
    with pytest.raises(BadInput):
        services.open_review(c, users["commune"], "account")
    with pytest.raises(services.NotAllowed):
        services.open_review(c, users["auditor"], "category")
    web = Client()
    web.force_login(users["commune"])
    queue = web.get("/registry/review/?rule=COMPLAINT_ACCOUNT").content.decode()
    assert f'href="/complaints/{c.pk}/"' in queue and f"/registry/issues/{issue.pk}/account/" in queue
    assert "Theo đơn: thay đổi tài khoản nhận tiền" in web.get(f"/complaints/{c.pk}/").content.decode()
    review.add_account(issue, users["commune"], "970405", "1002003009999")
    issue.refresh_from_db()
    assert issue.status == IssueStatus.FIXED
    assert PaymentAccount.objects.filter(person=people[0], account_number="1002003009999").exists()
    cat = services.open_review(c, users["commune"], "category")
    review.fix_issue(cat, users["commune"], "category", "5.5")
    assert QualityIssue.objects.get(pk=cat.pk).status == IssueStatus.FIXED
    ev = Event.objects.filter(case=c, action="review").order_by("id")
    assert [e.issue_id for e in ev] == [issue.pk, cat.pk]


@pytest.mark.django_db
def test_api_scoped_and_sensitive(users, people):
    c = _complaint(users, people)
    web = Client()
    web.force_login(users["commune"])
    rows = web.get("/api/complaints/cases?status=all").json()
    assert [r["code"] for r in rows] == [c.code] and rows[0]["sensitive"] == "Nhiễm HIV"
    one = web.get(f"/api/complaints/cases/{c.pk}").json()
    assert one["due_accept"] == "2026-01-19" and one["state"] in ("breached", "on_track", "at_risk")
    web.force_login(users["auditor"])
    one = web.get(f"/api/complaints/cases/{c.pk}").json()
    assert one["sensitive"] is None and one["complainant_contact"] is None
    web.force_login(users["other_commune"])
    assert web.get("/api/complaints/cases?status=all").json() == []
    assert web.get(f"/api/complaints/cases/{c.pk}").status_code == 404
    r = web.post("/api/complaints/feedback", json.dumps({"text": "Loa thôn không nghe rõ", "commune": "05977"}),
                 content_type="application/json")
    assert r.status_code == 404  # another commune's
    web.force_login(users["commune"])
    r = web.post("/api/complaints/feedback", json.dumps({"text": "Loa thôn không nghe rõ", "commune": "05977",
                                                         "channel": "radio", "received": "2026-01-12"}),
                 content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "feedback" and body["complainant"] == "" and body["due_accept"] == "2026-01-26"
    web.force_login(users["auditor"])
    r = web.post("/api/complaints/feedback", json.dumps({"text": "x", "commune": "05977"}),
                 content_type="application/json")
    assert r.status_code == 403
