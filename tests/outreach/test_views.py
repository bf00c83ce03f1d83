"""Pages, tried as a new user would: the commune culture office logs in, sees its task, reports
with a photo; the department officer sees it counted. Organisation scope, public page, exports."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document

from ansinh.core.demo import DEMO_PASSWORD
from ansinh.outreach.models import Directive, DirectiveStatus, Report, Task

from .conftest import PNG, same_image

pytestmark = pytest.mark.django_db


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=DEMO_PASSWORD)
    return c


def _count(html: str, code: str) -> int:
    marker = f'data-testid="count-{code}">'
    i = html.index(marker) + len(marker)
    return int(html[i:html.index("<", i)])


def test_culture_office_reports_with_a_photo_and_the_department_sees_it_counted(demo):
    task = Task.objects.get(directive_id=demo["directive"], recipient__name="Phòng Văn hóa - Xã hội phường Đông Kinh")
    dept = login("tinh")
    before = dept.get("/outreach/summary/").content.decode()
    reported_before = _count(before, "reported")
    assert "Phòng Văn hóa - Xã hội phường Đông Kinh" not in dept.get("/outreach/summary/?by=unit").content.decode()\
        .split('data-testid="totals"')[1].split("</table>")[0]

    c = login("vhxh_dongkinh")
    home = c.get("/outreach/").content.decode()
    assert f'/outreach/tasks/{task.pk}/' in home and "Phát bản tin trên đài truyền thanh phường" in home
    assert "Báo Lạng Sơn" not in home  # only its own organisation's tasks
    page = c.get(f"/outreach/tasks/{task.pk}/").content.decode()
    assert 'data-testid="report-form"' in page
    r = c.post(f"/outreach/tasks/{task.pk}/", {
        "period_start": "01/02/2024", "period_end": dt.date.today().strftime("%d/%m/%Y"),
        "commune_broadcasts": "15", "broadcast_minutes": "150", "loudspeaker_clusters": "9", "banners": "4",
        "leaflets": "300", "meetings": "2", "attendees": "85", "door_to_door_visits": "40", "articles": "0",
        "tv_radio_pieces": "0", "notes": "Phát bản tin 3 lần/tuần",
        "evidence": SimpleUploadedFile("loa-khu-pho.png", PNG, content_type="image/png")})
    assert r.status_code == 302, r.content.decode()[:2000]
    page = c.get(f"/outreach/tasks/{task.pk}/").content.decode()
    assert "loa-khu-pho.png" in page and "Đã báo cáo" in page
    report = Report.objects.get(task=task)
    ev = report.evidence.get()
    assert same_image(c.get(f"/outreach/evidence/{ev.pk}/").getvalue())  # re-encoded, same pixels

    after = dept.get("/outreach/summary/").content.decode()
    assert _count(after, "reported") == reported_before + 1
    table = dept.get("/outreach/summary/?by=unit").content.decode().split('data-testid="totals"')[1]
    row = table.split("Phòng Văn hóa - Xã hội phường Đông Kinh")[1].split("</tr>")[0]
    assert ">15<" in row and ">300<" in row and ">40<" in row
    assert dept.get(f"/outreach/evidence/{ev.pk}/").status_code == 200
    detail = dept.get(f"/outreach/directives/{task.directive_id}/").content.decode()
    assert _count(detail, "overdue") >= 8


def test_outreach_user_sees_only_its_organisation(demo):
    other = Task.objects.filter(directive_id=demo["directive"], recipient__name="Báo Lạng Sơn").first()
    mine = Task.objects.get(directive_id=demo["directive"], recipient__name="Phòng Văn hóa - Xã hội phường Đông Kinh")
    c = login("vhxh_dongkinh")
    assert c.get(f"/outreach/tasks/{other.pk}/").status_code == 404
    r = c.post(f"/outreach/tasks/{other.pk}/", {"period_start": "01/02/2024", "period_end": "02/02/2024",
                                                 "articles": "5"})
    assert r.status_code == 404 and not Report.objects.filter(task=other, articles=5).exists()
    bao_report = Report.objects.filter(task=other).first()
    assert bao_report is not None
    summary = c.get("/outreach/summary/").content.decode()
    assert "Báo Lạng Sơn" not in summary
    bao = login("baolangson")
    assert bao.get(f"/outreach/tasks/{mine.pk}/").status_code == 404
    assert bao.get(f"/outreach/tasks/{other.pk}/").status_code == 200
    # A commune officer (unit scope) sees the tasks of the commune, not the province's newspaper.
    dk = login("dongkinh")
    assert dk.get(f"/outreach/tasks/{mine.pk}/").status_code == 200
    assert dk.get(f"/outreach/tasks/{other.pk}/").status_code == 404


def test_department_manages_and_outreach_cannot(demo):
    from ansinh.core.models import Organisation
    from ansinh.outreach import services

    d = services.create_directive(Organisation.objects.get(symbol="STTTT"), symbol="STTTT-TTBCXB",
                                  subject="báo cáo kết quả tuyên truyền quý I", date=dt.date(2024, 4, 2))
    c = login("vhxh_dongkinh")
    assert c.get(f"/outreach/directives/{d.pk}/").status_code == 404  # a draft with no task of theirs
    dept = login("tinh")
    assert dept.get(f"/outreach/directives/{d.pk}/").status_code == 200
    assert dept.post(f"/outreach/directives/{d.pk}/issue/").status_code == 302
    d.refresh_from_db()
    assert d.status == DirectiveStatus.ISSUED and d.number == 2  # the seed letter has number 1 of 2024
    attach = SimpleUploadedFile("ke-hoach.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    assert dept.post(f"/outreach/directives/{d.pk}/attach/", {"title": "Kế hoạch", "file": attach}).status_code == 302
    assert dept.post(f"/outreach/directives/{d.pk}/publish/").status_code == 302
    d.refresh_from_db()
    assert d.status == DirectiveStatus.PUBLISHED
    assert login("pheduyet").post(f"/outreach/directives/{d.pk}/publish/").status_code == 403
    r = dept.get(f"/outreach/directives/{d.pk}/file.docx")
    assert r.status_code == 200 and Document(io.BytesIO(r.content)).tables[0].cell(1, 0).paragraphs[0].text == \
        "Số: 02/STTTT-TTBCXB"


def test_public_page_lists_published_directives_without_log_in(demo):
    from ansinh.core.models import Organisation
    from ansinh.outreach import services

    draft = services.create_directive(Organisation.objects.get(symbol="STTTT"), symbol="STTTT-TTBCXB",
                                      subject="dự thảo chưa công bố")
    anon = Client()
    r = anon.get("/public/directives/")
    assert r.status_code == 200
    html = r.content.decode()
    seed = Directive.objects.get(pk=demo["directive"])
    assert seed.number_symbol in html and "V/v tuyên truyền Kết luận của Ban Thường vụ Tỉnh ủy" in html and "dự thảo chưa công bố" not in html
    a = seed.attachments.get()
    assert f"/public/directives/attachments/{a.pk}/" in html
    dl = anon.get(f"/public/directives/attachments/{a.pk}/")
    assert dl.status_code == 200 and b"".join(dl.streaming_content)[:2] == b"PK"
    assert anon.get(f"/public/directives/{seed.pk}/").status_code == 200
    assert anon.get(f"/public/directives/{draft.pk}/").status_code == 404
    assert anon.get(f"/public/directives/{draft.pk}/file.docx").status_code == 404
    assert anon.get("/outreach/").status_code == 302  # the rest needs a log-in


def test_exports_xlsx_and_docx(demo):
    dept = login("tinh")
    r = dept.get("/outreach/summary/?by=unit&format=xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][:2] == ("Nhóm", "Số báo cáo")
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Báo Lạng Sơn"][1] == 1 and by_name["Báo Lạng Sơn"][2] == 12
    assert sum(row[1] for row in rows[2:]) == 5
    r = dept.get("/outreach/summary/?by=topic&format=docx")
    doc = Document(io.BytesIO(r.content))
    cells = [c.text for c in doc.tables[0].rows[1].cells]
    assert cells[0] == "Chi trả an sinh xã hội không dùng tiền mặt" and cells[1] == "5"
    states = [row.cells[3].text for row in doc.tables[1].rows[1:]]
    assert "Quá hạn" in states and "Đã báo cáo" in states
    r = dept.get("/outreach/summary/?by=period")
    assert "02/2024" in r.content.decode() and "03/2024" in r.content.decode()


def _registry_people(code: str, n: int, with_accounts: int):
    from ansinh.registry.models import Enrolment, PaymentAccount, Person
    from ansinh.units.models import AdminUnit

    unit = AdminUnit.objects.get(code=code, level=3, valid_to__isnull=True)
    people = Person.objects.bulk_create([Person(full_name=f"Người {i}", name_key=f"NGUOI {i}", commune=unit,
                                                scope_commune=unit, province_code="20") for i in range(n)])
    Enrolment.objects.bulk_create([Enrolment(person=p, category="5.5c", start_month="2023-01", scope_commune=unit,
                                             province_code="20") for p in people])
    PaymentAccount.objects.bulk_create([PaymentAccount(person=p, account_number=f"1000{i}", provider="970405")
                                        for i, p in enumerate(people[:with_accounts])])
    return unit


def test_bulletin_and_effect_pages(demo):
    _registry_people("05977", 10, 4)
    c = login("dongkinh")
    r = c.get(f"/outreach/bulletin/?commune=05977&as_of={dt.date.today():%d/%m/%Y}")
    text = r.content.decode()
    assert "có 10 người đang hưởng" in text and "4 người đã có tài khoản" in text and "đạt 40%" in text
    assert "từ 70% đến 80%" in text and "31/12/2024" in text  # the last target of the seed letter
    # Accounts opened after the as-of date do not count.
    early = c.get("/outreach/bulletin/?commune=05977&as_of=01/12/2024").content.decode()
    assert "0 người đã có tài khoản" in early and "đến ngày 31/12/2024" in early
    assert c.get("/outreach/bulletin/?commune=06187").status_code == 404  # not their commune
    dept = login("tinh")
    eff = dept.get("/outreach/effect/?start=01/01/2024&end=31/12/2030").content.decode()
    table = eff.split('data-testid="effect-table"')[1]
    assert "Phường Đông Kinh" in table


def test_api_reads_through_the_organisation_scope(demo):
    c = login("vhxh_dongkinh")
    tasks = c.get("/api/outreach/tasks").json()
    assert [t["recipient"] for t in tasks] == ["Phòng Văn hóa - Xã hội phường Đông Kinh"]
    assert tasks[0]["state"] == "pending"
    assert [d["number_symbol"] for d in c.get("/api/outreach/directives").json()] == ["01/STTTT-TTBCXB"]
    dept = login("tinh")
    states = [t["state"] for t in dept.get("/api/outreach/tasks").json()]
    # The letter asks for reports "khi có yêu cầu": the newspaper, the station and 3 district offices
    # reported when asked in 2024, the 8 other offices are overdue; the newspaper's latest request and
    # the ward's current task are not due yet.
    assert len(states) == 15 and states.count("reported") == 5 and states.count("overdue") == 8
    assert states.count("pending") == 2
    assert Client().get("/api/outreach/tasks").status_code == 401
    assert c.get("/api/outreach/bulletin?commune=05977").status_code == 404  # no unit scope
    assert login("dongkinh").get("/api/outreach/bulletin?commune=05977").json()["commune_name"] == "Phường Đông Kinh"


def test_department_drafts_a_directive_in_the_form(demo):
    from ansinh.core.models import Organisation
    from ansinh.outreach.models import Topic

    org = {o.symbol or o.name: o for o in Organisation.objects.all()}
    dept = login("tinh")
    assert dept.get("/outreach/directives/new/").status_code == 200
    assert login("vhxh_dongkinh").get("/outreach/directives/new/").status_code == 403
    topic = Topic.objects.get(code="chi-tra-khong-dung-tien-mat")
    form = {"organisation": org["SVHTTDL"].pk, "superior_body": "UBND TỈNH LẠNG SƠN", "symbol": "SVHTTDL-TTCS",
            "place": "Lạng Sơn", "date": "09/01/2026", "subject": "V/v tuyên truyền mở tài khoản",
            "recipients": [org["BLS"].pk, org["VHXH"].pk], "topics": [topic.pk],
            "implements": "404/VP-KGVX | | Văn phòng UBND tỉnh | chi trả không dùng tiền mặt\n121/SLĐTBXH-BTXHTE",
            "body": "Đoạn một.\n\nĐoạn hai.", "signing_mode": "KT.", "signing_authority": "GIÁM ĐỐC",
            "signer_title": "PHÓ GIÁM ĐỐC", "signer_name": "Trần Văn B", "archive": "VT, TTCS",
            "cc": "Giám đốc Sở", "task": "Đăng tin, phát bản tin", "due_date": "31/01/2026",
            "periodicity": "once"}
    bad = dict(form, implements="404/VP-KGVX | 32/13/2024")
    assert "ngày không hợp lệ" in dept.post("/outreach/directives/new/", bad).content.decode()
    r = dept.post("/outreach/directives/new/", form)
    assert r.status_code == 302
    d = Directive.objects.get(symbol="SVHTTDL-TTCS")
    assert d.status == DirectiveStatus.DRAFT and d.number is None and d.subject == "tuyên truyền mở tài khoản"
    assert d.tasks.count() == 2 and [i.number_symbol for i in d.implements.all()] == ["404/VP-KGVX",
                                                                                      "121/SLĐTBXH-BTXHTE"]
    dept.post(f"/outreach/directives/{d.pk}/issue/")
    d.refresh_from_db()
    assert d.number == 1 and d.year == 2026 and d.date == dt.date(2026, 1, 9)
    doc = Document(io.BytesIO(dept.get(f"/outreach/directives/{d.pk}/file.docx").content))
    texts = [p.text for p in doc.paragraphs]
    k = texts.index("Kính gửi:")
    assert texts[k + 1:k + 3] == ["- Báo Lạng Sơn;", "- Phòng Văn hóa - Xã hội phường Đông Kinh."]
    assert doc.tables[0].cell(1, 1).paragraphs[0].text == "Lạng Sơn, ngày 09 tháng 01 năm 2026"
    assert [p.text for p in doc.tables[-1].cell(0, 0).paragraphs] == [
        "Nơi nhận:", "- Như trên;", "- Giám đốc Sở;", "- Lưu: VT, TTCS."]


def test_grouped_coverage_matches_the_single_commune_count(demo):
    from ansinh.outreach import selectors

    a = _registry_people("05977", 9, 3)
    b = _registry_people("06079", 5, 5)
    today = dt.date.today()
    grouped = selectors.coverage_by_commune([a, b], today)
    assert grouped == {a.pk: selectors.coverage(a, today), b.pk: selectors.coverage(b, today)} == {
        a.pk: (9, 3), b.pk: (5, 5)}
    start = dt.date(2023, 6, 1)  # enrolled since 2023-01, accounts opened today
    assert selectors.coverage(a, start) == (9, 0)
    assert selectors.coverage_by_commune([a, b], start) == {a.pk: (9, 0), b.pk: (5, 0)}
    assert selectors.coverage_by_commune([a, b], dt.date(2022, 1, 1)) == {}
    rows = selectors.effect(get_user_model().objects.get(username="tinh"), start, today, "20")
    by_code = {r["code"]: r for r in rows}
    assert by_code["05977"]["share_start"] == 0.0 and by_code["05977"]["share_end"] == 33.3
    assert by_code["05977"]["change"] == 33.3 and by_code["06079"]["change"] == 100.0
    # Neither commune has an outreach report: both are flagged as missing outreach and ranked first.
    assert by_code["05977"]["missing"] and rows[0]["missing"]


def test_effect_counts_a_district_report_for_its_communes_and_no_zero_without_data(demo):
    """The demo's district culture offices report on their old-map district: each current commune
    of that district counts the report (the effect chart no longer puts every commune at x = 0);
    a commune with nobody counted has no share and no change (None), never 0."""
    from ansinh.outreach import selectors
    from ansinh.units.models import AdminUnit, Level

    rows = selectors.effect(get_user_model().objects.get(username="tinh"), dt.date(2024, 1, 1), dt.date.today(), "20")
    reported = [r for r in rows if not r["missing"]]
    assert reported and all(r["reports"] >= 1 and r["actions"] > 0 for r in reported)
    trang_dinh = AdminUnit.objects.get(level=Level.DISTRICT, province_code="20", name__endswith="Tràng Định",
                                       valid_to__isnull=False)
    assert any(AdminUnit.objects.filter(parent=trang_dinh, successions__successor_id=r["unit"].pk).exists()
               or r["unit"].parent_id == trang_dinh.pk for r in reported)
    for r in rows:
        if r["beneficiaries"] == 0:
            assert r["share_end"] is None and r["change"] is None
    page = login("tinh").get("/outreach/effect/?start=01/01/2024&end=31/12/2030").content.decode()
    assert "điểm %%" not in page and "%%" not in page
