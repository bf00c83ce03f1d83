"""Campaign pages (thin): the coverage dashboard with its map, the drill-down of a unit and
the outreach lists. Reads through ansinh.accounts.kpi and .lists (scoped); a unit outside the
user's scope answers 404."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from ansinh.accounts import kpi, lists, rules
from ansinh.audit import reads as audit_reads
from ansinh.core import masking, providers
from ansinh.text.dates import DMY, parse_day, parse_month
from ansinh.units.models import Level


def _day(request) -> tuple[dt.date, list[dt.date]]:
    """The day asked (?day=YYYY-MM-DD or dd/mm/yyyy; ?month=YYYY-MM = its last computed day),
    default the latest snapshot day (else today)."""
    computed = kpi.snapshot_days(request.user)
    g = request.GET
    day = None
    try:
        day = parse_day(g.get("day") or "")
    except ValueError:
        pass
    if day is None and g.get("month"):
        try:
            month = parse_month(g.get("month"))
            first = dt.date(int(month[:4]), int(month[5:]), 1)
        except ValueError:
            first = None
        if first:
            in_month = [d for d in computed if (d.year, d.month) == (first.year, first.month)]
            day = in_month[-1] if in_month else rules.month_ends(first, first)[0]
    if day is None:
        day = computed[-1] if computed else dt.date.today()
    return day, computed


def _map(request, day: dt.date) -> str:
    m = request.GET.get("map") or ""
    return m if m in kpi.MAPS else kpi.default_map(day)


def _series_days(day: dt.date, computed: list[dt.date]) -> list[dt.date]:
    start = dt.date(2024, 1, 1)
    days = [d for d in computed if start <= d <= day and (d == rules.month_ends(d, d)[0] or d == day)]
    return days or rules.month_ends(start, day)


def _chart(series: list[dict]) -> dict:
    """The time series for ECharts: a point with nobody counted, or a month without a
    reconciled payroll ("paid without cash"), is null (a gap), never 0."""
    def known(p, v):
        return v if p["beneficiaries"] else None

    return {"days": [p["day"] for p in series], "share": [known(p, p["share"]) for p in series],
            "confirmed": [known(p, p["confirmed_share"]) for p in series],
            "paid": [rules.share(p["paid_noncash"], p["beneficiaries"]) if p["beneficiaries"] and p.get("paid_reported")
                     else None for p in series],
            "paid_count": [p["paid_noncash"] if p.get("paid_reported") else None for p in series],
            "beneficiaries": [p["beneficiaries"] for p in series],
            "low": [p["target_low"] for p in series], "high": [p["target_high"] for p in series],
            "labels": {"share": _("Có tài khoản"), "confirmed": _("Đã xác nhận"), "band": _("Dải mục tiêu"),
                       "paid": _("Đã chi không dùng tiền mặt"), "nodata": _("chưa có số liệu")}}


def _map_labels() -> dict:
    return {"people": _("đối tượng có tài khoản"), "nodata": _("chưa có số liệu")}


@login_required
def dashboard(request):
    day, computed = _day(request)
    map_ = _map(request, day)
    use_snap = day in computed
    communes = kpi.coverage(request.user, day, "commune", map_, use_snapshot=use_snap)
    ranked = sorted((u for u in communes if u.counts.beneficiaries), key=lambda u: (u.share, u.unit.code))
    tot = kpi.total(communes, day)
    districts = kpi.coverage(request.user, day, "district", "old", use_snapshot=use_snap) \
        if map_ == "old" else []
    days = _series_days(day, computed)
    provinces = {u.unit.province_code for u in communes}
    series = kpi.series(request.user, days, "province", map_,
                              province=provinces.pop() if len(provinces) == 1 else None)
    ctx = {
        "day": day, "map": map_, "total": tot, "ranked": ranked, "districts": districts,
        "laggards": sum(1 for u in ranked if u.band == "below"),
        "months": sorted({(d.year, d.month) for d in computed if d >= dt.date(2024, 1, 1)}, reverse=True),
        "month_value": f"{day:%Y-%m}", "snapshot": use_snap, "unit_base": reverse("accounts:dashboard") + "units/",
        "chart": _chart(series),
        "map_cells": kpi.map_cells(communes, map_) | {"labels": _map_labels()},
        # "paid without cash" has a figure only for a month with a reconciled payroll (else "—", not 0)
        "paid_reported": any(kpi.paid_noncash_by_month([day]).values()),
    }
    return render(request, "accounts/dashboard.html", ctx)


def _unit_or_404(request, pk: int):
    unit = lists.unit_by_id(request.user, pk)
    if unit is None:
        raise Http404
    return unit


@login_required
def unit_detail(request, pk: int):
    unit = _unit_or_404(request, pk)
    day, computed = _day(request)
    map_ = "old" if unit.valid_to is not None else "new"
    level = {Level.COMMUNE: "commune", Level.DISTRICT: "district", Level.PROVINCE: "province"}[unit.level]
    series = kpi.series(request.user, _series_days(day, computed), level, map_, unit_id=unit.pk,
                              province=unit.province_code)
    ctx = {"unit": unit, "day": day, "map": map_, "current": series[-1] if series else None,
           "chart": _chart(series), "villages": [], "count": 0}
    if unit.level == Level.COMMUNE:
        ctx.update(_people_page(request, unit, day))
    return render(request, "accounts/unit.html", ctx)


PAGE = 200  # people listed per page in the drill-down (the outreach lists have everyone)


def _people_page(request, unit, day: dt.date) -> dict:
    """The drill-down's people: the village table (coverage per village, from the village
    snapshot), and one page of the people missing something — every village when few people
    lack a confirmed account, else one village (?village=, default the first) by pages of PAGE."""
    table = lists.village_table(request.user, unit, day)
    names = [r["village"] for r in table]
    unconfirmed = sum(r["unconfirmed"] for r in table)
    village = request.GET.get("village")
    paged = unconfirmed > PAGE
    if village is not None and village not in names:
        village = None
    if village is None and paged and names:
        village = next((r["village"] for r in table if r["unconfirmed"]), names[0])
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    rows, count = lists.people_page(request.user, unit, day, village, PAGE, (page - 1) * PAGE)
    pages = max(1, -(-count // PAGE))
    if page > pages:  # past the end: the last page
        page = pages
        rows, count = lists.people_page(request.user, unit, day, village, PAGE, (page - 1) * PAGE)
    return {"villages": lists.group_by_village(rows), "count": count, "village_table": table,
            "village": village, "page": page, "pages": pages, "paged": paged or pages > 1,
            "unconfirmed": unconfirmed, "month_value": f"{day:%Y-%m}"}


def _outreach_rows(request, pk: int):
    unit = _unit_or_404(request, pk)
    if unit.level != Level.COMMUNE:
        raise Http404
    day = _day(request)[0] if (request.GET.get("day") or request.GET.get("month")) else dt.date.today()
    rows = lists.people_without(request.user, unit, day)
    village = request.GET.get("village")
    if village is not None and village != "":
        rows = [r for r in rows if r["village"] == village]
    return unit, day, rows


def _filename(unit, ext: str) -> str:
    from ansinh.text import fold

    return f"mo-tai-khoan_{unit.code}_{fold(unit.short_name).lower().replace(' ', '-')}.{ext}"


@login_required
def outreach_xlsx(request, pk: int):
    from ansinh.accounts.exports import outreach_xlsx as build

    unit, day, rows = _outreach_rows(request, pk)
    resp = HttpResponse(audit_reads.people_exported(request, rows, build(unit, rows, day, masking.for_user(request.user)), _filename(unit, "xlsx")),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = f'attachment; filename="{_filename(unit, "xlsx")}"'
    return resp


@login_required
def outreach_pdf(request, pk: int):
    from ansinh.accounts.exports import NoFont
    from ansinh.accounts.exports import outreach_pdf as build

    unit, day, rows = _outreach_rows(request, pk)
    try:
        pdf = build(unit, rows, day, masking.for_user(request.user))
    except NoFont as exc:
        return HttpResponse(_("Không tạo được PDF: ") + str(exc), status=503, content_type="text/plain")
    resp = HttpResponse(audit_reads.people_exported(request, rows, pdf, _filename(unit, "pdf")), content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{_filename(unit, "pdf")}"'
    return resp


# ----------------------------------------------------------------------------- bank lists in

@login_required
def bank_list_upload(request):
    """Upload a bank's list of accounts opened: a background job (progress on the job page),
    then the report page."""
    from django.http import HttpResponseForbidden
    from django.shortcuts import redirect

    from ansinh.accounts.bank_lists import start_bank_list_import
    from ansinh.core.jobs import BadInput
    from ansinh.core.roles import can_edit

    allowed = can_edit(request.user)
    error = ""
    if request.method == "POST":
        if not allowed:
            return HttpResponseForbidden(_("Bạn không có quyền nhập danh sách tài khoản."))
        f = request.FILES.get("file")
        if f is None:
            error = _("Chọn tệp danh sách của ngân hàng (.xlsx, .xls, .ods hoặc .csv).")
        else:
            try:
                rec = start_bank_list_import(request.user, f, (request.POST.get("provider") or "").strip())
            except BadInput as exc:
                error = str(exc)
            else:
                return redirect("jobs:detail", pk=rec.job.pk)
    ctx = {"can_edit": allowed, "error": error, "recent": list(lists.bank_lists(request.user)[:20]),
           "providers": sorted(((code, p.short_name) for code, p in providers.ACCOUNT_PROVIDERS.items()),
                               key=lambda kv: kv[1])}
    return render(request, "accounts/bank_lists.html", ctx, status=400 if error else 200)


@login_required
def bank_list_detail(request, pk: int):
    rec = lists.bank_list_for(request.user, pk)
    if rec is None:
        raise Http404
    from ansinh.accounts.bank_lists import opened_report

    return render(request, "accounts/bank_list.html", {"rec": rec, "rep": opened_report(rec.report or {})})


# ----------------------------------------------------------------------------- targets

def _number(text: str):
    t = (text or "").strip().replace(",", ".").rstrip("%").strip()
    return float(t) if t else None


@login_required
def targets(request):
    """Coverage targets as data: list (general, province, commune rows), add / change / delete
    (province officer for their province, administrator), history of the changes."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from ansinh.accounts import targets as target_edits
    from ansinh.core.jobs import BadInput
    from ansinh.core.models import Role
    from ansinh.core.roles import has_role
    from ansinh.core.scope import scope_for

    rows = list(lists.targets_for(request.user))
    editing = None
    edit_pk = request.POST.get("target") or request.GET.get("edit")
    if edit_pk:
        editing = next((t for t in rows if str(t.pk) == str(edit_pk)), None)
        if editing is None:
            raise Http404
    communes = lists.target_communes(request.user)
    scope = scope_for(request.user)
    provinces = sorted(scope.province_codes) if not scope.everything else sorted(
        {c.province_code for c in communes})
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("delete") and editing is not None:
                target_edits.delete_target(request.user, editing)
                messages.success(request, _("Đã xóa mục tiêu."))
                return redirect("accounts:targets")
            where = (request.POST.get("scope") or "").strip()
            commune, province_code = None, ""
            if where.startswith("c:"):
                commune = next((c for c in communes if str(c.pk) == where[2:]), None)
                if commune is None:
                    raise BadInput(_("Xã/phường không thuộc phạm vi của bạn."))
            elif where.startswith("p:"):
                province_code = where[2:]
            try:
                due = parse_day(request.POST.get("due") or "", (DMY,))
            except ValueError:
                raise BadInput(_("Thời hạn: ngày dd/mm/yyyy.")) from None
            try:
                low, high, base = (_number(request.POST.get(k)) for k in ("low", "high", "baseline"))
            except ValueError:
                raise BadInput(_("Tỷ lệ: một số phần trăm, ví dụ 30 hoặc 30,5.")) from None
            target_edits.save_target(request.user, due=due, low=low, high=high, baseline=base,
                                 label=request.POST.get("label") or "", province_code=province_code,
                                 commune=commune, target=editing)
        except BadInput as exc:
            error = str(exc)
        else:
            messages.success(request, _("Đã lưu mục tiêu."))
            return redirect("accounts:targets")
    can = target_edits.can_edit_targets(request.user, provinces[0] if provinces else "") or has_role(request.user, Role.ADMIN)
    ctx = {"rows": [(t, target_edits.can_edit_targets(request.user, t.province_code, t.commune)) for t in rows],
           "history": list(lists.target_history(request.user)), "can_edit": can, "editing": editing,
           "communes": communes, "provinces": provinces, "error": error, "post": request.POST,
           "is_admin": has_role(request.user, Role.ADMIN)}
    return render(request, "accounts/targets.html", ctx, status=400 if error else 200)


# ----------------------------------------------------------------------------- account approval

STAFF_ROLES = ("commune_officer", "province_officer", "approver", "auditor", "admin")
APPROVAL_PAGE = 50


@login_required
def approvals(request):
    """The approval queue of payment accounts (maker-checker): every account waiting for a
    second user's decision, in the user's scope, the current paid account beside the new one.
    Approvers and province officers decide (not on their own changes); others only see."""
    from django.contrib import messages
    from django.http import HttpResponseForbidden
    from django.shortcuts import redirect

    from ansinh.accounts import approval
    from ansinh.core.jobs import BadInput
    from ansinh.core.roles import has_role

    if not has_role(request.user, *STAFF_ROLES):
        return HttpResponseForbidden(_("Bạn không có quyền xem trang này."))
    can_decide = approval.can_approve_accounts(request.user)
    try:
        page = max(1, int(request.GET.get("page") or request.POST.get("page") or 1))
    except ValueError:
        page = 1
    error = ""
    if request.method == "POST":
        if not can_decide:
            return HttpResponseForbidden(_("Bạn không có quyền phê duyệt tài khoản nhận tiền."))
        try:
            pk = int(request.POST.get("account") or "")
        except ValueError:
            pk = None
        account = lists.account_for(request.user, pk) if pk and pk < 2**63 else None
        if account is None:
            raise Http404
        action = request.POST.get("action")
        evidence = request.FILES.get("evidence")
        try:
            if action == "approve":
                approval.approve_account(account, request.user, note=request.POST.get("reason") or "",
                                         evidence=evidence)
                messages.success(request, _("Đã phê duyệt tài khoản của %(name)s.") % {"name": account.person.full_name})
            elif action == "reject":
                approval.reject_account(account, request.user, reason=request.POST.get("reason") or "",
                                        evidence=evidence)
                messages.success(request, _("Đã từ chối tài khoản của %(name)s.") % {"name": account.person.full_name})
            else:
                raise BadInput(_("Chọn phê duyệt hoặc từ chối."))
        except BadInput as exc:
            error = str(exc)
        else:
            return redirect(f"{reverse('accounts:approvals')}?page={page}")
    rows, count = lists.pending_accounts(request.user, APPROVAL_PAGE, (page - 1) * APPROVAL_PAGE)
    pages = max(1, -(-count // APPROVAL_PAGE))
    ctx = {"rows": rows, "count": count, "page": page, "pages": pages, "can_decide": can_decide, "error": error,
           "me": request.user.pk}
    return render(request, "accounts/approvals.html", ctx, status=400 if error else 200)


@login_required
def approval_evidence(request, pk: int):
    """The evidence file of a decision, always as a download (never rendered on our origin)."""
    from ansinh.core.roles import has_role
    from ansinh.core.uploads import stored_download

    if not has_role(request.user, *STAFF_ROLES):
        raise Http404
    account = lists.account_for(request.user, pk)
    if account is None or not account.approval_evidence:
        raise Http404
    return stored_download(request, account.approval_evidence, f"minh-chung-{account.pk}",
                           persons=[account.person_id])
