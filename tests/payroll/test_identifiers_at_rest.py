"""Issue 13 item 1, the payments half: account numbers are encrypted at rest (ansinh.core.crypto) in the
accounts, the payroll lines' snapshots and the G2P messages; generation copies ciphertext and hash as
they are; the provider's files are the one place the number is written whole; free text from a
provider or a bank is stored with long numbers cut; ANSINH_ENCRYPT_AT_REST=0 stores them in clear."""
from __future__ import annotations

import csv
import json

import pytest
from django.db import connection

from ansinh.core.crypto import is_encrypted, lookup_hash
from ansinh.payroll import approval, files, followup, generate, reconcile
from ansinh.payroll.models import PayrollLine
from ansinh.registry.models import PaymentAccount

NUMBER = "100200300400"


def raw(table: str, column: str, pk: int):
    with connection.cursor() as cur:
        cur.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cur.fetchone()[0]


@pytest.fixture
def exported(make_person, commune, users, tmp_path):
    maker, checker = users
    p = make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")], account=("970405", NUMBER))
    run = generate.generate("2024-07", commune=commune, user=maker)
    approval.approve(run, checker)
    paths = approval.export(run, tmp_path / "out", user=checker, pdf=False)
    return run, paths, p, (maker, checker)


def test_an_account_number_is_stored_encrypted_with_its_hash_and_found_by_value(make_person):
    p = make_person(account=("970405", NUMBER))
    acc = PaymentAccount.objects.get(person=p)
    stored = raw("registry_paymentaccount", "account_number", acc.pk)
    assert is_encrypted(stored) and NUMBER not in stored
    assert raw("registry_paymentaccount", "account_number_hash", acc.pk) == lookup_hash(NUMBER)
    assert acc.account_number == NUMBER  # decrypted when read
    assert list(PaymentAccount.objects.filter(account_number=NUMBER)) == [acc]
    assert list(PaymentAccount.objects.filter(account_number__in=[NUMBER, "1"])) == [acc]
    assert NUMBER not in str(acc)  # the history's "tạo mới: …" text keeps the last digits only


def test_generation_copies_the_ciphertext_and_hash_and_the_provider_file_has_the_number_whole(exported):
    run, paths, p, _ = exported
    line = PayrollLine.objects.get(run=run)
    acc = PaymentAccount.objects.get(person=p)
    # the snapshot is the account's own ciphertext, copied by INSERT…SELECT without decrypting
    assert raw("payroll_payrollline", "account_number", line.pk) == raw("registry_paymentaccount", "account_number",
                                                                        acc.pk)
    assert raw("payroll_payrollline", "account_number_hash", line.pk) == lookup_hash(NUMBER)
    assert line.account_number == NUMBER
    assert PayrollLine.objects.filter(account_number=NUMBER).count() == 1
    agri = next(x for x in paths if x.name.endswith("Agribank.csv"))
    rows = list(csv.reader(agri.open(encoding="utf-8"), delimiter=";"))
    assert rows[1][10] == NUMBER and rows[1][2] == p.id_number  # whole in the file the bank pays from
    assert NUMBER in rows[1][11]  # the VietQR payload names the account
    g2p = json.loads(next(x for x in paths if x.name.endswith("g2p-disburse.json")).read_text())
    assert g2p["disbursements"][0]["payee_fa"] == f"account:{NUMBER}@970405"
    assert NUMBER in files.qr_payload(line)


def test_a_followup_run_keeps_the_snapshot_ciphertext_and_hash(exported, tmp_path):
    run, _, p, (maker, checker) = exported
    line = PayrollLine.objects.get(run=run)
    result = tmp_path / "r.csv"
    result.write_text(f"line_id;status;reason;paid_date\n{line.pk};unpaid;not_collected;\n", encoding="utf-8")
    reconcile.reconcile(run, result, user=checker)
    again = followup.generate_followup(run, user=maker, rule="retry")
    copy = PayrollLine.objects.get(run=again)
    assert copy.account_number == NUMBER and copy.account_number_hash == lookup_hash(NUMBER)
    assert raw("payroll_payrollline", "account_number", copy.pk) == raw("payroll_payrollline", "account_number",
                                                                        line.pk)


def test_a_provider_reason_is_stored_with_long_numbers_cut(exported, tmp_path):
    run, _, _, (_, checker) = exported
    line = PayrollLine.objects.get(run=run)
    result = tmp_path / "r.csv"
    result.write_text(f"line_id;status;reason;paid_date\n{line.pk};unpaid;tai khoan {NUMBER} khong ton tai;\n",
                      encoding="utf-8")
    reconcile.reconcile(run, result, user=checker)
    line.refresh_from_db()
    assert NUMBER not in line.result_reason and line.result_reason.endswith(f"{NUMBER[-4:]} khong ton tai")


def test_the_g2p_message_is_stored_encrypted(exported):
    from ansinh.interop import clients, sender
    from ansinh.interop.models import Disbursement
    from tests.interop.conftest import make_client

    run, _, _, (_, checker) = exported
    make_client()
    client = clients.get_client("vbsp-test")
    batches = sender.prepare(run, client, user=checker)
    stored = raw("interop_disbursement", "message", batches[0].pk)
    assert is_encrypted(stored) and NUMBER not in stored
    b = Disbursement.objects.get(pk=batches[0].pk)
    assert b.message["disbursements"][0]["payee_fa"] == f"account:{NUMBER}@970405"
    assert NUMBER.encode() in sender.envelope(b.header, b.message)  # sent whole to the provider


def test_with_encryption_off_the_numbers_are_stored_in_clear(settings, make_person):
    """The benchmark's floor (ANSINH_ENCRYPT_AT_REST=0): the same code, cleartext columns, same hashes."""
    settings.ANSINH_ENCRYPT_AT_REST = False
    p = make_person(account=("970405", NUMBER))
    acc = PaymentAccount.objects.get(person=p)
    assert raw("registry_paymentaccount", "account_number", acc.pk) == NUMBER
    assert PaymentAccount.objects.filter(account_number=NUMBER).get() == acc
