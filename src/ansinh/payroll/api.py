"""Payroll API: G2P Connect disbursement request of a run, and the on-disburse callback.

Mounted at /api/payroll/. The callback body follows G2P Connect `DisburseResponse`
(message part): {"transaction_id", "disbursements_status": [{"reference_id", "status":
rcvd|pdng|succ|rjct, "status_reason_code", "timestamp"}]}; succ marks the line paid, rjct
unpaid (its month is carried over). Only lines of exported runs in the caller's scope change;
when callbacks have resolved every line, the run is reconciled as by a result file.
"""
from __future__ import annotations

import re

from django.http import Http404, JsonResponse
from ninja import Router, Schema

from ansinh.audit import reads as audit_reads
from ansinh.core.jobs import BadInput
from ansinh.core.roles import has_role
from ansinh.core.scope import scoped
from ansinh.payroll import access, files, reconcile, selectors
from ansinh.payroll.models import LineResult, PayrollLine, RunStatus
from ansinh.text.dates import parse_iso

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
    return audit_reads.people_exported(request, run.lines.all(), files.g2p_request(run), f"g2p-disburse-{run.pk}.json")


@router.post("/g2p/on-disburse")
def on_disburse(request, body: OnDisburse):
    """Marks the lines with a final status (succ, rjct) through the same service as a result
    file (reconcile.apply_results): when no line of the run is pending any more, the run is
    reconciled. All or nothing: a reference that is not a line of the run answers 400."""
    if not has_role(request.user, "admin", "province_officer", "approver"):
        return JsonResponse({"detail": "forbidden"}, status=403)
    m = re.fullmatch(r"ansinh-run-(\d+)-\d{4}-\d{2}", body.transaction_id)
    if not m:
        return JsonResponse({"detail": "unknown transaction_id"}, status=400)
    run = selectors.run_for(request.user, int(m.group(1)))
    if run is None:
        raise Http404
    rows, refs = [], {}
    for n, s in enumerate(body.disbursements_status):
        result = {"succ": LineResult.PAID, "rjct": LineResult.UNPAID}.get(s.status)
        if result is None:  # rcvd / pdng: not final yet
            continue
        ref = re.fullmatch(r"line-(\d{1,18})", s.reference_id)  # a line id is a bigint
        if not ref:
            return JsonResponse({"detail": f"disbursements_status[{n}].reference_id: {s.reference_id!r} is not line-N"},
                status=400)
        ts = (s.timestamp or "")[:10]
        try:
            paid = parse_iso(ts) if result == LineResult.PAID and ts else None
        except ValueError:
            paid = None
        refs[int(ref.group(1))] = n
        rows.append({"row": n, "line_id": int(ref.group(1)), "status": result,
                     "reason": (s.status_reason_code or "")[:200], "paid_date": paid, "amount": None})
    visible = set(scoped(PayrollLine, request.user).filter(run=run, pk__in=list(refs)).values_list("pk", flat=True))
    outside = sorted(set(refs) - visible, key=refs.get)
    if outside:
        return JsonResponse({
            "detail": f"disbursements_status[{refs[outside[0]]}].reference_id: line-{outside[0]} is not a line "
                      f"of run {run.pk}"}, status=400)
    try:
        report = (reconcile.apply_results(run, rows, source=f"on-disburse {body.transaction_id}", user=request.user)
                  if rows else None)
    except access.NotAllowed as exc:
        return JsonResponse({"detail": str(exc)}, status=403)
    except BadInput as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    run.refresh_from_db()
    return {"transaction_id": body.transaction_id, "marked": len(rows), "run_status": run.status,
            "pending": report["pending"]["lines"] if report else run.lines.filter(result=LineResult.PENDING).count()}
