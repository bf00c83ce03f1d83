"""Payroll reads, all through ansinh.core.scope.scoped."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils.translation import gettext as _

from ansinh.core.roles import has_role
from ansinh.core.scope import scoped
from ansinh.payroll.reasons import reason_label, reason_labels  # noqa: F401 - the pages read them here
from ansinh.payroll.models import (
    Channel,
    CorrectionStatus,
    LineResult,
    PayrollLine,
    PayrollRun,
    Rate,
    ResultCorrection,
    RunStatus,
)

DOWNLOADABLE = (RunStatus.EXPORTED, RunStatus.RECONCILED)


def category_label(code: str) -> str:
    """The words for a payroll line's category code: "5.6-severe" -> "Người khuyết tật nặng";
    a combined "5.4+5.6-severe" joins both; a blank category says what it is."""
    from ansinh.registry.categories import CATEGORY_LABELS

    code = (code or "").strip()
    if not code:
        return _("Chưa xác định diện (xem các dòng)")
    return " + ".join(_(CATEGORY_LABELS[c]) if c in CATEGORY_LABELS else c for c in code.split("+"))


def channel_label(code: str) -> str:
    """The words for a channel code (the model's choices)."""
    return str(Channel(code).label) if code in Channel.values else code


def runs(user) -> QuerySet:
    """The user's runs; each carries `province_name` (the province's short name, never its code)."""
    from ansinh.units.models import AdminUnit, Level

    province = (AdminUnit.objects.filter(code=OuterRef("province_code"), level=Level.PROVINCE,
                                         valid_to__isnull=True).values("short_name")[:1])
    return (scoped(PayrollRun, user).select_related("scope_commune", "generated_by", "approved_by", "campaign")
            .annotate(province_name=Subquery(province)))


def next_period(user, today) -> str:
    """The month the generate form offers ("YYYY-MM"): the one after the latest monthly run the user
    sees (months are paid in order: a month skipped would come back as arrears), else ``today``'s.
    Never later than the month after ``today``'s."""
    from ansinh.payroll.entitlement import add_months, ym

    last = (scoped(PayrollRun, user).filter(campaign__isnull=True).order_by("-period")
            .values_list("period", flat=True).first())
    this = ym(today)
    return min(add_months(last, 1), add_months(this, 1)) if last else this


def run_for(user, pk) -> PayrollRun | None:
    return runs(user).filter(pk=pk).first()


def lines(user, run: PayrollRun) -> QuerySet:
    return scoped(PayrollLine, user).filter(run=run).select_related("person", "scope_commune")


def totals(user, run: PayrollRun) -> dict:
    qs = scoped(PayrollLine, user).filter(run=run)

    def by(*fields):
        return list(qs.values(*fields).annotate(n=Count("id"), total=Sum("amount")).order_by(*fields))

    agg = qs.aggregate(n=Count("id"), total=Sum("amount"))
    by_commune = by("scope_commune__code", "scope_commune__name")
    for g in by_commune:  # lines whose commune is unknown are one row, said in words
        g["label"] = g["scope_commune__name"] or _("Chưa xác định xã")
    by_channel = [{**g, "label": channel_label(g["channel"])} for g in by("channel")]
    by_category = [{**g, "label": category_label(g["category"])} for g in by("category")]
    return {"lines": agg["n"], "total_vnd": agg["total"] or 0, "by_commune": by_commune,
            "by_channel": by_channel, "by_category": by_category, "by_provider": by("provider"),
            "by_result": by("result")}


def corrections(user, run: PayrollRun) -> QuerySet:
    return (scoped(ResultCorrection, user).filter(line__run=run)
            .select_related("line__person", "requested_by", "approved_by", "rejected_by"))


def run_actions(user, run: PayrollRun) -> dict:
    """Which buttons the run page shows; the services decide (this mirrors their checks)."""
    from ansinh.payroll import access, suspension
    from ansinh.payroll import entitlement as E

    uid = getattr(user, "pk", None)
    to_suspend = suspension.persons_to_suspend(run)
    not_maker = run.generated_by_id is not None and run.generated_by_id != uid
    confirmed = run.status in DOWNLOADABLE and PayrollLine.objects.filter(run=run).exclude(
        result=LineResult.PENDING).exists()
    return {
        "can_approve": has_role(user, *access.APPROVERS) and not_maker
        and run.status in (RunStatus.DRAFT, RunStatus.CHECKED),
        "can_export": has_role(user, *access.EXPORTERS) and run.status == RunStatus.APPROVED,
        "can_download": run.status in DOWNLOADABLE,
        "can_reconcile": run.status == RunStatus.EXPORTED and has_role(user, *access.RECONCILERS) and not_maker,
        # a bank statement may still reverse a reconciled run's payments
        "can_statement": run.status in DOWNLOADABLE and has_role(user, *access.RECONCILERS) and not_maker,
        "can_followup": run.status in DOWNLOADABLE and has_role(user, *access.MAKERS)
        and PayrollLine.objects.filter(run=run, result=LineResult.UNPAID).exists(),
        "can_correct": confirmed and has_role(user, *access.CORRECTORS),
        "can_decide_corrections": has_role(user, *access.APPROVERS),
        "open_corrections": CorrectionStatus.REQUESTED,
        # the month's results are in: who did not collect the last months (the step an approver confirms)
        "suspend_count": to_suspend, "suspend_months": E.UNCOLLECTED_MONTHS_TO_SUSPEND,
        "can_suspend": bool(to_suspend) and has_role(user, *access.SUSPENDERS) and not_maker,
    }


def exported_files(run: PayrollRun, out_dir, pdf: bool = False) -> list:
    """The provider files of an exported run, written again from its lines (read only: the
    run does not change)."""
    from ansinh.payroll import files

    if run.status not in DOWNLOADABLE:
        raise ValueError(f"run {run.pk} is not exported")
    return files.write_all(run, out_dir, pdf=pdf)


def rates() -> QuerySet:
    return Rate.objects.all().order_by("kind", "province_code", "-valid_from")


# The one definition of "paid through an account" (NONCASH_CHANNELS) and "paid in cash" (CASH_CHANNELS):
# a line of a reconciled run of the month, reported paid, by one of the channels. The coverage
# KPI (accounts/kpi.py: the dashboard) and the reports (reports/selectors.py) both read it.
NONCASH_CHANNELS = (Channel.BANK, Channel.EWALLET)
CASH_CHANNELS = (Channel.CASH,)


def paid_lines(months, channels=NONCASH_CHANNELS) -> QuerySet:
    """Reconciled payroll lines reported paid, of the runs of `months` ("YYYY-MM"), by `channels`.
    Not scoped: callers read it through ansinh.core.scope.scoped or by scope commune."""
    # The reconciled runs of those months first (a handful of rows), so the lines are read through
    # their run index whatever the planner believes about the table (core/db.py).
    runs = list(PayrollRun.objects.filter(period__in=list(months), status=RunStatus.RECONCILED)
                .values_list("pk", flat=True))
    return PayrollLine.objects.filter(run_id__in=runs, result=LineResult.PAID, channel__in=list(channels))


def paid_counts(months, channels=NONCASH_CHANNELS) -> dict[int, int]:
    """scope_commune id -> number of persons paid by `channels` in `months` (``paid_lines``)."""
    qs = (paid_lines(months, channels).filter(scope_commune__isnull=False)
          .values("scope_commune_id").annotate(n=Count("person_id", distinct=True)))
    return {r["scope_commune_id"]: r["n"] for r in qs}


def noncash_paid_counts(month: dt.date) -> dict[int, int]:
    """scope_commune id -> number of persons paid via bank or e-wallet in reconciled lines for
    the payroll month of `month` (any day of it). For the coverage indicators."""
    period = f"{month.year:04d}-{month.month:02d}"
    return noncash_paid_by_period([period]).get(period, {})


def noncash_paid_by_period(periods) -> dict[str, dict[int, int]]:
    """{"YYYY-MM": {scope_commune id: persons paid through an account}} for several payroll months
    in one query (``paid_lines``)."""
    qs = (paid_lines(periods, NONCASH_CHANNELS).filter(scope_commune__isnull=False)
          .values("run__period", "scope_commune_id").annotate(n=Count("person_id", distinct=True)))
    out: dict[str, dict[int, int]] = {}
    for r in qs:
        out.setdefault(r["run__period"], {})[r["scope_commune_id"]] = r["n"]
    return out


def campaigns(user) -> QuerySet:
    """The campaigns the user sees (the province's, or one commune's), newest first."""
    from ansinh.payroll.models import Campaign

    return scoped(Campaign, user).select_related("scope_commune", "created_by")


def campaign_for(user, pk):
    return campaigns(user).filter(pk=pk).first() if 0 < pk < 2**63 else None


def campaign_runs(user, campaign) -> QuerySet:
    return runs(user).filter(campaign=campaign).order_by("-id")


def campaign_totals(user, campaign) -> dict:
    """Lines and đồng of the campaign's runs (cancelled ones have no lines) by result."""
    qs = scoped(PayrollLine, user).filter(campaign=campaign)
    agg = qs.aggregate(n=Count("id"), total=Sum("amount"), persons=Count("person_id", distinct=True))
    return {"lines": agg["n"], "total_vnd": agg["total"] or 0, "persons": agg["persons"],
            "by_result": {r["result"]: {"lines": r["n"], "total_vnd": r["total"] or 0}
                          for r in qs.values("result").annotate(n=Count("id"), total=Sum("amount")).order_by()}}


def campaign_category_choices() -> list[tuple[str, str]]:
    """(code, words) of the categories a campaign may name, in code order."""
    from ansinh.registry.categories import CATEGORY_LABELS

    return sorted(CATEGORY_LABELS.items())


def followup_plan(user, run: PayrollRun) -> dict:
    """The follow-up page: the run's unpaid lines still free, each with its person (in the user's
    scope), reason in words and what the rule proposes (payroll.followup.planned), and counts."""
    from ansinh.payroll import followup
    from ansinh.payroll.failures import CHOICES
    from ansinh.registry.models import Person

    rows = followup.planned(run)
    persons = {p.pk: p for p in scoped(Person, user).filter(pk__in=[r["person"] for r in rows])}
    words = {"retry": _("Chi lại (vào tài khoản dùng được, nếu không thì tiền mặt)"),
             "cash": _("Chi tiền mặt tại điểm bưu điện"), "hold": _("Giữ lại đến khi tài khoản được sửa")}
    out = []
    for r in rows:
        p = persons.get(r["person"])
        if p is None:
            continue
        out.append({**r, "person_obj": p, "reason_label": reason_label(r["reason"]), "proposed": words[r["choice"]],
                    "channel_label": channel_label(r["channel"])})
    counts = {c: sum(1 for r in out if r["choice"] == c) for c in CHOICES}
    # a page lists the first FOLLOWUP_ROWS lines to choose for (the others follow the rule)
    return {"rows": out[:FOLLOWUP_ROWS], "more": max(0, len(out) - FOLLOWUP_ROWS), "counts": counts,
            "choice_words": [(c, words[c]) for c in CHOICES],
            "total_vnd": sum(r["amount"] for r in out if r["choice"] != "hold")}


FOLLOWUP_ROWS = 1000
