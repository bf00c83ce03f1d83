"""Planner statistics after bulk writes (PostgreSQL).

Set-based writes (an import of a province's lists, a restore) change most of a table at once; until
autovacuum's next ANALYZE (it may be a minute away, or switched off) PostgreSQL plans with the old
row counts — an empty table's. The payroll INSERT…SELECT over the 60,000-person demo imported a
minute earlier chose nested loops and ran for more than ten minutes instead of 21 seconds
(bench/load.py, 04/12/2026). So the code that writes or reads in bulk refreshes the statistics of
its tables: ANALYZE samples at most 30,000 rows of a table (default_statistics_target 100), well
under a second even at 5,000,000 rows. SQLite keeps no such statistics by default: nothing to do.
"""
from __future__ import annotations

from django.db import connection


def refresh_statistics(*models) -> list[str]:
    """ANALYZE the tables of `models` (PostgreSQL); return their names (empty on SQLite)."""
    if connection.vendor != "postgresql":
        return []
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cur:
        for t in tables:
            cur.execute(f"ANALYZE {connection.ops.quote_name(t)}")
    return tables


def load_temp_table(cur, table: str, columns: str, rows: list[tuple], index_on: str = "line_id") -> None:
    """A temporary table `table` (`columns`: "name type, …") holding `rows`, indexed on `index_on` and
    analysed: COPY on PostgreSQL, one executemany on SQLite (dates as ISO text there). The set-based
    readers of uploaded results (payroll result files, bank statements) join it to their lines."""
    import datetime as dt

    names = ", ".join(c.split()[0] for c in columns.split(","))
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    cur.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")
    if connection.vendor == "postgresql" and hasattr(cur.cursor, "copy"):
        with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)
    else:
        marks = ", ".join(["%s"] * len(names.split(", ")))
        cur.executemany(f"INSERT INTO {table} VALUES ({marks})",
                        [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r) for r in rows])
    cur.execute(f"CREATE INDEX {table}_{index_on} ON {table} ({index_on})")
    if connection.vendor == "postgresql":
        cur.execute(f"ANALYZE {table}")
