"""Campaign pages: the list with the form to create one (a province officer), and a campaign's
page (its rule in words, its runs, the form to generate a run: a background job). The runs
themselves are checked, approved, exported and reconciled on the run page like monthly runs.
Who may do what is decided by the services (ansinh.payroll.campaigns, ansinh.payroll.access)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ansinh.core.jobs import BadInput, start_job
from ansinh.core.roles import has_role
from ansinh.core.scope import visible_units
from ansinh.payroll import campaigns, selectors
from ansinh.payroll.access import CAMPAIGN_EDITORS, MAKERS, NotAllowed
from ansinh.registry.models import Programme
from ansinh.text.dates import DMY, parse_day
from ansinh.units.models import Level


def _communes(user):
    return visible_units(user).filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("name")


def _int(text: str, what: str, default=None):
    text = (text or "").replace(".", "").replace(",", "").replace(" ", "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise BadInput(_("%(what)s: phải là số nguyên") % {"what": what})
    return int(text)


def _date(text: str, what: str, required: bool = True):
    text = (text or "").strip()
    if not text and not required:
        return None
    try:
        return parse_day(text, (DMY,))
    except ValueError:
        raise BadInput(_("%(what)s: ngày theo dạng dd/mm/yyyy") % {"what": what}) from None


def _create(request):
    from ansinh.core.selectors import province_for

    p = request.POST
    amounts = {}
    for code, _label in selectors.campaign_category_choices():
        n = _int(p.get(f"cat_{code}"), code)
        if n is not None:
            amounts[code] = n
    level = (p.get("level") or "").replace(",", ".").strip()
    try:
        level_milli = round(float(level) * 1000) if level else None
    except ValueError:
        raise BadInput(_("Số lần mức chuẩn: phải là số (ví dụ 0,5)")) from None
    commune = None
    if p.get("commune"):
        commune = _communes(request.user).filter(pk=p.get("commune")).first()
        if commune is None:
            raise Http404
    return campaigns.create_campaign(
        user=request.user, name=p.get("name") or "", decision_number=p.get("decision_number") or "",
        decision_date=_date(p.get("decision_date"), _("Ngày quyết định")),
        reference_date=_date(p.get("reference_date"), _("Ngày xét đối tượng")),
        amount=_int(p.get("amount"), _("Số tiền mỗi người"), 0), category_amounts=amounts, level_milli=level_milli,
        programmes=p.getlist("programme") or None, min_age=_int(p.get("min_age"), _("Tuổi từ")),
        max_age=_int(p.get("max_age"), _("Tuổi dưới")), pay_from=_date(p.get("pay_from"), _("Chi từ ngày"), False),
        pay_to=_date(p.get("pay_to"), _("Chi đến ngày"), False), commune=commune,
        province_code="" if commune else province_for(request.user))


@login_required
def campaign_list(request):
    can_create = has_role(request.user, *CAMPAIGN_EDITORS)
    if request.method == "POST":
        if not can_create:
            return HttpResponseForbidden()
        try:
            c = _create(request)
        except NotAllowed:
            return HttpResponseForbidden()
        except BadInput as exc:
            messages.error(request, str(exc))
            return redirect("payroll:campaigns")
        messages.success(request, _("Đã tạo đợt chi #%(n)s.") % {"n": c.pk})
        return redirect("payroll:campaign", pk=c.pk)
    return render(request, "payroll/campaign_list.html", {
        "campaigns": selectors.campaigns(request.user)[:200], "can_create": can_create,
        "communes": _communes(request.user), "categories": selectors.campaign_category_choices(),
        "programmes": Programme.choices, "default_programmes": ("tcxh", "nd176")})


@login_required
def campaign_detail(request, pk):
    c = selectors.campaign_for(request.user, pk)
    if c is None:
        raise Http404
    from ansinh.registry.categories import CATEGORY_LABELS

    amounts = [(CATEGORY_LABELS.get(k, k), k, v) for k, v in sorted(c.category_amounts.items())]
    return render(request, "payroll/campaign_detail.html", {
        "c": c, "runs": selectors.campaign_runs(request.user, c), "t": selectors.campaign_totals(request.user, c),
        "amounts": amounts, "only": [CATEGORY_LABELS.get(k, k) for k in c.categories],
        "programme_labels": [str(Programme(p).label) for p in c.programmes if p in Programme.values],
        "can_generate": has_role(request.user, *MAKERS),
        "communes": [] if c.scope_commune_id else _communes(request.user)})


@login_required
@require_POST
def campaign_generate(request, pk):
    c = selectors.campaign_for(request.user, pk)
    if c is None:
        raise Http404
    if not has_role(request.user, *MAKERS):
        return HttpResponseForbidden()
    params = {"campaign_id": c.pk, "user_id": request.user.pk}
    kw = {"province_code": c.province_code}
    if request.POST.get("commune"):
        unit = _communes(request.user).filter(pk=request.POST.get("commune")).first()
        if unit is None:
            raise Http404
        params["commune_id"] = unit.pk
        kw = {"commune": unit, "province_code": unit.province_code}
    elif c.scope_commune_id:
        kw = {"commune": c.scope_commune, "province_code": c.province_code}
    title = _("Lập bảng chi đợt: %(name)s") % {"name": c.name}
    job = start_job("payroll.campaign_generate", params, user=request.user, title=title[:200], **kw)
    return redirect("jobs:detail", pk=job.pk)
