"""Payroll pages: run list and detail (totals by commune, channel, category), generate (a
background job), approve, export (POST) and download the exported provider files (GET, read
only), upload the provider result, result corrections, rates. Objects outside the user's
scope answer 404; who may do what is decided by the payroll services (ansinh.payroll.access;
the CLI and the API go through the same checks)."""
from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ansinh.audit import reads as audit_reads
from ansinh.core.jobs import BadInput, start_job
from ansinh.core.roles import has_role
from ansinh.core.scope import scope_for, visible_units
from ansinh.core.uploads import safe_stored_name
from ansinh.payroll import approval, corrections, rates, reconcile, selectors, suspension
from ansinh.payroll.models import RateKind
from ansinh.payroll.access import MAKERS, NotAllowed, SameUser
from ansinh.registry.models import month_display
from ansinh.text.dates import DMY, parse_day, parse_month
from ansinh.units.models import Level

RATE_EDITORS = ("admin", "province_officer")


def _refused(request, exc: NotAllowed, run):
    """A refusal by the service: a missing role or scope is 403; maker-checker is a message."""
    if isinstance(exc, SameUser):
        messages.error(request, _("Không thực hiện được: người phê duyệt/đối soát phải khác người lập bảng chi, "
                                  "và bảng chi phải có người lập."))
        return redirect("payroll:run", pk=run.pk)
    return HttpResponseForbidden()


def _act(request, run, action, done):
    """Run a payroll service for this run as the request's user: `done(result)` is the success
    message; a refusal by role/scope is 403, maker-checker and bad input are a message."""
    try:
        messages.success(request, done(action()))
    except NotAllowed as exc:
        return _refused(request, exc, run)
    except BadInput as exc:
        messages.error(request, str(exc))
    return redirect("payroll:run", pk=run.pk)


def _run_or_404(request, pk):
    run = selectors.run_for(request.user, pk)
    if run is None:
        raise Http404
    return run


@login_required
def run_list(request):
    communes = visible_units(request.user).filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("name")
    return render(request, "payroll/run_list.html", {
        "runs": selectors.runs(request.user)[:200], "communes": communes,
        "can_generate": has_role(request.user, *MAKERS), "default_period": month_display(selectors.next_period(request.user, dt.date.today()))})


@login_required
@require_POST
def run_generate(request):
    if not has_role(request.user, *MAKERS):
        return HttpResponseForbidden()
    try:  # typed as people write a month (12/2024; 2024-12 also read)
        period = parse_month(request.POST.get("period") or "", lenient=True)
    except ValueError:
        messages.error(request, _("Tháng cần lập bảng chi viết theo dạng mm/yyyy, ví dụ 12/2024."))
        return redirect("payroll:runs")
    commune_id = request.POST.get("commune") or ""
    scope = scope_for(request.user)
    params = {"period": period, "user_id": request.user.pk}
    if commune_id:
        unit = visible_units(request.user).filter(pk=commune_id, level=Level.COMMUNE).first()
        if unit is None:
            raise Http404
        params["commune_id"] = unit.pk
        kw = {"commune": unit, "province_code": unit.province_code}
    else:
        from ansinh.core.selectors import province_for

        province = province_for(request.user)  # the user's province, else the installation's
        if not province or not scope.allows_province(province):
            messages.error(request, _("Chọn xã/phường: bạn chỉ được lập bảng chi cho xã của mình."))
            return redirect("payroll:runs")
        params["province_code"] = province
        kw = {"province_code": province}
    job = start_job("payroll.generate", params, user=request.user, **kw)
    return redirect("jobs:detail", pk=job.pk)


@login_required
def run_detail(request, pk):
    run = _run_or_404(request, pk)
    return render(request, "payroll/run_detail.html", {
        "run": run, "t": selectors.totals(request.user, run),
        "lines": selectors.lines(request.user, run).order_by("scope_commune__code", "person__name_key")[:200],
        "corrections": selectors.corrections(request.user, run)[:100],
        "reason_choices": list(selectors.reason_labels().items()),
        "demo": settings.ANSINH_DEMO, **selectors.run_actions(request.user, run)})


def _post_on_run(request, pk):
    run = _run_or_404(request, pk)  # 404 first: never confirm another scope's run
    if request.method != "POST":
        return run, HttpResponseNotAllowed(["POST"])
    return run, None


@login_required
def run_approve(request, pk):
    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    return _act(request, run, lambda: approval.approve(run, request.user), lambda _r: _("Đã phê duyệt bảng chi."))


@login_required
def run_export(request, pk):
    """Export an approved run (POST by a maker or approver): the run becomes exported; its
    files are then downloaded with a GET that changes nothing."""
    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    return _act(request, run, lambda: approval.export(run, user=request.user),
                lambda _r: _("Đã xuất tệp chi trả. Tải tệp bằng các nút bên dưới."))


@login_required
def run_suspend(request, pk):
    """Confirm the suspensions after a reconciled month (persons who did not collect the last
    months): an approver or province officer in scope, not the run's maker (POST)."""
    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    return _act(request, run, lambda: suspension.suspend_uncollected(run.period, run=run, user=request.user),
                lambda n: _("Đã tạm dừng %(n)s lượt hưởng; lịch sử đối tượng ghi người xác nhận và lý do.")
                % {"n": n})


@login_required
def run_download(request, pk):
    """The provider files of an exported run as a .zip: read only (anyone who may see the run,
    the auditor included, gets the files that were sent; the run does not change)."""
    run = _run_or_404(request, pk)
    if run.status not in selectors.DOWNLOADABLE:
        messages.error(request, _("Bảng chi phải được phê duyệt và xuất tệp trước khi tải tệp."))
        return redirect("payroll:run", pk=run.pk)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as d:
        paths = selectors.exported_files(run, d, pdf=request.GET.get("pdf") == "1")
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, Path(p).name)
    name = f"bang-chi-{run.pk}-{run.period}.zip"
    resp = HttpResponse(audit_reads.file_downloaded(request, name, buf.getvalue(), persons=run.lines.all()),
                        content_type="application/zip")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@login_required
def run_reconcile(request, pk):
    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    f = request.FILES.get("result")
    if f is None:
        messages.error(request, _("Chọn tệp kết quả chi trả (.csv)."))
        return redirect("payroll:run", pk=run.pk)
    # under the upload's own (sanitised) name: messages name the file the user sent, never a
    # temporary file
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / safe_stored_name(f.name, default="ket-qua.csv")
        with open(tmp, "wb") as fh:
            for chunk in f.chunks():
                fh.write(chunk)
        return _act(request, run, lambda: reconcile.reconcile(run, tmp, user=request.user),
                    lambda rep: _("Đã đối soát: %(paid)s dòng đã chi, %(unpaid)s dòng chưa chi.")
                    % {"paid": rep["paid"]["lines"], "unpaid": rep["unpaid"]["lines"]})


@login_required
def run_followup(request, pk):
    """The follow-up page of a run: its unpaid lines, what the rule proposes for each (retry, cash,
    hold) and a choice per line (GET); a maker's POST makes the follow-up run (a draft that a second
    user approves, like every run)."""
    from ansinh.payroll import followup

    run = _run_or_404(request, pk)
    if request.method == "GET":
        if not has_role(request.user, *MAKERS):
            return HttpResponseForbidden()
        return render(request, "payroll/followup.html", {"run": run, **selectors.followup_plan(request.user, run)})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    choices = {k[5:]: v for k, v in request.POST.items() if k.startswith("line-") and v}
    try:
        f = followup.generate_followup(run, user=request.user, rule=request.POST.get("rule") or "auto",
                                       choices=choices)
    except NotAllowed as exc:
        return _refused(request, exc, run)
    except BadInput as exc:
        messages.error(request, str(exc))
        return redirect("payroll:run", pk=run.pk)
    messages.success(request, _("Đã lập bảng chi lại #%(n)s cho các dòng chưa chi.") % {"n": f.pk})
    if f.summary.get("held"):
        messages.info(request, _("%(n)s dòng được giữ lại đến khi tài khoản được sửa.")
                      % {"n": len(f.summary["held"])})
    return redirect("payroll:run", pk=f.pk)


@login_required
def run_statement(request, pk):
    """Upload the programme account's bank statement (MT940): it confirms, fails and reverses the
    lines it names (ansinh.payroll.statements; all or nothing)."""
    from ansinh.payroll import statements

    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    f = request.FILES.get("statement")
    if f is None:
        messages.error(request, _("Chọn tệp sao kê tài khoản (MT940)."))
        return redirect("payroll:run", pk=run.pk)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / safe_stored_name(f.name, default="sao-ke.sta")
        with open(tmp, "wb") as fh:
            for chunk in f.chunks():
                fh.write(chunk)
        return _act(request, run, lambda: statements.import_statement(tmp, user=request.user, name=tmp.name),
                    lambda rep: _("Đã đọc sao kê: %(c)s dòng xác nhận đã chi, %(f)s dòng không chi được, "
                                  "%(r)s dòng bị hoàn trả.") % {"c": rep["confirmed"], "f": rep["failed"],
                                                                "r": rep["reversed"]})


@login_required
def run_correction_request(request, pk):
    """Ask to change a confirmed line result (applied when an approver approves it)."""
    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    p = request.POST
    try:
        line_id = int((p.get("line") or "").strip())
    except ValueError:
        line_id = 0
    line = selectors.lines(request.user, run).filter(pk=line_id).first() if 0 < line_id < 2**63 else None
    if line is None:
        messages.error(request, _("Mã dòng không thuộc bảng chi này."))
        return redirect("payroll:run", pk=run.pk)
    paid_on = None
    if p.get("new_result") == "paid":
        try:
            paid_on = parse_day(p.get("paid_date") or "", (DMY,))
        except ValueError:
            messages.error(request, _("Ngày chi trả theo dạng dd/mm/yyyy."))
            return redirect("payroll:run", pk=run.pk)
    return _act(request, run,
                lambda: corrections.request_correction(line, new_result=p.get("new_result") or "",
                                                       reason=p.get("reason") or "",
                                                       new_reason=p.get("new_reason") or "",
                                                       paid_on=paid_on, user=request.user),
                lambda c: _("Đã gửi đề nghị điều chỉnh #%(n)s; chờ người phê duyệt khác.") % {"n": c.pk})


@login_required
def run_correction_decide(request, pk, correction):
    run, refused = _post_on_run(request, pk)
    if refused:
        return refused
    c = selectors.corrections(request.user, run).filter(pk=correction).first() if correction < 2**63 else None
    if c is None:
        raise Http404
    try:
        if request.POST.get("decision") == "approve":
            corrections.approve_correction(c, request.user)
            messages.success(request, _("Đã phê duyệt điều chỉnh #%(n)s.") % {"n": c.pk})
        else:
            corrections.reject_correction(c, request.user)
            messages.success(request, _("Đã từ chối điều chỉnh #%(n)s.") % {"n": c.pk})
    except NotAllowed as exc:
        if isinstance(exc, SameUser):
            messages.error(request, _("Người phê duyệt điều chỉnh phải khác người đề nghị."))
            return redirect("payroll:run", pk=run.pk)
        return HttpResponseForbidden()
    except BadInput as exc:
        messages.error(request, str(exc))
    return redirect("payroll:run", pk=run.pk)


@login_required
def run_demo_result(request, pk):
    """A demo provider result file for a run (for trying the reconciliation): demo
    installations only (settings.ANSINH_DEMO), 404 elsewhere."""
    from ansinh.payroll.files import write_demo_result

    if not settings.ANSINH_DEMO:
        raise Http404
    run = _run_or_404(request, pk)
    with tempfile.TemporaryDirectory() as d:
        p = write_demo_result(run, Path(d) / "ket-qua.csv")
        data = audit_reads.file_downloaded(request, f"ket-qua-{run.pk}.csv", p.read_bytes(), persons=run.lines.all())
    resp = HttpResponse(data, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="ket-qua-{run.pk}.csv"'
    return resp


@login_required
def run_line_qr(request, pk, line):
    """The VietQR image of one account line, made when asked (a province's files carry the
    payloads only: 24,000 images would take a minute to draw and nobody scans them all)."""
    from ansinh.payroll.files import qr_payload, qr_png

    run = _run_or_404(request, pk)
    ln = selectors.lines(request.user, run).filter(pk=line).first() if line < 2**63 else None
    payload = qr_payload(ln) if ln is not None else ""
    if not payload:
        raise Http404
    resp = HttpResponse(qr_png(payload), content_type="image/png")
    resp["Cache-Control"] = "private, max-age=3600"
    return resp


@login_required
def rate_list(request):
    can_edit = has_role(request.user, *RATE_EDITORS)
    if request.method == "POST":
        if not can_edit:
            return HttpResponseForbidden()
        p = request.POST
        try:
            amount = int((p.get("amount") or "").replace(".", "").replace(",", "").strip())
            day = parse_day(p.get("valid_from") or "", (DMY,))
        except ValueError:
            messages.error(request, _("Số tiền phải là số nguyên; ngày theo dạng dd/mm/yyyy."))
            return redirect("payroll:rates")
        province = (p.get("province_code") or "").strip()
        scope = scope_for(request.user)
        if province and not scope.allows_province(province) or (not province and not has_role(request.user, "admin")):
            return HttpResponseForbidden()
        try:
            rates.add_rate(kind=p.get("kind") or "", amount=amount, valid_from=day,
                           legal_basis=p.get("legal_basis") or "", province_code=province, user=request.user)
            messages.success(request, _("Đã thêm mức mới."))
        except BadInput as exc:
            messages.error(request, str(exc))
        return redirect("payroll:rates")
    return render(request, "payroll/rates.html", {"rates": selectors.rates(), "kinds": RateKind.choices,
                                                  "can_edit": can_edit})
