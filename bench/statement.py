"""Benchmark of reading a bank statement (MT940) against a run (issue 14: a 60,000-line statement
reconciled in ≤ 5 s), on PostgreSQL.

Builds a province run of N synthetic beneficiaries (bench/payroll.py's data and generation), approves
and exports it, writes the programme account's statement with one debit per line (every 50th line
returned the same day), then times `ansinh.payroll.statements.import_statement` (read, check,
set-based update, the run's reconciliation). Appends to bench/RESULTS.md.

    .venv/bin/python bench/statement.py [--n 60000] [--pg postgres://postgres@127.0.0.1:5432] [--no-write]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_PAYROLL_DB", "bench_statement")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import payroll as pb  # noqa: E402 - bench/payroll.py: setup, populate, _bench_user, _admin
from _machine import machine, record  # noqa: E402


def write_statement(run, path: Path) -> int:
    from ansinh.payroll.models import PayrollLine

    rows = list(PayrollLine.objects.filter(run=run).order_by("id").values_list("id", "amount"))
    bal = opening = sum(a for _, a in rows) + 1_000_000_000
    out = [":20:BENCH-STMT", ":25:970405/1000123456", ":28C:1/1", f":60F:C251220VND{opening},"]
    for i, (pk, amount) in enumerate(rows, 1):
        out += [f":61:2512201220D{amount},NTRFL{pk}//B{i}", f":86:ANSINH L{pk} TCXH 12/2025"]
        bal -= amount
        if i % 50 == 0:
            out += [f":61:2512201220C{amount},NRTIL{pk}//R{i}", ":86:RETURN AC04 CLOSED ACCOUNT"]
            bal += amount
    out.append(f":62F:C251220VND{bal},")
    path.write_text("\r\n".join(out) + "\r\n-\r\n", encoding="utf-8")
    return len(rows) + len(rows) // 50


def prepare_bare(run) -> None:
    """A copy of the line table (LIKE … INCLUDING ALL: same indexes) filled with the run's lines as
    they were sent (pending), and a table of (line, day) with an index: made before the statement is
    read, not timed."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute("CREATE TABLE bench_bare (LIKE payroll_payrollline INCLUDING ALL)")
        cur.execute("INSERT INTO bench_bare SELECT * FROM payroll_payrollline WHERE run_id = %s ORDER BY id",
                    [run.pk])
        cur.execute("CREATE TEMPORARY TABLE bench_in AS SELECT id AS line_id, DATE '2025-12-20' AS day"
                    " FROM bench_bare")
        cur.execute("CREATE INDEX ON bench_in (line_id)")
        cur.execute("ANALYZE bench_bare")
        cur.execute("ANALYZE bench_in")


def bare() -> float:
    """The floor, same run: one UPDATE … FROM marking every line of the copy paid."""
    from django.db import connection

    with connection.cursor() as cur:
        t = time.perf_counter()
        cur.execute("UPDATE bench_bare SET result = 'paid', paid_on = s.day FROM bench_in s WHERE bench_bare.id ="
                    " s.line_id")
        el = time.perf_counter() - t
        cur.execute("DROP TABLE bench_bare")
        cur.execute("DROP TABLE bench_in")
    return el


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=70_000, help="beneficiaries (70,000 give about 60,600 lines)")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    load0 = os.getloadavg()
    pb.setup(a.pg)
    from django.db import connection

    from ansinh.payroll import approval, generate, statements

    maker = pb._bench_user("bench-maker", "province_officer")
    checker = pb._bench_user("bench-checker", "approver")
    pb.populate(a.n)
    run = generate.generate("2025-12", province_code="20", user=maker)
    approval.approve(run, checker)
    approval.export(run, user=checker)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "statement.sta"
        entries = write_statement(run, path)
        prepare_bare(run)
        size = path.stat().st_size
        t = time.perf_counter()
        rep = statements.import_statement(path, user=checker)
        el = time.perf_counter() - t
    r = rep["runs"][run.pk]
    assert r["states_balanced"] and r["pending"]["lines"] == 0
    floor = bare()
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        ver = cur.fetchone()[0].split(" on ")[0]
    connection.close()
    pb._admin(a.pg, f"DROP DATABASE IF EXISTS {pb.DB}")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "\n".join([
        f"\n## bank statement (MT940) — {now}\n", f"- machine: {machine()}; {ver}",
        f"- load average at start (1/5/15 min): {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}",
        f"- data: a province run of {r['total']['lines']:,} lines (bench/payroll.py's synthetic beneficiaries), "
        f"approved and exported; a statement of {entries:,} entries ({size / 1e6:.1f} MB: a debit per line, every "
        "50th transfer returned the same day)",
        f"- `statements.import_statement` (read with mt-940's field patterns line by line, balance check, checks in "
        f"a temporary table, set-based updates, the run's reconciliation): **{el:.2f} s** (target ≤ 5 s: "
        f"{'met' if el <= 5 else 'NOT met'}); confirmed {r['confirmed']['lines']:,} "
        f"({r['confirmed']['total_vnd']:,} đ), reversed {r['reversed']['lines']:,} ({r['reversed']['total_vnd']:,} đ), "
        f"pending {r['pending']['lines']}; sent = confirmed + failed + reversed + pending: {r['states_balanced']}; "
        f"load after {os.getloadavg()[0]:.2f}",
        f"- floor in the same run: one bare `UPDATE … FROM` marking the same {r['total']['lines']:,} lines paid on a "
        f"copy of the line table (same indexes): {floor:.2f} s; ratio **{el / floor:.2f}×**"])
    print(text)
    if not a.no_write:
        record(text + "\n")


if __name__ == "__main__":
    main()
