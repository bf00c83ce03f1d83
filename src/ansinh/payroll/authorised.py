"""Authorised persons paid for several beneficiaries: the list a province checks (issue 14 item 4).
A payroll line paid (or pending) to an authorised person carries the account holder's name as it
was at generation (the line's snapshot); lines of the user's scope in a range of months are grouped
by that name, and a name that received money for two or more persons is listed with them. Read
only, scoped (``core.scope.scoped``), set-based (one grouped query, one query for the persons)."""
from __future__ import annotations

from django.db.models import Count, Sum

from ansinh.core.scope import scoped
from ansinh.payroll.models import LineResult, Payee, PayrollLine


def shared_payees(user, first: str, last: str, minimum: int = 2) -> list[dict]:
    """[{holder, persons, lines, total_vnd, beneficiaries: [(person id, name, commune)]}], most persons first."""
    lines = scoped(PayrollLine.objects.filter(payee=Payee.AUTHORISED, period_month__gte=first,
                                              period_month__lte=last)
                   .exclude(result=LineResult.UNPAID).exclude(holder_name=""), user)
    groups = list(lines.values("holder_name").annotate(persons=Count("person_id", distinct=True),
                                                       lines=Count("id"), total=Sum("amount"))
                  .filter(persons__gte=minimum).order_by("-persons", "holder_name"))
    names = [g["holder_name"] for g in groups]
    who: dict[str, dict] = {}
    for holder, pid, name, commune in (lines.filter(holder_name__in=names)
                                       .values_list("holder_name", "person_id", "person__full_name",
                                                    "scope_commune__name").distinct().order_by("person__full_name")):
        who.setdefault(holder, {})[pid] = (pid, name, commune or "")
    return [{"holder": g["holder_name"], "persons": g["persons"], "lines": g["lines"], "total_vnd": g["total"] or 0,
             "beneficiaries": list(who.get(g["holder_name"], {}).values())} for g in groups]
