"""Error pages with DEBUG off: Vietnamese, in the site's layout (menu when signed in), each saying
what to do next, never echoing the address asked for."""
from __future__ import annotations

import pytest
from django.test import Client

from ansinh.core.demo import DEMO_PASSWORD, create_demo_users

pytestmark = pytest.mark.django_db

SECRET = "079123456789"  # an ID number in an address: never shown back


@pytest.fixture
def demo(settings):
    settings.DEBUG = False
    create_demo_users()


def login(username: str, **kw) -> Client:
    c = Client(**kw)
    assert c.login(username=username, password=DEMO_PASSWORD)
    return c


def _layout(body: str) -> None:
    assert 'class="navbar' in body and "chi trả trợ giúp xã hội không dùng tiền mặt" in body  # header, footer
    assert 'data-testid="error-page"' in body and "Bạn có thể" in body and "Về trang chủ" in body
    assert SECRET not in body


def test_404_in_the_layout_with_the_menu(demo):
    r = login("dongkinh").get(f"/registry/persons/999999/?so={SECRET}")
    body = r.content.decode()
    assert r.status_code == 404 and "Không tìm thấy trang" in body and 'lang="vi"' in body
    _layout(body)
    assert 'data-menu="registry:persons"' in body  # the signed-in user's menu, to go on from
    assert "nằm ngoài phạm vi" in body


def test_403_names_the_way_on(demo):
    r = login("kiemtoan").get(f"/registry/import/?so={SECRET}")
    body = r.content.decode()
    assert r.status_code == 403 and "Không có quyền truy cập" in body
    _layout(body)
    assert "Kiểm toán/thanh tra" in body and "quản trị hệ thống" in body


def test_500_without_the_request_data(demo, settings):
    settings.ROOT_URLCONF = "tests.web.urls_boom"
    c = login("tinh")
    c.raise_request_exception = False
    r = c.get(f"/boom/?so={SECRET}")
    body = r.content.decode()
    assert r.status_code == 500 and "Hệ thống gặp lỗi" in body
    _layout(body)
    assert "Traceback" not in body and "boom" not in body and "thời điểm xảy ra lỗi" in body


def test_400_for_a_foreign_host(demo):
    r = Client().get("/", HTTP_HOST="evil.example")
    body = r.content.decode()
    assert r.status_code == 400 and "Yêu cầu không hợp lệ" in body and "Lỗi 400" in body
    _layout(body)


def test_expired_form_says_reload_and_send_again(demo):
    c = login("tinh", enforce_csrf_checks=True)
    r = c.post("/registry/import/", {})
    body = r.content.decode()
    assert r.status_code == 403 and "Phiên làm việc đã hết hạn" in body and "gửi lại" in body
    _layout(body)


def test_english_catalogue_has_the_error_pages(demo):
    c = login("tinh")
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    body = c.get("/khong-co/").content.decode()
    assert 'lang="en"' in body and "Không tìm thấy trang" not in body
