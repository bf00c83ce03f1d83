"""The administrator's pages for machine clients: the list, registering one (its credentials are
shown once, never stored), a client's keys and recent calls, rotating its keys, revoking it. Thin:
reads through interop/selectors (only the clients whose scope lies inside the administrator's),
writes through interop/clients. The role check is RoleRequiredMiddleware's
(core/roles.STAFF_NAMESPACE_ROLES: the administrator only)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from ansinh.core.jobs import BadInput
from ansinh.interop import clients, selectors
from ansinh.interop.models import ClientKind, Operation, SearchField

RECENT_CALLS = 50
# What each recorded call did, in words (ApiCall.operation).
CALL_WORDS = {
    "token": _lazy("Xin mã truy cập"), "search": _lazy("Tra cứu đối tượng"),
    "on-disburse": _lazy("Báo kết quả chi"), "txn/on-status": _lazy("Trả lời tra cứu trạng thái"),
    "disburse": _lazy("Gửi lệnh chi"), "txn_status": _lazy("Hỏi trạng thái giao dịch"),
    "runs": _lazy("Xem bảng chi đã gửi"),
}


def _labels(values, choices) -> list[str]:
    d = dict(choices)
    return [str(d.get(v, v)) for v in values or []]


def _row(c, last=None):
    now = timezone.now()
    c.kind_label = dict(ClientKind.choices).get(c.kind, c.kind)
    c.operation_labels = _labels(c.operations, Operation.choices)
    c.field_labels = _labels(c.fields, SearchField.choices)
    c.live_keys = sum(1 for k in c.keys.all() if k.revoked_at is None and (k.expires_at is None or k.expires_at > now))
    c.last_call = last
    return c


@login_required
def client_list(request):
    rows = selectors.clients_for(request.user)
    last = selectors.last_calls(rows)
    return render(request, "interop/clients.html", {"clients": [_row(c, last.get(c.pk)) for c in rows]})


def _form_context(request, data: dict, errors: list[str]) -> dict:
    return {"units": selectors.units_for(request.user), "kinds": ClientKind.choices, "operations": Operation.choices,
            "fields": SearchField.choices, "data": data, "errors": errors,
            "provider_ops": [o.value for o in clients.KIND_OPERATIONS[ClientKind.PROVIDER]],
            "agency_ops": [o.value for o in clients.KIND_OPERATIONS[ClientKind.AGENCY]]}


@login_required
def client_new(request):
    if request.method != "POST":
        return render(request, "interop/client_new.html", _form_context(request, {"kind": ClientKind.AGENCY}, []))
    p = request.POST
    data = {"client_id": p.get("client_id", "").strip().lower()[:63], "name": p.get("name", "").strip()[:200],
            "organisation": p.get("organisation", "").strip()[:200], "kind": p.get("kind", ""),
            "operations": p.getlist("operations"), "fields": p.getlist("fields"), "scope": p.getlist("scope"),
            "provider_code": p.get("provider_code", "").strip()[:20], "base_url": p.get("base_url", "").strip()[:300],
            "public_key": p.get("public_key", "").strip()[:2000]}
    errors = []
    allowed = {u.code for u in selectors.units_for(request.user)}
    if not data["name"] or not data["organisation"]:
        errors.append(_("Cần nhập tên hệ thống và tổ chức."))
    if not data["scope"] or any(code not in allowed for code in data["scope"]):
        errors.append(_("Chọn phạm vi trong các đơn vị bạn quản lý."))
    if data["kind"] not in ClientKind.values:
        errors.append(_("Chọn loại hệ thống."))
    if not errors:
        try:
            creds = clients.create_client(
                data["client_id"], name=data["name"], organisation=data["organisation"], kind=data["kind"],
                operations=data["operations"], scope=data["scope"], provider_code=data["provider_code"],
                base_url=data["base_url"], public_key=data["public_key"] or None,
                fields=data["fields"] if Operation.SEARCH in data["operations"] else [],
                created_by=request.user.get_username(), by=request.user)
        except BadInput as exc:
            errors.append(_("Không đăng ký được: %(reason)s") % {"reason": exc})
        else:
            client = selectors.client_for(request.user, clients.get_client(creds["client_id"]).pk)
            return render(request, "interop/credentials.html", {"client": _row(client), "creds": creds, "new": True})
    return render(request, "interop/client_new.html", _form_context(request, data, errors), status=400)


def _get(request, pk: int):
    c = selectors.client_for(request.user, pk)
    if c is None:
        raise Http404
    return c


@login_required
def client_detail(request, pk: int):
    c = _row(_get(request, pk))
    calls = selectors.calls(c, limit=RECENT_CALLS)
    for x in calls:
        x.words = CALL_WORDS.get(x.operation, x.operation)
    return render(request, "interop/client.html", {"client": c, "keys": list(c.keys.all()), "calls": calls,
                                                   "now": timezone.now()})


@login_required
@require_POST
def client_rotate(request, pk: int):
    c = _get(request, pk)
    if not c.active:
        messages.warning(request, _("Hệ thống này đã bị thu hồi."))
        return redirect("interop:client", pk=c.pk)
    try:
        hours = float((request.POST.get("grace_hours") or "24").replace(",", "."))
    except ValueError:
        hours = -1
    if not 0 <= hours <= 720:
        messages.warning(request, _("Thời gian dùng song song khóa cũ: từ 0 đến 720 giờ."))
        return redirect("interop:client", pk=c.pk)
    creds = clients.rotate(c.client_id, grace_hours=hours, by=request.user)
    return render(request, "interop/credentials.html", {"client": _row(_get(request, pk)), "creds": creds,
                                                        "new": False, "grace_hours": hours})


@login_required
@require_POST
def client_revoke(request, pk: int):
    c = _get(request, pk)
    clients.revoke(c.client_id, by=request.user)
    messages.success(request, _("Đã thu hồi hệ thống %(name)s: mọi khóa và mã truy cập hết hiệu lực.") % {"name": c.name})
    return redirect("interop:client", pk=c.pk)
