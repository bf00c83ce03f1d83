"""Menus follow the role: an entry is shown exactly when the role gate lets the user open its page
(ansinh.core.roles.may_open, read by the menu and enforced by RoleRequiredMiddleware)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from ansinh.core.roles import STAFF_PAGE_ROLES, may_open
from ansinh.web.menu import MENU, menu_views

from .conftest import login

pytestmark = pytest.mark.django_db

ALL_VIEWS = [e.view for g in MENU for e in g.entries]




def user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _menu_links(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-menu="([^"]+)"', html))


def test_outreach_unit_sees_only_outreach_pages(demo):
    views = menu_views(user("baolangson"))
    assert views[0] == "home" and all(v == "home" or v.startswith("outreach:") for v in views), views
    html = login("baolangson").get("/").content.decode()
    for word in ("Đối tượng", "Rà soát", "Chi trả", "Nhập danh sách", "Độ bao phủ"):
        assert f">{word}<" not in html, word


def test_auditor_has_no_import_in_the_menu_and_the_page_says_no(demo):
    c = login("kiemtoan")
    html = c.get("/").content.decode()
    assert "registry:import" not in _menu_links(html) and "Nhập danh sách" not in html
    assert "registry:batches" in _menu_links(html)  # the imports are read here
    r = c.get(reverse("registry:import"))
    assert r.status_code == 403 and "Không có quyền truy cập" in r.content.decode()
    assert "registry:import" in _menu_links(login("dongkinh").get("/").content.decode())


def test_the_menu_is_what_the_gate_lets_through(demo):
    """For every role and every page the menu knows: shown in the menu <=> the page answers (not 403)."""
    for username in ("admin", "tinh", "pheduyet", "kiemtoan", "dongkinh", "baolangson", "vhxh_dongkinh"):
        c = login(username)
        shown = _menu_links(c.get("/").content.decode())
        assert shown == set(menu_views(user(username))), username
        for view in ALL_VIEWS:
            status = c.get(reverse(view)).status_code
            assert (status != 403) == (view in shown), (username, view, status)
            if view in shown:
                assert status == 200, (username, view, status)


def test_import_page_roles_are_the_registry_editors(demo):
    """The gate's list-import rule names the same roles the registry's own check accepts."""
    from ansinh.core.models import Role
    from ansinh.core.services import upsert_user
    from ansinh.core import roles as registry

    for role in Role.values:
        upsert_user(f"u_{role}", "Mk-thu-nghiem-2024", roles=[role], unit_codes=["20"])
        u = user(f"u_{role}")
        if role == Role.OUTREACH:
            assert not may_open(u, "registry:import")
            continue
        assert may_open(u, "registry:import") == registry.can_edit(u), role
    assert set(STAFF_PAGE_ROLES) <= set(ALL_VIEWS)


def test_nobody_signed_in_may_open_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert not any(may_open(AnonymousUser(), v) for v in ALL_VIEWS)
    assert not may_open(None, "home")


def test_current_page_is_marked_in_the_menu(demo):
    html = login("tinh").get(reverse("payroll:rates")).content.decode()
    assert 'data-menu="payroll:rates" aria-current="page"' in html


def test_pages_hide_links_the_role_cannot_open(demo):
    """The apps' tabs read the same rule (open_views): no tab of a page leads to a 403."""
    for username in ("pheduyet", "kiemtoan"):
        for view in ("registry:persons", "registry:review", "registry:batches"):
            assert 'href="/registry/import/"' not in login(username).get(reverse(view)).content.decode(), (username, view)
    assert 'href="/registry/import/"' in login("dongkinh").get(reverse("registry:persons")).content.decode()
    for view in ("outreach:home", "outreach:directives", "outreach:summary"):
        assert 'href="/outreach/effect/"' not in login("baolangson").get(reverse(view)).content.decode(), view
    assert 'href="/outreach/effect/"' in login("tinh").get(reverse("outreach:home")).content.decode()
