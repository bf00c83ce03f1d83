"""Bank lists uploaded through the web (background job, report, review queue) and coverage
targets edited as data (scope, history)."""
from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ansinh.accounts import kpi, rules
from ansinh.accounts.models import BankListImport, Target, TargetChange
from ansinh.core import jobs
from ansinh.core.models import Job, JobStatus
from ansinh.registry.models import PaymentAccount, QualityIssue
from ansinh.core.roles import OPERATOR

from .conftest import D

pytestmark = pytest.mark.django_db


def xlsx_bytes(rows) -> bytes:
    """A bank's list as banks send it: a title row, a header, one row per account (openpyxl)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NGÂN HÀNG NÔNG NGHIỆP VÀ PTNT - DANH SÁCH TÀI KHOẢN ĐÃ MỞ THÁNG 6/2024"])
    ws.append(["STT", "Họ tên chủ tài khoản", "Số định danh", "Số tài khoản", "Ngày mở"])
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def login(officer, name, unit, role):
    officer(name, unit, role=role)
    c = Client()
    assert c.login(username=name, password="Mk-thu-nghiem-2024")
    return c


def test_upload_bank_list_runs_a_job_and_reports_links_and_mismatches(town, officer):
    p2, p4 = town["p2"], town["p4"]
    data = xlsx_bytes([
        ["HOANG VAN BA", p2.id_number, "8300111122223", D(2024, 6, 3)],       # linked, new account
        ["TRAN VAN KHAC", p4.id_number, "8300111122224", "05/06/2024"],       # linked, holder mismatch
        ["NGUYEN VAN MOT", "020999999999", "8300111122225", "05/06/2024"],    # nobody has this ID
    ])
    c = login(officer, "tinh_bl", "20", "province_officer")
    assert c.get("/accounts/bank-lists/").status_code == 200
    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("agribank_06_2024.xlsx", data),
                                         "provider": "970405"})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    rec = BankListImport.objects.get()
    assert rec.job.status == JobStatus.QUEUED and rec.province_code == "20" and rec.report == {}
    assert "Đang nhập" in c.get(f"/accounts/bank-lists/{rec.pk}/").content.decode()
    job = jobs.run_job(Job.objects.get(pk=rec.job.pk))  # what the worker does
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["url"] == f"/accounts/bank-lists/{rec.pk}/" and job.done == job.total == 3
    rec.refresh_from_db()
    assert (rec.report["rows"], rec.report["linked"], rec.report["created"], rec.report["unmatched"],
            rec.report["holder_mismatch"]) == (3, 2, 2, 1, 1)
    acc = PaymentAccount.objects.get(person=p2, account_number="8300111122223")
    assert acc.registered_on == D(2024, 6, 3) and acc.provider == "970405"
    issue = QualityIssue.objects.get(person=p4, rule="HOLDER_MISMATCH", status="open")
    assert issue.details["bank_name"] == "TRAN VAN KHAC"
    body = c.get(f"/accounts/bank-lists/{rec.pk}/").content.decode()
    assert 'id="mismatch-table"' in body and "TRAN VAN KHAC" in body and "Lý Thị Bốn" in body
    assert "/registry/review/?rule=HOLDER_MISMATCH" in body and "020999999999" in body
    # the mismatch is in the holder-review queue
    assert "TRAN VAN KHAC" in c.get("/registry/review/?rule=HOLDER_MISMATCH").content.decode()
    assert "agribank_06_2024.xlsx" in c.get("/accounts/bank-lists/").content.decode()


def test_commune_officer_upload_links_only_their_commune(town, officer):
    data = xlsx_bytes([["HOANG VAN BA", town["p2"].id_number, "8300111122223", "03/06/2024"],
                       ["LY THI BON", town["p4"].id_number, "8300111122224", "03/06/2024"]])
    c = login(officer, "xa_kl", "06187", "commune_officer")  # Kỳ Lừa: p4 only
    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("vbsp.xlsx", data), "provider": "970405"})
    assert r.status_code == 302
    rec = BankListImport.objects.get()
    assert rec.scope_commune.code == "06187"
    jobs.run_job(Job.objects.get(pk=rec.job_id))
    rec.refresh_from_db()
    assert rec.report["linked"] == 1 and rec.report["unmatched"] == 1  # p2 is outside their commune
    assert not PaymentAccount.objects.filter(person=town["p2"], account_number="8300111122223").exists()
    other = login(officer, "xa_dk", "05977", "commune_officer")
    assert other.get(f"/accounts/bank-lists/{rec.pk}/").status_code == 404
    assert "vbsp.xlsx" not in other.get("/accounts/bank-lists/").content.decode()


def test_upload_refuses_other_files_and_readers(town, officer):
    c = login(officer, "tinh_bl2", "20", "province_officer")
    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("list.pdf", b"%PDF-1.4")})
    assert r.status_code == 400 and "chỉ nhận tệp" in r.content.decode()
    a = login(officer, "kt", "20", "auditor")
    r = a.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("a.xlsx", xlsx_bytes([]))})
    assert r.status_code == 403 and not BankListImport.objects.exists()


def test_check_target_rules():
    assert rules.check_target(30, 40) is None and rules.check_target(None, None, 3.04) is None
    assert "both" in rules.check_target(30, None)
    assert "above" in rules.check_target(50, 40)
    assert "between 0 and 100" in rules.check_target(30, 140)
    assert "range or a baseline" in rules.check_target(None, None)


def test_province_officer_edits_targets_with_history(town, officer):
    c = login(officer, "tinh_mt", "20", "province_officer")
    assert c.get("/accounts/targets/").status_code == 200
    dk = town["dong_kinh"]
    r = c.post("/accounts/targets/", {"scope": f"c:{dk.pk}", "due": "30/06/2024", "low": "20", "high": "25,5",
                                      "label": "Đông Kinh chậm"})
    assert r.status_code == 302
    t = Target.objects.get(commune=dk)
    assert (t.province_code, float(t.low), float(t.high), t.updated_by.username) == ("20", 20, 25.5, "tinh_mt")
    # the commune's own target is in force on the dashboard figures
    units = {u.unit.code: u for u in kpi.coverage(OPERATOR, D(2024, 6, 30), "commune", "new")}
    assert (units["05977"].target_low, units["05977"].target_high) == (20, 25.5)
    assert (units["06187"].target_low, units["06187"].target_high) == (30, 40)
    r = c.post("/accounts/targets/", {"target": t.pk, "scope": f"c:{dk.pk}", "due": "30/06/2024", "low": "22",
                                      "high": "28"})
    assert r.status_code == 302
    t.refresh_from_db()
    assert float(t.low) == 22
    hist = list(TargetChange.objects.order_by("pk").values_list("action", "low", "user__username"))
    assert [(a, float(lo), u) for a, lo, u in hist] == [("create", 20, "tinh_mt"), ("update", 22, "tinh_mt")]
    assert TargetChange.objects.get(action="update").before["low"] == "20.00"
    body = c.get("/accounts/targets/").content.decode()
    assert 'id="target-history"' in body and "tinh_mt" in body
    # bad input: a range upside down, a date not dd/mm/yyyy
    r = c.post("/accounts/targets/", {"scope": "p:20", "due": "31/12/2025", "low": "80", "high": "70"})
    assert r.status_code == 400 and "above" in r.content.decode()
    r = c.post("/accounts/targets/", {"scope": "p:20", "due": "2025-12-31", "low": "70", "high": "80"})
    assert r.status_code == 400
    # the general (seed) targets are the administrator's
    seed = Target.objects.get(province_code="", commune=None, due=D(2024, 12, 31))
    r = c.post("/accounts/targets/", {"target": seed.pk, "scope": "", "due": "31/12/2024", "low": "1", "high": "2"})
    assert r.status_code == 400 and float(Target.objects.get(pk=seed.pk).low) == 70
    r = c.post("/accounts/targets/", {"target": t.pk, "delete": "1"})
    assert r.status_code == 302 and not Target.objects.filter(commune=dk).exists()
    assert TargetChange.objects.filter(action="delete", commune=dk).count() == 1


def test_commune_officer_reads_targets_but_cannot_edit(town, officer):
    c = login(officer, "xa_mt", "05977", "commune_officer")
    body = c.get("/accounts/targets/").content.decode()
    assert 'id="target-form"' not in body and "31/12/2024" in body
    r = c.post("/accounts/targets/", {"scope": "p:20", "due": "31/12/2025", "low": "80", "high": "90"})
    assert r.status_code == 400 and not Target.objects.filter(due=D(2025, 12, 31)).exists()


def test_administrator_sets_a_general_target(town, officer):
    from ansinh.accounts.snapshots import refresh_snapshots

    refresh_snapshots([D(2024, 6, 30)])
    c = login(officer, "qt", "20", "admin")
    body = c.get("/accounts/targets/").content.decode()
    assert "Chung (mọi tỉnh)" in body and "Phường Đông Kinh" in body
    r = c.post("/accounts/targets/", {"scope": "", "due": "30/06/2025", "low": "85", "high": "95"})
    assert r.status_code == 302
    t = Target.objects.get(due=D(2025, 6, 30))
    assert t.province_code == "" and t.commune is None and t.updated_by.username == "qt"
    units = {u.unit.code: u for u in kpi.coverage(OPERATOR, D(2025, 6, 30), "commune", "old")}
    assert (units["05977"].target_low, units["05977"].target_high) == (85, 95)
