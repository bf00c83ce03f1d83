"""The administrator registers another agency's system on the page, is shown its secret once,
and the system searches the registry with it."""
from __future__ import annotations

import json

from django.test import Client

from tests.browser.conftest import login


def test_admin_registers_an_agency_and_it_searches(browser_page, artifacts_dir):
    from ansinh.core.services import upsert_user

    page = browser_page
    upsert_user("quantri_t", "ansinh-demo", roles=["admin"], unit_codes=["20"])
    login(page, "quantri_t")
    page.goto(page.base_url + "/")
    assert page.locator("nav a[href='/interop/clients/']").count() == 1  # in the menu (Hệ thống)
    page.goto(page.base_url + "/interop/clients/")
    page.get_by_role("link", name="Đăng ký hệ thống mới").click()
    page.fill("#f-name", "Hệ thống tra cứu Công an phường Đông Kinh")
    page.fill("#f-org", "Công an phường Đông Kinh")
    page.fill("#f-id", "ca-dong-kinh")
    page.check("#f-kind-agency")
    page.check("#f-op-search")
    page.select_option("#f-scope", label="Phường Đông Kinh")
    page.check("#f-field-name")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_selector("#secret")
    secret = page.inner_text("#secret").strip()
    page.screenshot(path=str(artifacts_dir / "interop-client-credentials.png"), full_page=True)
    c = Client()
    r = c.post("/api/g2p/oauth/token", {"grant_type": "client_credentials", "client_id": "ca-dong-kinh",
                                        "client_secret": secret})
    assert r.status_code == 200
    env = {"header": {"version": "1.0.0", "message_id": "m1", "message_ts": "2024-11-20T09:00:00+07:00",
                      "action": "search", "sender_id": "ca-dong-kinh", "total_count": 1},
           "message": {"transaction_id": "t1", "search_request": [
               {"reference_id": "r1", "timestamp": "2024-11-20T09:00:00+07:00",
                "search_criteria": {"query_type": "idtype-value", "query": {"type": "UIN", "value": "020190000009"}}}]}}
    r = c.post("/api/g2p/registry/sync/search", json.dumps(env), content_type="application/json",
               HTTP_AUTHORIZATION=f"Bearer {r.json()['access_token']}")
    assert r.status_code == 200 and r.json()["message"]["search_response"][0]["status"] == "succ"
    page.get_by_role("link", name="Xem hệ thống").click()
    page.wait_for_selector("#calls")
    assert "Tra cứu đối tượng" in page.inner_text("#calls") and secret not in page.content()
    page.screenshot(path=str(artifacts_dir / "interop-client.png"), full_page=True)
    asked = []  # the confirmation comes from ansinh.js (data-confirm): the CSP allows no inline handler
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("button", name="Thu hồi").click()
    page.wait_for_selector("text=Đã thu hồi hệ thống")
    assert asked and asked[0].startswith("Thu hồi hệ thống này?")
    assert c.post("/api/g2p/oauth/token", {"grant_type": "client_credentials", "client_id": "ca-dong-kinh",
                                           "client_secret": secret}).status_code == 401
