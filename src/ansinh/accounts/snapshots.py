"""The materialised coverage: CoverageSnapshot (per unit group and day) and CoverageVillage
(per village, PostgreSQL), rebuilt set-based for the month ends the dashboard reads."""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from ansinh.accounts import rules
from ansinh.accounts.models import CoverageSnapshot, CoverageVillage
from ansinh.registry.models import Enrolment, PaymentAccount, Person

BATCH = 5000
CAMPAIGN_START = dt.date(2024, 1, 1)


def snapshot_days(today: dt.date | None = None, start: dt.date = CAMPAIGN_START) -> list[dt.date]:
    today = today or dt.date.today()
    return rules.month_ends(start, today)


SQL_ABOVE = 200_000  # persons: above this the snapshot is computed by SQL, day by day


def refresh_snapshots(days: list[dt.date] | None = None, since: dt.date | None = None, progress=None,
                      method: str | None = None) -> dict:
    """Rebuild CoverageSnapshot for `days` (default: every month end since 2024-01, and today).

    method "bits" (default on PostgreSQL): ONE set-based INSERT … SELECT for all the days (up
    to 62 per statement): each person's days as bits of a bigint, grouped, then unnested;
    method "sql": one aggregated query per day over all persons (the live selector's query);
    method "scan" (default elsewhere up to SQL_ABOVE persons): one read of persons, enrolments
    and accounts, every day at once by index intervals (the same rules; tests hold all equal)."""
    from ansinh.accounts.kpi import group_rows
    from ansinh.core.roles import OPERATOR

    days = sorted(set(days or snapshot_days()))
    if since:
        days = [d for d in days if d >= since]
    if method is None:
        method = "bits" if _postgres() else ("scan" if Person.objects.count() <= SQL_ABOVE else "sql")
    if method == "scan":
        return _refresh_by_scan(days, progress)
    if method == "bits":
        return _refresh_by_bits(days, progress)
    t0 = time.perf_counter()
    n = 0
    if progress:
        progress.set_total(len(days))
    with transaction.atomic():
        CoverageSnapshot.objects.filter(day__in=days).delete()
        CoverageVillage.objects.filter(day__in=days).delete()  # stale otherwise: the drill-down counts live
        for d in days:
            rows = group_rows(OPERATOR, d, with_paid=False)
            CoverageSnapshot.objects.bulk_create([CoverageSnapshot(
                day=d, residence_unit_id=r["residence_unit_id"], commune_id=r["commune_id"],
                scope_commune_id=r["scope_commune_id"], province_code=r["province_code"] or "",
                beneficiaries=r["beneficiaries"], with_account=r["with_account"], confirmed=r["confirmed"])
                for r in rows], batch_size=BATCH)
            n += len(rows)
            if progress:
                progress.advance(1, f"{d:%d/%m/%Y}")
    return {"days": len(days), "rows": n, "seconds": round(time.perf_counter() - t0, 2), "method": "sql"}


def _postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


BITS_CHUNK = 62  # days per statement: day i is bit i of a signed bigint (1 << 62 still fits)

# Day indexes as in _refresh_by_scan, with the days as a sorted date[] (%(days)s):
# width_bucket(x, days) = number of days <= x, so "first day index with day >= x" is
# width_bucket(x - 1, days). A [lo, hi) interval of day indexes is the bigint
# (1 << hi) - (1 << lo). Per person: enrolment intervals OR-ed, AND the alive interval =
# beneficiary days; accounts (registered .. closed) and confirmed (first of confirmed /
# activated .. closed) OR-ed, AND the beneficiary days. Persons are then grouped by
# (unit keys, bit patterns) — a few thousand groups — and only those groups are unnested
# over the days: the cost is one pass over persons, enrolments and accounts.
BITS_SQL = """
WITH e AS (
    SELECT person_id, bit_or((1::bigint << hi) - (1::bigint << lo)) AS m
    FROM (
        SELECT person_id,
               CASE WHEN start_month ~ '^[0-9]{4}-[0-9]{2}$'
                    THEN width_bucket(to_date(start_month || '-01', 'YYYY-MM-DD') - 1, %(days)s::date[])
                    ELSE 0 END AS lo,
               CASE WHEN end_month ~ '^[0-9]{4}-[0-9]{2}$'
                    THEN width_bucket((to_date(end_month || '-01', 'YYYY-MM-DD') + interval '1 month')::date - 1,
                                      %(days)s::date[])
                    ELSE %(n)s END AS hi
        FROM registry_enrolment
        WHERE status = 'active' OR end_month <> ''
    ) x
    WHERE hi > lo
    GROUP BY person_id
), a AS (
    SELECT person_id,
           bit_or((1::bigint << hi) - (1::bigint << lo)) AS am,
           bit_or(CASE WHEN clo IS NOT NULL AND hi > greatest(lo, clo)
                       THEN (1::bigint << hi) - (1::bigint << greatest(lo, clo)) ELSE 0 END) AS cm
    FROM (
        SELECT person_id,
               width_bucket(coalesce(registered_on, (created AT TIME ZONE %(tz)s)::date) - 1, %(days)s::date[]) AS lo,
               CASE WHEN closed_on IS NULL THEN %(n)s
                    ELSE width_bucket(closed_on - 1, %(days)s::date[]) END AS hi,
               width_bucket(least(confirmed_on, activated_on) - 1, %(days)s::date[]) AS clo
        FROM registry_paymentaccount
        WHERE registered_on IS NOT NULL OR created IS NOT NULL
    ) y
    WHERE hi > lo
    GROUP BY person_id
), g AS (
    SELECT residence_unit_id, commune_id, scope_commune_id, province_code, village, ben,
           ben & am AS acc, ben & cm AS conf, count(*) AS c
    FROM (
        SELECT p.residence_unit_id, p.commune_id, p.scope_commune_id, coalesce(p.province_code, '') AS province_code,
               coalesce(p.village, '') AS village,
               e.m & CASE WHEN p.status = 'alive' THEN (1::bigint << %(n)s) - 1
                          WHEN p.deceased_on IS NOT NULL
                          THEN (1::bigint << width_bucket(p.deceased_on - 1, %(days)s::date[])) - 1
                          ELSE 0 END AS ben,
               coalesce(a.am, 0) AS am, coalesce(a.cm, 0) AS cm
        FROM registry_person p
        JOIN e ON e.person_id = p.id
        LEFT JOIN a ON a.person_id = p.id
    ) q
    WHERE ben <> 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
)
INSERT INTO accounts_coveragevillage (day, residence_unit_id, commune_id, scope_commune_id, province_code, village,
                                      beneficiaries, with_account, confirmed)
SELECT d.day, g.residence_unit_id, g.commune_id, g.scope_commune_id, g.province_code, g.village,
       sum(g.c) FILTER (WHERE (g.ben >> (d.i - 1)::int) & 1 = 1),
       coalesce(sum(g.c) FILTER (WHERE (g.acc >> (d.i - 1)::int) & 1 = 1), 0),
       coalesce(sum(g.c) FILTER (WHERE (g.conf >> (d.i - 1)::int) & 1 = 1), 0)
FROM g CROSS JOIN unnest(%(days)s::date[]) WITH ORDINALITY AS d(day, i)
GROUP BY d.day, g.residence_unit_id, g.commune_id, g.scope_commune_id, g.province_code, g.village
HAVING sum(g.c) FILTER (WHERE (g.ben >> (d.i - 1)::int) & 1 = 1) > 0
"""
# The unit-level snapshot is the village table summed (a few thousand rows per day).
BITS_ROLLUP_SQL = """
INSERT INTO accounts_coveragesnapshot (day, residence_unit_id, commune_id, scope_commune_id, province_code,
                                       beneficiaries, with_account, confirmed, computed_at)
SELECT day, residence_unit_id, commune_id, scope_commune_id, province_code,
       sum(beneficiaries), sum(with_account), sum(confirmed), now()
FROM accounts_coveragevillage
WHERE day = ANY(%(days)s::date[])
GROUP BY day, residence_unit_id, commune_id, scope_commune_id, province_code
"""


def _refresh_by_bits(days: list[dt.date], progress=None) -> dict:
    """PostgreSQL: the snapshot of every day in one INSERT … SELECT per 62 days (see BITS_SQL)."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise ValueError("method 'bits' needs PostgreSQL (width_bucket, bit_or on bigint)")
    t0 = time.perf_counter()
    n_rows = 0
    chunks = [days[i:i + BITS_CHUNK] for i in range(0, len(days), BITS_CHUNK)]
    if progress:
        progress.set_total(len(days))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL jit = off")
        cur.execute("DELETE FROM accounts_coveragesnapshot WHERE day = ANY(%s::date[])", [days])
        cur.execute("DELETE FROM accounts_coveragevillage WHERE day = ANY(%s::date[])", [days])
        for chunk in chunks:
            cur.execute(BITS_SQL, {"days": chunk, "n": len(chunk), "tz": settings.TIME_ZONE})
            cur.execute(BITS_ROLLUP_SQL, {"days": chunk})
            n_rows += cur.rowcount
            if progress:
                progress.advance(len(chunk), f"{chunk[-1]:%d/%m/%Y}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE accounts_coveragesnapshot")
        cur.execute("ANALYZE accounts_coveragevillage")
    return {"days": len(days), "rows": n_rows, "seconds": round(time.perf_counter() - t0, 2), "method": "bits"}


def _merge(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for lo, hi in sorted(i for i in iv if i[0] < i[1]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(a, b) for a, b in out]


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _refresh_by_scan(days: list[dt.date], progress=None) -> dict:
    """Every day at once: for each person the days (as index intervals) on which they are a
    beneficiary, have an account, have a confirmed one; summed per group with difference arrays."""
    from bisect import bisect_left, bisect_right

    t0 = time.perf_counter()
    n = len(days)
    months = [f"{d:%Y-%m}" for d in days]
    tz = timezone.get_current_timezone()

    def at(d):  # first day index with day >= d
        return bisect_left(days, d)

    enrol: dict[int, list] = defaultdict(list)
    for pid, start, end, status in Enrolment.objects.values_list("person_id", "start_month", "end_month", "status")             .iterator(chunk_size=BATCH):
        if status != "active" and not end:
            continue
        lo = bisect_left(months, start) if start else 0
        hi = bisect_right(months, end) if end else n
        enrol[pid].append((lo, hi))
    acc: dict[int, list] = defaultdict(list)
    conf: dict[int, list] = defaultdict(list)
    for pid, reg, created, c_on, a_on, closed in PaymentAccount.objects.values_list(
            "person_id", "registered_on", "created", "confirmed_on", "activated_on", "closed_on").iterator(
            chunk_size=BATCH):
        reg = reg or (created.astimezone(tz).date() if created else None)
        if reg is None:
            continue
        lo, hi = at(reg), (at(closed) if closed else n)  # closed on day c: not counted from c
        acc[pid].append((lo, hi))
        firsts = [x for x in (c_on, a_on) if x]
        if firsts:
            conf[pid].append((max(lo, at(min(firsts))), hi))
    diffs: dict[tuple, list[list[int]]] = {}
    for pid, res, com, sc, prov, status, died in Person.objects.values_list(
            "pk", "residence_unit_id", "commune_id", "scope_commune_id", "province_code", "status",
            "deceased_on").iterator(chunk_size=BATCH):
        ev = enrol.get(pid)
        if not ev:
            continue
        alive_hi = n if status == "alive" else (bisect_left(days, died) if died else 0)  # alive while d < died
        ben = _intersect(_merge(ev), [(0, alive_hi)])
        if not ben:
            continue
        key = (res, com, sc, prov or "")
        d = diffs.get(key)
        if d is None:
            d = diffs[key] = [[0] * (n + 1) for _ in range(3)]
        parts = (ben, _intersect(ben, _merge(acc.get(pid, []))), _intersect(ben, _merge(conf.get(pid, []))))
        for k, ivs in enumerate(parts):
            for lo, hi in ivs:
                d[k][lo] += 1
                d[k][hi] -= 1
    objs = []
    for (res, com, sc, prov), d in diffs.items():
        run = [0, 0, 0]
        for i, day in enumerate(days):
            for k in range(3):
                run[k] += d[k][i]
            if run[0]:
                objs.append(CoverageSnapshot(day=day, residence_unit_id=res, commune_id=com, scope_commune_id=sc,
                                             province_code=prov, beneficiaries=run[0], with_account=run[1],
                                             confirmed=run[2]))
    with transaction.atomic():
        CoverageSnapshot.objects.filter(day__in=days).delete()
        CoverageVillage.objects.filter(day__in=days).delete()  # stale otherwise: the drill-down counts live
        CoverageSnapshot.objects.bulk_create(objs, batch_size=BATCH)
    if progress:
        progress.set_total(len(days))
        progress.advance(len(days))
    return {"days": len(days), "rows": len(objs), "seconds": round(time.perf_counter() - t0, 2), "method": "scan"}
