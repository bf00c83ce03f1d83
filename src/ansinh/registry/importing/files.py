"""A list file into the registry (``import_file``): checksum (the same bytes import once), read,
one transaction with one retry, the importing connection tuned on SQLite; a folder expanded to the
list files in it; the month option of an import."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from django.db import IntegrityError, transaction

from ansinh.core.db import refresh_statistics
from ansinh.core.jobs import BadInput, Progress
from ansinh.core.roles import can_edit
from ansinh.registry.importing.importer import Importer
from ansinh.registry.models import ChangeLog, Enrolment, ImportBatch, ImportRow, PaymentAccount, Person, QualityIssue
from ansinh.registry.routing import OutsideScope
from ansinh.text.dates import parse_month

LIST_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def sha256_of(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def month_str(value) -> str:
    """The import's month option ("paid through") as 'YYYY-MM' ('' when not given): read by
    text.dates.parse_month(lenient=True) (YYYY-MM, MM/YYYY, ...; a date gives its month)."""
    if value in (None, ""):
        return ""
    try:
        return parse_month(value.isoformat() if isinstance(value, dt.date) else str(value), lenient=True)
    except ValueError:
        raise BadInput(f"tháng không hợp lệ: {str(value).strip()!r} (cần YYYY-MM hoặc MM/YYYY)") from None

# when it passes ~80 MB, and trimmed back to 16 MB after each checkpoint.
_SQLITE_IMPORT_PRAGMAS = ("PRAGMA cache_size = -131072", "PRAGMA wal_autocheckpoint = 20000",
                          "PRAGMA journal_size_limit = 16777216")


def _tune_sqlite() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        for pragma in _SQLITE_IMPORT_PRAGMAS:
            cur.execute(pragma)


# the tables an import writes in bulk (their planner statistics are refreshed after it: core/db.py)
WRITTEN = (Person, Enrolment, PaymentAccount, QualityIssue, ChangeLog, ImportRow)


def import_file(path, user, paid_through=None, progress: Progress | None = None, *,
                file_name: str | None = None, province: str | None = None, job_id=None) -> dict:
    """Import one list file as `user` (an editor; the command line passes core.roles.OPERATOR,
    None is refused); return its report (see ansinh.registry.importing)."""
    from ansinh.registry.reader import ReadError, read_list

    path = Path(path)
    progress = progress or Progress()
    name = file_name or path.name
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền nhập danh sách")
    paid = month_str(paid_through)
    try:
        digest = sha256_of(path)
    except OSError as exc:
        raise BadInput(f"{name}: không đọc được tệp ({exc.strerror or exc})") from None
    earlier = ImportBatch.objects.filter(sha256=digest).first()
    if earlier is not None:
        return {**earlier.report, "already_imported": True, "batch": earlier.pk}
    try:
        parsed = read_list(path)
    except ReadError as exc:
        raise BadInput(f"{name}: {exc.message}") from None
    _tune_sqlite()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                report = Importer(parsed, path=path, file_name=name, digest=digest, user=user, paid_through=paid,
                                  province=province, progress=progress, job_id=job_id).run()
            refresh_statistics(*WRITTEN)  # the next bulk read plans with today's row counts (core/db.py)
            return report
        except IntegrityError:
            # Another import committed the same file, or a person with the same ID, meanwhile.
            earlier = ImportBatch.objects.filter(sha256=digest).first()
            if earlier is not None:
                return {**earlier.report, "already_imported": True, "batch": earlier.pk}
            if attempt == 2 or transaction.get_connection().in_atomic_block:
                raise
    raise AssertionError("unreachable")


def list_files(paths) -> list[Path]:
    """Expand directories to the list files in them (sorted); keep files as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in LIST_EXTENSIONS
                          and not q.name.startswith(("~$", ".")))
        else:
            out.append(p)
    return out

