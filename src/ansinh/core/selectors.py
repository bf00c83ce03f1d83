"""Reads for the shell pages. Every read of scoped data goes through ansinh.core.scope."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from ansinh.core.models import Job
from ansinh.core.scope import scope_for, scoped
from ansinh.units.models import AdminUnit


@dataclass
class TreeNode:
    unit: AdminUnit
    children: list["TreeNode"] = field(default_factory=list)


def scope_tree(user, day: dt.date) -> list[TreeNode]:
    """Provinces → (districts →) communes valid on `day`, limited to the user's scope."""
    scope = scope_for(user)
    units = AdminUnit.objects.valid_on(day)
    if not scope.everything:
        units = units.filter(Q(province_code__in=scope.province_codes) | Q(pk__in=scope.commune_ids))
        # Parents of in-scope communes are shown as the path to them.
    units = list(units.order_by("level", "code"))
    by_id = {u.pk: TreeNode(u) for u in units}
    missing_parents = {u.parent_id for u in units if u.parent_id and u.parent_id not in by_id}
    while missing_parents:
        parents = list(AdminUnit.objects.filter(pk__in=missing_parents))
        for p in parents:
            by_id[p.pk] = TreeNode(p)
        missing_parents = {p.parent_id for p in parents if p.parent_id and p.parent_id not in by_id}
    roots: list[TreeNode] = []
    for node in sorted(by_id.values(), key=lambda n: (n.unit.level, n.unit.code)):
        parent = by_id.get(node.unit.parent_id) if node.unit.parent_id else None
        (parent.children if parent else roots).append(node)
    if scope.everything and len(roots) > 1:
        # The whole country: show provinces only (communes open from the units browser).
        for r in roots:
            r.children = []
    return roots


def recent_jobs(user, limit: int = 20):
    return list(scoped(Job.objects.select_related("created_by", "commune"), user)[:limit])


def job_for(user, pk) -> Job | None:
    return scoped(Job.objects.all(), user).filter(pk=pk).first()


def organisation_of(user):
    """The organisation on the user's profile; None without one (anonymous, the operator, no profile)."""
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return profile.organisation if profile else None
