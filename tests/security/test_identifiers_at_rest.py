"""Issue 13, first "Done when": identifiers are encrypted at rest.

A demo installation is built the way an operator builds one — real `ansinh` processes: `init`, `demo
setup` (commune lists generated and imported from their files, account history, the Tết gift and a
monthly payroll run generated, approved, exported and reconciled from a provider result file, the
G2P Connect batches of the demo provider, outreach, matching, complaints), then a commune list and a
bank's list of opened accounts uploaded through the web's upload path and imported by `ansinh worker
--once`. Then 100 known ID numbers and 100 known account numbers (read back through the ORM, which
decrypts) are searched for, byte for byte, in:

- the SQLite database file and its -wal/-shm/-journal companions, or the `pg_dump` of the PostgreSQL
  database (plain SQL, every table);
- every log file under the var folder, plus everything the processes wrote on stdout and stderr
  (kept as var/logs/*.log);
- every file under var/uploads.

0 found. Phone numbers are searched the same way in a second test.

The PostgreSQL variant runs when DATABASE_URL names a PostgreSQL server (as `make test` sets it): it
makes a database of its own (`<name>_rawsearch_<random>`, dropped at the end). It is skipped only when
no server is configured or `pg_dump` is not installed, and says which.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 400  # beneficiaries in the generated lists: ~300 accounts, enough for 100 of each
SAMPLE = 100
PASSWORD = "Mk-thu-nghiem-2024"

# Run inside the installation (its settings, its database): uploads a commune list and a bank list the
# way the web does (core.uploads.store_upload + a background job), as the demo's province officer.
UPLOADS = r"""
import csv, io, json, os, sys
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
django.setup()
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from ansinh.accounts.bank_lists import start_bank_list_import
from ansinh.registry.jobs import start_import
from ansinh.registry.models import PaymentAccount, Person

tinh = get_user_model().objects.get(username="tinh")
lists = sorted(Path(sys.argv[1]).glob("*.xlsx"))
# a commune list uploaded again (the worker imports it: already imported, nothing changes)
start_import(tinh, SimpleUploadedFile(lists[0].name, lists[0].read_bytes()))
# a bank's list of opened accounts: people who have an ID number, with a new account each (and one
# row whose holder name is someone else's: a holder mismatch goes to the review queue)
people = list(Person.objects.exclude(id_number__isnull=True).exclude(id_number="").order_by("pk")[:25])
buf = io.StringIO()
w = csv.writer(buf, delimiter=";")
w.writerow(["STT", "Họ tên chủ tài khoản", "Số CCCD", "Số tài khoản", "Ngày mở tài khoản"])
for i, p in enumerate(people, 1):
    name = p.full_name if i != 3 else "TRAN VAN KHAC"
    w.writerow([i, name, p.id_number, "8" + f"{p.pk:011d}", "15/11/2024"])
data = buf.getvalue().encode("utf-8")
start_bank_list_import(tinh, SimpleUploadedFile("ds-mo-tai-khoan-agribank.csv", data), provider="970405")
print(json.dumps({"bank_rows": len(people)}))
"""

# The identifiers to look for, read back through the ORM (decrypted there when encrypted at rest).
KNOWN = r"""
import json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
django.setup()
from ansinh.payroll.models import PayrollLine
from ansinh.registry.models import PaymentAccount, Person

def spread(values, n):
    # numbers that cannot be anything else: at least 9 characters, 5 different digits (a demo account
    # number like 100000000 would also be an amount)
    values = sorted({v for v in values if v and len(v) >= 9 and len(set(v)) >= 5})
    step = max(1, len(values) // n)
    return values[::step][:n]

ids = spread([p.id_number for p in Person.objects.all()] + [p.legacy_cmnd for p in Person.objects.all()], %(n)d)
accounts = spread([a.account_number for a in PaymentAccount.objects.all()], %(n)d)
phones = spread([p.phone for p in Person.objects.all()], %(n)d)
paid = PayrollLine.objects.exclude(account_number="").count()
print(json.dumps({"ids": ids, "accounts": accounts, "phones": phones, "account_lines": paid}))
""" % {"n": SAMPLE}


def _pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


class Installation:
    """A demo installation in its own var folder and database; every process's output kept as a log."""

    def __init__(self, var: Path, url: str):
        self.var, self.url = var, url
        self.logs = var / "logs"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ANSINH_") and k != "DATABASE_URL"}
        self.env.update({"DATABASE_URL": url, "ANSINH_VAR": str(var), "ANSINH_DEMO": "1",
                         "PYTHONPATH": str(ROOT / "src"), "LOG_LEVEL": "INFO", "ANSINH_LOG_FORMAT": "json"})
        for k in ("ANSINH_DATA_KEYS", "ANSINH_LOOKUP_KEY"):  # keys given to the suite go on to the installation
            if os.environ.get(k):
                self.env[k] = os.environ[k]
        self.n = 0

    def _keep(self, name: str, r: subprocess.CompletedProcess) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.n += 1
        stem = f"{self.n:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')[:40]}"
        (self.logs / f"{stem}.stdout.log").write_text(r.stdout or "", encoding="utf-8")
        (self.logs / f"{stem}.stderr.log").write_text(r.stderr or "", encoding="utf-8")

    def ansinh(self, *args: str, timeout: int = 1800) -> str:
        r = subprocess.run([sys.executable, "-m", "ansinh", *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, cwd=self.var.parent)
        self._keep(" ".join(args), r)
        assert r.returncode == 0, (args, r.stderr[-3000:])
        return r.stdout

    def python(self, code: str, *args: str, name: str = "script", keep: bool = True):
        """Run `code` in the installation; its output is kept as a log unless it is the test's own
        reading of the identifiers (`keep=False`)."""
        r = subprocess.run([sys.executable, "-c", code, *args], env=self.env, capture_output=True, text=True,
                           timeout=900, cwd=self.var.parent)
        if keep:
            self._keep(name, r)
        assert r.returncode == 0, r.stderr[-3000:]
        return json.loads(r.stdout.strip().splitlines()[-1])


def build(var: Path, url: str) -> tuple[Installation, dict]:
    inst = Installation(var, url)
    inst.ansinh("init")
    inst.ansinh("demo", "setup", "--people", str(PEOPLE), "--no-logins", "--json")
    up = inst.python(UPLOADS, str(var / "demo" / "lists"), name="uploads")
    inst.ansinh("worker", "--once")
    known = inst.python(KNOWN, name="known", keep=False)
    assert up["bank_rows"] == 25
    assert len(known["ids"]) == SAMPLE and len(known["accounts"]) == SAMPLE, {k: len(v) for k, v in known.items()
                                                                          if isinstance(v, list)}
    assert known["account_lines"] > 0  # payroll lines kept their account snapshots
    uploads = [p for p in (var / "uploads").rglob("*") if p.is_file()]
    # what the test means to search is there: the two uploads (unless deleted after processing, which is allowed)
    assert (var / "uploads").exists() or not uploads
    return inst, known


def database_images(inst: Installation, dump_dir: Path) -> list[Path]:
    """The raw bytes of the database: SQLite's files, or a plain pg_dump of every table."""
    if inst.url.startswith("sqlite:"):
        db = Path("/" + urlsplit(inst.url).path.lstrip("/"))
        return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal")) if p.exists()]
    out = dump_dir / "dump.sql"
    parts = urlsplit(inst.url)
    env = {**os.environ, "PGPASSWORD": parts.password or ""}
    subprocess.run(["pg_dump", "--no-owner", "--no-privileges", "--file", str(out),
                    "--host", parts.hostname or "127.0.0.1", "--port", str(parts.port or 5432),
                    "--username", parts.username or "postgres", parts.path.lstrip("/")],
                   env=env, check=True, capture_output=True, timeout=600)
    return [out]


def files_to_search(inst: Installation, dump_dir: Path) -> dict[str, list[Path]]:
    var = inst.var
    return {"database": database_images(inst, dump_dir),
            "logs": sorted(p for p in var.rglob("*.log") if p.is_file())
            + sorted(p for p in (var / "logs").rglob("*") if p.is_file() and p.suffix != ".log"),
            "uploads": sorted(p for p in (var / "uploads").rglob("*") if p.is_file())}


def _where_in_dump(data: bytes, at: int) -> str:
    """The table a pg_dump offset is in (the COPY line before it)."""
    start = data.rfind(b"\nCOPY ", 0, at)
    return data[start + 1:data.find(b" (", start)].decode("utf-8", "replace") if start >= 0 else "?"


def _where_in_sqlite(db: Path, pattern: re.Pattern, kind_of: dict) -> dict[tuple[str, str], int]:
    """(kind, table.column) → rows holding a needle in clear, over the live rows of an SQLite file."""
    import sqlite3

    found: dict[tuple[str, str], int] = {}
    con = sqlite3.connect(f"file:{db.as_posix()}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            for row in con.execute(f'SELECT * FROM "{table}"'):
                for c, v in zip(cols, row, strict=True):
                    if v is None or isinstance(v, (int, float)):
                        continue
                    data = v if isinstance(v, bytes) else str(v).encode("utf-8")
                    for m in pattern.finditer(data):
                        key = (kind_of[m.group()], f"{table}.{c}")
                        found[key] = found.get(key, 0) + 1
    finally:
        con.close()
    return found


def search(inst: Installation, dump_dir: Path, needles: dict[str, list[str]]) -> list[str]:
    """Every place a needle is found: "kind: count in where (file)" lines (the numbers are demo data)."""
    kind_of = {v.encode(): k for k, vs in needles.items() for v in vs}
    pattern = re.compile(b"|".join(re.escape(v) for v in sorted(kind_of, key=len, reverse=True)))
    hits = []
    for area, paths in files_to_search(inst, dump_dir).items():
        for p in paths:
            data = p.read_bytes()
            seen: dict[tuple[str, str], int] = {}
            for m in pattern.finditer(data):
                where = _where_in_dump(data, m.start()) if area == "database" and p.suffix == ".sql" else area
                key = (kind_of[m.group()], where)
                seen[key] = seen.get(key, 0) + 1
            name = p.relative_to(inst.var) if p.is_relative_to(inst.var) else p.name
            if seen and area == "database" and p.suffix != ".sql":  # name the tables (live rows) too
                live = _where_in_sqlite(p, pattern, kind_of) if p.name.endswith(".sqlite3") else {}
                total = sum(seen.values())
                seen = live | {("(any)", "file bytes, live rows or free pages"): total}
            for (kind, where), n in sorted(seen.items()):
                hits.append(f"{kind}: {n} in {where} ({name})")
    return hits


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def installation(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(f"rawsearch-{request.param}")
    if request.param == "sqlite":
        inst, known = build(work / "var", f"sqlite:///{work / 'var' / 'ansinh.sqlite3'}")
        yield inst, known, work
        return
    base_url = _pg_url()
    if not base_url:
        pytest.skip("PostgreSQL: no server configured (set DATABASE_URL=postgres://…, as make test does)")
    if shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL: pg_dump is not installed, the raw database cannot be read")
    import psycopg

    parts = urlsplit(base_url)
    name = f"{parts.path.lstrip('/') or 'ansinh'}_rawsearch_{uuid.uuid4().hex[:6]}"
    admin = urlunsplit(parts._replace(path="/postgres"))

    def sql(statement):
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(statement)

    sql(f'CREATE DATABASE "{name}"')
    try:
        inst, known = build(work / "var", urlunsplit(parts._replace(path="/" + name)))
        yield inst, known, work
    finally:
        sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_no_known_id_or_account_number_in_the_database_logs_or_uploads(installation):
    inst, known, work = installation
    hits = search(inst, work, {"ID number": known["ids"], "account number": known["accounts"]})
    assert hits == [], "identifiers found in clear:\n" + "\n".join(hits)


def test_no_known_phone_number_in_the_database_logs_or_uploads(installation):
    inst, known, work = installation
    assert len(known["phones"]) >= 20  # the demo gives some people a phone number
    hits = search(inst, work, {"phone number": known["phones"]})
    assert hits == [], "phone numbers found in clear:\n" + "\n".join(hits)
