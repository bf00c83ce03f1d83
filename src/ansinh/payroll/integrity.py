"""Lines whose reference is gone (decision 0032).

A payroll line names its run, person, account, commune and campaign without per-row foreign-key
constraints: the set-based INSERT … SELECT that writes lines reads the rows it names in the same
statement, the ORM refuses to delete a named row (on_delete) and, on PostgreSQL, so do the guard
triggers of payroll migration 0012. This is the check that nothing got past them (a raw DELETE on
SQLite, a restore of a partial dump): one anti-join per reference, set-based."""
from __future__ import annotations

import logging

from django.db import connection

log = logging.getLogger(__name__)


def references() -> list[tuple[str, str, str]]:
    """(name, the line's column, the referenced table) of every reference a line holds."""
    from ansinh.payroll.models import PayrollLine

    out = []
    for f in PayrollLine._meta.concrete_fields:
        if f.is_relation and f.many_to_one:
            out.append((f.name, f.column, f.related_model._meta.db_table))
    return out


def orphan_lines() -> dict[str, int]:
    """{reference: number of lines naming a row that does not exist}, every reference listed."""
    refs = references()
    parts = [f"(SELECT COUNT(*) FROM payroll_payrollline l WHERE l.{col} IS NOT NULL AND NOT EXISTS "
             f"(SELECT 1 FROM {table} t WHERE t.id = l.{col}))" for _name, col, table in refs]
    with connection.cursor() as cur:
        cur.execute("SELECT " + ", ".join(parts))
        row = cur.fetchone()
    found = {name: int(n) for (name, _c, _t), n in zip(refs, row)}
    if any(found.values()):
        log.error("payroll lines naming a missing row: %s", {k: v for k, v in found.items() if v})
    return found
