"""Set-based writes of an import: rows inserted without an ORM object per row (executemany or
multi-row INSERT … RETURNING on SQLite, COPY on PostgreSQL) and (key, key) pairs looked up in
one query. The importer's history rows go through ansinh.registry.history.log_changes with this
writer's insert."""
from __future__ import annotations

import datetime as dt
import json

from ansinh.core.crypto import EncryptedCharField, decrypt_many, prepare_rows

BATCH = 2000


class Writer:
    """Set-based inserts without the ORM's per-object cost: executemany, or multi-row
    INSERT … RETURNING when the new ids are needed. Values are adapted per column with the
    backend's own adapters (dates, datetimes, decimals, JSON), so SQLite and PostgreSQL
    store exactly what the ORM would. Runs on the same connection, inside the caller's
    transaction."""

    def __init__(self):
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.ops = connection.ops
        self.ph = "?" if connection.vendor == "sqlite" else "%s"

    def _adapters(self, model, fields):
        ops = self.ops
        cols, fns = [], []
        for i, name in enumerate(fields):
            f = model._meta.get_field(name)
            cols.append(f.column)
            kind = f.get_internal_type()
            if kind == "DateTimeField":
                memo: dict = {}

                def fn(v, memo=memo):
                    r = memo.get(v)
                    if r is None:
                        r = memo[v] = ops.adapt_datetimefield_value(v)
                    return r
            elif kind == "DateField":
                dmemo: dict = {}

                def fn(v, memo=dmemo, adapt=ops.adapt_datefield_value):
                    r = memo.get(v)
                    if r is None:
                        r = memo[v] = adapt(v)
                    return r
            elif kind == "DecimalField":
                def fn(v, f=f):
                    return ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
            elif kind == "JSONField":
                empty = {"list": ops.adapt_json_value([], None), "dict": ops.adapt_json_value({}, None)}

                def fn(v, adapt=ops.adapt_json_value, empty_list=empty["list"], empty_dict=empty["dict"]):
                    if not v and type(v) in (list, dict):  # the same text json.dumps gives them
                        return empty_list if type(v) is list else empty_dict
                    return adapt(v, None)
                fn.json = True
            else:
                continue
            fns.append((i, fn))
        return cols, fns

    def _copy(self, model, cols: list[str], fns, rows: list, returning: bool) -> list[int]:
        """PostgreSQL: COPY … FROM STDIN; new ids are drawn from the table's sequence first."""
        qn = self.ops.quote_name
        table = model._meta.db_table
        pk = model._meta.pk.column
        cur = self.connection.connection.cursor()
        try:
            ids: list[int] = []
            if returning:
                cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                            [table, pk, len(rows)])
                ids = [r[0] for r in cur.fetchall()]
                cols = [pk, *cols]
                fns = [(i + 1, fn) for i, fn in fns]
            json_cols = {i for i, fn in fns if getattr(fn, "json", False)}
            with cur.copy(f"COPY {qn(table)} ({', '.join(qn(c) for c in cols)}) FROM STDIN") as copy:
                for n, row in enumerate(rows):
                    row = [ids[n], *row] if returning else list(row)
                    for i in json_cols:
                        if row[i] is not None:
                            row[i] = json.dumps(row[i])
                    copy.write_row(row)
            return ids
        finally:
            cur.close()

    def select_pairs(self, model, fields: tuple[str, ...], key: tuple[str, str], pairs: list[tuple]) -> list[tuple]:
        """Rows whose (key[0], key[1]) is one of `pairs` (row-value IN, served by a composite index).
        Date columns come back as dates on both backends."""
        if not pairs:
            return []
        qn = self.ops.quote_name
        meta = model._meta
        cols = [meta.get_field(f) for f in fields]
        k0, k1 = (meta.get_field(f) for f in key)
        adapt0 = self.ops.adapt_datefield_value if k0.get_internal_type() == "DateField" else (lambda v: v)
        values = ", ".join([f"({self.ph}, {self.ph})"] * len(pairs))
        is_date = k0.get_internal_type() == "DateField"
        cast = "CAST(%s AS date)" if self.connection.vendor == "postgresql" and is_date else "%s"
        sql = (f"WITH k(a, b) AS (VALUES {values}) "
               f"SELECT {', '.join('t.' + qn(c.column) for c in cols)} FROM k "
               f"JOIN {qn(meta.db_table)} t ON t.{qn(k0.column)} = {cast % 'k.a'} AND t.{qn(k1.column)} = k.b")
        params = [v for a, b in pairs for v in (adapt0(a), b)]
        cur = self.connection.connection.cursor()
        try:
            cur.execute(sql, params)
            rows = cur.fetchall()
        finally:
            cur.close()
        secret = [i for i, c in enumerate(cols) if isinstance(c, EncryptedCharField)]
        if secret and rows:  # identifiers come back decrypted, like the ORM's
            rows = [list(r) for r in rows]
            for i in secret:
                for r, v in zip(rows, decrypt_many([r[i] for r in rows])):
                    r[i] = v
            rows = [tuple(r) for r in rows]
        dates = [i for i, c in enumerate(cols) if c.get_internal_type() == "DateField"]
        if dates and rows and not isinstance(rows[0][dates[0]], (dt.date, type(None))):
            rows = [tuple(dt.date.fromisoformat(v) if i in dates and v else v for i, v in enumerate(r))
                    for r in rows]
        return rows

    def insert(self, model, fields: tuple[str, ...], rows: list, returning: bool = False) -> list[int]:
        if not rows:
            return []
        # Identifiers encrypted and their lookup hashes computed here, in Python (ansinh.core.crypto).
        fields, rows = prepare_rows(model, fields, rows)
        cols, fns = self._adapters(model, fields)
        qn = self.ops.quote_name
        head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) VALUES "
        one = "(" + ", ".join([self.ph] * len(cols)) + ")"

        def adapt(row):
            row = list(row)
            for i, fn in fns:
                v = row[i]
                if v is not None:
                    row[i] = fn(v)
            return row

        if not fns:
            def adapt(row):  # noqa: F811 - nothing to adapt
                return row

        if self.connection.vendor == "postgresql":
            return self._copy(model, cols, fns, rows, returning)
        cur = self.connection.connection.cursor()
        try:
            if not returning:
                for i in range(0, len(rows), BATCH):
                    cur.executemany(head + one, [adapt(r) for r in rows[i:i + BATCH]])
                return []
            ids: list[int] = []
            step = max(1, min(BATCH, 30000 // len(cols)))  # below SQLite's 32,766 parameters
            pk = qn(model._meta.pk.column)
            for i in range(0, len(rows), step):
                chunk = rows[i:i + step]
                params = [v for r in chunk for v in adapt(r)]
                cur.execute(f"{head}{', '.join([one] * len(chunk))} RETURNING {pk}", params)
                ids += [r[0] for r in cur.fetchall()]
            if len(ids) != len(rows):
                raise RuntimeError(f"{model.__name__}: inserted {len(rows)} rows, got {len(ids)} ids")
            return ids
        finally:
            cur.close()

