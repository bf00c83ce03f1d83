"""As a province officer: open the duplicate queue, see one person listed in two communes
side by side with the reasons in words and the differing characters marked, and merge them (the duplicate's enrolment stops).
The commune officers of either commune do not see that cross-commune pair at all."""
from __future__ import annotations

import datetime as dt

from ansinh.core.demo import create_demo_users
from ansinh.units.models import AdminUnit

from .conftest import login


def test_province_officer_merges_a_duplicate(browser_page, artifacts_dir):
    from ansinh.matching.models import MatchPair, MatchRun
    from ansinh.registry.models import Enrolment, Person
    from ansinh.text import fold

    page = browser_page
    create_demo_users()
    a = AdminUnit.objects.get(code="05977", level=3, valid_to__isnull=True)
    b = AdminUnit.objects.get(code="06079", level=3, valid_to__isnull=True)
    p1 = Person.objects.create(full_name="Hoàng Thị Mai", name_key=fold("Hoàng Thị Mai"), dob=dt.date(1941, 3, 5),
                               gender="F", id_number="020141001234", residence_unit=a, commune=a, scope_commune=a,
                               province_code="20", village="Khối 4")
    p2 = Person.objects.create(full_name="HOANG THI MAI", name_key=fold("HOANG THI MAI"), dob=dt.date(1941, 5, 3),
                               gender="F", id_number="020141002134", residence_unit=b, commune=b, scope_commune=b,
                               province_code="20", village="Thôn Pò Mỏ")
    for p in (p1, p2):
        Enrolment.objects.create(person=p, category="5.5c", start_month="2024-01", scope_commune=p.scope_commune,
                                 province_code="20")
    pair = MatchPair.objects.create(
        run=MatchRun.objects.create(province_code="20"), person_a=p1, person_b=p2, cluster=p1.pk,
        match_probability=0.9993, match_weight=10.5, scope_commune=a, province_code="20",
        contributions={"family": 2.1, "middle": 0.9, "given": 5.2, "dob": 6.0, "id_number": 8.1, "gender": 0.9,
                       "residence": -3.5, "village": -0.8})
    # a commune officer of either side: no pair, no name of the other commune's person
    for officer in ("dongkinh", "hongphong"):
        login(page, officer)
        page.goto(page.base_url + "/matching/")
        assert "0 cặp hồ sơ" in page.inner_text("[data-testid=pair-count]")
        assert "HOANG THI MAI" not in page.content() and "Hoàng Thị Mai" not in page.content()
        if officer == "dongkinh":
            page.screenshot(path=str(artifacts_dir / "matching_queue_commune.png"), full_page=True)
        assert page.goto(page.base_url + f"/matching/pairs/{pair.pk}/").status == 404
        page.context.clear_cookies()
    login(page, "tinh")
    page.goto(page.base_url + "/matching/")
    assert "1 cặp hồ sơ" in page.inner_text("[data-testid=pair-count]")
    page.screenshot(path=str(artifacts_dir / "matching_queue_province.png"), full_page=True)
    page.click("[data-testid=open-pair]")
    table = page.inner_text("[data-testid=pair-table]")
    assert "05/03/1941" in table and "03/05/1941" in table and "Phường Đông Kinh" in table
    reasons = page.inner_text("[data-testid=pair-reasons]")
    assert "cùng năm sinh; ngày và tháng bị đảo chỗ" in reasons and "khác xã/phường" in reasons
    assert "log2" not in page.content() and page.locator("mark").count() > 0  # differing characters marked
    assert page.get_attribute("[data-testid=record-a]", "href").endswith(f"/registry/persons/{p1.pk}/")
    assert page.get_attribute("[data-testid=record-b]", "href").endswith(f"/registry/persons/{p2.pk}/")
    page.screenshot(path=str(artifacts_dir / "matching_pair.png"), full_page=True)
    page.click("button[value=keep_a]")
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/matching"))
    assert "0 cặp hồ sơ" in page.inner_text("[data-testid=pair-count]")
    pair.refresh_from_db()
    assert pair.status == "confirmed"
    assert Enrolment.objects.get(person=p2).status == "terminated"
    assert Enrolment.objects.get(person=p1).status == "active"
