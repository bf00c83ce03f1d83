"""Identifiers encrypted at rest in the registry (ansinh.core.crypto, decision 0025): the fields and their
hash lookups, the import (set-based writer, idempotent), the history, raw rows, key rotation, the bytes of the
database. SQLite and PostgreSQL (DATABASE_URL)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sqlite3

import pytest
from django.db import connection

from ansinh.cli import main
from ansinh.core import crypto
from ansinh.core.roles import OPERATOR
from ansinh.registry.importing.files import import_file
from ansinh.registry.models import AuthorisedPerson, ChangeLog, ImportRow, Person

from .conftest import PROVINCE, person_row

pytestmark = pytest.mark.django_db

IDS = ["020040001234", "020140005678", "020045009876", "020150004321", "020041002468"]


def column(table: str, col: str, pk: int) -> str | None:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {col} FROM {table} WHERE id = %s", [pk])
        return cur.fetchone()[0]


def test_fields_store_ciphertext_and_hash():
    p = Person.objects.create(full_name="Nguyễn Văn An", name_key="NGUYEN VAN AN", id_number=IDS[0],
                              legacy_cmnd="081234567", phone="0912345678")
    raw_id = column("registry_person", "id_number", p.pk)
    assert raw_id.startswith("e1:") and IDS[0] not in raw_id
    assert column("registry_person", "phone", p.pk).startswith("e1:")
    assert column("registry_person", "id_number_hash", p.pk) == crypto.lookup_hash(IDS[0])
    assert column("registry_person", "phone_hash", p.pk) == crypto.lookup_hash("0912345678")
    p = Person.objects.get(pk=p.pk)
    assert (p.id_number, p.legacy_cmnd, p.phone) == (IDS[0], "081234567", "0912345678")
    assert Person.objects.values_list("id_number", flat=True).get(pk=p.pk) == IDS[0]
    p.phone = "0987654321"
    p.save()
    assert Person.objects.filter(phone="0987654321").count() == 1 and not Person.objects.filter(phone="0912345678")


def test_lookups_exact_in_isnull_and_bulk_create():
    made = Person.objects.bulk_create([Person(full_name=f"P{i}", name_key=f"P{i}", id_number=n)
                                       for i, n in enumerate(IDS)] + [Person(full_name="Q", name_key="Q")])
    assert all(column("registry_person", "id_number_hash", m.pk) for m in made[:5])
    assert Person.objects.get(id_number=IDS[2]).full_name == "P2"
    assert Person.objects.get(id_number="020 045.009-876").full_name == "P2"  # formatting does not matter
    assert Person.objects.filter(id_number__in=[IDS[1], IDS[3], "999999999999"]).count() == 2
    assert Person.objects.filter(id_number__in=[]).count() == 0
    assert Person.objects.filter(id_number__isnull=True).get().full_name == "Q"
    assert Person.objects.filter(id_number=None).get().full_name == "Q"
    assert Person.objects.exclude(id_number=IDS[0]).count() == 5
    assert Person.objects.filter(phone="").count() == 6
    from django.db.models import Q

    assert Person.objects.filter(Q(id_number=IDS[0]) | Q(legacy_cmnd=IDS[0])).count() == 1
    a = AuthorisedPerson.objects.create(person=made[0], full_name="Người nhận", id_number=IDS[4])
    assert AuthorisedPerson.objects.get(id_number=IDS[4]).pk == a.pk
    assert Person.objects.filter(authorised__id_number=IDS[4]).get().pk == made[0].pk  # across a join
    for bad in ({"id_number__startswith": "0200"}, {"id_number__contains": "1234"}, {"phone__icontains": "9"},
                {"id_number__gt": "0"}):
        with pytest.raises(crypto.EncryptedLookupError, match="encrypted"):
            list(Person.objects.filter(**bad))


def test_unique_id_number_through_its_hash():
    from django.db import IntegrityError, transaction

    Person.objects.create(full_name="A", name_key="A", id_number=IDS[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(full_name="B", name_key="B", id_number=IDS[0])
    Person.objects.create(full_name="C", name_key="C")
    Person.objects.create(full_name="D", name_key="D")  # several without an ID


def test_save_update_fields_writes_the_hash():
    p = Person.objects.create(full_name="A", name_key="A")
    p.phone = "0912345678"
    p.save(update_fields=["phone"])
    assert Person.objects.get(phone="0912345678").pk == p.pk and not Person.objects.exclude(phone="0912345678")


def test_bulk_update_with_hashes():
    p = Person.objects.create(full_name="A", name_key="A", id_number=IDS[0])
    p.id_number = IDS[1]
    Person.objects.bulk_update([p], crypto.with_hashes([p], ["id_number"]))
    assert Person.objects.get(id_number=IDS[1]).pk == p.pk and not Person.objects.filter(id_number=IDS[0])


def test_queryset_update_and_bulk_update_write_the_hash():
    """The managers of the models with encrypted fields compute the hash in update() and bulk_update()
    (a plain QuerySet.update calls no pre_save): a number changed in bulk is found by the new one only."""
    from django.db.models import F

    from ansinh.registry.models import PaymentAccount

    p = Person.objects.create(full_name="A", name_key="A", id_number=IDS[0], phone="0912345678")
    assert Person.objects.filter(pk=p.pk).update(id_number=IDS[1], phone="0987 654 321") == 1
    assert Person.objects.get(id_number=IDS[1]).pk == p.pk and not Person.objects.filter(id_number=IDS[0])
    assert Person.objects.get(phone="0987654321").pk == p.pk
    assert column("registry_person", "phone_hash", p.pk) == crypto.lookup_hash("0987654321")
    p.id_number = IDS[2]
    Person.objects.bulk_update([p], ["id_number"])  # no with_hashes(): the manager adds the hash
    assert Person.objects.get(id_number=IDS[2]).pk == p.pk and not Person.objects.filter(id_number=IDS[1])
    Person.objects.filter(pk=p.pk).update(id_number=None)
    assert Person.objects.filter(id_number__isnull=True).get().pk == p.pk
    a = PaymentAccount.objects.create(person=p, provider="970405", account_number="1234567890",
                                      holder_name="A")
    p.accounts.update(account_number="2222333344")  # the related manager is the model's manager
    assert PaymentAccount.objects.get(account_number="2222333344").pk == a.pk
    a.account_number = "5555666677"
    a.save(update_fields=["account_number"])
    assert PaymentAccount.objects.get(account_number="5555666677").pk == a.pk
    with pytest.raises(crypto.EncryptedLookupError, match="set id_number_hash"):
        Person.objects.filter(pk=p.pk).update(id_number=F("full_name"))


def _list(small_list, rows, name):
    return small_list(rows, name=name)


def test_import_encrypts_and_stays_idempotent(small_list):
    rows = [person_row(name="Vi Thị Ánh", gender="Nữ", id_number=IDS[1], phone="0912345678"),
            person_row(name="Hoàng Văn Bình", id_number=IDS[0], phone="0912000111"),
            person_row(name="Lý Văn Cường", id_number="081234567")]
    rep = import_file(_list(small_list, rows, "a.xlsx"), OPERATOR, province=PROVINCE)
    assert rep["imported"] == 3
    # the same people again (another file: one phone changed, one row added): updated, never duplicated
    rows2 = [person_row(name="Vi Thị Ánh", gender="Nữ", id_number=IDS[1], phone="0987654321"), *rows[1:],
             person_row(name="Nông Thị Dung", gender="Nữ", id_number=IDS[3])]
    b = _list(small_list, rows2, "b.xlsx")
    rep2 = import_file(b, OPERATOR, province=PROVINCE)
    assert (rep2["imported"], rep2["updated"]) == (1, 3)
    assert Person.objects.count() == 4
    anh = Person.objects.get(id_number=IDS[1])
    assert anh.phone == "0987654321" and Person.objects.get(phone="0987654321").pk == anh.pk
    assert Person.objects.get(legacy_cmnd="081234567").full_name == "Lý Văn Cường"
    # the history of the phone change: encrypted in the column, read back in clear
    ch = ChangeLog.objects.get(person=anh, field="phone")
    assert (ch.old, ch.new) == ("0912345678", "0987654321")
    assert column("registry_changelog", "new", ch.pk).startswith("e1:")
    # raw rows: encrypted whole, read back as the list of cells
    ir = ImportRow.objects.filter(person=anh).order_by("pk").last()
    assert IDS[1] in ir.raw and column("registry_importrow", "raw", ir.pk).startswith("e1:")
    # the same file twice: nothing new
    again = import_file(b, OPERATOR, province=PROVINCE)
    assert again.get("already_imported") and Person.objects.count() == 4
    # the same people in next month's list (new bytes): read again, every row an update, still no duplicate
    again = import_file(small_list(rows2, name="c.xlsx", period="02 năm 2024"), OPERATOR, province=PROVINCE)
    assert not again.get("already_imported")
    assert (again["imported"], again["updated"]) == (0, 4) and Person.objects.count() == 4


def test_person_search_by_id_uses_the_hash(small_list):
    from ansinh.registry import selectors

    import_file(_list(small_list, [person_row(name="Vi Thị Ánh", gender="Nữ", id_number=IDS[1],
                                              phone="0912345678")], "a.xlsx"), OPERATOR, province=PROVINCE)
    assert [p.full_name for p in selectors.persons(OPERATOR, q=IDS[1])] == ["Vi Thị Ánh"]
    assert [p.full_name for p in selectors.persons(OPERATOR, q="0912 345 678")] == ["Vi Thị Ánh"]
    assert list(selectors.persons(OPERATOR, q=IDS[1][:6])) == []


def _keys(*kids_keys):
    return ",".join(kids_keys)


def test_rotation(settings, small_list, capsys, tmp_path):
    """Encrypt with key A; add B as current; rotate; remove A: every value (and stored upload) still reads."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ansinh.core.uploads import read_stored, store_upload

    a, b = crypto.new_key_text("a"), crypto.new_key_text("b")
    settings.ANSINH_DATA_KEYS = a
    settings.VAR_DIR = tmp_path
    stored = store_upload(SimpleUploadedFile("ds.csv", b"So CCCD;" + IDS[1].encode()), "registry")
    rows = [person_row(name="Vi Thị Ánh", gender="Nữ", id_number=IDS[1], phone="0912345678"),
            person_row(name="Hoàng Văn Bình", id_number=IDS[0])]
    import_file(_list(small_list, rows, "a.xlsx"), OPERATOR, province=PROVINCE)
    anh = Person.objects.get(id_number=IDS[1])
    anh.phone = "0987654321"
    from ansinh.registry.history import log_change

    log_change(anh, "registry.person", anh.pk, "phone", "0912345678", "0987654321", user=None)
    anh.save()
    settings.ANSINH_DATA_KEYS = _keys(b, a)
    rc = main(["keys", "status", "--json"])
    status = json.loads(capsys.readouterr().out)
    assert rc in (0, None) and status["current"] == "b"
    before = {c["column"]: c["counts"] for c in status["columns"]}
    assert before["registry.person.id_number"] == {"a": 2} and status["files"] == {"a": 1}
    rc = main(["keys", "rotate", "--chunk", "1", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc in (0, None) and out["total"] > 0 and out["files"] == 1
    assert main(["keys", "rotate", "--json"]) in (0, None)
    again = json.loads(capsys.readouterr().out)
    assert again["total"] == 0 and again["files"] == 0  # idempotent: nothing left to do
    settings.ANSINH_DATA_KEYS = b  # key A removed
    counts = {c["column"]: c["counts"] for c in crypto.status()}
    assert all(set(c) <= {"b", ""} for c in counts.values()), counts
    anh = Person.objects.get(id_number=IDS[1])
    assert (anh.id_number, anh.phone) == (IDS[1], "0987654321")
    assert {c.new for c in ChangeLog.objects.filter(person=anh, field="phone")} == {"0987654321"}
    assert IDS[1] in ImportRow.objects.filter(person=anh).get().raw
    assert read_stored(stored) == b"So CCCD;" + IDS[1].encode()
    # bad input: one line, exit 2
    assert main(["keys", "rotate", "--chunk", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_removed_key_is_a_clear_error(settings):
    a, b = crypto.new_key_text("a"), crypto.new_key_text("b")
    settings.ANSINH_DATA_KEYS = a
    Person.objects.create(full_name="A", name_key="A", id_number=IDS[0])
    settings.ANSINH_DATA_KEYS = b
    with pytest.raises(crypto.DecryptionError, match="no data key 'a'"):
        Person.objects.get(id_number=IDS[0]).id_number  # noqa: B018


def test_migration_conversion_both_ways():
    """The data migration's body (0008): cleartext rows encrypted and hashed, and back."""
    p = Person.objects.create(full_name="A", name_key="A")
    with connection.cursor() as cur:
        cur.execute("UPDATE registry_person SET id_number = %s, phone = %s, id_number_hash = NULL WHERE id = %s",
                    [IDS[0], "0912345678", p.pk])
    assert Person.objects.get(pk=p.pk).id_number == IDS[0]  # cleartext reads as itself meanwhile
    n = crypto.convert_columns(connection, "registry_person", [("id_number", "id_number_hash"),
                                                               ("legacy_cmnd", "legacy_cmnd_hash"),
                                                               ("phone", "phone_hash")])
    assert n == 1
    assert column("registry_person", "id_number", p.pk).startswith("e1:")
    assert Person.objects.get(id_number=IDS[0]).phone == "0912345678"
    crypto.convert_columns(connection, "registry_person", [("id_number", "id_number_hash")])  # again: no change
    assert Person.objects.get(id_number=IDS[0]).pk == p.pk
    crypto.convert_columns(connection, "registry_person", [("id_number", None), ("phone", None)], reverse=True)
    assert column("registry_person", "id_number", p.pk) == IDS[0]


def test_database_bytes_hold_none_of_the_ids(small_list, tmp_path):
    """After importing persons (with history, raw rows, issues), the database itself holds none of their ID or
    phone numbers: the SQLite file's bytes (a copy of the test database), or every row's text on PostgreSQL."""
    phones = ["0912345678", "0912000111", "0987000222", "0355111222", "0978123456"]
    rows = [person_row(name=f"Người Thứ {i}", id_number=n, phone=ph) for i, (n, ph) in enumerate(zip(IDS, phones))]
    rows.append(person_row(name="Sai Số", id_number="02014100555"))  # malformed: an issue keeps it for review
    import_file(_list(small_list, rows, "a.xlsx"), OPERATOR, province=PROVINCE)
    p = Person.objects.get(id_number=IDS[0])
    p.phone = "0911222333"
    p.save()
    from ansinh.registry.history import log_change

    log_change(p, "registry.person", p.pk, "phone", phones[0], "0911222333", user=None)
    secrets_ = [*IDS, *phones, "0911222333", "02014100555"]
    if connection.vendor == "sqlite":
        # The test database lives in memory, inside this test's transaction: the rows of every registry and
        # audit table, as stored, are copied into a file whose bytes are searched.
        path = tmp_path / "copy.sqlite3"
        dest = sqlite3.connect(path)
        src = connection.connection
        tables = [t for (t,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND "
                                            "(name LIKE 'registry_%' OR name LIKE 'audit_%')")]
        assert "registry_person" in tables
        for t in tables:
            cur = src.execute(f'SELECT * FROM "{t}"')
            cols = [d[0] for d in cur.description]
            dest.execute(f'CREATE TABLE "{t}" ({", ".join(f"{chr(34)}{c}{chr(34)}" for c in cols)})')
            dest.executemany(f'INSERT INTO "{t}" VALUES ({", ".join("?" * len(cols))})', cur.fetchall())
        dest.commit()
        dest.close()
        data = path.read_bytes()
        assert Person.objects.count() == 6 and "Khối 1".encode() in data  # clear fields are found: the search works
        found = [s for s in secrets_ if s.encode() in data]
    else:
        with connection.cursor() as cur:
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'registry_%'")
            texts = []
            for (t,) in cur.fetchall():
                cur.execute(f'SELECT t::text FROM "{t}" t')
                texts += [r[0] for r in cur.fetchall()]
        blob = "\n".join(texts)
        found = [s for s in secrets_ if s in blob]
    assert found == []
