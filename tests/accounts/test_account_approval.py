"""Issue 11, item 3: a commune officer must not be able to redirect a beneficiary's payment.

Every new or changed payment account (bank list, commune list, web, CLI) waits for a second
user's approval before payroll pays into it; the approver is an approver or a province
officer whose scope covers the person, never the maker; each payroll line keeps a snapshot
of the account it pays."""
from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import threading
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from ansinh.accounts import approval, demo
from ansinh.core import jobs
from ansinh.core.models import Job, JobStatus
from ansinh.registry.models import ChangeLog, Enrolment, PaymentAccount, Person

D = dt.date
DONG_KINH, HONG_PHONG = "05977", "06079"
OLD_NUMBER, NEW_NUMBER = "8300111100001", "8300999900002"  # Agribank: 13 digits
_seq = itertools.count(1)


def user(name: str, role: str, unit: str = "20"):
    from ansinh.core.services import upsert_user

    return upsert_user(name, "Mk-thu-nghiem-2024", roles=[role], unit_codes=[unit])


def client(name: str) -> Client:
    c = Client()
    assert c.login(username=name, password="Mk-thu-nghiem-2024")
    return c


def person(unit_code: str = DONG_KINH, name: str = "Nguyễn Thị Đào") -> Person:
    from ansinh.core.services import current_unit
    from ansinh.text import fold

    unit = current_unit(unit_code)
    n = next(_seq)
    p = Person.objects.create(full_name=name, name_key=fold(name), dob=D(1980, 1, 1), id_number=f"020180{n:06d}",
                              commune=unit, residence_unit=unit, scope_commune=unit, province_code="20")
    Enrolment.objects.create(person=p, programme="tcxh", category="5.6-severe", start_month="2024-07",
                             scope_commune=unit, province_code="20")
    return p


def approved_account(p: Person, number: str = OLD_NUMBER) -> PaymentAccount:
    """An account already approved (on the original code, where there is no approval, just an account)."""
    extra = {"approval": "approved"} if "approval" in {f.name for f in PaymentAccount._meta.get_fields()} else {}
    return PaymentAccount.objects.create(person=p, provider="970405", account_number=number,
                                         holder_name="NGUYEN THI DAO", registered_on=D(2024, 1, 5), **extra)


def bank_list(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Họ tên chủ tài khoản", "Số định danh", "Số tài khoản", "Ngày mở"])
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload_bank_list(c: Client, rows) -> None:
    """A bank list uploaded on the web page and imported as the worker does it."""
    from ansinh.accounts.models import BankListImport

    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("agribank.xlsx", bank_list(rows)),
                                         "provider": "970405"})
    assert r.status_code == 302, r.content.decode()[:500]
    job = jobs.run_job(Job.objects.get(pk=BankListImport.objects.latest("pk").job_id))
    assert job.status == JobStatus.SUCCEEDED, job.error


def paid_line(period: str, p: Person):
    from ansinh.core.services import current_unit
    from ansinh.payroll import generate

    run = generate.generate(period, commune=current_unit(DONG_KINH))
    return run.lines.get(person=p, period_month=period)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


# ----------------------------------------------------------------------------- the attack

@pytest.mark.django_db
def test_bank_list_change_by_commune_officer_is_not_paid_until_an_approver_approves():
    """A commune officer uploads a bank list giving a beneficiary a new account whose holder name
    matches: payroll keeps paying the previous approved account until an approver approves the
    new one; then it pays the new one."""
    p = person()
    approved_account(p)
    user("xa_dk", "commune_officer", DONG_KINH)
    approver = user("duyet_tinh", "approver")
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    new = PaymentAccount.objects.get(person=p, account_number=NEW_NUMBER)

    line = paid_line("2024-07", p)
    assert (line.channel, line.account_number) == ("bank", OLD_NUMBER)  # not the officer's new account

    assert new.approval == "pending" and new.made_by.username == "xa_dk"
    approval.approve_account(new, approver)
    line = paid_line("2024-08", p)
    assert (line.channel, line.account_number, line.account_id) == ("bank", NEW_NUMBER, new.pk)
    log = ChangeLog.objects.get(model="registry.paymentaccount", object_id=new.pk, field="approval")
    assert (log.old, log.new, log.user_id) == ("pending", "approved", approver.pk)


@pytest.mark.django_db
def test_a_first_account_from_a_bank_list_is_paid_in_cash_until_approved():
    p = person()
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    line = paid_line("2024-07", p)
    assert (line.channel, line.provider, line.account_number, line.account_id) == ("cash", "VNPOST", "", None)


@pytest.mark.django_db
def test_commune_list_import_creates_pending_accounts(tmp_path):
    """A commune list (the registry import) with an account: pending, made by the importer."""
    from ansinh.registry.importing.files import import_file
    from tests.registry_db.conftest import person_row, write_list

    officer = user("xa_dk_imp", "commune_officer", DONG_KINH)
    path = write_list(tmp_path / "ds.xlsx", [person_row(account="8300123456789", bank="Agribank Lạng Sơn")])
    import_file(path, user=officer)
    acc = PaymentAccount.objects.get(account_number="8300123456789")
    assert (acc.approval, acc.made_by_id) == ("pending", officer.pk)
    assert approval.approve_account(acc, user("pd_imp", "approver")).approval == "approved"


@pytest.mark.django_db
def test_a_rejected_account_is_never_paid_and_a_new_upload_does_not_revive_it():
    p = person()
    approved_account(p)
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    new = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    with pytest.raises(jobs.BadInput, match="lý do"):
        approval.reject_account(new, user("duyet_tinh", "approver"), reason="  ")
    approval.reject_account(new, user("duyet_tinh2", "approver"), reason="Không có giấy đề nghị của đối tượng")
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    new.refresh_from_db()
    assert new.approval == "rejected" and paid_line("2024-07", p).account_number == OLD_NUMBER


# ----------------------------------------------------------------------------- who may decide

@pytest.mark.django_db
def test_the_maker_cannot_approve_their_own_change():
    """A province officer may approve accounts, but not one they made: refused by the service,
    the web page and the CLI; another approver can."""
    from ansinh.cli import main

    p = person()
    maker = user("tinh_maker", "province_officer")
    upload_bank_list(client("tinh_maker"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    assert acc.made_by_id == maker.pk
    with pytest.raises(jobs.BadInput, match="tự phê duyệt"):
        approval.approve_account(acc, maker)
    c = client("tinh_maker")
    body = c.get("/accounts/approvals/").content.decode()
    assert "cần người khác phê duyệt" in body and 'name="action" value="approve"' not in body
    r = c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"})
    assert r.status_code == 400 and "tự phê duyệt" in r.content.decode()
    assert main(["accounts", "approve", str(acc.pk), "--as", "tinh_maker"]) == 2
    acc.refresh_from_db()
    assert acc.approval == "pending" and acc.approved_by is None
    assert paid_line("2024-07", p).channel == "cash"
    # a second user approves it
    user("pd_web", "approver")
    r = client("pd_web").post("/accounts/approvals/", {"account": acc.pk, "action": "approve"})
    assert r.status_code == 302
    acc.refresh_from_db()
    assert acc.approval == "approved" and acc.approved_by.username == "pd_web"


@pytest.mark.django_db
def test_an_approver_outside_the_scope_cannot_approve():
    p = person(DONG_KINH)
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    outsider = user("pd_hongphong", "approver", HONG_PHONG)  # an approver of another commune
    with pytest.raises(jobs.BadInput, match="ngoài phạm vi"):
        approval.approve_account(acc, outsider)
    c = client("pd_hongphong")
    assert NEW_NUMBER[-4:] not in c.get("/accounts/approvals/").content.decode()  # not in their queue
    assert c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"}).status_code == 404
    assert c.post(f"/api/accounts/approvals/{acc.pk}/approve").status_code == 404
    acc.refresh_from_db()
    assert acc.approval == "pending"


@pytest.mark.django_db
def test_roles_that_may_not_approve_are_refused():
    from ansinh.cli import main

    p = person()
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    other_officer = user("xa_dk2", "commune_officer", DONG_KINH)
    auditor = user("kt", "auditor")
    for u in (other_officer, auditor, None):
        with pytest.raises(jobs.BadInput):
            approval.approve_account(acc, u)
    assert client("xa_dk2").post("/accounts/approvals/", {"account": acc.pk, "action": "approve"}).status_code == 403
    assert client("kt").post(f"/api/accounts/approvals/{acc.pk}/approve").status_code == 403
    assert main(["accounts", "approve", str(acc.pk), "--as", "kt"]) == 2
    user("bao", "outreach")
    assert client("bao").get("/accounts/approvals/").status_code == 403
    acc.refresh_from_db()
    assert acc.approval == "pending"


# ----------------------------------------------------------------------------- the queue page

@pytest.mark.django_db
def test_queue_shows_old_and_new_account_side_by_side_masked():
    p = person()
    approved_account(p)
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["TRAN VAN KHAC", p.id_number, NEW_NUMBER, "03/07/2024"]])
    user("pd_q", "approver")
    r = client("pd_q").get("/accounts/approvals/")
    body = r.content.decode()
    assert r.status_code == 200 and 'id="approvals-table"' in body
    row = body[body.index('class="approval-row"'):]
    old_at, new_at = row.index("••••" + OLD_NUMBER[-4:]), row.index("••••" + NEW_NUMBER[-4:])
    assert old_at < new_at  # old → new
    assert OLD_NUMBER not in body and NEW_NUMBER not in body  # masked: last 4 digits only
    assert "Agribank" in row and "NGUYEN THI DAO" in row and "TRAN VAN KHAC" in row and "holder-mismatch" in row
    assert "xa_dk" in row and "Danh sách ngân hàng trả về: agribank.xlsx" in row and "Nguyễn Thị Đào" in row
    assert 'value="approve"' in row and 'value="reject"' in row
    # the commune officer sees the queue of their commune, without the decision buttons
    body = client("xa_dk").get("/accounts/approvals/").content.decode()
    assert "••••" + NEW_NUMBER[-4:] in body and 'value="approve"' not in body
    # reject with a reason from the page
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    r = client("pd_q").post("/accounts/approvals/", {"account": acc.pk, "action": "reject",
                                                      "reason": "Tên chủ tài khoản không phải đối tượng"})
    assert r.status_code == 302
    acc.refresh_from_db()
    assert acc.approval == "rejected" and acc.approval_reason == "Tên chủ tài khoản không phải đối tượng"
    assert "Không có tài khoản nào chờ phê duyệt" in client("pd_q").get("/accounts/approvals/").content.decode()


@pytest.mark.django_db
def test_evidence_is_checked_by_content_and_served_as_an_attachment():
    p = person()
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    user("pd_ev", "approver")
    c = client("pd_ev")
    svg = SimpleUploadedFile("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    r = c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve", "evidence": svg})
    assert r.status_code == 400 and "chỉ nhận" in r.content.decode()
    fake = SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script></html>")
    assert c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve", "evidence": fake}).status_code == 400
    acc.refresh_from_db()
    assert acc.approval == "pending"
    pdf = SimpleUploadedFile("don-de-nghi.pdf", b"%PDF-1.4\n%%EOF\n")
    assert c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve", "evidence": pdf}).status_code == 302
    acc.refresh_from_db()
    assert acc.approval == "approved" and acc.approval_evidence.endswith(".pdf")
    r = c.get(f"/accounts/approvals/{acc.pk}/evidence/")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert r["X-Content-Type-Options"] == "nosniff" and "sandbox" in r["Content-Security-Policy"]
    assert b"".join(r.streaming_content).startswith(b"%PDF-")
    user("pd_hp", "approver", HONG_PHONG)
    assert client("pd_hp").get(f"/accounts/approvals/{acc.pk}/evidence/").status_code == 404


@pytest.mark.django_db
def test_cli_and_api_queue_and_decisions(capsys):
    from ansinh.cli import main

    p = person()
    approved_account(p)
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    user("pd_cli", "approver")
    capsys.readouterr()
    assert main(["accounts", "pending", "--as", "pd_cli", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 1 and out["accounts"][0]["old"]["masked"] == "••••" + OLD_NUMBER[-4:]
    assert NEW_NUMBER not in json.dumps(out)
    r = client("pd_cli").get("/api/accounts/approvals")
    assert r.status_code == 200 and r.json()["accounts"][0]["account"] == acc.pk
    assert main(["accounts", "approve", str(acc.pk), "--as", "pd_cli", "--json"]) == 0
    acc.refresh_from_db()
    assert acc.approval == "approved"
    log = ChangeLog.objects.get(object_id=acc.pk, field="approval")
    assert log.source == "cli" and log.user.username == "pd_cli"
    assert client("pd_cli").post(f"/api/accounts/approvals/{acc.pk}/approve").status_code == 409  # decided


# ----------------------------------------------------------------------------- the snapshot on the line

@pytest.mark.django_db
def test_a_payroll_line_keeps_its_snapshot_when_the_account_changes_afterwards(tmp_path):
    from ansinh.payroll import files

    p = person()
    acc = approved_account(p)
    line = paid_line("2024-07", p)
    assert (line.provider, line.provider_name, line.account_number, line.holder_name) == (
        "970405", "", OLD_NUMBER, "NGUYEN THI DAO")
    # the account row is changed afterwards (by whatever means): the generated line does not follow
    PaymentAccount.objects.filter(pk=acc.pk).update(provider="970418", provider_name="BIDV",
                                                    account_number=NEW_NUMBER, holder_name="KE GIAN")
    line.refresh_from_db()
    assert (line.provider, line.account_number, line.holder_name) == ("970405", OLD_NUMBER, "NGUYEN THI DAO")
    paths = files.write_all(line.run, tmp_path / "out", pdf=False)  # the provider files
    text = "\n".join(pth.read_text(encoding="utf-8") for pth in paths if pth.suffix in (".csv", ".json"))
    assert OLD_NUMBER in text and "NGUYEN THI DAO" in text
    assert NEW_NUMBER not in text and "KE GIAN" not in text and "970418" not in text
    header = next(pth for pth in paths if pth.suffix == ".csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(";ten_chu_tai_khoan")


# ----------------------------------------------------------------------------- the demo and concurrency

@pytest.mark.django_db
def test_demo_accounts_are_approved_by_the_demo_approver_and_paid(settings, tmp_path):
    settings.ANSINH_DEMO = True  # the payroll demo step exists only in demo installations
    from ansinh.core.cli import DEMO_PAID_THROUGH
    from ansinh.core.demo import create_demo_users
    from ansinh.payroll import demo as payroll_demo
    from ansinh.registry.demo import demo_setup as registry_demo

    create_demo_users()
    registry_demo(people=300, seed=5, paid_through=DEMO_PAID_THROUGH)
    rep = demo.demo_setup(today=D(2025, 1, 15))
    assert rep["approved"] == PaymentAccount.objects.count() > 0
    assert not PaymentAccount.objects.exclude(approval="approved").exists()
    assert set(PaymentAccount.objects.values_list("approved_by__username", flat=True)) == {"pheduyet"}
    out = payroll_demo.demo_setup()
    from ansinh.payroll.models import PayrollRun

    nov = PayrollRun.objects.get(pk=out["payroll_run"])
    assert nov.lines.filter(channel__in=["bank", "ewallet"]).exclude(holder_name="").count() > 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks: PostgreSQL (DATABASE_URL)")
def test_approval_waits_for_a_decision_in_flight_and_never_decides_twice(transactional_db_with_units):
    """The approve service locks the account row: while another approver's transaction holds it
    (and then approves), a second approval waits and is then refused."""
    from django.db import transaction

    p = person()
    acc = PaymentAccount.objects.create(person=p, provider="970405", account_number=NEW_NUMBER,
                                        holder_name="NGUYEN THI DAO")
    first, second = user("pd_a", "approver"), user("pd_b", "approver")
    locked, release, outcome = threading.Event(), threading.Event(), {}

    def in_flight():
        try:
            with transaction.atomic():
                PaymentAccount.objects.select_for_update().get(pk=acc.pk)
                locked.set()
                release.wait(10)
                PaymentAccount.objects.filter(pk=acc.pk).update(approval="approved", approved_by=first)
        finally:
            connection.close()

    def approve_second():
        try:
            approval.approve_account(acc.pk, second)
            outcome["second"] = "approved"
        except jobs.BadInput as exc:
            outcome["second"] = str(exc)
        finally:
            connection.close()

    t1 = threading.Thread(target=in_flight)
    t1.start()
    assert locked.wait(10)
    t2 = threading.Thread(target=approve_second)
    t2.start()
    time.sleep(0.5)
    assert t2.is_alive()  # waiting for the row lock
    release.set()
    t1.join(10)
    t2.join(10)
    assert "đã được xử lý" in outcome["second"]
    acc.refresh_from_db()
    assert acc.approved_by_id == first.pk
    assert not ChangeLog.objects.filter(object_id=acc.pk, field="approval", user=second).exists()


@pytest.mark.django_db
def test_image_evidence_is_re_encoded_so_nothing_but_pixels_is_kept(settings):
    from PIL import Image

    p = person()
    user("xa_dk", "commune_officer", DONG_KINH)
    upload_bank_list(client("xa_dk"), [["NGUYEN THI DAO", p.id_number, NEW_NUMBER, "03/07/2024"]])
    acc = PaymentAccount.objects.get(account_number=NEW_NUMBER)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, format="JPEG")
    polyglot = buf.getvalue() + b"<script>alert(1)</script>"
    approval.approve_account(acc, user("pd_img", "approver"),
                             evidence=SimpleUploadedFile("giay-de-nghi.jpg", polyglot))
    acc.refresh_from_db()
    from ansinh.core.uploads import read_stored

    stored = read_stored(settings.VAR_DIR / acc.approval_evidence)  # kept encrypted (core.uploads.seal)
    assert stored.startswith(b"\x89PNG") and b"<script>" not in stored
