"""Reads for machine clients: a client sees only the runs sent to it, inside its scope."""
from __future__ import annotations

from django.db.models import Count, Min, Sum

from ansinh.core.scope import scoped
from ansinh.interop.models import Disbursement, MachineClient


def runs_sent_to(client: MachineClient) -> list[dict]:
    """The transactions sent to `client` (through ansinh.core.scope.scoped as its service user)."""
    qs = (scoped(Disbursement, client.user).filter(client=client)
          .values("run_id", "run__period", "run__status", "transaction_id")
          .annotate(batches=Count("id"), lines=Sum("lines"), total_vnd=Sum("total_vnd"), first_sent=Min("sent_at"))
          .order_by("-run_id"))
    out = []
    for r in qs:
        acked = scoped(Disbursement, client.user).filter(client=client, run_id=r["run_id"], status="acked").count()
        out.append({"run": r["run_id"], "period": r["run__period"], "run_status": r["run__status"],
                    "transaction_id": r["transaction_id"], "batches": r["batches"], "batches_acked": acked,
                    "lines": r["lines"], "total_vnd": r["total_vnd"],
                    "first_sent": r["first_sent"].isoformat() if r["first_sent"] else None})
    return out


def calls(client: MachineClient | None = None, limit: int = 100):
    from ansinh.interop.models import ApiCall

    qs = ApiCall.objects.select_related("client")
    if client is not None:
        qs = qs.filter(client=client)
    return list(qs[:limit])
