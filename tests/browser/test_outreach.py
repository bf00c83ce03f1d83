"""As a new user: the commune culture office logs in, sees its task, submits a report with a photo;
the department officer then sees it counted."""
from __future__ import annotations

from ansinh.core.demo import create_demo_users
from ansinh.outreach.models import Report
from ansinh.outreach.services import demo_setup

from .conftest import login

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def _reported(page) -> int:
    return int(page.inner_text("[data-testid=count-reported]"))


def test_culture_office_reports_with_a_photo_and_department_sees_it(browser_page, tmp_path, settings, artifacts_dir):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = browser_page
    create_demo_users()
    demo_setup()
    photo = tmp_path / "loa-truyen-thanh.png"
    photo.write_bytes(PNG)

    login(page, "tinh")
    page.goto(page.base_url + "/outreach/summary/")
    before = _reported(page)
    page.click("form[action$='/logout/'] button")

    login(page, "vhxh_dongkinh")
    page.goto(page.base_url + "/outreach/")
    page.click("text=Phát bản tin trên đài truyền thanh phường")
    page.fill("#m-commune_broadcasts", "12")
    page.fill("#m-loudspeaker_clusters", "7")
    page.fill("#m-door_to_door_visits", "35")
    page.fill("#r-notes", "Phát bản tin sáng và chiều")
    page.set_input_files("#r-files", str(photo))
    page.click("button:has-text('Gửi báo cáo')")
    page.wait_for_selector("text=Đã gửi báo cáo.")
    assert "loa-truyen-thanh.png" in page.inner_text("[data-testid=report-table]")
    page.screenshot(path=str(artifacts_dir / "outreach-report.png"), full_page=True)
    r = Report.objects.get(organisation__name="Phòng Văn hóa - Xã hội phường Đông Kinh")
    assert (r.commune_broadcasts, r.loudspeaker_clusters, r.door_to_door_visits) == (12, 7, 35)
    assert r.evidence.get().name == "loa-truyen-thanh.png"
    page.click("form[action$='/logout/'] button")

    login(page, "tinh")
    page.goto(page.base_url + "/outreach/summary/")
    assert _reported(page) == before + 1
    assert "Phòng Văn hóa - Xã hội phường Đông Kinh" in page.inner_text("[data-testid=totals]")

    # The effect page: the commune that reported is in the ranking, with the chart (ECharts, vendored).
    page.goto(page.base_url + "/outreach/effect/?start=01/01/2024")
    assert "Phường Đông Kinh" in page.inner_text("[data-testid=effect-table]")
    page.wait_for_selector("#effect-chart canvas")
