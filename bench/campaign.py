"""Benchmark of a one-off payment campaign's generation (issue 14: a Tết campaign for 5,000,000
beneficiaries on PostgreSQL in ≤ 60 s and ≤ 2× a bare INSERT … SELECT of the same rows).

Creates a throwaway database (`bench_campaign`, dropped first; BENCH_PAYROLL_DB overrides),
migrates it, makes N synthetic persons with one TCXH enrolment each and an account for 40 % (the
data of bench/payroll.py, whose `populate` is reused; the accounts are approved here so that the
account choice is exercised), creates a Tết campaign with amounts per category, then times
`ansinh.payroll.campaigns.generate` for the whole province and, in the same run, a bare
INSERT … SELECT of as many rows into a copy of the line table (same indexes). Appends to
bench/RESULTS.md through bench/_machine.record.

    .venv/bin/python bench/campaign.py [--n 60000 --n 5000000] [--pg postgres://postgres@127.0.0.1:5432] [--no-write]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("BENCH_PAYROLL_DB", "bench_campaign")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import payroll as pb  # noqa: E402 - bench/payroll.py: setup, populate, _bench_user, _admin
from _machine import machine, record  # noqa: E402


def bare(run_id: int) -> tuple[float, int]:
    """The floor: the same number of rows (one per person), constant values, into a copy of the
    line table with all its indexes."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_bare")
        cur.execute("CREATE TABLE bench_bare (LIKE payroll_payrollline INCLUDING ALL)")
        t = time.perf_counter()
        cur.execute("""
INSERT INTO bench_bare (run_id, campaign_id, person_id, programme, period_month, category, coefficient_milli, level,
  amount, channel, payee, account_id, provider, provider_name, account_number, holder_name, scope_commune_id,
  province_code, active, result, result_reason, paid_on)
SELECT %s, NULL, p.id, 'campaign', '2026-01', '5.6-severe', NULL, 300000, 300000, 'cash', 'beneficiary', NULL,
  'VNPOST', '', '', '', p.scope_commune_id, p.province_code, TRUE, 'pending', '', NULL FROM registry_person p""",
                    [run_id])
        n = cur.rowcount
        el = time.perf_counter() - t
        cur.execute("DROP TABLE bench_bare")
    return el, n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append")
    ap.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    sizes = a.n or [60_000, 5_000_000]
    load0 = os.getloadavg()
    pb.setup(a.pg)
    from django.db import connection, transaction

    from ansinh.payroll import campaigns

    maker = pb._bench_user("bench-maker", "province_officer")
    results = []
    for n in sizes:
        t = time.perf_counter()
        pb.populate(n)
        with connection.cursor() as cur:
            cur.execute("UPDATE registry_paymentaccount SET approval = 'approved'")
            cur.execute("ANALYZE")
        pop = time.perf_counter() - t
        c = campaigns.create_campaign(
            user=maker, name="Quà Tết Nguyên đán Bính Ngọ 2026", decision_number="12/QĐ-UBND",
            reference_date=dt.date(2026, 1, 15), pay_from=dt.date(2026, 1, 20), pay_to=dt.date(2026, 2, 14),
            amount=300_000, category_amounts={"5.5c": 500_000, "5.1": 500_000, "5.6-very-severe": 400_000},
            province_code="20")
        t = time.perf_counter()
        with transaction.atomic():
            run = campaigns.generate(c, user=maker)
            in_tx = time.perf_counter() - t
        gen = time.perf_counter() - t  # what the officer waits for: the commit (deferred FK checks) included
        print(f"generate {in_tx:.2f} s before the commit, {gen - in_tx:.2f} s the commit", flush=True)
        b, bn = bare(run.pk)
        s = run.summary
        results.append((n, s["lines"], gen, b, bn, pop, s["total_vnd"], s["by_channel"], os.getloadavg()))
        print(f"n={n:,}: lines {s['lines']:,} generate {gen:.2f} s, bare {b:.2f} s ({bn:,} rows), "
              f"ratio {gen / b:.2f}x (populate {pop:.1f} s)", flush=True)
        with connection.cursor() as cur:  # the next size starts from empty line tables
            cur.execute("TRUNCATE payroll_payrollline, payroll_payrollrun, payroll_campaign RESTART IDENTITY CASCADE")
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        ver = cur.fetchone()[0].split(" on ")[0]
    connection.close()
    pb._admin(a.pg, f"DROP DATABASE IF EXISTS {pb.DB}")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = [f"\n## campaign (one-off payment) — {now}\n", f"- machine: {machine()}; {ver}",
           f"- load average at start (1/5/15 min): {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}",
           "- data: bench/payroll.py's synthetic persons (one active TCXH enrolment each, 6 categories, 40 % "
           "with a bank/e-wallet account, approved here); campaign 'Quà Tết Nguyên đán Bính Ngọ 2026' with "
           "amounts per category (5.5c and 5.1 500.000 đ, 5.6-very-severe 400.000 đ, others 300.000 đ); "
           "`campaigns.generate(campaign)` for the whole province inside one transaction, timed to the end of its commit (eligibility on the "
           "reference date, amount per category, account choice and snapshot, once-per-campaign guard)",
           "- bare: `INSERT INTO copy_of_line_table (LIKE … INCLUDING ALL) SELECT constants FROM registry_person`, "
           "same run, same number of rows"]
    for n, lines, gen, b, bn, pop, total, by_channel, load in results:
        ch = ", ".join(f"{k} {v['lines']:,}" for k, v in by_channel.items())
        tgt = "" if n < 5_000_000 else f"; target ≤ 60 s {'met' if gen <= 60 else 'NOT met'}"
        out.append(f"- {n:,} beneficiaries: **{gen:.2f} s** for {lines:,} lines ({total:,} đ; {ch}); bare "
                   f"INSERT … SELECT {b:.2f} s ({bn:,} rows); ratio **{gen / b:.2f}×** (target ≤ 2×: "
                   f"{'met' if gen / b <= 2 else 'NOT met'}){tgt}; synthetic data {pop:.1f} s not timed; "
                   f"load after {load[0]:.2f}")
    text = "\n".join(out) + "\n"
    print(text)
    if not a.no_write:
        record(text)


if __name__ == "__main__":
    main()
