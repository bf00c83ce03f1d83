"""Registry pages. Thin: reads through ansinh.registry.selectors (scoped), writes through
ansinh.registry.review and .jobs. An object outside the user's scope answers 404 (never 403, which
would confirm it exists), whatever the method."""
from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ansinh.audit import reads as audit_reads
from ansinh.core import masking
from ansinh.core.jobs import BadInput
from ansinh.audit.retention import anonymised_on
from ansinh.core.roles import SUBJECT_REQUEST_ROLES, can_edit, has_role
from ansinh.payroll.rates import enrolment_amounts
from ansinh.registry import rules, selectors
from ansinh.registry.categories import CATEGORY_LABELS
from ansinh.registry.forms import FIELD_LABELS, AccountForm, FixForm, UploadForm, WaiveForm, category_choices, provider_choices
from ansinh.registry.jobs import start_import
from ansinh.registry.transfers import transfer_context
from ansinh.registry.models import (
    EnrolmentStatus,
    IssueStatus,
    PersonStatus,
    Severity,
)
from ansinh.registry.review import (
    FIXABLE_FIELDS,
    add_account,
    fix_issue,
    residence_choices,
    resolve_residence,
    waive_issue,
)
from ansinh.units.models import AdminUnit

PAGE_SIZE = 50


def _rule_title(code: str, severity: str | None = None) -> str:
    return rules.rule_title(code, severity)


def _decorate(issues):
    for i in issues:
        i.rule_title = _rule_title(i.rule, i.severity)
        i.candidates = [c for c in (i.details or {}).get("candidates", []) if not c.get("old")]
    return issues


def _filters(request) -> dict:
    g = request.GET
    token = (g.get("t") or "").strip().lower()
    q = (g.get("q") or g.get("search") or "").strip() or None
    if selectors.id_like(q):  # an identifier typed into an address: searched, but never echoed back
        q, token = None, selectors.search_token(selectors.id_like(q))
    return {
        "commune": (g.get("commune") or "").strip() or None,
        "category": (g.get("category") or "").strip() or None,
        "status": (g.get("status") or "").strip() or None,
        "issue": (g.get("issue") or "").strip() or None,
        "q": q,
        "token": token if _TOKEN.match(token) else None,
    }


_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_FILTER_KEYS = ("commune", "category", "status", "issue")


def _search_redirect(request):
    """The person list's search form is posted: an identifier (ID, CMND, phone) never goes into the page's
    address or the access log; it becomes its keyed hash (``selectors.search_token``), a name stays a name."""
    from django.http import QueryDict

    # Only filter values the form offers this user are carried on (a commune of their own scope, a known
    # category, status or rule): the page the search leads to never echoes another commune's code.
    offered = {
        "commune": {u.code for u in selectors.commune_choices(request.user)},
        "category": {c for c, _label in category_choices()},
        "status": {c for c, _label in list(PersonStatus.choices) + list(EnrolmentStatus.choices)},
        "issue": set(rules.RULES),
    }
    params = QueryDict(mutable=True)
    for k in _FILTER_KEYS:
        v = (request.POST.get(k) or "").strip()
        if v and v in offered[k]:
            params[k] = v
    q = (request.POST.get("q") or "").strip()
    digits = selectors.id_like(q)
    if digits:
        params["t"] = selectors.search_token(digits)
    elif q:
        params["q"] = q
    url = reverse("registry:persons") + (f"?{params.urlencode()}" if params else "")
    return redirect(url)


def _querystring(request, drop=("page",)) -> str:
    params = request.GET.copy()
    for k in drop:
        params.pop(k, None)
    return params.urlencode()


# --------------------------------------------------------------------------- persons

def _category_filter_allowed(request, f: dict) -> dict:
    """A user who does not handle HIV and disability may not filter by them (the list would say who)."""
    from ansinh.core.roles import roles_of

    if f.get("category") and masking.category_shown(f["category"], roles_of(request.user)) != f["category"]:
        f["category"] = None
    return f


def _categories_for(request) -> list:
    from ansinh.core.roles import roles_of

    roles = roles_of(request.user)
    return [(c, label) for c, label in category_choices() if masking.category_shown(c, roles) == c]


@login_required
def person_list(request):
    if request.method == "POST":
        return _search_redirect(request)
    if selectors.id_like(request.GET.get("q") or request.GET.get("search")):  # an old link with a number in it
        params = request.GET.copy()
        digits = selectors.id_like(params.pop("q", [""])[0] or params.pop("search", [""])[0])
        params.pop("search", None)
        params["t"] = selectors.search_token(digits)
        return redirect(reverse("registry:persons") + "?" + params.urlencode())
    f = _category_filter_allowed(request, _filters(request))
    qs = selectors.persons(request.user, **f).select_related("commune", "scope_commune").order_by("name_key", "pk")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    audit_reads.list_read(request, "registry.person", f, page.number, len(page.object_list), page.paginator.count)
    ctx = {
        "page": page, "total": page.paginator.count, "f": f, "qs": _querystring(request),
        "communes": selectors.commune_choices(request.user), "categories": _categories_for(request),
        "statuses": list(PersonStatus.choices) + list(EnrolmentStatus.choices),
        "rules": [(code, title) for code, (_sev, title) in rules.RULES.items()],
        "can_edit": can_edit(request.user),
    }
    template = "registry/_person_table.html" if request.headers.get("HX-Request") else "registry/person_list.html"
    return render(request, template, ctx)


@login_required
def person_detail(request, pk: int):
    person = selectors.person_for(request.user, pk)
    if person is None:
        raise Http404
    audit_reads.person_viewed(request, person)
    from ansinh.registry.selectors import severity_rank

    all_issues = _decorate(list(person.issues.annotate(rank=severity_rank()).order_by("status", "rank", "rule")))
    issues = [i for i in all_issues if i.status != IssueStatus.NOTE]
    notes = [i for i in all_issues if i.status == IssueStatus.NOTE]
    enrolments = list(person.enrolments.order_by("programme", "category"))
    due = enrolment_amounts(enrolments, dob=person.dob, province_code=person.province_code,
                            month=f"{timezone.localdate():%Y-%m}")
    for e in enrolments:
        e.due_amount = due.get(e.pk, ("", None))[1]
    ctx = {
        "person": person,
        "enrolments": enrolments,
        "accounts": list(person.accounts.order_by("pk")),
        "authorised": list(person.authorised.order_by("pk")),
        "issues": issues, "notes": notes,
        "history": list(selectors.person_history(request.user, person)[:200]),
        "category_labels": CATEGORY_LABELS,
        "residence_choices": residence_choices(person) if person.commune_id is None else [],
        "can_edit": can_edit(request.user),
        "field_labels": FIELD_LABELS, "categories": category_choices(),
        "subject_export": has_role(request.user, *SUBJECT_REQUEST_ROLES),
        "anonymised_on": anonymised_on(person.pk),
        **transfer_context(request.user, person),
    }
    return render(request, "registry/person_detail.html", ctx)


@login_required
def person_export(request):
    f = _category_filter_allowed(request, _filters(request))
    qs = selectors.persons(request.user, **f)
    if request.GET.get("format") == "xlsx":
        import io

        buf = io.BytesIO()
        selectors.export_xlsx(qs, buf, masking.for_user(request.user))
        resp = HttpResponse(audit_reads.people_exported(request, qs, buf.getvalue(), "doi-tuong.xlsx"),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = 'attachment; filename="doi-tuong.xlsx"'
        return resp
    text = "".join(selectors.export_csv_lines(qs, masking.for_user(request.user)))
    body = audit_reads.people_exported(request, qs, text, "doi-tuong.csv")
    resp = HttpResponse(body, content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="doi-tuong.csv"'
    return resp


@login_required
def person_residence(request, pk: int):
    """Choose the current commune of a person whose old commune was split (POST)."""
    def act(person):
        unit = AdminUnit.objects.filter(pk=request.POST.get("unit") or 0).first()
        if unit is None:
            raise BadInput(_("Chưa chọn xã/phường."))
        resolve_residence(person, unit, request.user)

    person = selectors.person_for(request.user, pk)
    refused, error = _edit(request, person, act)
    if refused:
        return refused
    issue_id = request.POST.get("issue")
    if request.headers.get("HX-Request") and issue_id:
        issue = selectors.issue_for(request.user, issue_id)
        if issue is None:
            raise Http404
        return _issue_row(request, issue, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Đã cập nhật xã/phường hiện hành."))
    return redirect("registry:person", pk=person.pk)


# --------------------------------------------------------------------------- import

@login_required
def import_upload(request):
    editor = can_edit(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not editor:
            return HttpResponseForbidden(_("Bạn không có quyền nhập danh sách."))
        if form.is_valid():
            try:
                job = start_import(request.user, form.cleaned_data["file"],
                                   form.cleaned_data.get("paid_through") or None)
            except BadInput as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("jobs:detail", pk=job.pk)
    recent = list(selectors.batches(request.user)[:10])
    return render(request, "registry/import.html", {"form": form, "can_edit": editor, "batches": recent})


@login_required
def batch_list(request):
    page = Paginator(selectors.batches(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "registry/batch_list.html", {"page": page, "total": page.paginator.count})


@login_required
def batch_detail(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    if batch is None:
        raise Http404
    rep = batch.report or {}
    rejected = list(selectors.rejected_rows(batch)[:1000])
    header = (batch.original_header or [[]])[-1]
    ctx = {
        "batch": batch, "rep": rep,
        "issues": [(code, _rule_title(code), n) for code, n in (batch.issues or {}).items()],
        "unmapped": list((rep.get("unmapped_categories") or {}).items()),
        "rejected": rejected, "header": header,
        "accounted": batch.imported + batch.updated + batch.rejected,
    }
    return render(request, "registry/batch_detail.html", ctx)


@login_required
def batch_rejected_xlsx(request, pk: int):
    batch = selectors.batch_for(request.user, pk)
    if batch is None:
        raise Http404
    from ansinh.core.roles import OPERATOR, roles_of

    roles, op = roles_of(request.user), request.user is OPERATOR
    data = audit_reads.file_downloaded(request, f"{batch.file_name} (dòng bị loại)", selectors.rejected_xlsx(
        batch, lambda v: masking.cell_masked(v, roles, operator=op)))
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stem = batch.file_name.rsplit(".", 1)[0]
    resp["Content-Disposition"] = f'attachment; filename="{_ascii(stem)}-dong-bi-loai.xlsx"'
    return resp


def _ascii(s: str) -> str:
    from ansinh.text import fold

    return "".join(c if c.isalnum() or c in "-_" else "-" for c in fold(s).lower())[:80] or "danh-sach"


# --------------------------------------------------------------------------- review queue

@login_required
def review(request):
    g = request.GET
    rule = (g.get("rule") or "").strip() or None
    severity = (g.get("severity") or "").strip() or None
    status = (g.get("status") or IssueStatus.OPEN).strip()
    commune = (g.get("commune") or "").strip() or None
    q = (g.get("q") or g.get("search") or "").strip() or None
    qs = selectors.issues(request.user, rule=rule, severity=severity, commune=commune, q=q,
                          status=None if status == "all" else status)
    page = Paginator(qs, PAGE_SIZE).get_page(g.get("page"))
    _decorate(page.object_list)
    counts = [dict(c, title=_rule_title(c["rule"], c["severity"])) for c in selectors.issue_counts(request.user)]
    by_severity = [(code, label, [c for c in counts if c["severity"] == code], sum(c["n"] for c in counts
                                                                                if c["severity"] == code))
                   for code, label in Severity.choices if code != Severity.INFO]
    ctx = {
        "page": page, "total": page.paginator.count, "counts": counts, "by_severity": by_severity,
        "f": {"rule": rule, "severity": severity, "status": status, "commune": commune, "q": q},
        "qs": _querystring(request), "rules": [(c, t) for c, (_s, t) in rules.RULES.items()],
        "severities": [c for c in Severity.choices if c[0] != Severity.INFO],
        "statuses": list(IssueStatus.choices) + [("all", _("Tất cả"))], "providers": provider_choices(),
        "communes": selectors.commune_choices(request.user),
        "can_edit": can_edit(request.user), "field_labels": FIELD_LABELS,
        "categories": category_choices(), "fixable": FIXABLE_FIELDS,
    }
    return render(request, "registry/review.html", ctx)


def _issue_row(request, issue, error: str = "", status: int = 200):
    issue.refresh_from_db()
    _decorate([issue])
    ctx = {"i": issue, "error": error, "can_edit": can_edit(request.user), "field_labels": FIELD_LABELS,
           "categories": category_choices(), "fixable": FIXABLE_FIELDS, "providers": provider_choices()}
    return render(request, "registry/_issue_row.html", ctx, status=status)


def _edit(request, obj, action) -> tuple[HttpResponse | None, str]:
    """The gate of every edit: 404 when `obj` is not visible, POST only, editors only; then
    `action(obj)`. Returns (the refusal to answer, or None; the action's refusal as text, or '')."""
    if obj is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"]), ""
    if not can_edit(request.user):
        return HttpResponseForbidden(_("Bạn không có quyền sửa dữ liệu.")), ""
    try:
        action(obj)
    except BadInput as exc:
        return None, str(exc)
    return None, ""


def _issue_action(request, pk: int, action):
    issue = selectors.issue_for(request.user, pk)
    refused, error = _edit(request, issue, action)
    if refused:
        return refused
    if request.headers.get("HX-Request"):
        return _issue_row(request, issue, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Đã cập nhật."))
    nxt = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        nxt = reverse("registry:review")  # never off-site (an open redirect)
    return redirect(nxt)


@login_required
def issue_fix(request, pk: int):
    def act(issue):
        form = FixForm(request.POST)
        if not form.is_valid():
            raise BadInput(_("Cần chọn trường và nhập giá trị đúng."))
        fix_issue(issue, request.user, form.cleaned_data["field"], form.cleaned_data["value"])

    return _issue_action(request, pk, act)


@login_required
def issue_account(request, pk: int):
    """The fix of a "no account number" issue: record the account (pending approval)."""
    def act(issue):
        form = AccountForm(request.POST)
        if not form.is_valid():
            raise BadInput(_("Cần chọn ngân hàng/ví và nhập số tài khoản."))
        add_account(issue, request.user, form.cleaned_data["provider"], form.cleaned_data["number"])

    return _issue_action(request, pk, act)


@login_required
def issue_waive(request, pk: int):
    def act(issue):
        form = WaiveForm(request.POST)
        if not form.is_valid():
            raise BadInput(_("Cần ghi lý do bỏ qua."))
        waive_issue(issue, request.user, form.cleaned_data["reason"])

    return _issue_action(request, pk, act)
