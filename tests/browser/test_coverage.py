"""As a province officer: open the coverage dashboard and its map, drill into a commune and
download its outreach list; the dashboard's screenshot is saved as a test artefact."""
from __future__ import annotations

import re

import datetime as dt

import openpyxl

from ansinh.core.demo import create_demo_users
from ansinh.units.models import AdminUnit

from .conftest import login


def _population():
    """600 beneficiaries in 30 old communes of Lạng Sơn (the first is now part of Phường Đông Kinh),
    then the demo account story."""
    from django.test import override_settings

    from ansinh.accounts.demo import demo_setup
    from ansinh.registry.models import Enrolment, Person
    from ansinh.text import fold

    olds = list(AdminUnit.objects.filter(level=3, province_code="20", valid_to__isnull=False).order_by("code")[:30])
    dong_kinh = AdminUnit.objects.get(code="05977", level=3, valid_to__isnull=True)
    persons = []
    for i in range(600):
        old = olds[i % 30]
        name = ["Nguyễn Thị Đào", "Hoàng Văn Ba", "Lý Thị Bốn", "Vi Văn Năm"][i % 4]
        persons.append(Person(full_name=name, name_key=fold(name), dob=dt.date(1940, 1, 1) + dt.timedelta(days=i),
                              id_number=f"0201400{i:05d}", residence_unit=old,
                              commune=dong_kinh if old.code == "05977" else None, scope_commune=old,
                              province_code="20", village=f"Thôn {i // 30 % 3 + 1}"))
    Person.objects.bulk_create(persons)
    Enrolment.objects.bulk_create([Enrolment(person=p, category="6.1", start_month="2023-12",
                                             scope_commune=p.scope_commune, province_code="20") for p in persons])
    with override_settings(ANSINH_DEMO=True):  # demo helpers run only in demo installations
        demo_setup(today=dt.date(2025, 3, 15))


def test_province_officer_dashboard_map_drill_down_outreach(browser_page, artifacts_dir, tmp_path):
    page = browser_page
    create_demo_users()
    _population()

    login(page, "tinh")
    page.goto(page.base_url + "/accounts/?month=2024-12&map=old")
    page.wait_for_selector("#coverage-chart[data-ready='1'] svg")
    page.wait_for_selector("#coverage-map[data-ready='1'] .commune-cell")
    # Every commune of the province is a shape (the approximate map); the 30 with people carry figures.
    assert int(page.get_attribute("#coverage-map", "data-cells")) > 150
    assert int(page.get_attribute("#coverage-map", "data-mine")) >= 30
    assert page.locator("#map-legend").is_visible()
    # Hovering a commune names it, with its share written the Vietnamese way.
    page.locator("#coverage-map path.commune-mine").first.hover()
    tip = page.locator(".leaflet-tooltip").first.inner_text()
    assert "\n" in tip and ("%" in tip or "chưa có số liệu" in tip), tip
    assert not re.search(r"\d\.\d%", tip), tip  # 71,4% not 71.4%
    share = float(page.inner_text("#total-share").replace(",", "."))  # vi: decimal comma
    assert 60 <= share <= 90, share
    assert page.locator("#commune-ranking tbody tr").count() == 30
    assert page.locator("#district-table tbody tr").count() == 11
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)

    # The new map: the same people under the current communes.
    with page.expect_navigation():
        page.click("label[for=map-new]")
    assert "map=new" in page.url, page.url
    page.wait_for_selector("#coverage-map[data-ready='1']")
    assert "Phường Đông Kinh" in page.inner_text("#commune-ranking")

    # Drill down from the map's ranking to a commune: the people without an account, by village.
    page.click("#commune-ranking >> text=Phường Đông Kinh")
    page.wait_for_selector("#unit-summary")
    assert page.locator("main h3", has_text="Thôn/bản: Thôn").count() >= 1
    with page.expect_download() as dl:
        page.click("#outreach-xlsx")
    target = tmp_path / dl.value.suggested_filename
    dl.value.save_as(target)
    assert target.name.endswith(".xlsx")
    ws = openpyxl.load_workbook(target).active
    assert "PHƯỜNG ĐÔNG KINH" in ws["A1"].value
    assert ws.max_row > 3 and ws.cell(3, 8).value == "Cần mang theo"
    with page.expect_download() as dl_pdf:
        page.click("#outreach-pdf")
    assert dl_pdf.value.suggested_filename.endswith(".pdf")
