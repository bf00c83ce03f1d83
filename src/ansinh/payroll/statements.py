"""The programme account's bank statement (SWIFT MT940) read against the payroll lines: a line is
paid when the bank's statement shows the transfer (a debit naming it), not when the file is sent;
a transfer the beneficiary's bank returns (a credit naming a line) reverses it — the line is
unpaid again with the reason and the day, its month (or campaign) free to be paid again.

A transfer names its line by the reference ``L<line id>`` (the provider files' ``line_id``) in the
customer reference of ``:61:`` or in the ``:86:`` text that follows. Entries that name no line
(the programme's funding, fees) are counted, not used. The grammar of each field is the
``mt-940`` library's (its tag patterns, read line by line so that an error names the line of the
file and 60,000 entries read in a second; docs/decisions/0022). All or nothing: a malformed
statement, a wrong amount, a line named twice, a line outside the user's scope or not yet
exported changes nothing; the error names the statement's line.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from ansinh.core.db import load_temp_table
from ansinh.core.jobs import BadInput
from ansinh.core.masking import numbers_masked
from ansinh.core.services import recorded_user
from ansinh.payroll.models import PayrollLine, PayrollRun, RunStatus, StatementImport

# a field as MT940 writes it: its tag with the colons (":61:"), then the value
TAG = re.compile(r"^(:(?:\d{2}[A-Z]?|NS):)(.*)$")
REF = re.compile(r"(?<![0-9A-Za-z])L(\d{1,18})(?![0-9])")
KNOWN = {":20:", ":21:", ":25:", ":25P:", ":28:", ":28C:", ":60F:", ":60M:", ":61:", ":86:", ":62F:", ":62M:", ":64:",
         ":65:", ":13D:", ":34F:", ":90D:", ":90C:", ":NS:"}
MAX_BYTES = 100 * 1024 * 1024
TABLE = "payroll_statement_in"


@dataclass
class Entry:
    row: int  # the line of the file where its :61: is
    sign: str  # "D" money out (a transfer made), "C" money in (a transfer returned)
    amount: int
    day: dt.date
    code: str
    customer_reference: str
    details: str = ""
    line_id: int | None = None


@dataclass
class Statement:
    name: str
    sha256: str
    reference: str = ""
    account: str = ""
    opening: int = 0
    closing: int = 0
    entries: list[Entry] = field(default_factory=list)


def _patterns():
    from mt940 import tags

    return {"61": tags.Statement().re, "60": tags.FinalOpeningBalance().re, "62": tags.FinalClosingBalance().re}


def _vnd(text: str, where) -> int:
    """An MT940 amount ("300000," / "300000,00") in whole đồng (`where`: the error's place, or a
    function making it: made only for an error)."""
    whole, _, frac = text.partition(",")
    if whole.isdigit() and not frac.strip("0"):
        return int(whole)
    where = where() if callable(where) else where
    if not whole.isdigit() or (frac and not frac.isdigit()):
        raise BadInput(f"{where}: amount {text!r} is not an MT940 amount")
    if frac.strip("0"):
        raise BadInput(f"{where}: amount {text!r} has a fraction of a đồng")
    return int(whole)


def _balance(value: str, pattern, where: str) -> int:
    m = pattern.match(value)
    if not m or m.group("currency") != "VND":
        raise BadInput(f"{where}: not a balance in VND (D/C, YYMMDD, VND, amount)")
    amount = _vnd(m.group("amount"), where)
    return -amount if m.group("status") == "D" else amount


def read_mt940(path, name: str | None = None) -> Statement:
    """Read one MT940 statement; BadInput names the file (its own name, never its folder) and line."""
    p = Path(path)
    fname = name or p.name
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadInput(f"{fname}: cannot read ({exc.strerror or 'error'})") from None
    if len(data) > MAX_BYTES:
        raise BadInput(f"{fname}: larger than {MAX_BYTES // 1024 // 1024} MB")
    if not data.strip():
        raise BadInput(f"{fname}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"{fname}: line {row}: not UTF-8 text") from None
    st = Statement(fname, hashlib.sha256(data).hexdigest())
    pat = _patterns()
    pat61 = pat["61"].match
    seen: dict[str, int] = {}
    last_tag = ""
    last: Entry | None = None
    closing_row = 0
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line or line in ("-", "-}") or line.startswith(("{1:", "{2:", "{4:", "{5:")):
            continue
        # the tag by hand for the known fields (a regular expression per line was a third of the reading)
        j = line.find(":", 1) if line[0] == ":" else -1
        tag = line[:j + 1] if j > 1 else ""
        if tag == ":61:":
            e = pat61(line[4:])
            if e is None or e.group("status") not in ("D", "C"):
                raise BadInput(f"{fname}: line {n}: :61: is not a statement line (YYMMDD[MMDD]D|C amount type "
                               f"reference)")
            status, amount, year, month, day, code, ref = e.group("status", "amount", "year", "month", "day", "id",
                                                                  "customer_reference")
            try:
                when = dt.date(2000 + int(year), int(month), int(day))
            except ValueError:
                raise BadInput(f"{fname}: line {n}: :61: value date {line[4:10]!r} is not a date") from None
            last = Entry(n, status, _vnd(amount, lambda: f"{fname}: line {n}"), when, (code or "").strip(),
                         (ref or "").strip())
            st.entries.append(last)
            last_tag = tag
            if ":61" not in seen:
                seen[":61"] = n
            continue
        if tag == ":86:":
            if last is None or last.details:
                raise BadInput(f"{fname}: line {n}: :86: without the :61: it describes")
            last.details = line[4:].strip()
            last_tag = tag
            continue
        m = TAG.match(line)
        where = f"{fname}: line {n}"
        if m is None:
            if last_tag == ":86:" and last is not None:  # :86: goes on over several lines
                last.details += " " + line.strip()
                continue
            if last_tag == ":NS:":
                continue
            raise BadInput(f"{where}: {line[:30]!r} is not an MT940 field (:tag:value)")
        tag, value = m.group(1), m.group(2)
        if tag not in KNOWN:
            raise BadInput(f"{where}: field {tag} is not a statement field")
        last_tag = tag
        seen.setdefault(tag[:3], n)  # ":60F:" and ":60M:" are both the opening balance
        if tag == ":20:":
            st.reference = value.strip()[:40]
        elif tag == ":25:":
            st.account = value.strip()[:60]
        elif tag in (":60F:", ":60M:"):
            st.opening = _balance(value, pat["60"], where)
        elif tag in (":62F:", ":62M:"):
            st.closing, closing_row = _balance(value, pat["62"], where), n
    for tag, label in ((":20", ":20: (statement reference)"), (":25", ":25: (account)"), (":60", ":60F: (opening "
                       "balance)"), (":62", ":62F: (closing balance)")):
        if tag not in seen:
            raise BadInput(f"{fname}: {label} missing")
    moved = sum(e.amount if e.sign == "C" else -e.amount for e in st.entries)
    if st.opening + moved != st.closing:
        raise BadInput(f"{fname}: line {closing_row}: closing balance {st.closing:,} đ is not the opening balance "
                       f"{st.opening:,} đ plus the entries ({moved:+,} đ)".replace(",", "."))
    for e in st.entries:
        m = REF.search(e.customer_reference) or REF.search(e.details)
        e.line_id = int(m.group(1)) if m else None
    return st


# --------------------------------------------------------------------------- apply

def import_statement(path, *, user, name: str | None = None) -> dict:
    """Read a statement and apply it to the lines it names (see the module's docstring). The user
    reconciles every run touched (a reconciling role in scope, not the run's maker)."""
    from ansinh.payroll.reconcile import _check_reconciler, _finish_reconcile

    st = read_mt940(path, name)
    ours = [e for e in st.entries if e.line_id is not None]
    if StatementImport.objects.filter(sha256=st.sha256).exists():
        raise BadInput(f"{st.name}: this statement was already read")
    with transaction.atomic():
        with connection.cursor() as cur:
            _load(cur, ours)
            try:
                runs = _check(cur, st, user)
                for run in runs:
                    _check_reconciler(run, user)
                    if run.status not in (RunStatus.EXPORTED, RunStatus.RECONCILED):
                        raise BadInput(f"{st.name}: run {run.pk} is {run.status}; only sent runs are reconciled")
                counts = _apply(cur)
            finally:
                cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        reports = {}
        for run in runs:
            run.refresh_from_db()
            reports[run.pk] = _finish_reconcile(run)
        first = runs[0] if runs else None
        StatementImport.objects.create(
            file_name=st.name[:255], sha256=st.sha256, reference=st.reference, account=st.account,
            opening_vnd=st.opening, closing_vnd=st.closing, entries=len(st.entries), other=len(st.entries) - len(ours),
            runs=[r.pk for r in runs], imported_by=recorded_user(user), **counts,
            scope_commune_id=first.scope_commune_id if first and len(runs) == 1 else None,
            province_code=first.province_code if first else "")
    return {"statement": st.reference, "entries": len(st.entries), "other": len(st.entries) - len(ours), **counts,
            "runs": reports}


def _load(cur, entries: list[Entry]) -> None:
    load_temp_table(cur, TABLE, "rowno integer, line_id bigint, sign varchar(1), amount bigint, day date,"
                                " reason varchar(200)",
                    [(e.row, e.line_id, e.sign, e.amount, e.day, numbers_masked(e.details or e.code)[:180])
                     for e in entries])


def _check(cur, st: Statement, user) -> list[PayrollRun]:
    from ansinh.core.scope import scope_for

    t = PayrollLine._meta.db_table
    cur.execute(f"SELECT line_id, sign, MIN(rowno), MAX(rowno) FROM {TABLE} GROUP BY line_id, sign"
                f" HAVING COUNT(*) > 1 ORDER BY 4 LIMIT 1")
    dup = cur.fetchone()
    if dup:
        what = "paid" if dup[1] == "D" else "returned"
        raise BadInput(f"{st.name}: line {dup[3]}: transfer L{dup[0]} is {what} a second time (line {dup[2]})")
    cur.execute(f"SELECT s.rowno, s.line_id FROM {TABLE} s LEFT JOIN {t} l ON l.id = s.line_id"
                f" WHERE l.id IS NULL ORDER BY s.rowno LIMIT 1")
    bad = cur.fetchone()
    if bad:
        raise BadInput(f"{st.name}: line {bad[0]}: L{bad[1]} is not a payroll line")
    cur.execute(f"SELECT s.rowno, s.line_id, s.amount, l.amount FROM {TABLE} s JOIN {t} l ON l.id = s.line_id"
                f" WHERE s.amount <> l.amount ORDER BY s.rowno LIMIT 1")
    bad = cur.fetchone()
    if bad:
        raise BadInput(f"{st.name}: line {bad[0]}: {bad[2]:,} đ for L{bad[1]}, the line is {bad[3]:,} đ"
                       .replace(",", "."))
    # a debit for a line recorded unpaid (and not returned by this statement): the bank paid it
    cur.execute(f"SELECT s.rowno, s.line_id FROM {TABLE} s JOIN {t} l ON l.id = s.line_id"
                f" WHERE s.sign = 'D' AND l.result = 'unpaid' ORDER BY s.rowno LIMIT 1")
    bad = cur.fetchone()
    if bad:
        raise BadInput(f"{st.name}: line {bad[0]}: L{bad[1]} is recorded unpaid but the bank paid it; "
                       f"request a correction of that line")
    cur.execute(f"SELECT DISTINCT l.run_id FROM {TABLE} s JOIN {t} l ON l.id = s.line_id")
    run_ids = sorted(r[0] for r in cur.fetchall())
    runs = list(PayrollRun.objects.filter(pk__in=run_ids).select_related("scope_commune"))
    scope = scope_for(user)
    outside = [r for r in runs if not scope.covers(r.scope_commune_id, r.province_code)]
    if outside:  # said without the line's person: the first statement line naming such a run
        cur.execute(f"SELECT MIN(s.rowno) FROM {TABLE} s JOIN {t} l ON l.id = s.line_id WHERE l.run_id = %s",
                    [outside[0].pk])
        raise BadInput(f"{st.name}: line {cur.fetchone()[0]}: a line outside your scope")
    return runs


def _apply(cur) -> dict:
    """One pass per line named: a debit confirms a pending line; a return (credit) reverses a line that
    was paid (before, or by a debit of this statement) and fails a pending one never debited."""
    t = PayrollLine._meta.db_table
    agg = (f"SELECT line_id, MAX(CASE WHEN sign = 'D' THEN day END) AS d_day,"
           f" MAX(CASE WHEN sign = 'C' THEN day END) AS c_day, MAX(CASE WHEN sign = 'C' THEN reason END) AS reason"
           f" FROM {TABLE} GROUP BY line_id")
    was_paid = f"({t}.result = 'paid' OR s.d_day IS NOT NULL)"
    update = f"""
UPDATE {t} SET
  result = CASE WHEN s.c_day IS NULL THEN 'paid' ELSE 'unpaid' END,
  active = (s.c_day IS NULL),
  paid_on = CASE WHEN s.c_day IS NULL THEN s.d_day WHEN {was_paid} THEN COALESCE({t}.paid_on, s.d_day) END,
  reversed_on = CASE WHEN s.c_day IS NOT NULL AND {was_paid} THEN s.c_day END,
  result_reason = CASE WHEN s.c_day IS NULL THEN ''
                       WHEN {was_paid} THEN SUBSTR('reversed: ' || s.reason, 1, 200)
                       ELSE SUBSTR('rejected: ' || s.reason, 1, 200) END
FROM ({agg}) s
WHERE {t}.id = s.line_id AND ({t}.result = 'pending' OR ({t}.result = 'paid' AND s.c_day IS NOT NULL))"""
    if connection.vendor == "postgresql":
        # counted from the UPDATE's own rows (one pass; a separate count read the statement twice)
        cur.execute(f"""
WITH u AS ({update}
RETURNING CASE WHEN {t}.result = 'paid' THEN 'confirmed' WHEN {t}.reversed_on IS NOT NULL THEN 'reversed'
               ELSE 'failed' END AS kind)
SELECT kind, COUNT(*) FROM u GROUP BY kind""")
        n = dict(cur.fetchall())
        return {"confirmed": n.get("confirmed", 0), "reversed": n.get("reversed", 0), "failed": n.get("failed", 0)}
    cur.execute(f"""
SELECT SUM(CASE WHEN s.c_day IS NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.c_day IS NOT NULL AND {was_paid} THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.c_day IS NOT NULL AND NOT {was_paid} THEN 1 ELSE 0 END)
FROM ({agg}) s JOIN {t} ON {t}.id = s.line_id
WHERE {t}.result = 'pending' OR ({t}.result = 'paid' AND s.c_day IS NOT NULL)""")
    confirmed, reversed_, failed = (int(x or 0) for x in cur.fetchone())
    cur.execute(update)
    return {"confirmed": confirmed, "reversed": reversed_, "failed": failed}
