"""Why a payment failed, and what follows from it (issue 14 item 2).

A line reported unpaid fails for a reason of the **account** (rejected or closed account, the
holder's name does not match) or for a reason of the **person** (not collected at the post office,
anything else). An account failure blocks the account and opens a review item on it:

- ``PaymentAccount.failed_at`` is set: the registry's one definition of a usable account
  (``registry.models.usable_account_q``/``usable_account_sql``) refuses it until a second user
  approves it again after that moment (an officer corrected the number or the name, an approver
  approved the change) — so the next run, monthly or follow-up, pays that person in cash or holds
  the line, never into the refused account again;
- a ``QualityIssue`` ``ACCOUNT_FAILED`` (registry review queue) says so; ``registry.recheck``
  closes it by itself once the account is approved again (or closed).

``is_account_failure`` is the rule, pure; ``account_failure_sql`` the same test in SQL (tests agree
them); ``block_failed_accounts`` applies it set-based to a run's results (called by every path that
records results: result files, G2P callbacks and bank statements, through
``reconcile._finish_reconcile``).

The follow-up's choice by rule (``followup_choice``): an account failure is held until the account
is fixed (then retried on it); a line not collected is retried once, then paid in cash.
"""
from __future__ import annotations

from django.db import connection
from django.utils import timezone

from ansinh.payroll.models import PayrollLine, PayrollRun

# Our result file's codes and G2P Connect's status_reason_codes that name the account.
ACCOUNT_CODES = ("account_invalid", "account_closed", "name_mismatch", "rjct.payee_fa.invalid",
                 "rjct.beneficiary_name.invalid")
# ISO 20022 return reasons a bank statement's text carries (":86:RETURN AC04 CLOSED ACCOUNT"):
# AC01 wrong account number, AC04 closed, AC06 blocked, BE01 name does not match the account.
ISO_ACCOUNT_CODES = ("AC01", "AC04", "AC06", "BE01")

RETRY, CASH, HOLD = "retry", "cash", "hold"
CHOICES = (RETRY, CASH, HOLD)
AUTO = "auto"  # by rule (followup_choice)
NOT_COLLECTED = "not_collected"
RETRIES_BEFORE_CASH = 1  # "retry once, then cash"


def is_account_failure(reason: str) -> bool:
    """Whether an unpaid line's reason is the account's (a code of ours or G2P's, or a bank's
    return text with an ISO account reason)."""
    r = reason or ""
    for prefix in ("rejected: ", "reversed: "):  # how payroll/statements.py records the bank's text
        if r.startswith(prefix):
            r = r[len(prefix):]
    return r in ACCOUNT_CODES or any(f" {c} " in f" {r} " for c in ISO_ACCOUNT_CODES)


def account_failure_sql(col: str) -> str:
    """``is_account_failure`` as a SQL condition on the text column `col` (codes written in the
    statement; its ``%%`` are for a statement run with parameters). The ISO codes are matched as words
    between spaces, as the pure rule does."""
    codes = ", ".join(f"'{c}'" for c in ACCOUNT_CODES)
    prefixed = " OR ".join(f"{col} IN ({', '.join(f'{chr(39)}{p}{c}{chr(39)}' for c in ACCOUNT_CODES)})"
                           for p in ("rejected: ", "reversed: "))
    iso = " OR ".join(f"(' ' || {col} || ' ') LIKE '%% {c} %%'" for c in ISO_ACCOUNT_CODES)
    return f"({col} IN ({codes}) OR {prefixed} OR {iso})"


def followup_choice(*, account_failure: bool, account_usable: bool, failures: int) -> str:
    """What the follow-up does with an unpaid line by rule: an account failure is held while the
    person has no usable account (the refused one is blocked until fixed), retried once one is
    (the fixed account, or a new one); any other failure (not collected) is retried
    ``RETRIES_BEFORE_CASH`` times, then paid in cash. ``failures``: how many lines of the same
    obligation failed so far (this one included). A retry pays into the person's usable account as
    generation chooses it (``generate.account_choice_sql``), in cash when there is none."""
    if account_failure:
        return RETRY if account_usable else HOLD
    return CASH if failures > RETRIES_BEFORE_CASH else RETRY


def block_failed_accounts(run: PayrollRun) -> int:
    """Block the accounts of `run`'s lines that failed for an account reason and open one
    ``ACCOUNT_FAILED`` review item per account; set-based. An account approved again after the run
    was sent is not blocked by it (the failure was of its old details), nor one already blocked."""
    from ansinh.registry.models import PaymentAccount, QualityIssue

    if run.exported_at is None:
        return 0
    t = PayrollLine._meta.db_table
    sql = f"""
SELECT MIN(l.id), l.account_id, l.person_id, MIN(l.result_reason), MIN(l.scope_commune_id), MIN(l.province_code)
FROM {t} l JOIN registry_paymentaccount a ON a.id = l.account_id
WHERE l.run_id = %s AND l.result = 'unpaid' AND {account_failure_sql('l.result_reason')}
  AND (a.approved_at IS NULL OR a.approved_at < %s)
  AND (a.failed_at IS NULL OR a.approved_at > a.failed_at)
GROUP BY l.account_id, l.person_id"""
    with connection.cursor() as cur:
        cur.execute(sql, [run.pk, run.exported_at])
        rows = cur.fetchall()
    if not rows:
        return 0
    now = timezone.now()
    ids = [r[1] for r in rows]
    for i in range(0, len(ids), 5000):
        PaymentAccount.objects.filter(pk__in=ids[i:i + 5000]).update(failed_at=now)
    from ansinh.payroll.reasons import reason_label

    QualityIssue.objects.bulk_create([
        QualityIssue(person_id=pid, rule="ACCOUNT_FAILED", severity="error", field="account",
                     message=f"Chi trả vào tài khoản bị từ chối ({reason_label(reason)}): tài khoản bị chặn đến khi "
                             f"được sửa và phê duyệt lại",
                     details={"account": acc, "run": run.pk, "line": line, "reason": reason[:200]},
                     scope_commune_id=sc, province_code=pc or "")
        for line, acc, pid, reason, sc, pc in rows], batch_size=2000)
    return len(rows)
