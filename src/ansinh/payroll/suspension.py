"""Suspension after months not collected (Circular 02/2021 Art. 2): a person who collected
nothing in the runs of ``UNCOLLECTED_MONTHS_TO_SUSPEND`` consecutive months is suspended. A step
of the monthly run the officers see: once a month's run is reconciled, its page names how many
persons would be suspended and an approver (or a province officer, never the run's maker)
confirms it. The registry's history records who, when and why (ansinh.registry.history)."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from ansinh.core.jobs import BadInput
from ansinh.core.scope import scoped
from ansinh.payroll import entitlement as E
from ansinh.payroll.access import SUSPENDERS, parse_period, require, require_not_maker, require_run
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun, RunStatus
from ansinh.registry.history import set_enrolment_status
from ansinh.registry.models import Enrolment, EnrolmentStatus

NOT_COLLECTED = "not_collected"  # the provider's reason for a payment nobody came to collect


def months_ending(period: str) -> list[str]:
    """The consecutive months, oldest first, whose runs decide a suspension in `period`."""
    n = E.UNCOLLECTED_MONTHS_TO_SUSPEND
    return [E.add_months(period, -k) for k in range(n - 1, -1, -1)]


def uncollected_persons(period: str) -> QuerySet:
    """Person ids (a subquery) with an uncollected line in the runs of each of the months ending
    with `period` and no paid line in those runs (cancelled runs do not count)."""
    return (PayrollLine.objects.filter(run__period__in=months_ending(period), run__campaign__isnull=True)
            .exclude(run__status=RunStatus.CANCELLED)
            .values("person_id")
            .annotate(periods=Count("run__period", distinct=True,
                                    filter=Q(result=LineResult.UNPAID, result_reason=NOT_COLLECTED)),
                      paid=Count("id", filter=Q(result=LineResult.PAID)))
            .filter(periods=E.UNCOLLECTED_MONTHS_TO_SUSPEND, paid=0)
            .values("person_id"))


def to_suspend(runs) -> QuerySet:
    """The active enrolments to suspend after the reconciled `runs` (of one month): of the
    persons in those runs who did not collect the last months."""
    runs = list(runs)
    if not runs:
        return Enrolment.objects.none()
    period = runs[0].period
    persons = PayrollLine.objects.filter(run__in=runs, person_id__in=uncollected_persons(period)).values("person_id")
    return Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, person_id__in=persons)


def persons_to_suspend(run: PayrollRun) -> int:
    """How many persons would be suspended after this run (0 until it is reconciled)."""
    if run.status != RunStatus.RECONCILED or run.campaign_id is not None:  # one-off payments decide nothing
        return 0
    return to_suspend([run]).values("person_id").distinct().count()


def suspend_uncollected(period: str, *, user, run: PayrollRun | None = None) -> int:
    """Suspend the active enrolments of the persons who collected nothing in the last
    ``UNCOLLECTED_MONTHS_TO_SUSPEND`` months ending with `period`, after `run` (a reconciled run
    of that month) or, without a run, after every reconciled run of the month in the user's
    scope. `user` confirms it: an approver, a province officer or an administrator whose scope
    covers the run, and not the user who generated it (maker-checker). Returns how many
    enrolments were suspended; each change is in the registry's history."""
    period = parse_period(period)
    require(user, SUSPENDERS, "suspend")
    if run is not None:
        if run.campaign_id is not None:
            raise BadInput(f"suspend: run {run.pk} is a one-off payment; suspensions follow the monthly runs")
        if run.period != period:
            raise BadInput(f"suspend: run {run.pk} is for {run.period}, not {period}")
        require_run(user, run, SUSPENDERS, "suspend")
        runs = [run]
    else:
        runs = list(scoped(PayrollRun, user).filter(period=period, status=RunStatus.RECONCILED, campaign__isnull=True)
                    .order_by("pk"))
        if not runs:
            raise BadInput(f"period {period}: no reconciled run in the scope of user {user.get_username()}; "
                           f"the month's results decide a suspension")
    for r in runs:
        if r.status != RunStatus.RECONCILED:
            raise BadInput(f"run {r.pk}: status {r.status}; suspensions follow the month's reconciled results")
        require_not_maker(user, r, "suspend", "approver")
    enrolments = scoped(Enrolment, user).filter(pk__in=to_suspend(runs).values("pk"))
    months = months_ending(period)
    reason = (f"Không nhận trợ cấp {E.UNCOLLECTED_MONTHS_TO_SUSPEND} tháng liên tục "
              f"({E.first_day(months[0]):%m/%Y}–{E.first_day(period):%m/%Y})")
    return set_enrolment_status(enrolments, EnrolmentStatus.SUSPENDED, reason=reason, user=user,
                                source=f"payroll:suspend:{period}")

