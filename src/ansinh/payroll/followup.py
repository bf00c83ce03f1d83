"""Failed-payment follow-up (issue 14 item 2): a run that pays again only the lines of another run
that the provider reported unpaid (rejected account, name mismatch, not collected) or that the
bank returned. Each line gets one of three follow-ups — **retry** (into the person's usable account
as generation chooses it: the same one, or the fixed or new one; cash when there is none), **cash** at the post office, or
**hold** (not in this follow-up: it waits, unpaid and unclaimed, until its account is fixed) —
chosen per line by the maker, or by rule (``payroll.failures.followup_choice``: an account failure
is held until the account is fixed, a line not collected is retried once, then paid in cash; or
the same choice for every line). It is an ordinary run: the same maker-checker (a second user
approves it before any file is made), files and reconciliation; the choices are kept in its summary.

Nothing is paid twice, by construction: a follow-up line claims the same obligation as the line it
retries (the person-month of a monthly line, the person-campaign of a campaign's line) through the
database's partial unique indexes, so a follow-up and the next month's carry-over (arrears) can
never both hold it — whichever is generated first pays it, the other skips it (ON CONFLICT DO
NOTHING, and generation's own "not already claimed" test). A paid line is never copied.
"""
from __future__ import annotations

from collections.abc import Mapping

from django.db import connection, transaction

from ansinh.core import providers
from ansinh.core.jobs import BadInput
from ansinh.core.services import recorded_user
from ansinh.payroll.access import MAKERS, require_run
from ansinh.payroll.failures import AUTO, CASH, CHOICES, HOLD, RETRY, account_failure_sql
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun, RunStatus

RULES = (AUTO, RETRY, CASH)  # for the whole follow-up; per line: failures.CHOICES
FOLLOWABLE = (RunStatus.EXPORTED, RunStatus.RECONCILED)


def _check_choices(run: PayrollRun, choices: Mapping | None) -> dict[int, str]:
    out: dict[int, str] = {}
    for k, v in (choices or {}).items():
        try:
            line_id = int(k)
        except (TypeError, ValueError):
            raise BadInput(f"line {str(k)[:20]!r}: not a line number") from None
        if v not in CHOICES:
            raise BadInput(f"line {line_id}: follow-up {str(v)[:20]!r} must be {', '.join(CHOICES)}")
        out[line_id] = v
    if out:
        known = set(PayrollLine.objects.filter(run=run, result=LineResult.UNPAID, pk__in=list(out))
                    .values_list("pk", flat=True))
        missing = sorted(set(out) - known)
        if missing:
            raise BadInput(f"line {missing[0]}: not an unpaid line of run {run.pk}")
    return out


def generate_followup(run: PayrollRun, *, user, rule: str = AUTO, choices: Mapping | None = None) -> PayrollRun:
    """A draft follow-up of `run` (exported or reconciled) made by `user` (a maker in scope): its
    unpaid lines whose obligation is still free, each with the follow-up of `choices` ({line id:
    retry|cash|hold}) or else of `rule` (auto: by rule; retry or cash: that for every line). Held
    lines are not copied. A follow-up with no line is not kept."""
    require_run(user, run, MAKERS, "follow-up")
    if rule not in RULES:
        raise BadInput(f"rule: {rule!r} must be {', '.join(RULES)}")
    if run.status not in FOLLOWABLE:
        raise BadInput(f"run {run.pk}: status {run.status}; only a sent run's failed lines are followed up")
    picked = _check_choices(run, choices)
    from ansinh.payroll.generate import _fill

    with transaction.atomic():
        if run.campaign_id is not None:  # one writer of a campaign's lines at a time
            from ansinh.payroll.campaigns import lock_campaign

            lock_campaign(run.campaign)
        f = PayrollRun.objects.create(period=run.period, campaign=run.campaign, followup_of=run,
                                      scope_commune=run.scope_commune, province_code=run.province_code,
                                      generated_by=recorded_user(user), status=RunStatus.DRAFT,
                                      summary={"rule": rule, "choices": {str(k): v for k, v in picked.items()}})
        f._followup = (rule, picked)
        held = planned(run, rule, picked)
        _fill(f)
        f.summary.update(rule=rule, choices={str(k): v for k, v in picked.items()},
                         held=sorted(r["line"] for r in held if r["choice"] == HOLD))
        f.save(update_fields=["summary"])
        if not f.summary.get("lines"):
            extra = (f"; {len(f.summary['held'])} line(s) held until the account is fixed"
                     if f.summary["held"] else "")
            raise BadInput(f"run {run.pk}: no unpaid line is left to follow up (paid, or already claimed by "
                           f"another run){extra}")
    return f


# --------------------------------------------------------------------------- the choice, set-based

def _choice_sql(rule: str, picked: Mapping[int, str]) -> str:
    """The follow-up of each candidate row `s` (columns acct_fail, acct_ok, failures)."""
    whens = []
    for choice in CHOICES:
        ids = sorted(int(k) for k, v in picked.items() if v == choice)
        if ids:
            whens.append(f"WHEN s.id IN ({', '.join(str(i) for i in ids)}) THEN '{choice}'")
    if rule in (RETRY, CASH):
        whens.append(f"WHEN TRUE THEN '{rule}'")
    from ansinh.payroll.failures import RETRIES_BEFORE_CASH

    # failures.followup_choice, in SQL (tests/payroll/test_followup.py checks they agree)
    auto = (f"CASE WHEN s.acct_fail THEN (CASE WHEN s.acct_ok THEN '{RETRY}' ELSE '{HOLD}' END)"
            f" WHEN s.failures > {RETRIES_BEFORE_CASH} THEN '{CASH}'"
            f" ELSE '{RETRY}' END")
    return f"CASE {' '.join(whens)} ELSE {auto} END" if whens else auto


def _candidates_sql(rule: str, picked: Mapping[int, str]) -> str:
    """The original run's unpaid lines whose obligation is free, with their facts and follow-up
    (parameter: the original run's id)."""
    from ansinh.registry.models import usable_account_sql

    t = PayrollLine._meta.db_table
    same_obligation = """((o.campaign_id IS NOT NULL AND {x}.campaign_id = o.campaign_id)
        OR (o.campaign_id IS NULL AND {x}.campaign_id IS NULL AND {x}.period_month = o.period_month
            AND ({x}.programme = o.programme OR (o.programme IN ('tcxh', 'nd176') AND {x}.programme IN ('tcxh', 'nd176')))))"""
    return f"""
SELECT s.*, {_choice_sql(rule, picked)} AS choice FROM (SELECT u.*, (u.now_account IS NOT NULL) AS acct_ok FROM (
  SELECT o.*, {account_failure_sql('o.result_reason')} AS acct_fail,
         (SELECT MAX(a.id) FROM registry_paymentaccount a WHERE a.person_id = o.person_id
            AND {usable_account_sql('a')}) AS now_account,
         (SELECT COUNT(*) FROM {t} f WHERE f.person_id = o.person_id AND f.result = 'unpaid'
            AND {same_obligation.format(x='f')}) AS failures
  FROM {t} o
  WHERE o.run_id = %s AND o.result = 'unpaid'
    AND NOT EXISTS (SELECT 1 FROM {t} l WHERE l.person_id = o.person_id AND l.active
                    AND {same_obligation.format(x='l')})
) u) s"""


def planned(run: PayrollRun, rule: str = AUTO, choices: Mapping | None = None) -> list[dict]:
    """What a follow-up of `run` would do with each unpaid line still free: [{line, person, amount,
    reason, account_failure, account_usable, failures, choice}] (the follow-up page reads it)."""
    picked = _check_choices(run, choices)
    with connection.cursor() as cur:
        cur.execute(f"SELECT c.id, c.person_id, c.amount, c.result_reason, c.acct_fail, c.acct_ok, c.failures,"
                    f" c.choice, c.channel FROM ({_candidates_sql(rule, picked)}) c ORDER BY c.id", [run.pk])
        return [{"line": r[0], "person": r[1], "amount": r[2], "reason": r[3], "account_failure": bool(r[4]),
                 "account_usable": bool(r[5]), "failures": r[6], "choice": r[7], "channel": r[8]}
                for r in cur.fetchall()]


def insert_lines(run: PayrollRun) -> int:
    """Copy the original run's unpaid lines whose obligation is free, but the held ones (set-based)."""
    from ansinh.payroll.generate import _WALLETS

    summary = run.summary or {}
    rule, picked = getattr(run, "_followup", None) or (summary.get("rule") or AUTO, {
        int(k): v for k, v in (summary.get("choices") or {}).items()})
    t = PayrollLine._meta.db_table
    # retry: into the person's usable account now (the same one, a fixed one or a new one); else cash
    sql = f"""
INSERT INTO {t} (run_id, campaign_id, person_id, programme, period_month, category, coefficient_milli, level, amount,
  channel, payee, account_id, provider, provider_name, account_number, account_number_hash, holder_name,
  scope_commune_id, province_code,
  active, result, result_reason, paid_on)
SELECT %s, c.campaign_id, c.person_id, c.programme, c.period_month, c.category, c.coefficient_milli, c.level, c.amount,
  CASE WHEN a.id IS NULL THEN 'cash' WHEN a.provider IN ({_WALLETS}) THEN 'ewallet' ELSE 'bank' END,
  CASE WHEN c.payee = 'organiser' THEN 'organiser' WHEN a.holder = 'authorised' THEN 'authorised'
       ELSE 'beneficiary' END,
  a.id, COALESCE(a.provider, '{providers.CASH_CODE}'), COALESCE(a.provider_name, ''),
  COALESCE(a.account_number, ''), COALESCE(a.account_number_hash, ''), COALESCE(a.holder_name, ''),
  c.scope_commune_id, c.province_code, TRUE, 'pending', '', NULL
FROM ({_candidates_sql(rule, picked)}) c
LEFT JOIN registry_paymentaccount a ON a.id = c.now_account AND c.choice = '{RETRY}'
WHERE c.choice <> '{HOLD}'
ON CONFLICT DO NOTHING"""
    with connection.cursor() as cur:
        cur.execute(sql, [run.pk, run.followup_of_id])
        return cur.rowcount


from ansinh.payroll.generate import FILLERS  # noqa: E402 - below the definitions it registers

FILLERS["followup"] = insert_lines
