"""Failed-payment follow-up (issue 14 item 2): a run that pays again only the lines of another run
that the provider reported unpaid (rejected account, name mismatch, not collected) or that the
bank returned — by retrying the same account, or in cash at the post office. It is an ordinary
run: the same maker-checker, files and reconciliation.

Nothing is paid twice, by construction: a follow-up line claims the same obligation as the line it
retries (the person-month of a monthly line, the person-campaign of a campaign's line) through the
database's partial unique indexes, so a follow-up and the next month's carry-over (arrears) can
never both hold it — whichever is generated first pays it, the other skips it (ON CONFLICT DO
NOTHING, and generation's own "not already claimed" test). A paid line is never copied.
"""
from __future__ import annotations

from django.db import connection, transaction

from ansinh.core import providers
from ansinh.core.jobs import BadInput
from ansinh.core.services import recorded_user
from ansinh.payroll.access import MAKERS, require_run
from ansinh.payroll.models import PayrollLine, PayrollRun, RunStatus

RETRY, CASH = "retry", "cash"  # the rule: the same account (cash when the account itself failed), or cash
FOLLOWABLE = (RunStatus.EXPORTED, RunStatus.RECONCILED)


def generate_followup(run: PayrollRun, *, user, rule: str = RETRY) -> PayrollRun:
    """A draft follow-up of `run` (exported or reconciled) made by `user` (a maker in scope): its
    unpaid lines, with the channel of `rule`. A follow-up with no line is not kept."""
    require_run(user, run, MAKERS, "follow-up")
    if rule not in (RETRY, CASH):
        raise BadInput(f"rule: {rule!r} must be {RETRY} or {CASH}")
    if run.status not in FOLLOWABLE:
        raise BadInput(f"run {run.pk}: status {run.status}; only a sent run's failed lines are followed up")
    from ansinh.payroll.generate import _fill

    with transaction.atomic():
        f = PayrollRun.objects.create(period=run.period, campaign=run.campaign, followup_of=run,
                                      scope_commune=run.scope_commune, province_code=run.province_code,
                                      generated_by=recorded_user(user), status=RunStatus.DRAFT,
                                      summary={"rule": rule})
        f._followup_rule = rule
        _fill(f)
        if not f.summary.get("lines"):
            raise BadInput(f"run {run.pk}: no unpaid line is left to follow up (paid, or already claimed by "
                           f"another run)")
    return f


def insert_lines(run: PayrollRun) -> int:
    """Copy the original run's unpaid lines whose obligation is free (set-based)."""
    from ansinh.payroll.generate import ACCOUNT_FAILURE_REASONS, _account_usable_sql

    rule = getattr(run, "_followup_rule", None) or (run.summary or {}).get("rule") or RETRY
    t = PayrollLine._meta.db_table
    failures = ", ".join(f"'{r}'" for r in ACCOUNT_FAILURE_REASONS)
    # retry: the same account snapshot while the account is still usable and did not itself fail
    keep = "FALSE" if rule == CASH else (
        f"(o.account_id IS NOT NULL AND o.result_reason NOT IN ({failures})"
        f" AND o.account_id IN (SELECT a.id FROM registry_paymentaccount a WHERE {_account_usable_sql()}))")
    sql = f"""
INSERT INTO {t} (run_id, campaign_id, person_id, programme, period_month, category, coefficient_milli, level, amount,
  channel, payee, account_id, provider, provider_name, account_number, account_number_hash, holder_name,
  scope_commune_id, province_code,
  active, result, result_reason, paid_on)
SELECT %s, o.campaign_id, o.person_id, o.programme, o.period_month, o.category, o.coefficient_milli, o.level, o.amount,
  CASE WHEN {keep} THEN o.channel ELSE 'cash' END,
  CASE WHEN {keep} THEN o.payee WHEN o.payee = 'organiser' THEN 'organiser' ELSE 'beneficiary' END,
  CASE WHEN {keep} THEN o.account_id END,
  CASE WHEN {keep} THEN o.provider ELSE '{providers.CASH_CODE}' END,
  CASE WHEN {keep} THEN o.provider_name ELSE '' END,
  CASE WHEN {keep} THEN o.account_number ELSE '' END,
  CASE WHEN {keep} THEN o.account_number_hash ELSE '' END,
  CASE WHEN {keep} THEN o.holder_name ELSE '' END,
  o.scope_commune_id, o.province_code, TRUE, 'pending', '', NULL
FROM {t} o
WHERE o.run_id = %s AND o.result = 'unpaid'
  AND NOT EXISTS (SELECT 1 FROM {t} l WHERE l.person_id = o.person_id AND l.active AND (
    (o.campaign_id IS NOT NULL AND l.campaign_id = o.campaign_id)
    OR (o.campaign_id IS NULL AND l.campaign_id IS NULL AND l.period_month = o.period_month
        AND (l.programme = o.programme OR (o.programme IN ('tcxh', 'nd176') AND l.programme IN ('tcxh', 'nd176'))))))
ON CONFLICT DO NOTHING"""
    with connection.cursor() as cur:
        cur.execute(sql, [run.pk, run.followup_of_id])
        return cur.rowcount


from ansinh.payroll.generate import FILLERS  # noqa: E402 - below the definitions it registers

FILLERS["followup"] = insert_lines
