"""Holding a payroll line while a complaint about it is open (issue #15): the one place that
writes a hold onto a payroll line, so the complaints app never writes payroll rows.

A held line keeps its claim on the person-month (``active``, result pending: the month is not
generated again as arrears while the case is open) and carries ``result_reason = HELD``; the
provider files leave it out (``payroll/files.py``). Releasing it before the run is exported
clears the mark, so the line is paid with its run. Released after its run went out without it,
the line becomes unpaid (``HELD_RELEASED``), which frees the month: the next run pays it as
arrears. Role and scope: ``payroll.access``; maker-checker of the release is the caller's
(complaints.LineHold records who held and who released, and the database refuses the same user).
"""
from __future__ import annotations

from django.db import transaction

from ansinh.core.jobs import BadInput
from ansinh.payroll.access import MAKERS, require_run
from ansinh.payroll.models import LineResult, PayrollLine, RunStatus

HELD = "HELD"  # result_reason of a pending line held by a complaint
HELD_RELEASED = "HELD_RELEASED"  # unpaid: released after its run went out without it
HOLDERS = MAKERS  # commune and province officers, the administrator
RELEASERS = MAKERS + ("approver",)
NOT_SENT = (RunStatus.DRAFT, RunStatus.CHECKED, RunStatus.APPROVED)


def is_held(line: PayrollLine) -> bool:
    return line.result == LineResult.PENDING and line.result_reason == HELD


def hold_line(line: PayrollLine, *, user) -> PayrollLine:
    """Hold a pending line of a run not yet exported."""
    require_run(user, line.run, HOLDERS, "hold")
    with transaction.atomic():
        line = PayrollLine.objects.select_for_update().select_related("run").get(pk=line.pk)
        if line.run.status not in NOT_SENT:
            raise BadInput(f"line {line.pk}: its run is already {line.run.status}; it can no longer be held")
        if line.result != LineResult.PENDING:
            raise BadInput(f"line {line.pk}: result {line.result}, only a pending line can be held")
        if line.result_reason == HELD:
            raise BadInput(f"line {line.pk} is already held")
        PayrollLine.objects.filter(pk=line.pk).update(result_reason=HELD)
        line.result_reason = HELD
    return line


def release_line(line: PayrollLine, *, user) -> PayrollLine:
    """Release a held line: paid with its run if the run has not gone out, else owed as arrears."""
    require_run(user, line.run, RELEASERS, "release")
    with transaction.atomic():
        line = PayrollLine.objects.select_for_update().select_related("run").get(pk=line.pk)
        if not is_held(line):
            raise BadInput(f"line {line.pk} is not held")
        if line.run.status in NOT_SENT:
            PayrollLine.objects.filter(pk=line.pk).update(result_reason="")
            line.result_reason = ""
        else:
            PayrollLine.objects.filter(pk=line.pk).update(active=False, result=LineResult.UNPAID,
                                                          result_reason=HELD_RELEASED)
            line.active, line.result, line.result_reason = False, LineResult.UNPAID, HELD_RELEASED
    return line
