"""Backup → restore into an empty database finds the same data: `ansinh backup` of an installation
with imported lists, an approved payroll run and uploaded files, then `ansinh restore` into a fresh
SQLite file (and a fresh PostgreSQL database when one answers) with an empty VAR_DIR.

Real processes and real databases: each step is the `ansinh` command an operator runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PASSWORD = "Mk-thu-nghiem-2024"
ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "ansinh-backup.service"

# Reads the figures the restore must keep (run in the installation's own process).
SNAPSHOT = r"""
import hashlib, json, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
django.setup()
from django.conf import settings
from django.db.models import Count, Sum
from ansinh.payroll.models import PayrollLine, PayrollRun
from ansinh.registry.models import Person
from ansinh.core.selectors import served_provinces
runs = {str(r.pk): [r.period, r.status, r.province_code,
                    *PayrollLine.objects.filter(run=r).aggregate(n=Count("id"), s=Sum("amount")).values()]
        for r in PayrollRun.objects.order_by("pk")}
var = settings.VAR_DIR
files = {str(p.relative_to(var)): hashlib.sha256(p.read_bytes()).hexdigest()
         for top in ("uploads", "media") for p in sorted((var / top).rglob("*")) if p.is_file()}
print(json.dumps({"persons": Person.objects.count(), "runs": runs, "files": files,
                  "provinces": served_provinces()}))
"""

# An upload as the web stores one (core.uploads.store_upload) and an outreach attachment (MEDIA_ROOT).
UPLOAD = r"""
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from ansinh.core.uploads import store_upload
store_upload(SimpleUploadedFile("Danh sách xã.xlsx", open(sys.argv[1], "rb").read()), "registry")
default_storage.save("outreach/attachments/2024/cong-van.pdf", ContentFile(b"%PDF-1.4 bien ban\n"))
"""


def run(args, env, ok=True):
    r = subprocess.run([sys.executable, "-m", "ansinh", *args], env=env, capture_output=True, text=True, timeout=900)
    if ok:
        assert r.returncode == 0, (args, r.stderr[-2000:])
    return r


def py(code, env, *args):
    r = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None


def base_env(var: Path, url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ANSINH_DEMO",)}
    env.update({"DATABASE_URL": url, "ANSINH_VAR": str(var), "PYTHONPATH": str(ROOT / "src"),
                "SECRET_KEY": "backup-test-" + "k" * 60, "ALLOWED_HOSTS": "localhost"})
    return env


def unit_command(backups: Path) -> list[str]:
    """ExecStart of deploy/systemd/ansinh-backup.service, with the test's folder for its archives."""
    line = next(x for x in UNIT.read_text().splitlines() if x.startswith("ExecStart="))
    words = line.removeprefix("ExecStart=").split()
    assert words[0] == "/opt/ansinh/venv/bin/ansinh" and words[1] == "backup"
    return [words[0], *[str(backups) if w == "/var/backups/ansinh" else w for w in words[1:]]]


def make_installation(env: dict, work: Path) -> dict:
    """A Cao Bằng installation with lists imported, a payroll run approved, uploaded files; its snapshot."""
    run(["init", "--province", "04"], env)
    lists = work / "lists"
    run(["demo", "data", "--people", "60", "--seed", "2", "--out", str(lists)], env | {"ANSINH_DEMO": "1"})
    (lists / "ground_truth.csv").unlink()
    run(["registry", "import", str(lists), "--paid-through", "2024-10"], env)
    for name, role in (("bk_tinh", "province_officer"), ("bk_duyet", "approver")):
        run(["users", "create", name, "--password", PASSWORD, "--role", role, "--unit", "04"], env)
    made = json.loads(run(["payroll", "generate", "--period", "2024-11", "--as", "bk_tinh", "--json"], env).stdout)
    assert made["lines"] > 40 and made["total_vnd"] > 0
    run(["payroll", "approve", str(made["run"]), "--as", "bk_duyet"], env)
    py(UPLOAD, env, str(sorted(lists.glob("*.xlsx"))[0]))
    snap = py(SNAPSHOT, env)
    assert snap["runs"][str(made["run"])][1] == "approved" and snap["runs"][str(made["run"])][4] == made["total_vnd"]
    assert len(snap["files"]) == 2 and snap["provinces"] == ["04"]
    return snap


def backup_restore_round_trip(tmp_path: Path, src_url: str, dst_url: str) -> None:
    src_env = base_env(tmp_path / "var-src", src_url)
    before = make_installation(src_env, tmp_path)

    # the systemd unit's own command line, its paths swapped for the test's (and --keep 2 added last)
    backups = tmp_path / "backups"
    made = [json.loads(run([*unit_command(backups)[1:], "--keep", "2", "--json"], src_env).stdout)
            for _ in range(3)]
    kept = sorted(p.name for p in backups.iterdir())
    assert kept == sorted(Path(m["archive"]).name for m in made[1:])  # retention: the 2 newest
    assert made[2]["removed"] == [Path(made[0]["archive"]).name]
    archive = made[-1]["archive"]
    assert oct(Path(archive).stat().st_mode & 0o777) == "0o700"

    # an empty database and an empty VAR_DIR
    dst_env = base_env(tmp_path / "var-dst", dst_url)
    out = json.loads(run(["restore", archive, "--json"], dst_env).stdout)
    assert out["files"] >= 2
    run(["init"], dst_env)  # nothing to migrate: the same version
    after = py(SNAPSHOT, dst_env)
    assert after == before

    # a database with tables is not overwritten unless --force
    r = run(["restore", archive], dst_env, ok=False)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--force" in r.stderr
    run(["restore", archive, "--force"], dst_env)
    assert py(SNAPSHOT, dst_env) == before

    # a damaged archive is refused before anything is touched
    dump = next(p for p in Path(archive).iterdir() if p.name.startswith("database."))
    with open(dump, "r+b") as fh:
        fh.seek(200)
        fh.write(b"\xff\xfe")
    r = run(["restore", archive, "--force"], dst_env, ok=False)
    assert r.returncode == 2 and "checksum" in r.stderr


def test_backup_and_restore_sqlite(tmp_path):
    backup_restore_round_trip(tmp_path, f"sqlite:///{tmp_path / 'source.sqlite3'}",
                              f"sqlite:///{tmp_path / 'restored.sqlite3'}")


def _pg_server_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.mark.skipif(not _pg_server_url(), reason="PostgreSQL: set DATABASE_URL=postgres://… (make test does)")
def test_backup_and_restore_postgresql(tmp_path):
    """Into a fresh database h_<name>_restore made (and dropped) here, from a fresh source database."""
    import psycopg

    parts = urlsplit(_pg_server_url())
    base = parts.path.lstrip("/") or "ansinh"
    names = {"src": f"{base}_bksrc_{uuid.uuid4().hex[:6]}", "dst": f"{base}_restore"}
    admin = urlunsplit(parts._replace(path="/postgres"))

    def sql(statement):
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(statement)

    for name in names.values():
        sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        sql(f'CREATE DATABASE "{name}"')
    try:
        backup_restore_round_trip(tmp_path, urlunsplit(parts._replace(path="/" + names["src"])),
                                  urlunsplit(parts._replace(path="/" + names["dst"])))
    finally:
        for name in names.values():
            sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
