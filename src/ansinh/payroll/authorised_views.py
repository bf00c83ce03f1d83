"""The page of authorised persons paid for several beneficiaries (read only, scoped)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from ansinh.payroll import entitlement as E
from ansinh.payroll.authorised import shared_payees
from ansinh.text.dates import parse_month


def _month(text: str, default: str) -> str:
    try:
        return parse_month(text, lenient=True) if text else default
    except ValueError:
        return default


@login_required
def shared_payee_list(request):
    this = E.ym(timezone.localdate())
    last = _month(request.GET.get("to", ""), this)
    first = _month(request.GET.get("from", ""), E.add_months(last, -11))
    return render(request, "payroll/authorised.html", {"rows": shared_payees(request.user, first, last),
                                                        "first": first, "last": last})
