"""Payroll reads, all through ansinh.core.scope.scoped."""
from __future__ import annotations

import datetime as dt

from django.db.models import Count, QuerySet, Sum

from ansinh.core.scope import scoped
from ansinh.payroll.models import Channel, LineResult, PayrollLine, PayrollRun, Rate, RunStatus


def runs(user) -> QuerySet:
    return scoped(PayrollRun, user).select_related("scope_commune", "generated_by", "approved_by")


def run_for(user, pk) -> PayrollRun | None:
    return runs(user).filter(pk=pk).first()


def lines(user, run: PayrollRun) -> QuerySet:
    return scoped(PayrollLine, user).filter(run=run).select_related("person", "scope_commune")


def totals(user, run: PayrollRun) -> dict:
    qs = scoped(PayrollLine, user).filter(run=run)

    def by(*fields):
        return list(qs.values(*fields).annotate(n=Count("id"), total=Sum("amount")).order_by(*fields))

    agg = qs.aggregate(n=Count("id"), total=Sum("amount"))
    return {"lines": agg["n"], "total_vnd": agg["total"] or 0,
            "by_commune": by("scope_commune__code", "scope_commune__name"),
            "by_channel": by("channel"), "by_category": by("category"), "by_provider": by("provider"),
            "by_result": by("result")}


def rates() -> QuerySet:
    return Rate.objects.all().order_by("kind", "province_code", "-valid_from")


def noncash_paid_counts(month: dt.date) -> dict[int, int]:
    """scope_commune id -> number of persons paid via bank or e-wallet in reconciled lines for
    the payroll month of `month` (any day of it). For the coverage indicators."""
    period = f"{month.year:04d}-{month.month:02d}"
    qs = (PayrollLine.objects.filter(run__period=period, run__status=RunStatus.RECONCILED,
                                     result=LineResult.PAID, channel__in=[Channel.BANK, Channel.EWALLET],
                                     scope_commune__isnull=False)
          .values("scope_commune_id").annotate(n=Count("person_id", distinct=True)))
    return {r["scope_commune_id"]: r["n"] for r in qs}
