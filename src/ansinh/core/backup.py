"""Backups and restore of an installation: the database and the files under VAR_DIR.

``make_backup(dest, keep)`` writes one dated archive directory
``ansinh-backup-YYYYMMDD-HHMMSS/`` (UTC) under ``dest``:

* ``database.dump`` — PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore``);
  or ``database.sqlite3`` — SQLite: a consistent copy made with the online backup API
  (``sqlite3.Connection.backup``) while the site keeps running;
* ``files.tar.gz`` — everything under VAR_DIR that is data: uploaded lists, bank lists,
  evidence, outreach attachments (``media/``), payroll files, demo lists. Left out: the SQLite
  database (copied above), the cache, collected static files, backups, the demo secret key;
* ``manifest.json`` — when, from which database engine, the ansinh version, the applied
  migrations and the SHA-256 of each part (checked before any restore).

The archive is written under a hidden ``.partial`` name and renamed when complete, so an
interrupted backup never counts as one. Retention: after a backup, only the ``keep`` newest
complete archives in ``dest`` are kept (older ones are deleted). Archives hold personal data:
directories 0700, files 0600.

``restore(archive, force)`` puts an archive back into the database named by DATABASE_URL and
into VAR_DIR. It refuses a database that already has tables (or files that would be
overwritten) unless ``force``; the engine must be the archive's. Run ``ansinh init`` after a
restore (migrates an older archive forward; nothing to do for a current one).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

import typer
from django.conf import settings
from django.db import connection, connections

PREFIX = "ansinh-backup-"
MANIFEST = "manifest.json"
FILES = "files.tar.gz"
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
DEFAULT_KEEP = 14

# Under VAR_DIR: not data, or copied another way.
EXCLUDED_TOP = {"cache", "static", "backups", "secret_key", "tmp"}


class BackupError(Exception):
    """A one-line reason for the operator (the CLI exits 2 with it)."""


@dataclass
class Result:
    archive: Path
    database: str
    files: int
    bytes: int
    removed: list[str]

    def as_dict(self) -> dict:
        return {"archive": str(self.archive), "database": self.database, "files": self.files,
                "bytes": self.bytes, "removed": self.removed}


# --------------------------------------------------------------------------- helpers

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _vendor() -> str:
    return connection.vendor  # "postgresql" | "sqlite"


def _sqlite_path() -> Path:
    return Path(str(connection.settings_dict["NAME"])).resolve()


def _pg_args() -> tuple[list[str], dict]:
    """Connection options for pg_dump / pg_restore from Django's settings (the password in the
    environment, never on the command line)."""
    s = connection.settings_dict
    args = ["--dbname", str(s["NAME"])]
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    return args, env


def _run(cmd: list[str], env: dict) -> None:
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"{cmd[0]} not found (Debian: apt install postgresql-client-15)") from None
    if proc.returncode != 0:
        last = (proc.stderr or proc.stdout).strip().splitlines()
        raise BackupError(f"{cmd[0]} failed: {last[-1] if last else f'exit {proc.returncode}'}")


def _data_files(var_dir: Path, skip: set[Path]) -> list[Path]:
    """Files under VAR_DIR that are data (see EXCLUDED_TOP; `skip`: the SQLite database and
    its companions, the backup folder), sorted."""
    if not var_dir.is_dir():
        return []
    out = []
    for p in sorted(var_dir.rglob("*")):
        rel = p.relative_to(var_dir)
        if rel.parts[0] in EXCLUDED_TOP or rel.parts[0].startswith(".") or not p.is_file() or p.is_symlink():
            continue
        r = p.resolve()
        if r in skip or any(parent in skip for parent in r.parents):
            continue
        out.append(p)
    return out


def _applied_migrations() -> dict[str, str]:
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).migration_qs.values_list("app", "name").order_by("app", "name"):
        latest[app] = name
    return latest


# --------------------------------------------------------------------------- backup

def make_backup(dest: Path | str | None = None, keep: int = DEFAULT_KEEP, now: dt.datetime | None = None) -> Result:
    """One complete archive under `dest` (default VAR_DIR/backups), then retention: the `keep`
    newest archives stay."""
    if keep < 1:
        raise BackupError("--keep: at least 1 (the archive just made)")
    var_dir = Path(settings.VAR_DIR).resolve()
    dest = Path(dest).resolve() if dest else var_dir / "backups"
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)
    now = now or dt.datetime.now(dt.timezone.utc)
    name = PREFIX + now.strftime("%Y%m%d-%H%M%S")
    n = 1
    while (dest / name).exists():
        n += 1
        name = PREFIX + now.strftime("%Y%m%d-%H%M%S") + f"-{n:02d}"
    work = dest / f".{name}.partial"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(mode=0o700)
    vendor = _vendor()
    skip = {dest}
    try:
        if vendor == "postgresql":
            db_file = work / PG_DUMP
            args, env = _pg_args()
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(db_file), *args], env)
        elif vendor == "sqlite":
            db_file = work / SQLITE_COPY
            src_path = _sqlite_path()
            skip |= {src_path.with_name(src_path.name + x) for x in ("", "-wal", "-shm", "-journal")}
            src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
            dst = sqlite3.connect(db_file)
            try:
                with dst:
                    src.backup(dst)  # online: a consistent copy while others write
            finally:
                dst.close()
                src.close()
        else:
            raise BackupError(f"no backup for the {vendor} database engine")
        files = _data_files(var_dir, skip)
        tar_path = work / FILES
        with tarfile.open(tar_path, "w:gz", compresslevel=6) as tar:
            for f in files:
                tar.add(f, arcname=str(f.relative_to(var_dir)), recursive=False)
        from importlib.metadata import PackageNotFoundError, version

        try:
            ansinh_version = version("ansinh")
        except PackageNotFoundError:
            ansinh_version = ""
        manifest = {
            "format": 1, "created_at": now.isoformat(timespec="seconds"), "database": vendor,
            "ansinh_version": ansinh_version, "migrations": _applied_migrations(),
            "parts": {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in (db_file, tar_path)},
            "files": len(files),
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        for p in work.iterdir():
            os.chmod(p, 0o600)
        archive = dest / name
        work.rename(archive)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    size = sum(p.stat().st_size for p in archive.iterdir())
    return Result(archive, vendor, len(files), size, prune(dest, keep))


def archives(dest: Path) -> list[Path]:
    """Complete archives in `dest`, oldest first (the name is the UTC time)."""
    return sorted(p for p in Path(dest).iterdir()
                  if p.is_dir() and p.name.startswith(PREFIX) and (p / MANIFEST).is_file())


def prune(dest: Path, keep: int) -> list[str]:
    """Delete all but the `keep` newest complete archives (and leftovers of interrupted ones);
    the names removed."""
    removed = []
    for p in archives(dest)[:-keep] if keep else archives(dest):
        shutil.rmtree(p)
        removed.append(p.name)
    for p in Path(dest).glob(f".{PREFIX}*.partial"):
        shutil.rmtree(p, ignore_errors=True)
    return removed


# --------------------------------------------------------------------------- restore

def read_manifest(archive: Path) -> dict:
    archive = Path(archive)
    try:
        manifest = json.loads((archive / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{archive}: not a backup archive (no {MANIFEST})") from None
    except ValueError:
        raise BackupError(f"{archive}/{MANIFEST}: not valid JSON") from None
    for part, meta in manifest.get("parts", {}).items():
        path = archive / part
        if not path.is_file():
            raise BackupError(f"{archive}: {part} is missing")
        if _sha256(path) != meta.get("sha256"):
            raise BackupError(f"{archive}: {part} does not match its checksum (damaged archive)")
    return manifest


def database_is_empty() -> bool:
    if _vendor() == "sqlite":
        path = _sqlite_path()
        if not path.exists() or path.stat().st_size == 0:
            return True
    return not connection.introspection.table_names()


def restore(archive: Path | str, force: bool = False) -> dict:
    """Put an archive back (database, then files). Refuses a database with tables, or files
    that would be overwritten, unless `force`."""
    archive = Path(archive).resolve()
    manifest = read_manifest(archive)
    vendor = _vendor()
    if manifest.get("database") != vendor:
        raise BackupError(f"{archive.name}: a {manifest.get('database')} backup; this installation's database "
                          f"is {vendor} (DATABASE_URL)")
    if not force and not database_is_empty():
        raise BackupError("the database already has tables: restore into an empty database, or add --force "
                          "to replace its contents")
    var_dir = Path(settings.VAR_DIR).resolve()
    with tarfile.open(archive / FILES, "r:gz") as tar:
        members = tar.getmembers()
        if not force:
            clash = next((m.name for m in members if (var_dir / m.name).exists()), None)
            if clash:
                raise BackupError(f"{clash} already exists under {var_dir}: add --force to overwrite")
    if vendor == "postgresql":
        args, env = _pg_args()
        cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", *args]
        if force:
            cmd += ["--clean", "--if-exists"]
        connections.close_all()
        _run([*cmd, str(archive / PG_DUMP)], env)
        with connection.cursor() as cur:  # pg_restore leaves the planner without statistics (core/db.py)
            cur.execute("ANALYZE")
    else:
        target = _sqlite_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        connections.close_all()
        src = sqlite3.connect(f"file:{archive / SQLITE_COPY}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            with dst:
                src.backup(dst)  # replaces the whole target database
        finally:
            dst.close()
            src.close()
    var_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive / FILES, "r:gz") as tar:
        tar.extractall(var_dir, filter="data")  # no absolute paths, no "..", no devices
    return {"archive": str(archive), "database": vendor, "files": manifest.get("files", 0),
            "created_at": manifest.get("created_at", "")}


# --------------------------------------------------------------------------- command line
# Registered as top-level commands by ansinh.core.cli (the installation verbs).

def backup_cmd(
    dest: str = typer.Option("", "--dest", help="Folder of the archives (default: VAR_DIR/backups; "
                                                "better another disk or a mounted remote)."),
    keep: int = typer.Option(DEFAULT_KEEP, "--keep", help="Keep this many newest archives in --dest "
                                                          "(older ones are deleted after a successful backup)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Back up the database (pg_dump -Fc, or SQLite's online backup) and the uploaded files into
    one dated archive folder; keep the --keep newest."""
    from ansinh.cli import emit, fail

    try:
        result = make_backup(dest or None, keep)
    except BackupError as exc:
        fail(str(exc))
    emit(result.as_dict(), json_out, lambda d: print(
        f"ansinh backup: {d['archive']} ({d['database']}, {d['files']} files, {d['bytes']:,} bytes)"
        + (f"; removed {len(d['removed'])} old archive(s)" if d["removed"] else "")))


def restore_cmd(
    archive: str = typer.Argument(..., metavar="ARCHIVE", help="An archive folder made by `ansinh backup`."),
    force: bool = typer.Option(False, "--force", help="Replace a database that has tables, and existing files."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Restore an archive into the database of DATABASE_URL and into VAR_DIR (an empty
    database unless --force); then run `ansinh init`."""
    from ansinh.cli import emit, fail

    try:
        result = restore(archive, force=force)
    except BackupError as exc:
        fail(str(exc))
    emit(result, json_out, lambda d: print(f"ansinh restore: {d['archive']} ({d['database']}, "
                                           f"{d['files']} files, made {d['created_at']}); now run `ansinh init`"))
