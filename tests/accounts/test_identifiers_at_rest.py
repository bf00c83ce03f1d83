"""Issue 13 item 1 for the accounts: an uploaded bank list is stored encrypted (core.uploads.seal) and
imported from a decrypted copy that lives only while the job runs; the kept report, the review queue's
details and the history name no whole ID or account number; known accounts are matched by keyed hash."""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from ansinh.accounts.models import BankListImport
from ansinh.core import jobs
from ansinh.core.models import Job
from ansinh.core.uploads import SEALED_MAGIC, opened_upload, read_stored, store_upload
from ansinh.registry.models import ChangeLog, PaymentAccount, QualityIssue

from .test_bank_lists_targets import login, xlsx_bytes

pytestmark = pytest.mark.django_db

UNKNOWN_ID = "020999999999"
NEW_ACCOUNT = "8300555566667"


def test_a_stored_upload_is_encrypted_and_read_back_whole(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    data = b"Ho ten;CCCD\nNGUYEN VAN A;020080000001\n"
    dest = store_upload(SimpleUploadedFile("ds.csv", data), "accounts")
    stored = dest.read_bytes()
    assert stored.startswith(SEALED_MAGIC) and b"020080000001" not in stored
    assert read_stored(dest) == data
    with opened_upload(dest) as plain:
        assert plain.name == "ds.csv" and plain.read_bytes() == data and plain.parent != dest.parent
        assert oct(plain.parent.stat().st_mode & 0o777) == "0o700"
    assert not plain.exists()  # the decrypted copy is gone with the block
    other = tmp_path / "given.csv"  # a file named on the command line is read where it is
    other.write_bytes(data)
    with opened_upload(other) as p:
        assert p == other


def test_the_bank_list_job_reads_the_sealed_upload_and_keeps_no_whole_identifier(town, officer):
    c = login(officer, "tinh_enc", "20", "province_officer")
    data = xlsx_bytes([
        ["NGUYEN THI DAO", town["p3"].id_number, "8300123456789", "15/02/2024"],   # the known account, by hash
        ["TRAN VAN KHAC", town["p5"].id_number, NEW_ACCOUNT, "10/04/2024"],       # new account, holder mismatch
        ["LY THI BON", UNKNOWN_ID, "8300111122223", "10/04/2024"],               # nobody has this ID
    ])
    r = c.post("/accounts/bank-lists/", {"file": SimpleUploadedFile("agribank.xlsx", data), "provider": "970405"})
    assert r.status_code == 302
    rec = BankListImport.objects.latest("pk")
    stored = Path(Job.objects.get(pk=rec.job_id).params["path"])
    assert stored.is_relative_to(Path(settings.VAR_DIR) / "uploads")
    assert stored.read_bytes().startswith(SEALED_MAGIC)
    job = jobs.run_job(Job.objects.get(pk=rec.job_id))  # what the worker does
    assert job.status == "succeeded", job.error
    rec.refresh_from_db()
    assert (rec.report["confirmed"], rec.report["created"], rec.report["unmatched"]) == (1, 1, 1)
    # nothing whole in what the database keeps about this list
    with connection.cursor() as cur:
        cur.execute("SELECT report FROM accounts_banklistimport WHERE id = %s", [rec.pk])
        kept = str(cur.fetchone()[0])
    assert UNKNOWN_ID not in kept and NEW_ACCOUNT not in kept and "8300111122223" not in kept
    issue = QualityIssue.objects.get(person=town["p5"], rule="HOLDER_MISMATCH")
    assert NEW_ACCOUNT not in str(issue.details) and issue.details["account"].endswith(NEW_ACCOUNT[-4:])
    created = ChangeLog.objects.filter(model="registry.paymentaccount", field="", person=town["p5"]).get()
    assert NEW_ACCOUNT not in created.new
    assert PaymentAccount.objects.filter(account_number=NEW_ACCOUNT).get().person == town["p5"]
    # the page: the officer fixing the rows reads the unknown ID whole (decrypted), the account masked
    body = c.get(f"/accounts/bank-lists/{rec.pk}/").content.decode()
    assert UNKNOWN_ID in body and NEW_ACCOUNT not in body and NEW_ACCOUNT[-4:] in body
    auditor = Client()
    officer("kiemtoan_enc", "20", role="auditor")
    assert auditor.login(username="kiemtoan_enc", password="Mk-thu-nghiem-2024")
    page = auditor.get(f"/accounts/bank-lists/{rec.pk}/")
    assert page.status_code in (200, 403, 404) and UNKNOWN_ID not in page.content.decode()


def test_stored_uploads_follow_a_key_rotation(settings, tmp_path):
    """A file sealed with k1 reads after k2 is put first; `rotate_files` seals it with k2 (mtime kept, for
    the retention purge), after which k1 can be removed."""
    import base64
    import os

    from ansinh.core import sealed

    settings.VAR_DIR = tmp_path
    k1 = "k1:" + base64.b64encode(os.urandom(32)).decode()
    k2 = "k2:" + base64.b64encode(os.urandom(32)).decode()
    settings.ANSINH_DATA_KEYS = k1
    data = b"So CCCD;020080000001\n"
    dest = store_upload(SimpleUploadedFile("ds.csv", data), "registry")
    os.utime(dest, (1_000_000_000, 1_000_000_000))
    assert sealed.file_key_ids() == {"k1": 1}
    settings.ANSINH_DATA_KEYS = f"{k2},{k1}"
    assert read_stored(dest) == data
    assert sealed.rotate_files() == 1 and sealed.rotate_files() == 0
    assert sealed.file_key_ids() == {"k2": 1} and dest.stat().st_mtime == 1_000_000_000
    settings.ANSINH_DATA_KEYS = k2
    assert read_stored(dest) == data
