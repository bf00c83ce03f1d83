"""Result corrections: a confirmed line result changes only when a second user (an approver in
scope, not the requester) approves the request; a person-month is never paid twice."""
from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.payroll import entitlement as E
from ansinh.payroll.access import APPROVERS, CORRECTORS, SameUser, require_run
from ansinh.payroll.models import CorrectionStatus, LineResult, PayrollLine, PayrollRun, ResultCorrection
from ansinh.payroll.reconcile import reconciliation_report


def request_correction(line: PayrollLine, *, new_result: str, reason: str, user, new_reason: str = "",
                       paid_on: dt.date | None = None) -> ResultCorrection:
    """Ask to change a confirmed result (paid -> unpaid: the provider reports the payment
    returned; unpaid -> paid: a payment reported failed did arrive). Nothing changes until a
    different user with the approver role approves it (``approve_correction``)."""
    run = line.run
    require_run(user, run, CORRECTORS, "correction")
    if new_result not in (LineResult.PAID, LineResult.UNPAID):
        raise BadInput(f"new_result: {new_result!r} must be paid or unpaid")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("reason: required (why the recorded result is wrong)")
    if len(reason) > 500:
        raise BadInput("reason: at most 500 characters")
    if new_result == LineResult.PAID and paid_on is None:
        raise BadInput("paid_date: required for a correction to paid")
    try:
        with transaction.atomic():
            line = PayrollLine.objects.select_for_update().get(pk=line.pk)
            if line.result == LineResult.PENDING:
                raise BadInput(f"line {line.pk}: no result is recorded yet; it is reconciled from the provider's file")
            if line.result == new_result:
                raise BadInput(f"new_result: line {line.pk} is already {new_result}")
            return ResultCorrection.objects.create(
                line=line, old_result=line.result, new_result=new_result, old_reason=line.result_reason,
                new_reason=(new_reason or "").strip()[:200], paid_on=paid_on if new_result == LineResult.PAID else None,
                reason=reason, requested_by=user, scope_commune_id=line.scope_commune_id,
                province_code=line.province_code)
    except IntegrityError:
        raise BadInput(f"line {line.pk}: a correction of this line is already waiting for approval") from None


def _correction_for_update(correction: ResultCorrection) -> ResultCorrection:
    c = ResultCorrection.objects.select_for_update().select_related("line__run").get(pk=correction.pk)
    if c.status != CorrectionStatus.REQUESTED:
        raise BadInput(f"correction {c.pk}: already {c.status}")
    return c


def approve_correction(correction: ResultCorrection, user) -> ResultCorrection:
    """Apply a requested correction: an approver in scope who did not request it. The line's
    claim on its person-month follows the new result; the database refuses a second paid or
    pending line for that month (the correction then stays requested, nothing changes)."""
    run = correction.line.run
    require_run(user, run, APPROVERS, "approve correction")
    if correction.requested_by_id == user.pk:
        raise SameUser(f"approve correction: correction {correction.pk} must be approved by a different user "
                         f"from the one who requested it")
    try:
        with transaction.atomic():
            c = _correction_for_update(correction)
            line = PayrollLine.objects.select_for_update().get(pk=c.line_id)
            if line.result != c.old_result:
                raise BadInput(f"correction {c.pk}: line {line.pk} is now {line.result}, not {c.old_result}")
            paid = c.new_result == LineResult.PAID
            PayrollLine.objects.filter(pk=line.pk).update(
                result=c.new_result, active=paid, paid_on=c.paid_on if paid else None,
                result_reason="" if paid else c.new_reason)
            c.status, c.approved_by, c.decided_at = CorrectionStatus.APPROVED, user, timezone.now()
            c.save(update_fields=["status", "approved_by", "decided_at"])
            run = PayrollRun.objects.select_for_update().get(pk=line.run_id)
            run.reconciliation = reconciliation_report(run)
            run.save(update_fields=["reconciliation"])
    except IntegrityError:
        ln = correction.line
        same = list(E.ALLOWANCE_PROGRAMMES) if ln.programme in E.ALLOWANCE_PROGRAMMES else [ln.programme]
        other = (PayrollLine.objects.filter(person_id=ln.person_id, programme__in=same, period_month=ln.period_month,
                                            active=True)
                 .exclude(pk=ln.pk).values_list("run_id", flat=True).first())
        raise BadInput(f"correction {correction.pk}: month {correction.line.period_month} of this person is already "
                       f"paid or pending in run {other}; it cannot be paid twice") from None
    return c


def reject_correction(correction: ResultCorrection, user) -> ResultCorrection:
    run = correction.line.run
    require_run(user, run, APPROVERS, "reject correction")
    with transaction.atomic():
        c = _correction_for_update(correction)
        c.status, c.rejected_by, c.decided_at = CorrectionStatus.REJECTED, user, timezone.now()
        c.save(update_fields=["status", "rejected_by", "decided_at"])
    return c

