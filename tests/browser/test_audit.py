"""In a browser: an approver passes TOTP before approving a payroll run (the code computed from the
device's key, as the phone would); the auditor finds who exported a commune's list."""
from __future__ import annotations

import datetime as dt
import re

from tests.browser.conftest import login


def _run():
    from ansinh.core.services import current_unit, upsert_user
    from ansinh.payroll import generate
    from ansinh.registry.models import Enrolment, PaymentAccount, Person

    unit = current_unit("05977")
    maker = upsert_user("tinh_t", "ansinh-demo", roles=["province_officer"], unit_codes=["20"])
    p = Person.objects.create(full_name="Hoàng Văn Tư", name_key="HOANG VAN TU", dob=dt.date(1980, 1, 1),
                              commune=unit, residence_unit=unit, scope_commune=unit, province_code="20")
    Enrolment.objects.create(person=p, category="5.6-severe", start_month="2024-12", scope_commune=unit,
                             province_code="20")
    PaymentAccount.objects.create(person=p, provider="970405", account_number="1002003001", approval="approved")
    return generate.generate("2024-12", commune=unit, user=maker)


def test_approver_passes_totp_before_approving(browser_page, totp_on, artifacts_dir):
    from ansinh.core import twofactor
    from ansinh.core.services import upsert_user
    from ansinh.payroll.models import PayrollRun, RunStatus

    page = browser_page
    run = _run()
    upsert_user("pheduyet_t", "ansinh-demo", roles=["approver"], unit_codes=["20"])
    login(page, "pheduyet_t")
    page.goto(page.base_url + f"/payroll/runs/{run.pk}/")
    page.get_by_role("button", name="Phê duyệt").click()
    page.wait_for_url("**/totp/**")
    assert PayrollRun.objects.get(pk=run.pk).status != RunStatus.APPROVED  # nothing approved without a code
    secret = page.inner_text("#totp-secret").replace(" ", "")
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1
    page.screenshot(path=str(artifacts_dir / "totp-enrol.png"), full_page=True)
    import base64

    key_hex = base64.b32decode(secret).hex()  # what the phone's app reads from the QR
    page.fill("#totp-code", twofactor.current_code(key_hex))
    page.get_by_role("button", name="Xác nhận").click()
    # the recovery codes, shown this once
    page.wait_for_url("**/totp/recovery/**")
    assert page.locator("#recovery-codes li").count() == twofactor.RECOVERY_CODES
    page.screenshot(path=str(artifacts_dir / "totp-recovery-codes.png"), full_page=True)
    page.get_by_role("link", name="Đã chép lại, tiếp tục").click()
    page.wait_for_url(f"**/payroll/runs/{run.pk}/")
    page.get_by_role("button", name="Phê duyệt").click()
    page.wait_for_selector("text=Đã phê duyệt bảng chi")
    assert PayrollRun.objects.get(pk=run.pk).status == RunStatus.APPROVED


def test_auditor_finds_who_exported_a_communes_list(browser_page, artifacts_dir):
    from ansinh.core.services import upsert_user

    page = browser_page
    _run()
    upsert_user("xa_t", "ansinh-demo", roles=["commune_officer"], unit_codes=["05977"], full_name="Vi Thị Xuất")
    upsert_user("kiemtoan_t", "ansinh-demo", roles=["auditor"], unit_codes=["20"])
    login(page, "xa_t")
    page.goto(page.base_url + "/registry/?commune=05977")
    with page.expect_download():
        page.get_by_role("link", name="Xuất Excel").click()
    page.context.clear_cookies()
    login(page, "kiemtoan_t")
    page.goto(page.base_url + "/audit/")
    page.select_option("#f-action", "person.export")
    page.click("#audit-search button")
    page.wait_for_url(re.compile(r"action=person\.export"))
    row = page.locator("tbody tr").first
    assert "Vi Thị Xuất" in row.inner_text() and "doi-tuong.xlsx" in row.inner_text()
    page.screenshot(path=str(artifacts_dir / "audit-log.png"), full_page=True)
