"""The report catalogue (thin): the form (report, period, unit, map), the report shown as tables,
its files (.xlsx, .docx, .pdf) and the reports kept as sent. Reads through ansinh.reports.selectors
(scoped); a unit outside the user's scope is refused (403), a kept report outside it answers 404."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ansinh.accounts import kpi
from ansinh.core.scope import scope_for, scoped
from ansinh.core.uploads import protect
from ansinh.outreach.rendering import PdfUnavailable
from ansinh.reports import outputs, selectors
from ansinh.reports.models import KeptReport
from ansinh.reports.periods import parse_period
from ansinh.units.models import OLD_MAP_LAST_DAY, AdminUnit, Level


def _default_period() -> str:
    today = dt.date.today()
    last = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    return f"{last:%m/%Y}"  # the month as people type it (parse_period reads it)


def _form(request) -> dict:
    g = request.GET
    period_text = (g.get("period") or "").strip() or _default_period()
    ctx = {"code": g.get("report") or "", "period_text": period_text, "unit_code": (g.get("unit") or "").strip(),
           "map": g.get("map") if g.get("map") in kpi.MAPS else "", "rows": g.get("rows") or "commune",
           "outside": g.get("outside") == "1",
           "error": "", "period": None}
    try:
        ctx["period"] = parse_period(period_text)
    except ValueError:
        ctx["error"] = _("Kỳ báo cáo không hợp lệ: tháng (06/2024), quý (2024-Q2), năm (2024) hoặc khoảng ngày "
                         "(01/01/2024..31/03/2024)")
    if ctx["period"] is not None and not ctx["map"]:
        ctx["map"] = kpi.default_map(ctx["period"].as_of())
    return ctx


def unit_choices(user, map_: str) -> list[tuple[str, str]]:
    """(code, name) of the units the user may report on, on `map_`: provinces, old districts, communes."""
    scope = scope_for(user)
    if scope.is_empty:
        return []
    day = OLD_MAP_LAST_DAY if map_ == "old" else dt.date.today()
    qs = AdminUnit.objects.valid_on(day)
    if scope.everything:
        from ansinh.core.selectors import served_provinces

        codes = served_provinces()
        qs = qs.filter(province_code__in=codes) if codes else qs.filter(level=Level.PROVINCE)
    elif scope.province_codes:
        qs = qs.filter(province_code__in=scope.province_codes)
    else:
        qs = qs.filter(pk__in=scope.commune_ids, level=Level.COMMUNE)
    if map_ == "new":
        qs = qs.exclude(level=Level.DISTRICT)
    return [(u.code, f"{u.code} · {u.name}") for u in qs.order_by("level", "code")]


def _report(request, ctx: dict):
    """The report the form asks for, or None with ctx["error"] and a status."""
    if not ctx["code"] or ctx["period"] is None:
        return None, 200
    try:
        return selectors.build(ctx["code"], request.user, ctx["period"], ctx["unit_code"] or None, ctx["map"],
                               ctx["rows"], outside=ctx["outside"]), 200
    except selectors.OutOfScope as exc:
        ctx["error"] = str(exc)
        return None, 403
    except selectors.ReportError as exc:
        ctx["error"] = str(exc)
        return None, 400


@login_required
def catalogue(request):
    ctx = _form(request)
    report, status = _report(request, ctx)
    kept = scoped(KeptReport, request.user).defer("content").select_related("created_by")[:50]
    ctx.update(entries=selectors.catalogue(), report=report, kept=kept,
               units=unit_choices(request.user, ctx["map"] or "new"),
               query=request.GET.urlencode(), formats=outputs.FORMATS)
    return render(request, "reports/catalogue.html", ctx, status=status)


@login_required
def report_file(request, fmt: str):
    if fmt not in outputs.FORMATS:
        raise Http404
    ctx = _form(request)
    report, status = _report(request, ctx)
    if report is None:
        return HttpResponse(ctx["error"] or _("Hãy chọn báo cáo"), status=status if status != 200 else 400,
                            content_type="text/plain; charset=utf-8")
    try:
        data = outputs.render(report, fmt, user=request.user, day=dt.date.today())
    except PdfUnavailable:
        return HttpResponse(_("Máy chủ chưa cài LibreOffice: chưa xuất được PDF"), status=503,
                            content_type="text/plain; charset=utf-8")
    return protect(HttpResponse(data, content_type=outputs.CONTENT_TYPES[fmt]), outputs.file_name(report, fmt))


@login_required
def kept_file(request, pk: int):
    """A kept report, byte for byte as it was sent (its sha256 is on the catalogue page)."""
    k = scoped(KeptReport, request.user).filter(pk=pk).first()
    if k is None:
        raise Http404
    return protect(HttpResponse(bytes(k.content), content_type=outputs.CONTENT_TYPES.get(k.fmt, "application/octet-stream")),
                   k.file_name)
