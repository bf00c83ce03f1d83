"""Roles are Django groups named by ansinh.core.models.Role codes."""
from __future__ import annotations

from django.contrib.auth.models import Group

from ansinh.core.models import Role


def ensure_role_groups() -> None:
    for code in Role.values:
        Group.objects.get_or_create(name=code)


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_ansinh_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        user._ansinh_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))
