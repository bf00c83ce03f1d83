"""Read functions for the pages (and the CLI) on administrative units."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from ansinh.text import fold
from ansinh.units.models import OLD_MAP_LAST_DAY, AdminUnit, Level, UnitSuccession


def unit_tree(units_qs) -> list[dict[str, Any]]:
    """Nest the given units by parent: [{"unit": u, "children": [...]}, ...]. A unit whose
    parent is not in the set is a root. Children keep the queryset's order."""
    units = list(units_qs)
    nodes = {u.pk: {"unit": u, "children": []} for u in units}
    roots = []
    for u in units:
        node = nodes[u.pk]
        parent = nodes.get(u.parent_id)
        if parent is not None:
            parent["children"].append(node)
        else:
            roots.append(node)
    return roots


def _links(qs, side: str) -> list[dict[str, Any]]:
    out = []
    for s in qs:
        out.append({"unit": getattr(s, side), "effective": s.effective, "kind": s.kind, "is_default": s.is_default})
    return out


def unit_history(unit: AdminUnit) -> dict[str, list[dict[str, Any]]]:
    """{"predecessors": [{"unit", "effective", "kind", "is_default"}], "successors": [...]}.
    Successors of a split unit come default first."""
    preds = (UnitSuccession.objects.filter(successor=unit).select_related("predecessor__parent")
             .order_by("effective", "predecessor__code"))
    succs = (UnitSuccession.objects.filter(predecessor=unit).select_related("successor__parent")
             .order_by("effective", "-is_default", "successor__code"))
    return {"predecessors": _links(preds, "predecessor"), "successors": _links(succs, "successor")}


def search_units(q: str, on: dt.date | None = None, level: int | None = None, limit: int = 50) -> list[AdminUnit]:
    """Units whose code starts with `q` (digits) or whose folded short name contains
    fold(`q`); exact name matches first. Optionally only those valid on `on` / of `level`."""
    q = (q or "").strip()
    if not q:
        return []
    qs = AdminUnit.objects.select_related("parent")
    if on is not None:
        qs = qs.valid_on(on)
    if level is not None:
        qs = qs.filter(level=level)
    if q.isdigit():
        qs = qs.filter(code__startswith=q).annotate(
            rank=Case(When(code=q, then=Value(0)), default=Value(1), output_field=IntegerField()))
    else:
        key = _strip_kind(fold(q))
        if not key:
            return []
        qs = qs.filter(name_key__contains=key).annotate(
            rank=Case(When(name_key=key, then=Value(0)), When(name_key__startswith=key, then=Value(1)),
                      default=Value(2), output_field=IntegerField()))
    return list(qs.order_by("rank", "level", "name_key", F("valid_from").desc(nulls_last=True), "code")[:limit])


_KIND_PREFIXES = ("THANH PHO ", "THI TRAN ", "THI XA ", "DAC KHU ", "PHUONG ", "HUYEN ", "QUAN ", "TINH ", "XA ")


def _strip_kind(key: str) -> str:
    for p in _KIND_PREFIXES:
        if key.startswith(p) and len(key) > len(p):
            return key[len(p):]
    return key


def communes_of_province(code: str, on: dt.date) -> QuerySet:
    """Communes of the province with this code that are valid on `on` (the code and the
    date together pick the map: province codes were reused in 2025)."""
    return (AdminUnit.objects.valid_on(on).filter(level=Level.COMMUNE, province_code=code)
            .select_related("parent").order_by("name_key", "code"))


def old_districts(province_code: str) -> QuerySet:
    """Districts of an old-map province (districts exist only on the old map)."""
    return AdminUnit.objects.filter(level=Level.DISTRICT, province_code=province_code).filter(
        Q(valid_to__isnull=True) | Q(valid_to__lte=OLD_MAP_LAST_DAY)).order_by("name_key", "code")
