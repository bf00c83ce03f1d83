"""API of the campaign: coverage per unit on a day (the CLI's JSON shape), scoped."""
from __future__ import annotations

import datetime as dt

from ninja import Router
from ninja.errors import HttpError

from ansinh.accounts import kpi, lists
from ansinh.audit import reads as audit_reads

router = Router(tags=["accounts"])


@router.get("/coverage")
def coverage(request, as_of: dt.date | None = None, level: str = "commune", map: str = "",  # noqa: A002
             province: str = ""):
    """One object per unit: code, name, beneficiaries, with_account, confirmed, paid_noncash, share,
    target_low, target_high (the units the user may see)."""
    day = as_of or dt.date.today()
    if level not in kpi.LEVELS or (map and map not in kpi.MAPS):
        raise HttpError(422, "level: commune|district|province; map: old|new")
    try:
        units = kpi.coverage(request.user, day, level, map or None, province=province or None)
    except kpi.CoverageError as exc:
        raise HttpError(422, str(exc)) from None
    return [u.as_dict() for u in units]


@router.get("/approvals")
def approvals(request, limit: int = 50, offset: int = 0):
    """The account approval queue of the user's scope (masked numbers): {total, accounts: [...]}."""
    rows, total = lists.pending_accounts(request.user, limit=max(1, min(limit, 500)), offset=max(0, offset))
    keys = ("provider", "masked", "holder_name")
    audit_reads.people_exported(request, rows, None, "api accounts/approvals")
    return {"total": total, "accounts": [
        {"account": r["account"].pk, "person": r["person"].pk, "new": {k: r["new"][k] for k in keys},
         "old": {k: r["old"][k] for k in keys} if r["old"] else None, "holder_ok": r["holder_ok"],
         "made_by": r["made_by"].username if r["made_by"] else None, "created": r["created"].isoformat(),
         "source": r["source"]} for r in rows]}


def _decide(request, account_id: int, approve: bool, reason: str):
    from ansinh.accounts import approval
    from ansinh.core.jobs import BadInput

    if not 0 < account_id < 2**63 or lists.account_for(request.user, account_id) is None:
        raise HttpError(404, "không tìm thấy tài khoản")
    if not approval.can_approve_accounts(request.user):
        raise HttpError(403, "bạn không có quyền phê duyệt tài khoản nhận tiền")
    try:
        if approve:
            acc = approval.approve_account(account_id, request.user, note=reason, source="api")
        else:
            acc = approval.reject_account(account_id, request.user, reason=reason, source="api")
    except BadInput as exc:
        raise HttpError(409, str(exc)) from None
    return {"account": acc.pk, "approval": acc.approval}


@router.post("/approvals/{account_id}/approve")
def approve(request, account_id: int, note: str = ""):
    return _decide(request, account_id, True, note)


@router.post("/approvals/{account_id}/reject")
def reject(request, account_id: int, reason: str = ""):
    return _decide(request, account_id, False, reason)
