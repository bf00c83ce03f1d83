"""The auditor's page (search the log) and a person's "who saw my data" list. Thin: reads through
ansinh.audit.selectors; the person is read through the registry's scoped selector (404 outside scope)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from ansinh.audit import selectors
from ansinh.audit.models import Action
from ansinh.core.selectors import display_name
from ansinh.text.dates import parse_day

PAGE_SIZE = 50


def _names(entries) -> dict[int, str]:
    ids = {e.user_id for e in entries if e.user_id}
    return {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=ids).select_related("profile")}


def _rows(entries):
    names = _names(entries)
    labels = dict(Action.choices)
    for e in entries:
        e.who = names.get(e.user_id) or e.user_name or _("Dòng lệnh")
        e.action_label = labels.get(e.action, e.action)
    return entries


def _day(text: str, errors: list, label: str):
    if not (text or "").strip():
        return None
    try:
        return parse_day(text)
    except ValueError:
        errors.append(_("Ngày không hợp lệ: %(field)s (dd/mm/yyyy).") % {"field": label})
        return None


@login_required
def log(request):
    g = request.GET
    errors: list[str] = []
    person = (g.get("person") or "").strip()
    if person and not person.isdigit():
        errors.append(_("Mã hồ sơ đối tượng là một số."))
    f = {"person": int(person) if person.isdigit() else None, "user": (g.get("user") or "").strip()[:150],
         "action": g.get("action") if g.get("action") in Action.values else "",
         "day_from": _day(g.get("from", ""), errors, _("từ ngày")), "day_to": _day(g.get("to", ""), errors, _("đến ngày"))}
    page = Paginator(selectors.search(request.user, **f), PAGE_SIZE).get_page(g.get("page"))
    _rows(page.object_list)
    params = g.copy()
    params.pop("page", None)
    return render(request, "audit/log.html", {
        "page": page, "total": page.paginator.count, "f": f, "g": g, "errors": errors,
        "actions": Action.choices, "qs": params.urlencode()})


@login_required
def person(request, pk: int):
    from ansinh.registry.selectors import person_for

    p = person_for(request.user, pk)
    if p is None:
        raise Http404
    page = Paginator(selectors.who_saw(request.user, p.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    _rows(page.object_list)
    return render(request, "audit/person.html", {"person": p, "page": page, "total": page.paginator.count})


@login_required
def subject_export(request, pk: int):
    """A data subject's request (POST: the request's reference and a format): all ansinh holds about
    the person, as a file, recorded in the audit log (ansinh.audit.subject)."""
    from django.contrib import messages
    from django.http import HttpResponse, HttpResponseNotAllowed
    from django.shortcuts import redirect

    from ansinh.audit import subject
    from ansinh.registry.selectors import person_for

    from django.http import HttpResponseForbidden

    from ansinh.core.roles import SUBJECT_REQUEST_ROLES, has_role

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not has_role(request.user, *SUBJECT_REQUEST_ROLES):
        return HttpResponseForbidden(_("Bạn không có quyền xuất dữ liệu của đối tượng."))
    p = person_for(request.user, pk)
    if p is None:
        raise Http404
    fmt = request.POST.get("format", "")
    reference = (request.POST.get("reference") or "").strip()
    if fmt not in subject.FORMATS or not reference:
        messages.error(request, _("Ghi số hoặc ngày của đơn yêu cầu trước khi xuất dữ liệu."))
        return redirect("registry:person", pk=p.pk)
    data = subject.export(request, p, fmt, reference)
    types = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "json": "application/json; charset=utf-8"}
    resp = HttpResponse(data, content_type=types[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{subject.file_name(p, fmt)}"'
    return resp
