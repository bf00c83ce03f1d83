from __future__ import annotations

from django.contrib.auth import get_user_model

from ansinh.core.models import Role


def user_rows() -> list[dict]:
    User = get_user_model()
    rows = []
    for u in User.objects.order_by("username").prefetch_related("groups", "profile__scope_units"):
        profile = getattr(u, "profile", None) if hasattr(u, "profile") else None
        rows.append({
            "username": u.username,
            "roles": sorted(g.name for g in u.groups.all() if g.name in Role.values),
            "units": [x.code for x in profile.scope_units.all()] if profile else [],
            "organisation": profile.organisation.name if profile and profile.organisation else "",
        })
    return rows
