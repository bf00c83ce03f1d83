"""Pages of transfers between communes and of deaths recorded by an officer. Thin: reads through
ansinh.registry.transfers (scoped: the old commune's and the new commune's side), writes through
its services and ansinh.registry.deaths. Objects outside the user's scope answer 404."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ansinh.core.jobs import BadInput
from ansinh.core.roles import can_edit
from ansinh.core.scope import scope_for
from ansinh.registry import selectors, transfers
from ansinh.registry.deaths import record_death_by_officer
from ansinh.registry.models import TransferStatus
from ansinh.text.dates import parse_day
from ansinh.units.models import AdminUnit, Level


def _day(text: str, what: str):
    try:
        return parse_day(text)
    except ValueError:
        raise BadInput(_("%(what)s: cần ngày dạng dd/mm/yyyy.") % {"what": what}) from None


def _gate(request, obj):
    if obj is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_edit(request.user):
        return HttpResponseForbidden(_("Bạn không có quyền sửa dữ liệu."))
    return None


def _post(request, obj, action, done: str, to):
    """The shape of every write here: 404 outside the scope, POST by an editor only, the service's
    refusal (BadInput) as a message, `done` on success, then back to `to`."""
    refused = _gate(request, obj)
    if refused:
        return refused
    try:
        action(request.POST)
    except BadInput as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return to


@login_required
def transfer_list(request):
    rows = transfers.transfers(request.user)
    scope = scope_for(request.user)
    for t in rows:
        t.can_accept = transfers.may_accept(request.user, t)
        t.person_visible = scope.covers(t.person.scope_commune_id, t.person.province_code)
        t.stop_words = transfers.decider_words(t.stop_decider)
        t.start_words = transfers.decider_words(t.start_decider)
    waiting = [t for t in rows if t.status == TransferStatus.STOPPED]
    return render(request, "registry/transfers.html", {"rows": rows, "waiting": waiting,
                                                       "can_edit": can_edit(request.user)})


@login_required
def person_transfer(request, pk: int):
    """The old commune records the move and its stop decision (POST from the person page)."""
    person = selectors.person_for(request.user, pk)

    def stop(p):
        unit = AdminUnit.objects.filter(pk=p.get("to_commune") or 0, level=Level.COMMUNE,
                                        valid_to__isnull=True).first()
        transfers.record_stop(person, to_commune=unit, moved_on=_day(p.get("moved_on"), _("Ngày chuyển đi")),
                              number=p.get("number", ""),
                              decided_on=_day(p.get("decided_on"), _("Ngày quyết định")), user=request.user)

    return _post(request, person, stop,
                 _("Đã ghi nhận chuyển đi và quyết định thôi hưởng; chờ nơi mới quyết định."),
                 person and redirect("registry:person", pk=person.pk))


@login_required
def transfer_accept(request, pk: int):
    """The new commune records its start decision (POST from the transfers page)."""
    t = transfers.transfer_for(request.user, pk)

    def accept(p):
        transfers.accept(t, number=p.get("number", ""), decided_on=_day(p.get("decided_on"), _("Ngày quyết định")),
                         village=(p.get("village") or "").strip()[:200], user=request.user)

    return _post(request, t, accept, _("Đã ghi nhận quyết định hưởng ở nơi mới."), redirect("registry:transfers"))


@login_required
def person_death(request, pk: int):
    """An officer records a death (POST from the person page): payment stops from the next month."""
    person = selectors.person_for(request.user, pk)

    def death(p):
        record_death_by_officer(person, _day(p.get("died_on"), _("Ngày mất")), request.user)

    return _post(request, person, death,
                 _("Đã ghi nhận đối tượng đã mất; dừng chi trả từ tháng sau, "
                   "hỗ trợ mai táng được lập trong bảng chi kế tiếp."),
                 person and redirect("registry:person", pk=person.pk))


@login_required
def person_authorisation(request, pk: int):
    """Record or renew an authorisation (POST from the person page, with the signed authorisation)."""
    from ansinh.registry.authorised import record_authorisation

    person = selectors.person_for(request.user, pk)

    def authorise(p):
        account = person.accounts.filter(pk=p.get("account") or 0).first() if p.get("account") else None
        recheck = _day(p.get("recheck_on"), _("Ngày kiểm tra lại")) if (p.get("recheck_on") or "").strip() else None
        record_authorisation(person, full_name=p.get("full_name", ""), relationship=p.get("relationship", ""),
                             valid_until=_day(p.get("valid_until"), _("Ủy quyền đến ngày")), recheck_on=recheck,
                             account=account, evidence=request.FILES.get("evidence"), user=request.user)

    return _post(request, person, authorise, _("Đã ghi nhận giấy ủy quyền."),
                 person and redirect("registry:person", pk=person.pk))


@login_required
def authorisation_evidence(request, pk: int):
    """The signed authorisation, always as a download (never rendered on our origin)."""
    from ansinh.core.scope import scoped
    from ansinh.core.uploads import stored_download
    from ansinh.registry.models import AuthorisedPerson

    ap = scoped(AuthorisedPerson.objects.all(), request.user).filter(pk=pk).first()
    if ap is None or not ap.evidence:
        raise Http404
    return stored_download(request, ap.evidence, f"giay-uy-quyen-{ap.pk}", persons=[ap.person_id])
