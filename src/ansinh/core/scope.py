"""The one scope mechanism: what each user may see.

Every list, count, search, export and API read of scoped data goes through
`scoped(queryset_or_model, user)`. A scoped model declares where its scope keys are:

    class ScopeMeta:
        commune = "commune"            # path to the commune AdminUnit (FK)
        province = "province_code"     # path to the 3-character province code

A row about two persons (a duplicate pair) names the other person's keys as well, and is
visible only when the scope covers every named pair of keys:

    class ScopeMeta:
        commune = "person_a__scope_commune"
        province = "person_a__province_code"
        also = (("person_b__scope_commune", "person_b__province_code"),)

A user's scope is the set of units on their profile: a province unit gives everything
in that province; a commune unit gives rows of that commune. Communes and provinces
are expanded along the unit succession (both directions), so an officer of a
post-2025 commune also sees rows still filed under the communes merged into it.
No scope units means nothing is visible (fail closed); only a Django superuser
without a profile scope sees everything (the CLI's operator).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

from ansinh.units.models import AdminUnit, Level, UnitSuccession


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    province_codes: frozenset[str] = frozenset()
    commune_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.province_codes or self.commune_ids)

    def covers(self, commune_id: int | None, province_code: str | None) -> bool:
        """Whether one row with these scope keys is inside the scope (for checks before a
        write; reads filter with :meth:`q` / :func:`scoped`)."""
        return self.everything or commune_id in self.commune_ids or province_code in self.province_codes

    def q(self, commune_path: str | None, province_path: str | None) -> Q:
        if self.everything:
            return Q()
        cond = Q(pk__in=[])  # matches nothing
        if self.province_codes and province_path:
            cond |= Q(**{f"{province_path}__in": sorted(self.province_codes)})
        if self.commune_ids and commune_path:
            cond |= Q(**{f"{commune_path}__in": sorted(self.commune_ids)})
        return cond

    def allows_province(self, code: str) -> bool:
        return self.everything or code in self.province_codes


EVERYTHING = Scope(everything=True)
NOTHING = Scope()


# --------------------------------------------------------------------------- unit succession
# The one place that walks UnitSuccession: scope expansion (transitive, both ways) and
# "a commune plus the communes merged into it" (one step back) for the apps' lists.

def succession_links(unit_ids: Iterable[int], *, forward: bool = False,
                     main_first: bool = False) -> list[tuple[int, int]]:
    """(predecessor id, successor id) of each succession one step into `unit_ids`
    (forward=False: what they came from) or out of them (forward=True: what they became), in one query.
    main_first: the source's main successor of a split unit first, then by kind and id (so the
    first link of a unit is its main one)."""
    key = "predecessor_id__in" if forward else "successor_id__in"
    qs = UnitSuccession.objects.filter(**{key: list(unit_ids)})
    if main_first:
        qs = qs.order_by("-is_default", "kind", "pk")
    return list(qs.values_list("predecessor_id", "successor_id"))


def with_predecessors(unit_ids: Iterable[int]) -> list[int]:
    """`unit_ids`, then the units that became them directly (one step back): a current
    commune plus the old communes merged into it, whose unresolved rows are still filed under them."""
    ids = list(unit_ids)
    return ids + [p for p, _ in succession_links(ids)]


def _walk(start: set[int], forward: bool) -> set[int]:
    """All units reached from `start` following successions one way only (transitively)."""
    seen: set[int] = set()
    frontier = set(start)
    while frontier:
        nxt = {s if forward else p for p, s in succession_links(frontier, forward=forward)}
        frontier = nxt - seen - start
        seen |= nxt
    return seen


def _linked_ids(unit_ids: set[int]) -> set[int]:
    """Unit ids plus everything they came from and everything they became.

    Walking back only from the unit and forward only from it: a new commune's scope takes
    in its predecessors, not the other successors of a predecessor that was split."""
    return set(unit_ids) | _walk(unit_ids, forward=False) | _walk(unit_ids, forward=True)


def scope_from_units(units: list[AdminUnit]) -> Scope:
    province_ids = {u.pk for u in units if u.level == Level.PROVINCE}
    commune_ids = {u.pk for u in units if u.level != Level.PROVINCE}
    province_codes = set(
        AdminUnit.objects.filter(pk__in=_linked_ids(province_ids)).values_list("province_code", flat=True)
    ) if province_ids else set()
    communes = _linked_ids(commune_ids) if commune_ids else set()
    # A district in scope means all its communes.
    district_ids = set(AdminUnit.objects.filter(pk__in=communes, level=Level.DISTRICT).values_list("pk", flat=True))
    if district_ids:
        communes |= _linked_ids(set(AdminUnit.objects.filter(parent_id__in=district_ids).values_list("pk", flat=True)))
    return Scope(province_codes=frozenset(province_codes), commune_ids=frozenset(communes))


def scope_for(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_ansinh_scope", None)
    if cached is not None:
        return cached
    profile = profile_of(user)
    if profile is None:
        scope = EVERYTHING if user.is_superuser else NOTHING
    else:
        units = list(profile.scope_units.all())
        scope = scope_from_units(units) if units else (EVERYTHING if user.is_superuser else NOTHING)
    user._ansinh_scope = scope
    return scope


def profile_of(user):
    """The user's Profile, or None (no user, anonymous, the CLI's operator, a user without one)."""
    if user is None:
        return None
    try:
        return user.profile
    except Exception:  # RelatedObjectDoesNotExist, AttributeError
        return None


def key_paths(model) -> list[tuple[str | None, str | None]]:
    """The (commune path, province path) pairs of a scoped model: its ScopeMeta's own keys,
    then each pair in ``ScopeMeta.also`` (all must be covered for a row to be in scope)."""
    meta = getattr(model, "ScopeMeta", None)
    if meta is None:
        raise ImproperlyConfigured(f"{model.__name__} has no ScopeMeta: it cannot be read through scope")
    return [(getattr(meta, "commune", None), getattr(meta, "province", None)), *getattr(meta, "also", ())]


def scoped(qs_or_model, user) -> models.QuerySet:
    """The queryset restricted to what `user` may see."""
    qs = qs_or_model._default_manager.all() if isinstance(qs_or_model, type) else qs_or_model
    paths = key_paths(qs.model)
    scope = scope_for(user)
    if scope.everything:
        return qs
    cond = Q()
    for commune_path, province_path in paths:
        cond &= scope.q(commune_path, province_path)
    return qs.filter(cond)


def visible_units(user) -> models.QuerySet:
    """Administrative units inside the user's scope (all levels), for trees and pickers."""
    scope = scope_for(user)
    if scope.everything:
        return AdminUnit.objects.all()
    return AdminUnit.objects.filter(Q(province_code__in=scope.province_codes) | Q(pk__in=scope.commune_ids))
