"""The web shell: log-in, the units browser (scope tree by day, search, succession), languages."""
from __future__ import annotations

import pytest
from django.test import Client

from ansinh.core.demo import DEMO_PASSWORD
from ansinh.units.models import AdminUnit, Level

from .conftest import login

pytestmark = pytest.mark.django_db




def test_pages_need_login():
    c = Client()
    r = c.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert c.get("/api/me").status_code == 401
    assert c.get("/login/").status_code == 200


def test_login_form_signs_in(demo):
    c = Client()
    r = c.post("/login/", {"username": "tinh", "password": DEMO_PASSWORD})
    assert r.status_code == 302
    assert "Cán bộ tỉnh" in c.get("/").content.decode()
    bad = Client().post("/login/", {"username": "tinh", "password": "wrong-password"})
    assert "không đúng" in bad.content.decode()


def test_scope_tree_follows_the_map_of_the_day(demo):
    c = login("tinh")
    after = c.get("/units/?on=01/08/2025").content.decode()
    assert "Phường Đông Kinh" in after and "Huyện Bình Gia" not in after
    before = c.get("/units/?on=01/03/2024").content.decode()
    assert "Huyện Bình Gia" in before and "Phường Vĩnh Trại" in before
    assert before.count("/units/") > 194  # 11 districts + 194 communes + province


def test_commune_officer_tree_shows_own_commune_only(demo):
    html = login("dongkinh").get("/units/?on=01/08/2025").content.decode()
    assert "Phường Đông Kinh" in html and "Phường Kỳ Lừa" not in html


def test_units_browser_search_and_code_reuse(demo):
    c = login("dongkinh")
    html = c.get("/units/", {"q": "vinh trai"}).content.decode()
    assert "Phường Vĩnh Trại" in html
    old = AdminUnit.objects.get(code="05977", level=Level.COMMUNE, valid_to__isnull=False)
    new = AdminUnit.objects.get(code="05977", level=Level.COMMUNE, valid_to__isnull=True)
    page = c.get(f"/units/{old.pk}/").content.decode()
    assert "30/06/2025" in page and "Phường Đông Kinh" in page  # successor and the reused code
    page = c.get(f"/units/{new.pk}/").content.decode()
    for name in ("Phường Vĩnh Trại", "Xã Mai Pha", "Xã Yên Trạch"):
        assert name in page
    assert "01/07/2025" in page
    # HTMX partial
    partial = c.get("/units/", {"q": "05977"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Phường Đông Kinh" in partial


def test_split_commune_lists_its_successors_as_split(demo):
    c = login("tinh")
    hp = AdminUnit.objects.get(name="Xã Hồng Phong", parent__name="Huyện Bình Gia")
    page = c.get(f"/units/{hp.pk}/").content.decode()
    assert "Xã Đồng Đăng" in page and "chia tách" in page


def test_english_is_available(demo):
    c = login("tinh")
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    html = c.get("/").content.decode()
    assert 'lang="en"' in html and "Sign out" in html


def test_vendored_assets_are_served_locally():
    c = Client()
    for path in ("/static/vendor/bootstrap/bootstrap.min.css", "/static/vendor/htmx/htmx.min.js"):
        r = c.get(path)
        assert r.status_code == 200, path


def test_vietnamese_even_when_the_browser_asks_for_english(demo):
    c = login("tinh")
    html = c.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in html and "Đăng xuất" in html
