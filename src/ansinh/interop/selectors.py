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


# --------------------------------------------------------------------------- the administrator's page

def _unit_inside(scope, unit) -> bool:
    if unit.level == 1:  # a province
        return scope.allows_province(unit.province_code)
    return scope.covers(unit.pk, unit.province_code)


def clients_for(viewer) -> list[MachineClient]:
    """The machine clients an administrator manages: those whose whole scope lies inside the
    administrator's (a province's administrator never sees another province's clients)."""
    from ansinh.core.scope import scope_for

    scope = scope_for(viewer)
    qs = (MachineClient.objects.select_related("organisation", "user__profile")
          .prefetch_related("user__profile__scope_units", "keys").order_by("name", "pk"))
    out = []
    for c in qs:
        units = list(c.user.profile.scope_units.all())
        if units and all(_unit_inside(scope, u) for u in units):
            c.scope_unit_list = units
            out.append(c)
    return out


def client_for(viewer, pk: int) -> MachineClient | None:
    return next((c for c in clients_for(viewer) if c.pk == pk), None)


def units_for(viewer):
    """The units (provinces and communes in force) an administrator may give a client as scope."""
    from django.db.models import Q

    from ansinh.core.scope import scope_for
    from ansinh.units.models import AdminUnit, Level

    scope = scope_for(viewer)
    qs = AdminUnit.objects.filter(valid_to__isnull=True, level__in=[Level.PROVINCE, Level.COMMUNE])
    if not scope.everything:
        qs = qs.filter(Q(province_code__in=sorted(scope.province_codes))
                       | Q(pk__in=sorted(scope.commune_ids), level=Level.COMMUNE))
    return list(qs.order_by("province_code", "level", "name_key", "name"))


def last_calls(clients: list[MachineClient]) -> dict[int, object]:
    """client pk -> time of its last call."""
    from django.db.models import Max

    from ansinh.interop.models import ApiCall

    return dict(ApiCall.objects.filter(client__in=clients).values("client").annotate(last=Max("at"))
                .values_list("client", "last"))
