"""The providers' results: a result file or G2P Connect callbacks mark each line paid or unpaid
(set-based, all or nothing; a recorded result is final), and the run's reconciliation report."""
from __future__ import annotations

from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ansinh.core.db import load_temp_table
from ansinh.core.jobs import BadInput
from ansinh.core.masking import numbers_masked
from ansinh.payroll.access import RECONCILERS, lock, require_not_maker, require_run
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun, RunStatus


def reconcile(run: PayrollRun, result_path, *, user) -> dict:
    """Mark lines from a provider result file (line_id, status paid|unpaid, reason, paid_date).

    Unpaid lines stop claiming their month, so the next run pays it again as arrears; an
    unpaid line whose reason is an account failure makes later runs use cash (the account is
    skipped by generation). All or nothing: see ``apply_results``."""
    from ansinh.payroll import files

    _check_reconciler(run, user)
    _check_reconcilable(run)
    rows = files.read_result(result_path)
    return apply_results(run, rows, source=Path(str(result_path)).name, user=user)


def _check_reconciler(run: PayrollRun, user) -> None:
    """Results are recorded by a user with a reconciling role in scope, never the run's maker."""
    require_run(user, run, RECONCILERS, "reconcile")
    require_not_maker(user, run, "reconcile", "reconciler")


def _check_reconcilable(run: PayrollRun) -> None:
    if run.status not in (RunStatus.EXPORTED, RunStatus.RECONCILED):
        raise BadInput(f"run {run.pk}: status {run.status}; export it before reconciling")


RESULT_TABLE = "payroll_result_in"


def apply_results(run: PayrollRun, rows: list[dict], *, source: str, user) -> dict:
    """Mark the lines named in `rows` ({row, line_id, status paid|unpaid, reason, paid_date,
    amount or None}) — from a provider result file or from G2P Connect on-disburse callbacks —
    and reconcile the run when no line is pending any more.

    Set-based: the rows go into a temporary table (COPY on PostgreSQL), are checked there
    (a line named twice, a line not in the run, an amount that differs, a line whose result is
    already recorded: the error names the source, row and field) and applied with one
    UPDATE … FROM. One transaction: a bad row changes nothing. A recorded result is final:
    changing it takes an approved ``ResultCorrection``."""
    _check_reconciler(run, user)
    _check_reconcilable(run)
    try:
        with transaction.atomic():
            lock(run)
            _check_reconcilable(run)
            with connection.cursor() as cur:
                _load_results(cur, rows)
                try:
                    _check_results(cur, run, source)
                    _update_lines(cur, run)
                finally:
                    cur.execute(f"DROP TABLE IF EXISTS {RESULT_TABLE}")
            return _finish_reconcile(run)
    except IntegrityError:
        raise BadInput(f"{source}: a line reported paid was reported unpaid before and its month is now "
                       f"claimed by a later run; correct that run first") from None


def _load_results(cur, rows: list[dict]) -> None:
    load_temp_table(cur, RESULT_TABLE, "rowno integer, line_id bigint, status varchar(8), reason varchar(200),"
                                       " paid_on date, amount bigint",
                    [(r["row"], r["line_id"], r["status"], numbers_masked(r["reason"])[:200], r["paid_date"],
                      r["amount"]) for r in rows])


def _check_results(cur, run: PayrollRun, source: str) -> None:
    line_table = PayrollLine._meta.db_table
    cur.execute(f"SELECT line_id, MIN(rowno), MAX(rowno) FROM {RESULT_TABLE} GROUP BY line_id"
                f" HAVING COUNT(*) > 1 ORDER BY 3 LIMIT 1")
    dup = cur.fetchone()
    if dup:
        raise BadInput(f"{source}: row {dup[2]}, line_id: line {dup[0]} is already given in row {dup[1]}")
    cur.execute(f"SELECT t.rowno, t.line_id FROM {RESULT_TABLE} t LEFT JOIN {line_table} l"
                f" ON l.id = t.line_id AND l.run_id = %s WHERE l.id IS NULL ORDER BY t.rowno LIMIT 1", [run.pk])
    unknown = cur.fetchone()
    if unknown:
        raise BadInput(f"{source}: row {unknown[0]}, line_id: line {unknown[1]} is not in run {run.pk}")
    cur.execute(f"SELECT t.rowno, t.line_id, t.amount, l.amount FROM {RESULT_TABLE} t JOIN {line_table} l"
                f" ON l.id = t.line_id WHERE t.amount IS NOT NULL AND t.amount <> l.amount ORDER BY t.rowno LIMIT 1")
    bad = cur.fetchone()
    if bad:
        raise BadInput(f"{source}: row {bad[0]}, amount: {bad[2]} đồng for line {bad[1]}, "
                       f"{bad[3]} đồng in run {run.pk}")
    cur.execute(f"SELECT t.rowno, t.line_id, l.result FROM {RESULT_TABLE} t JOIN {line_table} l"
                f" ON l.id = t.line_id WHERE l.result <> %s ORDER BY t.rowno LIMIT 1", [LineResult.PENDING])
    final = cur.fetchone()
    if final:
        raise BadInput(f"{source}: row {final[0]}, status: line {final[1]} already has a confirmed result "
                       f"({final[2]}); results are final, a change needs an approved correction")


def _update_lines(cur, run: PayrollRun) -> None:
    t = PayrollLine._meta.db_table
    cur.execute(f"""
UPDATE {t} SET result = r.status, result_reason = r.reason,
  paid_on = CASE WHEN r.status = 'paid' THEN r.paid_on END, active = (r.status <> 'unpaid')
FROM {RESULT_TABLE} r WHERE {t}.id = r.line_id AND {t}.run_id = %s AND {t}.result = %s""",
                [run.pk, LineResult.PENDING])


def _finish_reconcile(run: PayrollRun) -> dict:
    """The run's reconciliation report; the run is reconciled when no line is pending. Accounts
    refused for an account reason are blocked, with a review item (payroll/failures.py)."""
    from ansinh.payroll.failures import block_failed_accounts

    block_failed_accounts(run)
    report = reconciliation_report(run)
    run.reconciliation = report
    if report["pending"]["lines"] == 0:
        run.status, run.reconciled_at = RunStatus.RECONCILED, timezone.now()
    run.save(update_fields=["reconciliation", "status", "reconciled_at"])
    return report


def reconciliation_report(run: PayrollRun) -> dict:
    lines = PayrollLine.objects.filter(run=run)

    def agg(qs):
        r = qs.aggregate(n=Count("id"), s=Sum("amount"))
        return {"lines": r["n"], "total_vnd": r["s"] or 0}

    out = {"run": run.pk, "period": run.period, "total": agg(lines)}
    for res in LineResult.values:
        out[res] = agg(lines.filter(result=res))
    out["balanced"] = out["total"]["total_vnd"] == sum(out[r]["total_vnd"] for r in LineResult.values)
    # What the bank did with what was sent: confirmed (paid), failed (never paid), reversed (paid, then
    # returned: unpaid again), pending — to the đồng, and sent = their sum once the run is exported.
    out["sent"] = out["total"] if run.exported_at else {"lines": 0, "total_vnd": 0}
    out["confirmed"] = out["paid"]
    out["failed"] = agg(lines.filter(result=LineResult.UNPAID, reversed_on__isnull=True))
    out["reversed"] = agg(lines.filter(result=LineResult.UNPAID, reversed_on__isnull=False))
    out["states_balanced"] = not run.exported_at or out["sent"]["total_vnd"] == sum(
        out[k]["total_vnd"] for k in ("confirmed", "failed", "reversed", "pending"))
    out["by_provider"] = _grouped(lines, "provider")
    out["by_commune"] = _grouped(lines, "scope_commune__code")
    return out



def _grouped(lines, field):
    res = {}
    for r in lines.values(field, "result").annotate(n=Count("id"), s=Sum("amount")).order_by(field):
        d = res.setdefault(r[field] or "", {v: {"lines": 0, "total_vnd": 0} for v in LineResult.values})
        d[r["result"]] = {"lines": r["n"], "total_vnd": r["s"] or 0}
    return res
