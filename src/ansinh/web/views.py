"""Thin views: read through selectors (scoped), write through services."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import ngettext

from ansinh.core import selectors as core_selectors
from ansinh.core.jobs import job_summary
from ansinh.text.dates import parse_day
from ansinh.units import selectors as unit_selectors
from ansinh.units.models import AdminUnit
from ansinh.web import selectors as web_selectors


def _parse_day(value: str | None) -> dt.date:
    if value:
        try:
            return parse_day(value)
        except ValueError:
            pass
    return timezone.localdate()


@login_required
def home(request):
    """The day's work of the signed-in user (ansinh.web.selectors.today_for): what waits for them,
    each with the link where it is done."""
    today = web_selectors.today_for(request.user)
    return render(request, "web/home.html", {"t": today,
                                             "organisation": core_selectors.organisation_of(request.user)})


@login_required
def units_browse(request):
    """Search any unit; without a search, the unit tree of the user's scope on a day (?on=dd/mm/yyyy:
    before 01/07/2025 the three-level map, after it the two-level map)."""
    q = (request.GET.get("q") or "").strip()
    day = _parse_day(request.GET.get("on")) if request.GET.get("on") else None
    level = request.GET.get("level") or None
    results = unit_selectors.search_units(q, on=day, level=int(level) if level else None, limit=100) if q else []
    if request.headers.get("HX-Request"):
        return render(request, "web/_unit_results.html", {"q": q, "results": results, "on": day, "level": level})
    tree_day = day or timezone.localdate()
    tree = [] if q else core_selectors.scope_tree(request.user, tree_day)
    return render(request, "web/units_browse.html", {"q": q, "results": results, "on": day, "level": level,
                                                     "tree": tree, "tree_day": tree_day})


@login_required
def unit_detail(request, pk: int):
    unit = get_object_or_404(AdminUnit.objects.select_related("parent", "parent__parent"), pk=pk)
    history = unit_selectors.unit_history(unit)
    same_code = AdminUnit.objects.filter(code=unit.code, level=unit.level).exclude(pk=unit.pk)
    children = unit.children.order_by("code")
    return render(request, "web/unit_detail.html", {"unit": unit, "history": history, "same_code": same_code,
                                                     "children": children})


@login_required
def jobs_list(request):
    return render(request, "web/jobs.html", {"jobs": web_selectors.recent_jobs(request.user, limit=100)})


@login_required
def job_detail(request, pk):
    job = core_selectors.job_for(request.user, pk)
    if job is None:
        raise Http404
    ctx = {"job": job, "s": job_summary(job)}
    if request.headers.get("HX-Request"):
        return render(request, "web/_job_progress.html", ctx)
    return render(request, "web/job_detail.html", ctx)


def locked_out(request, original_response=None, credentials=None):
    """The log-in page again, saying the account is locked on this machine (axes' AXES_LOCKOUT_CALLABLE).
    The same answer whether or not the user name exists."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm

    hours = int(getattr(settings, "AXES_COOLOFF_TIME", 1) or 1)
    cooloff = ngettext("%(n)d giờ", "%(n)d giờ", hours) % {"n": hours}
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    return render(request, "registration/login.html", {"form": form, "locked_out": True, "cooloff": cooloff,
                                                       "next": ""}, status=429)
