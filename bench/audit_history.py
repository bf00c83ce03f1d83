"""Cost of chaining registry history into the audit log (decision 0023): one `log_changes` call of N
ChangeLog rows (an import's history) with its audit entry, against the audit entry alone
(`audit.services.record_changes`: reading the rows back, their digest, the people named), same
process, same database. Also `ansinh audit verify` over the result.

    .venv/bin/python bench/audit_history.py [--n 60000] [--repeat 3]   (DATABASE_URL: a throwaway DB;
                                                                        default a temporary SQLite file)
Appends to bench/RESULTS.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=60000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    os.environ.setdefault("ANSINH_VAR", tempfile.mkdtemp(prefix="bench-audit-"))
    os.environ.setdefault("ANSINH_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from ansinh.audit.selectors import verify
    from ansinh.audit.services import record_changes
    from ansinh.registry.history import Change, log_changes
    from ansinh.registry.models import ChangeLog

    call_command("migrate", verbosity=0)
    whole, alone, ver = [], [], []
    for r in range(a.repeat):
        changes = [Change("registry.person", r * a.n + i, None, "phone", "", f"09{i:08d}", None, "20")
                   for i in range(a.n)]
        at = timezone.now() + dt.timedelta(seconds=r)
        t0 = time.perf_counter()
        with transaction.atomic():
            log_changes(changes, user=None, source=f"bench:{r}", at=at)
        whole.append(time.perf_counter() - t0)
        ids = ChangeLog.objects.filter(source=f"bench:{r}").order_by("pk").values_list("pk", flat=True)
        t0 = time.perf_counter()
        with transaction.atomic():
            record_changes(first=ids.first(), last=ids.last(), at=at, source=f"bench:{r}", user=None)
        alone.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assert verify()["ok"]
        ver.append(time.perf_counter() - t0)
    from _machine import machine, record

    w, al, v = statistics.median(whole), statistics.median(alone), ver[-1]
    text = (f"\n## Audit log: registry history chained (bench/audit_history.py), {dt.date.today().isoformat()}\n\n"
            f"{machine()}; {connection.vendor}; {a.n:,} ChangeLog rows per call, median of {a.repeat}.\n\n"
            f"| step | seconds |\n|---|---|\n"
            f"| `log_changes` with its audit entry | {w:.2f} |\n"
            f"| the audit entry alone (`record_changes`) | {al:.2f} |\n"
            f"| share of the history write spent on the audit entry | {al / w:.0%} |\n"
            f"| `ansinh audit verify` ({a.repeat * 2} entries re-reading {a.repeat * 2 * a.n:,} history rows) "
            f"| {v:.2f} |\n"
            f"\nThe machine was shared with other jobs (2 cores, 8 sessions): compare the share, not the seconds.\n")
    print(text)
    if not a.no_write:
        record(text)


if __name__ == "__main__":
    main()
