"""The home page is the day's work of the signed-in role, each item with a link that opens (never a
403/404), read through the apps' selectors with the user's scope; numbers in Vietnamese format."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from ansinh.core.demo import DEMO_PASSWORD
from tests.web.demo_site import ROLES, demo_site  # noqa: F401

pytestmark = pytest.mark.django_db

UNFORMATTED = re.compile(r"\b\d{5,}\b")


class _Text(HTMLParser):
    """Text a person reads: no script/style, nothing inside an element marked data-code (ID numbers,
    account numbers, unit codes), nothing in a hidden element."""

    SKIP = {"script", "style", "template", "title"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []  # skipping, per open element
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag in self.VOID:
            return
        skip = (tag in self.SKIP or "data-code" in a or "hidden" in a or (self.stack and self.stack[-1]))
        self.stack.append(bool(skip))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def read(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=DEMO_PASSWORD)
    return c


def _home(username: str) -> tuple[Client, str, _Text]:
    c = login(username)
    r = c.get("/")
    assert r.status_code == 200
    html = r.content.decode()
    return c, html, read(html)


@pytest.mark.parametrize("username", ROLES)
def test_every_link_on_the_home_page_opens_and_numbers_are_formatted(demo_site, username):
    c, html, page = _home(username)
    text = " ".join(page.parts)
    assert not UNFORMATTED.findall(text), (username, UNFORMATTED.findall(text))
    for href in sorted({h.split("#")[0] for h in page.links if h.startswith("/") and h != "#"}):
        status = c.get(href).status_code
        assert status in (200, 302), (username, href, status)


def test_approver_sees_the_run_waiting_for_approval(demo_site):
    from ansinh.payroll.models import PayrollRun

    run = PayrollRun.objects.get(period="2024-12")
    c, html, page = _home("pheduyet")
    assert 'data-work="run-approve"' in html and "Phê duyệt bảng chi trả tháng 12/2024" in html
    assert f"/payroll/runs/{run.pk}/" in page.links
    assert "Hoàng Văn Minh" in html and "Nguyễn Thị Lan (Sở Y tế)" in html  # users by name, not login
    # the maker does not get it to approve, but sees it waiting for someone else
    _, html_tinh, _ = _home("tinh")
    assert 'data-work="run-approve"' not in html_tinh and 'data-work="run-wait"' in html_tinh
    # nor does the auditor (reads, never approves), who gets the runs to check
    _, html_audit, page_audit = _home("kiemtoan")
    assert 'data-work="run-approve"' not in html_audit and 'data-testid="audit"' in html_audit
    assert f"/payroll/runs/{run.pk}/" in page_audit.links


def test_commune_officer_sees_own_commune_against_the_target(demo_site):
    from ansinh.units.models import AdminUnit

    dong_kinh = AdminUnit.objects.get(code="05977", level=3, valid_to__isnull=True)
    c, html, page = _home("dongkinh")
    assert 'data-testid="commune-coverage"' in html and "Phường Đông Kinh" in html
    assert f"/accounts/units/{dong_kinh.pk}/" in page.links
    assert "Chỉ tiêu" in html and "người chưa có tài khoản" in html
    assert "/registry/import/" in page.links  # a commune officer imports lists
    # nothing of the province: no laggards table, no other commune
    assert 'data-testid="province-figures"' not in html
    others = [h for h in page.links if h.startswith("/accounts/units/") and h != f"/accounts/units/{dong_kinh.pk}/"]
    assert not others, others


def test_province_officer_sees_province_figures_and_laggards(demo_site):
    c, html, page = _home("tinh")
    assert 'data-testid="province-figures"' in html and "Tỉnh Lạng Sơn" in html
    laggards = [h for h in page.links if h.startswith("/accounts/units/")]
    assert laggards, "the laggard communes link to their pages"
    assert "xã/phường dưới chỉ tiêu" in html


def test_outreach_unit_sees_its_own_tasks_only(demo_site):
    from ansinh.outreach.models import Task

    c, html, page = _home("baolangson")
    # Its tasks that still owe a report (the demo letter's latest request; the 2024 one is reported).
    own = Task.objects.filter(recipient__name="Báo Lạng Sơn", reports__isnull=True)
    assert own.exists()
    task_links = {h for h in page.links if h.startswith("/outreach/tasks/")}
    assert task_links == {f"/outreach/tasks/{t.pk}/" for t in own}
    assert 'data-testid="directives"' in html
    assert "/registry/" not in html and "/payroll/" not in html and "/accounts/" not in html


def test_admin_sees_users_and_jobs(demo_site):
    c, html, page = _home("admin")
    assert 'data-testid="admin"' in html and "người dùng đang hoạt động" in html
    assert "/jobs/" in page.links


def test_nothing_without_a_scope(demo_site):
    from ansinh.core.services import upsert_user

    upsert_user("khong_pham_vi", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=[])
    c = Client()
    assert c.login(username="khong_pham_vi", password="Mk-thu-nghiem-2024")
    html = c.get("/").content.decode()
    assert 'data-testid="commune-coverage"' not in html and "/accounts/units/" not in html


def test_recent_runs_name_a_campaign_by_its_name_not_a_month(demo_site):
    """The approver's recent runs: the Tết run reads as its campaign, November 2024 as a month."""
    _c, _html, page = _home("pheduyet")
    text = " ".join(" ".join(page.parts).split())
    assert "Quà Tết Nguyên đán Giáp Thìn 2024" in text
    assert "Tháng 11/2024" in text and "Tháng 01/2024" not in text
