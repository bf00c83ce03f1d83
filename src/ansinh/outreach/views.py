"""Outreach pages. Thin: reads through ansinh.outreach.selectors (scoped + organisation),
writes through ansinh.outreach.services. Objects outside what the user may see answer 404."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ansinh.core.jobs import BadInput
from ansinh.core.selectors import province_place
from ansinh.core.uploads import protect, read_uploaded, stored_file_response
from ansinh.outreach import selectors, services
from ansinh.outreach.models import METRICS, DirectiveStatus
from ansinh.outreach.rendering import PdfUnavailable, letter_from_directive, render_directive
from ansinh.text.dates import parse_day

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(value: str | None, default: dt.date | None = None) -> dt.date | None:
    if not (value or "").strip():
        return default
    try:
        return parse_day(value)
    except ValueError:
        return default


@login_required
def home(request):
    user = request.user
    rows = selectors.task_rows(selectors.visible_tasks(user))
    ctx = {"rows": rows, "counts": selectors.state_counts(rows), "is_department": selectors.is_department(user),
           "directives": list(selectors.directive_list(user)[:20]), "labels": selectors.state_labels()}
    return render(request, "outreach/home.html", ctx)


@login_required
def directive_list(request):
    q = (request.GET.get("q") or "").strip() or None
    status = (request.GET.get("status") or "").strip() or None
    ctx = {"directives": list(selectors.directive_list(request.user, q=q, status=status)[:200]), "q": q or "",
           "status": status or "", "statuses": DirectiveStatus.choices,
           "can_manage": services.can_manage(request.user)}
    return render(request, "outreach/directive_list.html", ctx)


@login_required
def directive_detail(request, pk: int):
    d = selectors.directive_for(request.user, pk)
    if d is None:
        raise Http404
    rows = selectors.task_rows(selectors.visible_tasks(request.user).filter(directive=d))
    ctx = {"d": d, "rows": rows, "counts": selectors.state_counts(rows), "labels": selectors.state_labels(),
           "recipients": list(d.recipients.select_related("organisation")),
           "implements": list(d.implements.all()), "attachments": list(d.attachments.all()),
           "can_manage": services.can_manage(request.user) and selectors.is_department(request.user),
           "totals": selectors.totals(request.user, directive=d.pk),
           "letter": letter_from_directive(d), "targets": _targets(d)}
    return render(request, "outreach/directive_detail.html", ctx)


def _targets(d) -> list[dict]:
    """The directive's targets with their dates as dates (shown dd/mm/yyyy)."""
    out = []
    for t in d.targets or []:
        try:
            out.append({"low": t["low"], "high": t.get("high") or t["low"], "by": dt.date.fromisoformat(t["by"])})
        except (KeyError, TypeError, ValueError):
            continue
    return out


@login_required
def directive_file(request, pk: int, fmt: str):
    d = selectors.directive_for(request.user, pk)
    if d is None or fmt not in ("docx", "pdf"):
        raise Http404
    return _render_response(d, fmt)


def _render_response(d, fmt: str) -> HttpResponse:
    try:
        data = render_directive(d, fmt)
    except PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    name = f"{d.number_symbol.replace('/', '-').replace('…', 'du-thao')}.{fmt}"
    resp = HttpResponse(data, content_type=DOCX if fmt == "docx" else "application/pdf")
    return protect(resp, name)  # the symbol is typed by an officer: RFC 6266 name, nosniff, sandboxed


@login_required
def directive_action(request, pk: int, action: str):
    d = selectors.directive_for(request.user, pk)
    if d is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not services.can_manage(request.user) or not selectors.is_department(request.user):
        return HttpResponseForbidden(_("Bạn không có quyền ban hành văn bản."))
    try:
        if action == "issue":
            services.issue_directive(d)
            messages.success(request, _("Đã ban hành văn bản số %(n)s.") % {"n": d.number_symbol})
        elif action == "publish":
            services.publish_directive(d)
            messages.success(request, _("Đã công bố văn bản trên trang công khai."))
        elif action == "attach":
            f = request.FILES.get("file")
            if f is None:
                raise BadInput(_("Chưa chọn tệp."))
            name, content = read_uploaded(f, services.MAX_ATTACHMENT_BYTES)
            services.add_attachment(d, request.POST.get("title", ""), name, content)
            messages.success(request, _("Đã thêm tệp đính kèm."))
        else:
            raise Http404
    except BadInput as exc:
        messages.error(request, str(exc))
    return redirect("outreach:directive", pk=d.pk)


@login_required
def task_detail(request, pk: int):
    task = selectors.task_for(request.user, pk)
    if task is None:
        raise Http404
    can = services.can_report(request.user, task)
    error = ""
    today = timezone.localdate()
    if request.method == "POST":
        if not can:
            return HttpResponseForbidden(_("Đơn vị của bạn không phải đơn vị thực hiện nhiệm vụ này."))
        start = _date(request.POST.get("period_start"))
        end = _date(request.POST.get("period_end"))
        try:
            if start is None or end is None:
                raise BadInput(_("Kỳ báo cáo: nhập ngày theo dạng dd/mm/yyyy."))
            files = [read_uploaded(f, services.MAX_EVIDENCE_BYTES) for f in request.FILES.getlist("evidence")]
            services.submit_report(task, request.user, period_start=start, period_end=end,
                                   metrics=request.POST, notes=request.POST.get("notes", ""), files=files)
        except BadInput as exc:
            error = str(exc)
        else:
            messages.success(request, _("Đã gửi báo cáo."))
            return redirect("outreach:task", pk=task.pk)
    reports = list(selectors.visible_reports(request.user).filter(task=task).prefetch_related("evidence"))
    row = selectors.task_rows(selectors.visible_tasks(request.user).filter(pk=task.pk))[0]
    ctx = {"task": task, "row": row, "reports": reports, "can_report": can, "error": error,
           "metrics": METRICS, "notes_value": request.POST.get("notes", ""),
           # a refused report (e.g. a file not accepted) keeps what was typed
           "metric_fields": [(f, label, request.POST.get(f) or "0") for f, label in METRICS],
           "start_value": request.POST.get("period_start") or f"{task.directive.date or today:%d/%m/%Y}",
           "end_value": request.POST.get("period_end") or f"{today:%d/%m/%Y}"}
    return render(request, "outreach/task_detail.html", ctx)


@login_required
def evidence_file(request, pk: int):
    e = selectors.evidence_for(request.user, pk)
    if e is None:
        raise Http404
    return stored_file_response(e.file, e.name, e.content_type)  # attachment, nosniff, sandboxed


@login_required
def attachment_file(request, pk: int):
    a = selectors.attachment_for(request.user, pk)
    if a is None:
        raise Http404
    return stored_file_response(a.file, a.file.name.rsplit("/", 1)[-1])


@login_required
def summary(request):
    by = request.GET.get("by") if request.GET.get("by") in ("unit", "topic", "period") else "unit"
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    rows = selectors.totals(request.user, by=by, start=start, end=end)
    states = selectors.task_rows(selectors.visible_tasks(request.user))
    title = _("Tổng hợp kết quả tuyên truyền")
    fmt = request.GET.get("format")
    if fmt == "xlsx":
        resp = HttpResponse(selectors.totals_xlsx(rows, title), content_type=XLSX)
        resp["Content-Disposition"] = 'attachment; filename="tong-hop-tuyen-truyen.xlsx"'
        return resp
    if fmt == "docx":
        resp = HttpResponse(selectors.totals_docx(rows, title, states), content_type=DOCX)
        resp["Content-Disposition"] = 'attachment; filename="tong-hop-tuyen-truyen.docx"'
        return resp
    ctx = {"rows": rows, "by": by, "start": start, "end": end, "metrics": METRICS, "states": states,
           "counts": selectors.state_counts(states), "labels": selectors.state_labels(), "qs": request.GET.urlencode()}
    return render(request, "outreach/summary.html", ctx)


@login_required
def bulletin(request):
    communes = selectors.bulletin_communes(request.user)
    code = (request.GET.get("commune") or "").strip()
    as_of = _date(request.GET.get("as_of"), timezone.localdate())
    result = None
    if code:
        unit = next((u for u in communes if u.code == code), None)
        if unit is None:
            raise Http404
        result = selectors.bulletin(unit, as_of)
    from ansinh.outreach.rendering import espeak_path

    return render(request, "outreach/bulletin.html", {"communes": communes, "code": code, "as_of": as_of,
                                                      "result": result, "audio": espeak_path() is not None})


@login_required
def bulletin_audio(request):
    from ansinh.outreach.rendering import AudioUnavailable, bulletin_wav

    code = (request.GET.get("commune") or "").strip()
    unit = next((u for u in selectors.bulletin_communes(request.user) if u.code == code), None)
    if unit is None:
        raise Http404
    result = selectors.bulletin(unit, _date(request.GET.get("as_of"), timezone.localdate()))
    try:
        wav = bulletin_wav(result["text"])
    except AudioUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    resp = HttpResponse(wav, content_type="audio/wav")
    resp["Content-Disposition"] = f'inline; filename="ban-tin-{unit.code}.wav"'
    return resp


@login_required
def effect(request):
    today = timezone.localdate()
    start = _date(request.GET.get("start"), dt.date(today.year, 1, 1))
    end = _date(request.GET.get("end"), today)
    from ansinh.core.selectors import province_for

    # the province asked for, else the user's own, else the installation's; never a default
    province = province_for(request.user, request.GET.get("province", ""))
    rows = selectors.effect(request.user, start, end, province) if province else []
    echarts = (Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "echarts" /
               "echarts.min.js").is_file()
    # Only communes with reported outreach are drawn: "no report" is not "0 actions".
    chart = {"points": [{"name": r["name"], "value": [r["actions"], r["change"]], "share_end": r["share_end"]}
                        for r in rows if not r["missing"] and r["change"] is not None],
             "labels": {"x": _("Hoạt động tuyên truyền đã báo cáo (của xã và huyện cũ)"),
                        "y": _("Thay đổi tỷ lệ có tài khoản (điểm phần trăm)"),
                        "actions": _("hoạt động"), "points": _("điểm phần trăm"), "end": _("tỷ lệ cuối kỳ")}}
    return render(request, "outreach/effect.html", {"rows": rows, "start": start, "end": end, "echarts": echarts,
                                                    "chart": chart,
                                                    "not_drawn": sum(1 for r in rows if r["missing"])})


# --------------------------------------------------------------------------- public (no log-in)

def public_list(request):
    return render(request, "outreach/public_list.html", {"directives": list(selectors.published_directives()[:200])})


def public_detail(request, pk: int):
    d = selectors.published_directives().filter(pk=pk).first()
    if d is None:
        raise Http404
    return render(request, "outreach/public_detail.html", {"d": d, "attachments": list(d.attachments.all()),
                                                           "implements": list(d.implements.all())})


def public_attachment(request, pk: int):
    a = selectors.public_attachment(pk)
    if a is None:
        raise Http404
    return stored_file_response(a.file, a.file.name.rsplit("/", 1)[-1])


def public_file(request, pk: int, fmt: str):
    d = selectors.published_directives().filter(pk=pk).first()
    if d is None or fmt not in ("docx", "pdf"):
        raise Http404
    return _render_response(d, fmt)


# --------------------------------------------------------------------------- drafting

def _lines(text: str) -> list[str]:
    return [x.strip() for x in (text or "").splitlines() if x.strip()]


def parse_implements(text: str) -> list[dict]:
    """One document a line: "316/VP-NC | dd/mm/yyyy | issuer | summary" (date, issuer, summary optional)."""
    out = []
    for n, line in enumerate(_lines(text), 1):
        parts = [p.strip() for p in line.split("|")] + ["", "", ""]
        when = _date(parts[1]) if parts[1] else None
        if parts[1] and when is None:
            raise BadInput(_("Văn bản thực hiện, dòng %(n)s: ngày không hợp lệ (dd/mm/yyyy).") % {"n": n})
        out.append({"number_symbol": parts[0], "date": when, "issuer": parts[2], "summary": parts[3]})
    return out


@login_required
def directive_new(request):
    from ansinh.outreach.models import Periodicity, SigningMode, Topic

    if not services.can_manage(request.user) or not selectors.is_department(request.user):
        return HttpResponseForbidden(_("Bạn không có quyền soạn văn bản chỉ đạo."))
    orgs = list(selectors.issuing_organisations(request.user))
    topics = list(Topic.objects.order_by("name")) or list(services.ensure_topics().values())
    error = ""
    if request.method == "POST":
        p = request.POST
        by_id = {str(o.pk): o for o in orgs}
        try:
            issuer = by_id.get(p.get("organisation", ""))
            if issuer is None:
                raise BadInput(_("Chưa chọn cơ quan ban hành."))
            recipients = [by_id[x] for x in p.getlist("recipients") if x in by_id]
            if not recipients:
                raise BadInput(_("Chưa chọn nơi nhận (Kính gửi)."))
            chosen_topics = [t for t in topics if str(t.pk) in p.getlist("topics")]
            due = _date(p.get("due_date"))
            task_text = p.get("task", "").strip()
            d = services.create_directive(
                issuer, symbol=p.get("symbol", ""), subject=p.get("subject", "").removeprefix("V/v ").strip(),
                user=request.user, place=p.get("place", "").strip() or province_place(request.user), date=_date(p.get("date")),
                superior_body=p.get("superior_body", "").strip(), body=p.get("body", ""),
                signing_mode=p.get("signing_mode", "") if p.get("signing_mode", "") in SigningMode.values else "",
                signing_authority=p.get("signing_authority", "").strip(), signer_title=p.get("signer_title", "").strip(),
                signer_name=p.get("signer_name", "").strip(), cc=_lines(p.get("cc", "")),
                archive=p.get("archive", "").strip() or "VT", recipients=[(o, "") for o in recipients],
                implements=parse_implements(p.get("implements", "")), topics=chosen_topics,
                tasks=[{"recipient": o, "description": task_text, "due_date": due,
                        "topic": chosen_topics[0] if chosen_topics else None,
                        "periodicity": p.get("periodicity") if p.get("periodicity") in Periodicity.values
                        else Periodicity.ONCE,
                        "period_months": int(p.get("period_months") or 0) or None}
                       for o in recipients] if task_text else [])
        except BadInput as exc:
            error = str(exc)
        else:
            messages.success(request, _("Đã lưu dự thảo văn bản."))
            return redirect("outreach:directive", pk=d.pk)
    place = province_place(request.user)
    return render(request, "outreach/directive_new.html", {
        "orgs": orgs, "topics": topics, "error": error, "p": request.POST, "modes": SigningMode.choices,
        "periodicities": Periodicity.choices, "default_place": place,
        "default_superior": f"UBND TỈNH {place.upper()}" if place else ""})
