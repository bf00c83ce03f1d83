"""Payroll API: G2P Connect disbursement request of a run, and the on-disburse callback.

Mounted at /api/payroll/. The callback body follows G2P Connect `DisburseResponse`
(message part): {"transaction_id", "disbursements_status": [{"reference_id", "status":
rcvd|pdng|succ|rjct, "status_reason_code", "timestamp"}]}; succ marks the line paid, rjct
unpaid (its month is carried over). Only lines of exported runs in the caller's scope change.
"""
from __future__ import annotations

import re

from django.http import Http404
from ninja import Router, Schema

from ansinh.core.roles import has_role
from ansinh.core.scope import scoped
from ansinh.payroll import files, selectors
from ansinh.payroll.models import LineResult, PayrollLine, RunStatus

router = Router(tags=["payroll"])


class DisburseStatus(Schema):
    reference_id: str
    status: str
    status_reason_code: str | None = None
    status_reason_message: str | None = None
    timestamp: str | None = None


class OnDisburse(Schema):
    transaction_id: str
    disbursements_status: list[DisburseStatus]


@router.get("/runs/{run_id}/g2p-disburse")
def g2p_disburse(request, run_id: int):
    run = selectors.run_for(request.user, run_id)
    if run is None or run.status not in (RunStatus.APPROVED, RunStatus.EXPORTED, RunStatus.RECONCILED):
        raise Http404
    return files.g2p_request(run)


@router.post("/g2p/on-disburse")
def on_disburse(request, body: OnDisburse):
    if not has_role(request.user, "admin", "province_officer", "approver"):
        return router.api.create_response(request, {"detail": "forbidden"}, status=403)
    m = re.fullmatch(r"ansinh-run-(\d+)-\d{4}-\d{2}", body.transaction_id)
    if not m:
        return router.api.create_response(request, {"detail": "unknown transaction_id"}, status=400)
    run = selectors.run_for(request.user, int(m.group(1)))
    if run is None:
        raise Http404
    lines = scoped(PayrollLine, request.user).filter(run=run, run__status=RunStatus.EXPORTED)
    marked = 0
    for s in body.disbursements_status:
        ref = re.fullmatch(r"line-(\d+)", s.reference_id)
        result = {"succ": LineResult.PAID, "rjct": LineResult.UNPAID}.get(s.status)
        if not ref or result is None:
            continue
        ts = (s.timestamp or "")[:10]
        marked += lines.filter(pk=int(ref.group(1))).update(
            result=result, result_reason=(s.status_reason_code or "")[:200], active=result != LineResult.UNPAID,
            paid_on=ts if result == LineResult.PAID and re.fullmatch(r"\d{4}-\d{2}-\d{2}", ts) else None)
    return {"transaction_id": body.transaction_id, "marked": marked}
