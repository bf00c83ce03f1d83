"""Complaints in a browser: the commune posts its list; a person scans the QR code of the posted
PDF and sends feedback from the public page (no log-in); the commune officer accepts it, holds
the line, decides; an approver releases the line (maker-checker); the province sees the case
counted."""
from __future__ import annotations

import datetime as dt
import io

from tests.browser.conftest import login


def _qr_url(pdf: bytes) -> str:
    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader

    for page in PdfReader(io.BytesIO(pdf)).pages:
        for img in page.images:
            found = zxingcpp.read_barcodes(Image.open(io.BytesIO(img.data)).convert("L"))
            if found:
                return found[0].text
    raise AssertionError("no QR code in the posting PDF")


def test_feedback_through_the_posted_list_to_a_released_line(browser_page, _playwright_browser, tmp_path,
                                                             monkeypatch, settings):
    from ansinh.complaints import rules
    from ansinh.complaints.models import Case
    from ansinh.core.services import current_unit, upsert_user
    from ansinh.payroll import generate, holds
    from ansinh.registry.models import Enrolment, Person

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(rules, "PUBLIC_MIN_SECONDS", 1)
    page = browser_page
    unit = current_unit("05977")
    upsert_user("xa_dk", "ansinh-demo", roles=["commune_officer"], unit_codes=["05977"], full_name="Vi Thị Mai")
    maker = upsert_user("tinh_c", "ansinh-demo", roles=["province_officer"], unit_codes=["20"])
    upsert_user("duyet_c", "ansinh-demo", roles=["approver"], unit_codes=["20"])
    for i in range(2):
        p = Person.objects.create(full_name=f"Hoàng Văn Niêm {i}", name_key=f"HOANG VAN NIEM {i}",
                                  dob=dt.date(1980, 1, 1), id_number=f"02008012345{i}", commune=unit,
                                  residence_unit=unit, scope_commune=unit, province_code="20", village="Thôn Pò")
        Enrolment.objects.create(person=p, category="5.6-severe", start_month="2024-12", scope_commune=unit,
                                 province_code="20")
    run = generate.generate("2024-12", commune=unit, user=maker)

    # the commune posts its list and prints it
    login(page, "xa_dk")
    page.goto(page.base_url + "/complaints/postings/")
    page.select_option("#run", str(run.pk))
    page.get_by_role("button", name="Lập danh sách niêm yết").click()
    page.wait_for_selector("text=Đã lập danh sách niêm yết")
    pdf_url = page.get_by_role("link", name="Bản in cả xã (PDF)").get_attribute("href")
    pdf = page.request.get(page.base_url + pdf_url).body()
    public_url = _qr_url(pdf)
    assert "/public/feedback/" in public_url

    # a person scans the QR code: no log-in
    anon = _playwright_browser.new_context(locale="vi-VN")
    public = anon.new_page()
    public.goto(public_url)
    assert "Hoàng Văn Niêm" not in public.content()
    public.select_option("#category", "amount")
    public.fill("#text", "Số tiền của ông Hoàng Văn Niêm 0 thấp hơn tháng trước.")
    public.wait_for_timeout(1200)
    public.get_by_role("button", name="Gửi ý kiến").click()
    code = public.inner_text("#tracking-code").strip()
    assert len(code) == rules.CODE_LENGTH and "Hoàng Văn Niêm" not in public.content()
    anon.close()
    case = Case.objects.get(code=code)
    assert case.kind == "feedback" and case.channel == "online" and case.scope_commune_id == unit.pk

    # the commune officer accepts it, holds the line, decides
    page.goto(page.base_url + "/complaints/")
    page.get_by_role("link", name=code).click()
    page.get_by_role("button", name="Thụ lý đơn").click()
    page.wait_for_selector("text=Đã thụ lý.")
    line = run.lines.get(person__full_name="Hoàng Văn Niêm 0")
    page.select_option("#hold-line", str(line.pk))
    page.get_by_role("button", name="Tạm giữ dòng chi trả").click()
    page.wait_for_selector("text=Đã tạm giữ dòng chi trả.")
    line.refresh_from_db()
    assert holds.is_held(line)
    assert page.get_by_role("button", name="Giải phóng dòng chi trả").count() == 0  # not the one who held it
    page.select_option("#outcome", "rejected")
    page.fill("#decision", "Số tiền đúng theo hệ số 1,5; tháng trước có truy lĩnh.")
    page.get_by_role("button", name="Ghi kết quả giải quyết").click()
    page.wait_for_selector("text=Đã ghi kết quả giải quyết.")
    assert page.inner_text("#case-status") == "Đã giải quyết"

    # a second user releases the line (maker-checker)
    page.context.clear_cookies()
    login(page, "duyet_c")
    page.goto(page.base_url + f"/complaints/{case.pk}/")
    page.get_by_role("button", name="Giải phóng dòng chi trả").click()
    page.wait_for_selector("text=Đã giải phóng dòng chi trả.")
    line.refresh_from_db()
    assert not holds.is_held(line) and line.active and line.result == "pending"

    # the province sees the case counted
    page.context.clear_cookies()
    login(page, "tinh_c")
    page.goto(page.base_url + "/complaints/?status=all")
    assert page.inner_text("#count-total") == "1"
    assert page.get_by_role("link", name=code).count() == 1


def test_decision_document_then_second_level_complaint_at_the_province(browser_page, settings, tmp_path):
    """The commune decides a complaint with its document's number and signer, downloads the .docx,
    sees the SMS text to copy; the province files the second-level complaint from the appeal page
    and decides it; a missed deadline shows as an escalation event on the timeline."""
    import zipfile

    from ansinh.complaints import services
    from ansinh.complaints.models import Case
    from ansinh.core.services import current_unit, upsert_user
    from ansinh.registry.models import Person

    settings.MEDIA_ROOT = tmp_path / "media"
    page = browser_page
    unit = current_unit("05977")
    officer = upsert_user("xa_dk2", "ansinh-demo", roles=["commune_officer"], unit_codes=["05977"])
    upsert_user("tinh_d", "ansinh-demo", roles=["province_officer"], unit_codes=["20"])
    p = Person.objects.create(full_name="Hoàng Thị Quyết", name_key="HOANG THI QUYET", dob=dt.date(1950, 1, 1),
                              id_number="020050123456", commune=unit, residence_unit=unit, scope_commune=unit,
                              province_code="20", village="Thôn Pò")
    today = dt.date.today()
    c = services.create_case(officer, kind="complaint", channel="in_person", category="amount", text="Số tiền sai",
                             received=today - dt.timedelta(days=20), person=p, complainant_name="Hoàng Thị Quyết")
    services.accept(c, officer, today - dt.timedelta(days=18))
    late = services.create_case(officer, kind="complaint", channel="letter", category="payment", text="Chưa nhận",
                                received=today - dt.timedelta(days=30), person=p, complainant_name="Hoàng Thị Quyết")
    assert services.escalate_overdue(today) == 1

    login(page, "xa_dk2")
    page.goto(page.base_url + f"/complaints/{c.pk}/")
    page.select_option("#outcome", "rejected")
    page.fill("#decision", "Số tiền đúng theo hệ số.")
    page.fill("#number", "12")
    page.select_option("#signing_mode", "KT.")
    page.fill("#signer_name", "Hoàng Văn Bình")
    page.get_by_role("button", name="Ghi kết quả giải quyết").click()
    page.wait_for_selector("text=Đã ghi kết quả giải quyết.")
    assert "12/QĐ-UBND" in page.inner_text("#case-decision-doc")
    sms = page.inner_text("#sms-text")
    assert c.code in sms and p.id_number not in sms
    href = page.get_by_role("link", name="Quyết định (.docx)").get_attribute("href")
    data = page.request.get(page.base_url + href).body()
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "Số: 12/QĐ-UBND" in xml and "KT. CHỦ TỊCH" in xml and "Hoàng Văn Bình" in xml
    page.goto(page.base_url + f"/complaints/{c.pk}/appeal/")
    assert page.locator("#text").count() == 0  # the commune reads, the province files

    page.context.clear_cookies()
    login(page, "tinh_d")
    page.goto(page.base_url + f"/complaints/{c.pk}/appeal/")
    page.fill("#text", "Không đồng ý với quyết định lần đầu.")
    page.get_by_role("button", name="Tiếp nhận khiếu nại lần hai").click()
    page.wait_for_selector("text=Đã tiếp nhận khiếu nại lần hai")
    second = Case.objects.get(parent=c)
    assert second.level == 2 and page.url.endswith(f"/complaints/{second.pk}/")
    page.get_by_role("button", name="Thụ lý đơn").click()
    page.wait_for_selector("text=Đã thụ lý.")
    page.goto(page.base_url + "/complaints/?status=all&escalated=1")
    assert page.get_by_role("link", name=late.code).count() == 1
    assert page.get_by_role("link", name=c.code).count() == 0
    page.get_by_role("link", name=late.code).click()
    assert "Xã trễ hạn: chuyển tỉnh theo dõi" in page.inner_text("[data-testid=timeline]")
