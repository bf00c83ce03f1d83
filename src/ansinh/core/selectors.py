"""Reads for the shell pages. Every read of scoped data goes through ansinh.core.scope."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from ansinh.core.models import Job, ServedProvince
from ansinh.core.scope import profile_of, scope_for, scoped
from ansinh.units.models import AdminUnit


def display_name(user) -> str:
    """A user by full name (the login name only when the profile has none)."""
    if user is None:
        return ""
    profile = profile_of(user)
    return (profile.full_name if profile and profile.full_name else "") or user.get_full_name() or user.get_username()


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


# --------------------------------------------------------------------------- the installation's province
# The province is data: the ServedProvince rows (set by `ansinh init --province CODE`) say which
# province(s) this installation serves. These three functions are the only readers.

def served_provinces() -> list[str]:
    """Codes of the provinces this installation serves (sorted; empty: not said yet)."""
    return list(ServedProvince.objects.order_by("code").values_list("code", flat=True))


def installation_province() -> str:
    """The province code when the installation serves exactly one; "" otherwise (then ask)."""
    codes = served_provinces()
    return codes[0] if len(codes) == 1 else ""


def user_provinces(user) -> set[str]:
    """Province codes of the units on the user's profile (a province, or a commune's province),
    as given, not expanded along the succession (a merged province's old code is not a second
    province); empty for no user, no profile or no scope."""
    profile = getattr(user, "profile", None) if user is not None and hasattr(user, "profile") else None
    if profile is None:
        return set()
    return set(profile.scope_units.values_list("province_code", flat=True))


def province_for(user=None, given: str = "") -> str:
    """The province a command or page works on: the one `given`; else the user's when their
    scope names exactly one; else the installation's when it serves exactly one; else "" (the
    caller asks for it, never guesses).

    The command line passes user=None: there the operator names the province or the
    installation has one (an `--as` user's scope is a permission checked by the service)."""
    given = (given or "").strip()
    if given:
        return given
    mine = user_provinces(user)
    if len(mine) == 1:
        return mine.pop()
    return installation_province()


def province_short_name(code: str) -> str:
    """The current short name of the province `code` ("04" -> "Cao Bằng"); "" when unknown."""
    from ansinh.units.models import Level

    unit = AdminUnit.objects.filter(code=code, level=Level.PROVINCE, valid_to__isnull=True).first() if code else None
    return unit.short_name if unit else ""


def province_place(user=None) -> str:
    """The short name of the province `province_for(user)` gives ("Cao Bằng"), "" when none:
    the place written on a province's documents."""
    return province_short_name(province_for(user))
