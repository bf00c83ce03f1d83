"""PostgreSQL grants that make the audit log append-only for the application.

Two roles: the OWNER runs the migrations (`ansinh init`) and owns every table; the APPLICATION role
(what DATABASE_URL names for `ansinh-web` and `ansinh-worker`) reads and writes the other tables but
may only SELECT and INSERT the audit tables. Run as the owner after each `ansinh init`:

    ansinh audit grants ansinh_app | psql "$OWNER_DATABASE_URL"

The owner (and a superuser) can still change rows: the daily checkpoint hash sent out of the
database (`ansinh audit checkpoint`) is what catches a rewrite by them (docs/decisions/0023).
"""
from __future__ import annotations

import re

AUDIT_TABLES = ("audit_auditentry", "audit_auditsubject")


def grant_sql(role: str) -> list[str]:
    """The statements, in order, for application role `role` (a plain lower-case identifier)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError("role: a PostgreSQL identifier in lower case (letters, digits, _)")
    tables = ", ".join(AUDIT_TABLES)
    seqs = ", ".join(f"{t}_id_seq" for t in AUDIT_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tables} FROM {role}",
        f"GRANT SELECT, INSERT ON {tables} TO {role}",
        f"GRANT USAGE, SELECT ON SEQUENCE {seqs} TO {role}",
    ]
