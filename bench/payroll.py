"""Benchmark of payroll generation (set-based INSERT … SELECT) on PostgreSQL.

Creates a throwaway database `bench_payroll` (dropped first), migrates it, makes N synthetic
persons + enrolments (+ accounts for 40 %) with INSERT … SELECT generate_series, then times
`ansinh.payroll.generate.generate` for the whole province, and a bare INSERT … SELECT of the
same number of rows into a copy of the line table (same indexes). Appends to bench/RESULTS.md.

    .venv/bin/python bench/payroll.py [--n 60000 --n 1000000] [--pg postgres://postgres@127.0.0.1:5432] [--no-write]

Up to --files-up-to beneficiaries (default 100,000) it also times the export of every file
and the reconciliation of a full result file.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = os.environ.get("BENCH_PAYROLL_DB", "bench_payroll")


def _admin(pg: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as c:
        c.execute(sql)


def setup(pg: str) -> None:
    _admin(pg, f"DROP DATABASE IF EXISTS {DB}")
    _admin(pg, f"CREATE DATABASE {DB}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "ansinh.settings"
    os.environ.setdefault("ANSINH_DEMO", "1")  # the fabricated result file is a demo helper
    os.environ["DATABASE_URL"] = f"{pg}/{DB}"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(n: int) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE payroll_payrollline, payroll_payrollrun, registry_paymentaccount, registry_enrolment,"
                    " registry_person RESTART IDENTITY CASCADE")
        cur.execute("""
INSERT INTO registry_person (id_number, full_name, name_key, dob, dob_precision, ethnicity, phone, phone_hash,
  village, address_text, status, paid_through, province_code, created, updated)
SELECT lpad(g::text, 12, '0'), 'Người ' || g, 'NGUOI ' || g, DATE '1930-01-01' + (g %% 30000), 'day', '', '', '',
  '', '', 'alive', '2025-11', '20', now(), now()
FROM generate_series(1, %s) g""", [n])
        cur.execute("""
INSERT INTO registry_enrolment (person_id, programme, category, category_label, sub_case, decision_number,
  start_month, end_month, status, status_reason, province_code, created, updated)
SELECT id, 'tcxh', (ARRAY['5.6-severe','5.6-very-severe','5.5c','5.1','5.4','5.8'])[1 + id % 6], '', '', '',
  '2024-01', '', 'active', '', '20', now(), now() FROM registry_person""")
        cur.execute("""
INSERT INTO registry_paymentaccount (person_id, provider, provider_name, account_number, holder, holder_name,
  source, created)
SELECT id, (ARRAY['970405','970415','970418','970436','970449','971005'])[1 + id % 6], '', (100000000 + id)::text,
  'beneficiary', full_name, 'bench', now() FROM registry_person WHERE id % 5 < 2""")
        # Stored as production stores them (decision 0025): ciphertext and keyed hash, not the synthetic
        # numbers in clear (the lines copy the account's ciphertext, longer than the number). Not timed.
        _seal(cur, "registry_person", "id_number", "id_number_hash")
        _seal(cur, "registry_paymentaccount", "account_number", "account_number_hash")
        # the UPDATEs left a dead row version per sealed row: a live table has been vacuumed (autocommit here)
        cur.execute("VACUUM ANALYZE registry_person")
        cur.execute("VACUUM ANALYZE registry_paymentaccount")
        cur.execute("ANALYZE")


def _seal(cur, table: str, column: str, hash_column: str, chunk: int = 500_000) -> None:
    """Encrypt a synthetic identifier column in place, chunk by chunk (encrypt_many, then one UPDATE … FROM
    a COPY-loaded temporary table per chunk)."""
    from ansinh.core import crypto
    from ansinh.core.db import load_temp_table

    last = 0
    while True:
        cur.execute(f"SELECT id, {column} FROM {table} WHERE id > %s AND {column} <> '' ORDER BY id LIMIT %s",
                    [last, chunk])
        rows = cur.fetchall()
        if not rows:
            return
        values = [r[1] for r in rows]
        load_temp_table(cur, "bench_seal", "id bigint, v text, h text",
                        list(zip([r[0] for r in rows], crypto.encrypt_many(values), crypto.lookup_hash_many(values))),
                        index_on="id")
        cur.execute(f"UPDATE {table} t SET {column} = s.v, {hash_column} = s.h FROM bench_seal s WHERE t.id = s.id")
        last = rows[-1][0]


def bare(n: int) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute("CREATE TABLE bench_bare (LIKE payroll_payrollline INCLUDING ALL)")
        cur.execute("SELECT id FROM payroll_payrollrun ORDER BY id DESC LIMIT 1")
        run_id = cur.fetchone()[0]
        t = time.perf_counter()
        cur.execute("""
INSERT INTO bench_bare (run_id, person_id, programme, period_month, category, coefficient_milli, level, amount,
  channel, payee, account_id, provider, account_number, scope_commune_id, province_code, active, result,
  result_reason, paid_on)
SELECT %s, p.id, 'tcxh', '2025-12', '5.6-severe', 1500, 500000, 750000, 'cash', 'beneficiary', NULL, 'VNPOST',
  '', p.scope_commune_id, p.province_code, TRUE, 'pending', '', NULL FROM registry_person p""", [run_id])
        el = time.perf_counter() - t
        cur.execute("DROP TABLE bench_bare")
    return el


def _bench_user(username: str, role: str):
    """A user with `role` who sees everything (the bench database has no administrative units)."""
    from ansinh.core.services import upsert_user

    user = upsert_user(username, None, roles=[role], unit_codes=[])
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return user


def export_reconcile(run) -> tuple[dict, dict]:
    """Approve, export every file (provider .csv/.xlsx with totals and checksum, cash list .xlsx
    and PDF, G2P JSON), write a demo result file (every 10th line unpaid) and reconcile it."""
    import tempfile

    from ansinh.payroll import approval, files, reconcile

    checker = _bench_user("bench-checker", "approver")
    approval.approve(run, checker)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        paths = approval.export(run, d, user=checker, pdf=True)
        exp_s = time.perf_counter() - t
        size = sum(Path(p).stat().st_size for p in paths)
        result = Path(d) / "result.csv"
        files.write_demo_result(run, result)
        t = time.perf_counter()
        rep = reconcile.reconcile(run, result, user=checker)
        rec_s = time.perf_counter() - t
    run.refresh_from_db()
    assert run.status == "reconciled" and rep["balanced"] and rep["pending"]["lines"] == 0
    return ({"s": round(exp_s, 2), "files": len(paths), "mb": round(size / 1e6, 1),
             "pdf": any(str(p).endswith(".pdf") for p in paths)},
            {"s": round(rec_s, 2), "paid": rep["paid"]["lines"], "unpaid": rep["unpaid"]["lines"],
             "balanced": rep["balanced"]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--files-up-to", type=int, default=100_000,
                    help="also time export + reconcile for sizes up to this many beneficiaries")
    a = ap.parse_args()
    sizes = a.n or [60_000, 1_000_000]
    load0 = os.getloadavg()
    setup(a.pg)
    from django.db import connection, transaction

    from ansinh.payroll import approval

    from ansinh.payroll import generate

    from ansinh.payroll import reconcile

    maker = _bench_user("bench-maker", "province_officer")
    results = []
    for n in sizes:
        t = time.perf_counter()
        populate(n)
        pop = time.perf_counter() - t
        with transaction.atomic():
            t = time.perf_counter()
            run = generate.generate("2025-12", province_code="20", user=maker)
            gen = time.perf_counter() - t
        b = bare(n)
        lines = run.summary["lines"]
        exp = rec = None
        if n <= a.files_up_to:
            exp, rec = export_reconcile(run)
        results.append((n, lines, gen, b, pop, run.summary["total_vnd"], os.getloadavg(), exp, rec))
        print(f"n={n:,}: lines {lines:,} generate {gen:.2f} s, bare {b:.2f} s, ratio {gen / b:.2f}x "
              f"(populate {pop:.1f} s); export {exp} reconcile {rec}", flush=True)
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        ver = cur.fetchone()[0].split(" on ")[0]
    connection.close()
    _admin(a.pg, f"DROP DATABASE IF EXISTS {DB}")
    targets = {60_000: 2.0, 5_000_000: 120.0}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = [f"\n## payroll — {now}\n",
           f"- machine: {platform.platform()}; {os.cpu_count()} cores (shared with other engineers); "
           f"Python {platform.python_version()}; {ver}",
           f"- load average at start (1/5/15 min): {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}",
           "- data: synthetic persons (alive, paid through 2025-11) with one active TCXH enrolment each (6 "
           "categories incl. age-dependent ones), 40 % with a bank/e-wallet account; "
           "`generate.generate('2025-12', province_code='20')` (whole province, one month + arrears check, "
           "coefficients by age, account choice, ON CONFLICT guard), inside one transaction",
           "- bare: `INSERT INTO copy_of_line_table (LIKE … INCLUDING ALL) SELECT constants FROM registry_person`"]
    for n, lines, gen, b, pop, total, load, exp, rec in results:
        tgt = targets.get(n)
        tgt_txt = (f"; target ≤ {tgt:.0f} s {'met' if gen <= tgt else 'NOT met'}" if tgt else
                   f"; target for 5,000,000 is ≤ 120 s: linear extrapolation {gen * 5_000_000 / n:.0f} s")
        out.append(f"- {n:,} beneficiaries: **{gen:.2f} s** for {lines:,} lines ({total:,} đ); bare INSERT … SELECT "
                   f"{b:.2f} s; ratio **{gen / b:.2f}×** (target ≤ 3×: {'met' if gen / b <= 3 else 'NOT met'})"
                   f"{tgt_txt}; synthetic data {pop:.1f} s not timed; load after {load[0]:.2f}")
        if exp:
            out.append(f"  - export of those {lines:,} lines (every provider .csv + .xlsx with totals and checksum, "
                       f"VietQR payload per account line, cash list .xlsx + PDF {'made' if exp['pdf'] else 'NOT made'}, "
                       f"G2P JSON; {exp['files']} files, {exp['mb']} MB): **{exp['s']:.2f} s**; reconcile of a "
                       f"result file for every line ({rec['paid']:,} paid, {rec['unpaid']:,} unpaid, balanced "
                       f"{rec['balanced']}): **{rec['s']:.2f} s**")
    text = "\n".join(out) + "\n"
    print(text)
    if not a.no_write:
        from _machine import record  # bench/_machine.py (this folder is on sys.path)

        record(text)


if __name__ == "__main__":
    main()
