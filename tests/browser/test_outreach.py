"""As a new user: the commune culture office logs in, sees its task, submits a report with a photo;
the department officer then sees it counted."""
from __future__ import annotations

from ansinh.core.demo import create_demo_users
from ansinh.outreach.models import Report
from ansinh.outreach.demo import demo_setup

from .conftest import login



def _png() -> bytes:
    """A real photo-sized PNG (the hand-written 1x1 PNG used before had a broken IDAT stream:
    evidence images are now decoded and re-encoded, so it is refused as damaged)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 110, 180)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>'
       b'fetch("/registry/persons/export/")</script></svg>')


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

    # The effect page: the commune that reported is in the ranking; nobody is counted there in this
    # test, so it has no share and no change ("—") and no point on the chart (never a 0).
    page.goto(page.base_url + "/outreach/effect/?start=01/01/2024")
    row = page.locator("[data-testid=effect-table] tr", has_text="Phường Đông Kinh")
    assert row.count() == 1 and row.inner_text().rstrip().endswith("—")
    assert page.locator("#effect-chart").count() == 0


def test_svg_evidence_is_refused_with_a_message_naming_the_file(browser_page, tmp_path, settings, artifacts_dir):
    """Issue 11, item 1: an SVG (script inside) attached as evidence is refused at upload, with one
    line in Vietnamese naming the file; nothing is stored."""
    settings.MEDIA_ROOT = tmp_path / "media"
    page = browser_page
    create_demo_users()
    demo_setup()
    svg = tmp_path / "anh-minh-chung.svg"
    svg.write_bytes(SVG)
    login(page, "vhxh_dongkinh")
    page.goto(page.base_url + "/outreach/")
    page.click("text=Phát bản tin trên đài truyền thanh phường")
    page.fill("#m-banners", "3")
    page.set_input_files("#r-files", str(svg))
    page.click("button:has-text('Gửi báo cáo')")
    error = page.wait_for_selector("[data-testid=report-error]")
    text = error.inner_text()
    assert text.startswith("anh-minh-chung.svg: không nhận loại tệp này.") and "\n" not in text.strip()
    assert page.input_value("#m-banners") == "3"  # what was typed is kept for the next try
    error.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "outreach-svg-refused.png"), full_page=False)
    assert not Report.objects.filter(organisation__name="Phòng Văn hóa - Xã hội phường Đông Kinh").exists()
