"""As a new commune officer: log in, upload a commune list, read the report, fix a queued issue."""
from __future__ import annotations

from pathlib import Path

from django.core.management import call_command

from ansinh.core.demo import create_demo_users
from ansinh.registry.demo_lists import generate
from ansinh.registry.models import ImportBatch, ImportRow, QualityIssue

from .conftest import login


def test_commune_officer_uploads_reads_report_and_fixes_an_issue(browser_page, tmp_path: Path, artifacts_dir):
    page = browser_page
    create_demo_users()
    generate(province_code="20", people=1500, seed=3, out_dir=tmp_path)
    upload = next(tmp_path.glob("*_05977_vinh_trai.xlsx"))  # old Phường Vĩnh Trại, now part of Phường Đông Kinh
    _break_one_phone(upload)

    login(page, "dongkinh")
    page.click("text=Nhập danh sách")
    page.set_input_files("input[type=file][name=file]", str(upload))
    page.click("button:has-text('Tải lên và nhập')")
    page.wait_for_url("**/jobs/**")
    # The background worker picks the job up (here: one batch run; `ansinh serve` runs it continuously).
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    page.wait_for_selector("#job-progress[data-status=succeeded]", timeout=30000)
    assert "100%" in page.inner_text("#job-progress")

    page.click("text=Xem kết quả")
    batch = ImportBatch.objects.get(file_name=upload.name)
    assert batch.rows == batch.imported + batch.updated + batch.rejected and batch.rows > 0
    body = page.inner_text("main")
    assert upload.name in body and str(batch.imported) in body
    page.screenshot(path=str(artifacts_dir / "import-report.png"), full_page=True)

    # Review queue: fix a phone number by typing the right one (the fix is recorded in the history).
    persons = ImportRow.objects.filter(batch=batch).values("person_id")
    issue = QualityIssue.objects.filter(person_id__in=persons, status="open", rule="PHONE").order_by("pk").first()
    assert issue is not None, "the list has a broken phone number, so a PHONE issue is queued"
    page.goto(page.base_url + "/registry/review/?rule=PHONE")
    row = page.locator(f"#issue-{issue.pk}")
    row.locator("select[name=field]").select_option("phone")
    row.locator("input[name=value]").fill("0912345678")
    row.locator("button:has-text('Sửa')").click()
    # a locator wait, not wait_for_function: the CSP forbids the eval a string predicate needs
    page.locator(f"#issue-{issue.pk} input[name=value]").wait_for(state="detached")
    issue.refresh_from_db()
    issue.person.refresh_from_db()
    assert issue.status == "fixed" and issue.person.phone == "0912345678"
    page.screenshot(path=str(artifacts_dir / "review-fixed.png"), full_page=True)


def _break_one_phone(path: Path) -> None:
    """Type a phone number with a digit missing into the first data row, as an officer might."""
    import openpyxl

    from ansinh.text import fold

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=1, max_row=15):
        for cell in row:
            if isinstance(cell.value, str) and "DIEN THOAI" in fold(cell.value):
                col = cell.column
                for r in range(cell.row + 1, ws.max_row + 1):
                    name = ws.cell(r, 2).value
                    if isinstance(name, str) and len(name.split()) >= 2 and not name.isupper():
                        ws.cell(r, col).value = "091234567"
                        wb.save(path)
                        return
    raise AssertionError(f"{path.name}: no phone column found")
