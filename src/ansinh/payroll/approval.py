"""A run's way out: checked and approved by a second user (maker-checker), then exported to the
providers. Role, scope and maker ≠ checker: payroll.access."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.payroll.access import APPROVERS, CHECKERS, EXPORTERS, lock, require_not_maker, require_run
from ansinh.payroll.models import PayrollRun, RunStatus


def check(run: PayrollRun, user) -> PayrollRun:
    """A second user checks a draft (maker-checker, as approval)."""
    require_run(user, run, CHECKERS, "check")
    require_not_maker(user, run, "check", "checker")
    with transaction.atomic():
        lock(run)
        if run.status != RunStatus.DRAFT:
            raise BadInput(f"run {run.pk}: status {run.status}, expected draft")
        run.status, run.checked_by = RunStatus.CHECKED, user
        run.save(update_fields=["status", "checked_by"])
    return run


def approve(run: PayrollRun, user) -> PayrollRun:
    """Maker-checker: an approver in scope, never the user who generated the run (a run with
    no recorded maker cannot be approved)."""
    require_run(user, run, APPROVERS, "approve")
    require_not_maker(user, run, "approve", "approver")
    with transaction.atomic():
        lock(run)
        if run.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
            raise BadInput(f"run {run.pk}: status {run.status}, cannot approve")
        run.status, run.approved_by, run.approved_at = RunStatus.APPROVED, user, timezone.now()
        if run.checked_by_id is None:
            run.checked_by = user
        run.save(update_fields=["status", "approved_by", "approved_at", "checked_by"])
    return run


EXPORTABLE = (RunStatus.APPROVED, RunStatus.EXPORTED, RunStatus.RECONCILED)


def export(run: PayrollRun, out_dir=None, *, user, pdf: bool = True) -> list:
    """Export an approved run: it becomes exported (by a user with an exporting role in scope);
    the provider files are written to `out_dir` when given. Exporting again changes nothing."""
    require_run(user, run, EXPORTERS, "export")
    with transaction.atomic():
        lock(run)
        if run.status not in EXPORTABLE:
            raise BadInput(f"run {run.pk}: status {run.status}; approve it before exporting")
        if run.status == RunStatus.APPROVED:
            run.status, run.exported_at = RunStatus.EXPORTED, timezone.now()
            run.save(update_fields=["status", "exported_at"])
    if out_dir is None:
        return []
    from ansinh.payroll import files

    return files.write_all(run, out_dir, pdf=pdf)

