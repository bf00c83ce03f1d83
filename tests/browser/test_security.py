"""In chromium: the Content-Security-Policy breaks nothing (no violation on the script-heavy pages, the
language menu still submits), a locked-out log-in and the Vietnamese 404 page (screenshots)."""
from __future__ import annotations

import os
from pathlib import Path

from ansinh.core.demo import DEMO_PASSWORD, create_demo_users

from .conftest import login

SHOTS = Path(os.environ.get("ANSINH_SHOTS", Path(__file__).resolve().parents[2] / "test-artifacts"))

WATCH = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));"""


def test_pages_work_under_the_csp(browser_page):
    from tests.browser.test_coverage import _population

    page = browser_page
    create_demo_users()
    _population()
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(WATCH)
    login(page, "tinh")
    for path, ready in [("/", "[data-testid=whoami]"), ("/accounts/?month=2024-12&map=old", "#coverage-chart[data-ready='1'] svg"),
                        ("/accounts/?month=2024-12&map=old", "#coverage-map[data-ready='1'] .commune-cell"), ("/registry/review/", "main"),
                        ("/outreach/effect/?start=01/01/2024", "main"), ("/jobs/", "main")]:
        page.goto(page.base_url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__cspViolations") == [] and console == [], (path, console)
        page.wait_for_selector(ready, state="attached")
    assert page.evaluate("typeof htmx") == "object"
    # the language menu submits on change (its inline onchange moved to ansinh.js)
    page.goto(page.base_url + "/")
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("text=Sign out")
    page.select_option("select[name=language]", "vi")
    page.wait_for_selector("text=Đăng xuất")
    assert console == []


def test_lockout_and_404_pages(browser_page):
    page = browser_page
    create_demo_users()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(page.base_url + "/login/")
    for _ in range(5):
        page.fill("#id_username", "tinh")
        page.fill("#id_password", "sai-mat-khau-1")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    page.fill("#id_username", "tinh")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=locked-out]")
    assert "tạm khóa" in page.inner_text("[data-testid=locked-out]")
    page.screenshot(path=str(SHOTS / "web-lockout.png"), full_page=True)

    login(page, "dongkinh")
    page.goto(page.base_url + "/khong-co-trang-nay/")
    assert "Không tìm thấy trang" in page.inner_text("h1")
    page.screenshot(path=str(SHOTS / "web-404.png"), full_page=True)
