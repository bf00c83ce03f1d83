"""Benchmark: the coverage pages' time with millions of beneficiaries on PostgreSQL.

    flock /tmp/ansinh-bench.lock .venv/bin/python bench/coverage.py [--persons 5000000] [--requests 40]
        [--drill 20] [--keep] [--reuse] [--compare sql] [--no-record]

Builds a throwaway database `hc_bench_coverage` (BENCH_DB; dropped first; kept with --keep;
--reuse skips the build and migrates the kept one), `ansinh init` (units of all provinces),
then synthesises set-based (INSERT … SELECT generate_series, foreign-key triggers off through
session_replication_role = replica, every secondary index and unique constraint of the three
tables dropped before and rebuilt after the load, VACUUM ANALYZE): N persons of Lạng Sơn spread over
its 194 old communes (current commune = the main successor), 12 villages each, one active
enrolment each, and for ~80% an account registered across 24 months (2024-01 .. 2025-12,
confirmation 5–40 days later, a few closed). Then it times:

* the snapshot refresh (`ansinh.accounts.snapshots.refresh_snapshots`, default method "bits":
  one INSERT … SELECT for all 24 month ends), and with --compare the other methods ("sql": one
  aggregated query per day, the method before);
* every page a province officer opens (Django test client, full request cycle with template
  rendering, p50/p95 after one warm-up): the dashboard `/accounts/` (totals, commune ranking,
  districts, time series, map data) on the old map (12/2024) and the new map (latest); the
  time series page of the province and of an old district; the drill-down of an old and of a
  new commune (village table + one page of the people without an account);
* for comparison, one live coverage query (the exact-date selector the CLI uses).

Appends a section to bench/RESULTS.md (unless --no-record).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import _machine  # bench/_machine.py (this folder is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]
DB = os.environ.get("BENCH_DB", "hc_bench_coverage")
BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", f"{BASE}/{db}", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True)


LOADED = ("registry_person", "registry_enrolment", "registry_paymentaccount")


def drop_secondary_indexes(c, tables) -> list[tuple[str, str, str | None]]:
    """Drop every index but the primary keys of `tables` (unique constraints too); returns
    (table, definition, constraint name or None) to rebuild them after the load."""
    c.execute("""
        SELECT t.relname, i.relname, pg_get_indexdef(i.oid), con.conname, pg_get_constraintdef(con.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.contype IN ('u', 'x')
        WHERE t.relname = ANY(%s) AND NOT x.indisprimary""", [list(tables)])
    saved = []
    for table, index, indexdef, conname, condef in c.fetchall():
        if conname:
            c.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{conname}"')
            saved.append((table, condef, conname))
        else:
            c.execute(f'DROP INDEX "{index}"')
            saved.append((table, indexdef, None))
    return saved


def restore_indexes(c, saved) -> None:
    for table, definition, conname in saved:
        if conname:
            c.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{conname}" {definition}')
        else:
            c.execute(definition)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=5_000_000)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--no-record", action="store_true", help="print only (a trial run)")
    ap.add_argument("--reuse", action="store_true", help="reuse an existing bench database (skip the build)")
    ap.add_argument("--compare", default="",
                    help="also time these refresh methods for comparison, e.g. sql (the per-day query)")
    ap.add_argument("--drill", type=int, default=10, help="requests per drill-down/detail page")
    args = ap.parse_args()
    load0 = os.getloadavg()
    url = f"{BASE}/{DB}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ANSINH_VAR", "/tmp/bench_coverage_var")
    Path(os.environ["ANSINH_VAR"]).mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    if not args.reuse:
        psql(f"DROP DATABASE IF EXISTS {DB}")
        psql(f"CREATE DATABASE {DB}")
        t = time.perf_counter()
        subprocess.run([str(ROOT / ".venv/bin/ansinh"), "init"], check=True, env=os.environ,
                       stdout=subprocess.DEVNULL)
        timings["init"] = time.perf_counter() - t

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    if args.reuse:  # the kept database may predate this code's migrations
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    n = args.persons
    if not args.reuse:
        t = time.perf_counter()
        with connection.cursor() as c:
            c.execute("""
                CREATE TEMP TABLE bench_units AS
                SELECT row_number() OVER (ORDER BY o.code) - 1 AS k, o.id AS old_id,
                       (SELECT s.successor_id FROM units_unitsuccession s WHERE s.predecessor_id = o.id
                         ORDER BY s.is_default DESC, s.id LIMIT 1) AS new_id
                FROM units_adminunit o
                WHERE o.province_code = '20' AND o.level = 3 AND o.valid_to IS NOT NULL""")
            c.execute("SELECT count(*) FROM bench_units")
            n_units = c.fetchone()[0]
            c.execute("SET synchronous_commit = off")
            # Bulk load: FK triggers off (the rows are right by construction), secondary indexes
            # and unique constraints dropped and rebuilt after the load, then ANALYZE.
            c.execute("SET session_replication_role = replica")
            c.execute("SET maintenance_work_mem = '512MB'")
            saved = drop_secondary_indexes(c, LOADED)
            timings["drop_indexes"] = time.perf_counter() - t
            t = time.perf_counter()
            c.execute(f"""
                INSERT INTO registry_person (id, id_number, legacy_cmnd, full_name, name_key, dob, dob_precision, gender,
                    ethnicity, phone, residence_unit_id, commune_id, village, address_text, status, deceased_on,
                    paid_through, source_batch_id, created, updated, scope_commune_id, province_code)
                SELECT g, lpad(g::text, 12, '0'), NULL, 'Nguyễn Văn ' || g, 'NGUYEN VAN ' || g,
                       DATE '1930-01-01' + (g % 20000), 'day', CASE WHEN g % 2 = 0 THEN 'M' ELSE 'F' END,
                       '', '', u.old_id, u.new_id, 'Thôn ' || (g % 12 + 1), '',
                       CASE WHEN g % 50 = 0 THEN 'deceased' ELSE 'alive' END,
                       CASE WHEN g % 50 = 0 THEN DATE '2024-01-01' + (g % 700) END,
                       '', NULL, now(), now(), u.old_id, '20'
                FROM generate_series(1, {n}) g JOIN bench_units u ON u.k = g % {n_units}""")
            timings["persons"] = time.perf_counter() - t
            t = time.perf_counter()
            c.execute("""
                INSERT INTO registry_enrolment (person_id, programme, category, category_label, sub_case, coefficient,
                    amount, decision_number, decision_date, start_month, end_month, status, status_reason,
                    source_batch_id, created, updated, scope_commune_id, province_code)
                SELECT p.id, 'tcxh', '6.1', '', '', 1.5, NULL, '', NULL,
                       CASE WHEN p.id % 10 = 0 THEN '2024-' || lpad((p.id % 12 + 1)::text, 2, '0') ELSE '2023-12' END,
                       '', 'active', '', NULL, now(), now(), p.scope_commune_id, p.province_code
                FROM registry_person p""")
            timings["enrolments"] = time.perf_counter() - t
            t = time.perf_counter()
            # ~80% get an account; the registration day spreads over 24 months, slower in laggard communes.
            c.execute("""
                INSERT INTO registry_paymentaccount (person_id, provider, provider_name, account_number, holder,
                    holder_name, source, created, status, registered_on, confirmed_on, activated_on, closed_on)
                SELECT x.id, '970405', 'Agribank', lpad(x.id::text, 13, '8'), 'beneficiary', x.name_key, 'bench',
                       now(), 'confirmed', x.reg,
                       CASE WHEN x.id % 17 <> 0 THEN x.reg + (5 + x.id % 36)::int END, NULL,
                       CASE WHEN x.id % 97 = 0 THEN x.reg + 200 END
                FROM (SELECT p.id, p.name_key,
                             DATE '2023-12-15' + ((((p.id * 7919) % 1000) / 1000.0::float8) ^ 1.6::float8
                                 * (730 * CASE WHEN p.residence_unit_id % 5 = 0 THEN 1.6 ELSE 1.0 END))::int AS reg
                      FROM registry_person p WHERE (p.id * 7919) % 100 < 80) x""")
            timings["accounts"] = time.perf_counter() - t
            t = time.perf_counter()
            restore_indexes(c, saved)
            c.execute("SET session_replication_role = DEFAULT")
            timings["indexes"] = time.perf_counter() - t
            t = time.perf_counter()
            c.execute("SELECT setval(pg_get_serial_sequence('registry_person', 'id'), (SELECT max(id) FROM registry_person))")
            for table in LOADED:  # as autovacuum would leave them: statistics and visibility map
                c.execute(f"VACUUM ANALYZE {table}")
            timings["vacuum_analyze"] = time.perf_counter() - t

    from ansinh.accounts import kpi as selectors
    from ansinh.accounts.snapshots import refresh_snapshots, snapshot_days
    from ansinh.accounts.targets import ensure_targets
    from ansinh.core.services import upsert_user
    from ansinh.core.roles import OPERATOR

    ensure_targets()
    today = dt.date(2025, 12, 31)
    days = snapshot_days(today)
    refresh: dict[str, tuple[float, int]] = {}
    for method in ["bits" if connection.vendor == "postgresql" else None] + [m for m in args.compare.split(",") if m]:
        t = time.perf_counter()
        snap = refresh_snapshots(days, method=method)
        refresh[snap["method"]] = (time.perf_counter() - t, snap["rows"])
        print(f"refresh {snap['method']}: {refresh[snap['method']][0]:.1f} s, {snap['rows']} rows", flush=True)
    if len(refresh) > 1:  # the last method wrote the table: rebuild with the default one
        refresh_snapshots(days)
    t = time.perf_counter()
    live = selectors.coverage(OPERATOR, dt.date(2024, 12, 31), "commune", "old")
    timings["live_query"] = time.perf_counter() - t
    with connection.cursor() as c:
        c.execute("SELECT count(*) FROM registry_person")
        persons = c.fetchone()[0]
        c.execute("SELECT count(*) FROM registry_paymentaccount")
        accounts = c.fetchone()[0]
        c.execute("SELECT count(*) FROM accounts_coveragesnapshot")
        snap_rows = c.fetchone()[0]
        c.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = c.fetchone()[0]
        c.execute("SELECT version()")
        pg = c.fetchone()[0].split(" on ")[0]

    from ansinh.units.models import AdminUnit, Level

    upsert_user("bench_tinh", "bench-pass-123", roles=["province_officer"], unit_codes=["20"])
    client = Client()
    assert client.login(username="bench_tinh", password="bench-pass-123")
    units = AdminUnit.objects.filter(province_code="20")
    prov = units.filter(level=Level.PROVINCE, valid_to__isnull=True).first()
    district = units.filter(level=Level.DISTRICT).order_by("code").first()
    old_commune = units.filter(level=Level.COMMUNE, valid_to__isnull=False).order_by("code").first()
    new_commune = units.filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("code").first()
    pages = [
        ("overview, ranking, districts, series, map — old map 12/2024", "/accounts/?month=2024-12&map=old",
         args.requests),
        ("overview, ranking, series, map — new map (latest)", "/accounts/?map=new", args.requests),
        (f"province time series ({prov.code})", f"/accounts/units/{prov.pk}/?month=2025-12", args.drill),
        (f"old district time series ({district.code})", f"/accounts/units/{district.pk}/?month=2024-12", args.drill),
        (f"old commune drill-down ({old_commune.code}, 12/2024)",
         f"/accounts/units/{old_commune.pk}/?month=2024-12", args.drill),
        (f"new commune drill-down ({new_commune.code}, latest)", f"/accounts/units/{new_commune.pk}/", args.drill),
    ]
    results = {}
    for label, url, count in pages:
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        times = []
        for _ in range(count):
            t = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        results[label] = (statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)],
                          len(r.content), url, count)
        print(f"{label}: p50 {results[label][0]:.0f} ms p95 {results[label][1]:.0f} ms", flush=True)
    load1 = os.getloadavg()
    p95 = max(v[1] for v in results.values())
    build = {k: v for k, v in timings.items() if k not in ("live_query", "init")}
    lines = [
        f"\n## coverage — {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds').replace('+00:00', 'Z')}\n",
        f"- machine: {_machine.machine(with_memory=True)}; {pg}",
        f"- load average (1/5/15 min): before {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}; "
        f"after {load1[0]:.2f} / {load1[1]:.2f} / {load1[2]:.2f}",
        f"- data (synthetic, INSERT…SELECT generate_series in the throwaway database `{DB}`): {persons:,} persons "
        f"(Lạng Sơn, 194 old communes → 65 new), {persons:,} enrolments, {accounts:,} payment accounts registered "
        f"over 24 months (2024-01..2025-12, confirmation lags, some closed); database {size}",
    ]
    if build:
        lines.append(f"- build: **{sum(build.values()):.1f} s** (" + ", ".join(f"{k} {v:.1f} s" for k, v in build.items())
                     + f"; `ansinh init` {timings.get('init', 0):.1f} s not counted): FK triggers off "
                     "(session_replication_role = replica), secondary indexes/unique constraints dropped and rebuilt "
                     "after the load, VACUUM ANALYZE")
    for m, (sec, rows) in refresh.items():
        lines.append(f"- snapshot refresh, method `{m}`: {len(days)} days, {rows:,} rows, **{sec:.1f} s**")
    lines.append(f"- one live coverage query (all communes, old map, 31/12/2024; CLI/API path for a day not in the "
                 f"snapshot): {timings['live_query'] * 1000:.0f} ms ({len(live)} units)")
    for label, (p50, p95_, size_b, url, count) in results.items():
        lines.append(f"- `{url}` {label} (province officer, full request through the Django test client, {count} "
                     f"requests after one warm-up): p50 **{p50:.0f} ms**, p95 **{p95_:.0f} ms** ({size_b / 1024:.0f} KiB)")
    lines.append(f"- target p95 ≤ 300 ms: {'met' if p95 <= 300 else 'NOT met'} (worst p95 {p95:.0f} ms = "
                 f"{p95 / 300:.2f}× the target)")
    text = "\n".join(lines) + "\n"
    if not args.no_record:
        _machine.record(text)
    print(text)
    if not args.keep:
        connection.close()
        psql(f"DROP DATABASE IF EXISTS {DB}")


if __name__ == "__main__":
    main()
