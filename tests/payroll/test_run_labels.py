"""Issue #12, payroll pages: words where codes were (channels, categories, an unknown commune,
users by full name, the province by name)."""
from __future__ import annotations

import html
import re

from django.test import Client
from django.urls import reverse

from ansinh.payroll.models import PayrollLine, PayrollRun

PASSWORD = "Mk-thu-nghiem-2024"


def _visible(page: str) -> str:
    """The text a person reads: no tags, attributes, scripts or styles."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", body))


def _run(make_person, commune):
    from ansinh.core.services import upsert_user

    maker = upsert_user("lapbang7", PASSWORD, roles=["province_officer"], unit_codes=["20"],
                        full_name="Nguyễn Văn Lập")
    approver = upsert_user("duyetbang7", PASSWORD, roles=["approver"], unit_codes=["20"],
                           full_name="Trần Thị Duyệt")
    run = PayrollRun.objects.create(period="2024-12", province_code=commune.province_code, generated_by=maker,
                                    approved_by=approver, status="approved")
    rows = [("bank", "5.6-severe", commune), ("cash", "", commune), ("ewallet", "ART20", None)]
    for channel, category, unit in rows:
        p = make_person(enrolments=())
        PayrollLine.objects.create(run=run, person=p, programme="tcxh", period_month="2024-12", category=category,
                                   amount=500_000, channel=channel, scope_commune=unit,
                                   province_code=commune.province_code)
    return run


def test_run_page_shows_words_not_codes(make_person, commune):
    from ansinh.units.models import AdminUnit, Level

    run = _run(make_person, commune)
    c = Client()
    assert c.login(username="duyetbang7", password=PASSWORD)
    page = c.get(reverse("payroll:run", args=[run.pk]))
    assert page.status_code == 200
    text = _visible(page.content.decode())
    words = set(re.findall(r"[\w.+-]+", text))
    for code in ("bank", "cash", "ewallet", "5.6-severe", "ART20", "lapbang7", "duyetbang7", "None"):
        assert code not in words, code
    assert "None (None)" not in text and "2024-12" not in text  # months as mm/yyyy
    for label in ("Tài khoản ngân hàng", "Tiền mặt tại điểm bưu điện", "Ví điện tử / Mobile Money",
                  "Người khuyết tật nặng", "Hỗ trợ kinh phí chăm sóc, nuôi dưỡng",
                  "Chưa xác định diện (xem các dòng)", "Chưa xác định xã",
                  "Nguyễn Văn Lập", "Trần Thị Duyệt", commune.name):
        assert label in text, label
    province = AdminUnit.objects.get(code=commune.province_code, level=Level.PROVINCE, valid_to__isnull=True)
    assert f"Toàn tỉnh {province.short_name}" in " ".join(text.split())
    assert not re.search(rf"Toàn tỉnh\s+{commune.province_code}\b", text)


def test_run_list_shows_province_and_users_by_name(make_person, commune):
    from ansinh.units.models import AdminUnit, Level

    _run(make_person, commune)
    c = Client()
    assert c.login(username="duyetbang7", password=PASSWORD)
    text = " ".join(_visible(c.get(reverse("payroll:runs")).content.decode()).split())
    province = AdminUnit.objects.get(code=commune.province_code, level=Level.PROVINCE, valid_to__isnull=True)
    assert f"Toàn tỉnh {province.short_name}" in text
    assert "Nguyễn Văn Lập" in text and "Trần Thị Duyệt" in text
    assert "lapbang7" not in text and "duyetbang7" not in text


def test_result_reasons_in_words_raw_code_only_in_the_tooltip(make_person, commune):
    run = _run(make_person, commune)
    lines = list(run.lines.order_by("id"))
    reasons = ["not_collected", "account_closed", "XYZ-42"]
    for ln, code in zip(lines, reasons):
        PayrollLine.objects.filter(pk=ln.pk).update(result="unpaid", active=False, result_reason=code)
    c = Client()
    assert c.login(username="duyetbang7", password=PASSWORD)
    page = c.get(reverse("payroll:run", args=[run.pk])).content.decode()
    text = _visible(page)
    for code in reasons:
        assert code not in text, code
        assert f'data-reason="{code}"' in page  # kept for the tooltip
    for words in ("Người hưởng không đến nhận", "Tài khoản đã đóng", "Lý do khác của đơn vị chi trả"):
        assert words in text, words


def test_province_files_name_the_province(make_person, commune):
    from ansinh.core.selectors import province_short_name
    from ansinh.payroll.files import run_scope_label

    run = _run(make_person, commune)
    name = province_short_name(commune.province_code)
    assert name and run_scope_label(run) == f"Toàn tỉnh {name}"
    run.scope_commune = commune
    assert run_scope_label(run) == commune.name
