"""Duplicate review queue.  Thin: reads via selectors (scoped), writes via services.
A pair outside the user's scope answers 404 whatever the method."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from ansinh.core import masking
from ansinh.core.jobs import BadInput, start_job
from ansinh.core.roles import has_role
from ansinh.matching import reasons, selectors, services
from ansinh.matching.models import IdProposal, MatchPair, PairStatus, ProposalStatus

FIELD_LABELS = {"full_name": _l("Họ và tên"), "dob": _l("Ngày sinh"), "id_number": _l("Số định danh"),
                "gender": _l("Giới tính"), "residence": _l("Nơi cư trú"), "village": _l("Thôn/bản"),
                "accounts": _l("Số tài khoản")}
CODE_FIELDS = ("id_number", "accounts")  # identifiers: shown as written, marked data-code


def _side(p, accounts: list[str], show) -> dict:
    return {
        "full_name": p.full_name or "", "dob": p.dob_display, "id_number": show(p.id_number or p.legacy_cmnd or "", "id"),
        "gender": p.get_gender_display() if p.gender else "",
        "residence": str(p.commune or p.residence_unit or p.scope_commune or ""), "village": p.village,
        "accounts": ", ".join(show(a, "account") for a in accounts),
    }


def _reason_side(p, accounts: list[tuple[str, str]]) -> reasons.Side:
    return reasons.Side(full_name=p.full_name or "", dob=p.dob, dob_precision=p.dob_precision or "day",
                        id_number=p.id_number or p.legacy_cmnd or "", gender=p.gender or "",
                        commune=str(p.commune or p.residence_unit or p.scope_commune or ""), village=p.village or "",
                        accounts=[n for n, _b in accounts], banks={n: b for n, b in accounts if b},
                        phone=p.phone or "")


def _listing(request, fetch, statuses, default: str, template: str, **extra):
    """A page of pairs or proposals the user can see, filtered by status ("all": every one)."""
    status = request.GET.get("status") or default
    page = Paginator(fetch(request.user, None if status == "all" else status), 50).get_page(request.GET.get("page"))
    return render(request, template, {"page": page, "total": page.paginator.count, "status": status,
                                      "statuses": list(statuses) + [("all", _("Tất cả"))], **extra})


@login_required
def queue(request):
    return _listing(request, selectors.pairs,
                    list(PairStatus.choices) + [(selectors.DISAGREES, _("Đã quyết định, máy đánh giá khác"))],
                    PairStatus.OPEN, "matching/queue.html",
                    can_run=has_role(request.user, "province_officer", "admin"))


@login_required
def pair_detail(request, pk: int):
    try:
        pair = selectors.pair(request.user, pk)
    except MatchPair.DoesNotExist:
        raise Http404 from None
    banks = selectors.pair_account_banks(request.user, pk)
    accounts = {k: [n for n, _b in v] for k, v in banks.items()}
    pa, pb = pair.person_a, pair.person_b
    show = masking.for_user(request.user)
    a, b = _side(pa, accounts["a"], show), _side(pb, accounts["b"], show)
    rows = []
    for f, label in FIELD_LABELS.items():
        sa, sb = reasons.segments(a[f], b[f])
        rows.append({"field": f, "label": label, "a": sa, "b": sb, "code": f in CODE_FIELDS,
                     "differs": any(d for _t, d in sa + sb)})
    why = reasons.reasons(_reason_side(pa, banks["a"]), _reason_side(pb, banks["b"]), pair.contributions)
    enrol = selectors.pair_enrolments(request.user, pk)
    return render(request, "matching/pair.html", {
        "pair": pair, "rows": rows, "enrol": enrol, "for_one": [r.text for r in why if r.supports],
        "against": [r.text for r in why if not r.supports],
        "can_decide": has_role(request.user, *services.DECIDERS) and pair.status == PairStatus.OPEN,
    })


def _next_pair_url(request, after: int) -> str:
    """The next open pair of the user's queue (the queue's order), or the queue when none is left."""
    nxt = selectors.pairs(request.user).exclude(pk=after).values_list("pk", flat=True).first()
    return reverse("matching:pair", args=[nxt]) if nxt else reverse("matching:queue")


def _decide(request, fetch, missing, pk: int, actions: dict, done: str, failed: str | None = None):
    """A POSTed decision on a pair or a proposal the user can see (404 otherwise): `actions` maps
    the form's action to a function (object, note) that calls the service and returns the
    message; a refusal (BadInput) is shown and leads to `failed` (default `done`)."""
    try:
        obj = fetch(request.user, pk)
    except missing:
        raise Http404 from None
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    act = actions.get(request.POST.get("action"))
    try:
        if act is None:
            raise BadInput(_("Thao tác không hợp lệ"))
        messages.success(request, act(obj, request.POST.get("note", "")))
    except BadInput as exc:
        messages.error(request, str(exc))
        return redirect(failed or (done() if callable(done) else done))
    return redirect(done() if callable(done) else done)


@login_required
def pair_decide(request, pk: int):
    def keep(side):
        def act(pair, note):
            services.confirm_pair(pair, request.user, keep=side, note=note)
            return _("Đã xác nhận trùng lặp; chế độ của hồ sơ trùng đã dừng.")
        return act

    def reject(pair, note):
        services.reject_pair(pair, request.user, note=note)
        return _("Đã ghi nhận: hai hồ sơ không trùng.")

    return _decide(request, selectors.pair, MatchPair.DoesNotExist, pk,
                   {"keep_a": keep("a"), "keep_b": keep("b"), "reject": reject},
                   done=lambda: _next_pair_url(request, pk), failed=reverse("matching:pair", args=[pk]))


@login_required
def run(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not has_role(request.user, "province_officer", "admin"):
        raise Http404
    prof = getattr(request.user, "profile", None)
    units = list(prof.scope_units.all()) if prof is not None else []
    province = units[0].province_code if units else ""
    job = start_job("matching.dedupe", {"province_code": province, "user_id": request.user.pk},
                    user=request.user, province_code=province)
    return redirect(f"/jobs/{job.pk}/")


@login_required
def proposals(request):
    """Population-data verification: proposed ID numbers for an officer to accept or reject."""
    return _listing(request, selectors.proposals, ProposalStatus.choices, ProposalStatus.OPEN,
                    "matching/proposals.html", can_decide=has_role(request.user, *services.DECIDERS))


@login_required
def proposal_decide(request, pk: int):
    def accept(prop, note):
        services.accept_proposal(prop, request.user, note=note)
        return _("Đã ghi số định danh %(id)s vào hồ sơ.") % {"id": masking.for_user(request.user)(prop.proposed_id, "id")}

    def reject(prop, note):
        services.reject_proposal(prop, request.user, note=note)
        return _("Đã từ chối đề xuất.")

    return _decide(request, selectors.proposal, IdProposal.DoesNotExist, pk, {"accept": accept, "reject": reject},
                   done=reverse("matching:proposals"))


@login_required
def verify(request):
    """Upload a population extract (the file commune police return after a batch check): the
    check runs in the background for the uploader's scope; results go to the proposals page,
    the persons' history (deaths) and the job's report."""
    from ansinh.core.roles import can_edit

    allowed = can_edit(request.user)
    error = ""
    if request.method == "POST":
        if not allowed:
            raise Http404
        f = request.FILES.get("file")
        if f is None:
            error = _("Chọn tệp dữ liệu dân cư (.xlsx, .xls, .ods hoặc .csv).")
        else:
            try:
                job = services.start_verification(request.user, f)
            except BadInput as exc:
                error = str(exc)
            else:
                return redirect(f"/jobs/{job.pk}/")
    return render(request, "matching/verify.html", {"can_edit": allowed, "error": error})
