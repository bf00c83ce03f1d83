"""Writes for users and organisations."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from ansinh.core.models import Organisation, OrgKind, Profile, Role, ServedProvince
from ansinh.core.roles import ensure_role_groups
from ansinh.units.models import AdminUnit, Level


def recorded_user(user):
    """The user to record on a change (who decided, who fixed): None for the CLI's operator
    (no user) and for an anonymous or unsaved user."""
    return user if getattr(user, "pk", None) else None


def current_unit(code: str) -> AdminUnit:
    """The unit in force today with that code (province or commune)."""
    unit = AdminUnit.objects.filter(code=code, valid_to__isnull=True).order_by("level").first()
    if unit is None:
        raise ValueError(f"no current administrative unit with code {code!r}")
    return unit


def check_password_strength(password: str, user) -> None:
    """Django's password validators; ValueError with their messages in one line."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValueError(" ".join(str(m) for m in exc.messages)) from None


def unlock_user(username: str) -> int:
    """Lift every log-in lock-out of `username` (all addresses); the number of lock-out records cleared."""
    from axes.utils import reset

    return reset(username=username)


@transaction.atomic
def upsert_user(username: str, password: str | None, *, roles: list[str], unit_codes: list[str],
                organisation_name: str = "", full_name: str = "", organisation: Organisation | None = None,
                by=None):
    """Create or update a user with exactly these roles and scope units. `by`: who does it (None: the
    command line); a change of roles or scope is written to the audit log."""
    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValueError(f"unknown role {bad[0]!r} (known: {', '.join(Role.values)})")
    units = [current_unit(c) for c in unit_codes]
    ensure_role_groups()
    User = get_user_model()
    if password:
        # The same password rules as the web (settings.AUTH_PASSWORD_VALIDATORS), for every caller.
        check_password_strength(password, User.objects.filter(username=username).first() or User(username=username))
    user, _ = User.objects.get_or_create(username=username)
    before = _access_of(user)
    if password:
        user.set_password(password)
    user.is_staff = Role.ADMIN in roles
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    if organisation is None and organisation_name:
        organisation, _ = Organisation.objects.get_or_create(name=organisation_name, defaults={"kind": OrgKind.OTHER})
    profile, _ = Profile.objects.get_or_create(user=user)
    profile.organisation = organisation
    profile.full_name = full_name or profile.full_name
    profile.save()
    profile.scope_units.set(units)
    after = _access_of(user)
    if after != before:  # roles or scope changed: chained into the audit log (who, before → after)
        from ansinh.audit.models import Action
        from ansinh.audit.services import append

        append(Action.ROLE_CHANGE, user=by, object=f"user {username}", detail={"before": before, "after": after})
    return user


def _access_of(user) -> dict:
    """A user's roles and scope units as the audit log records them."""
    if user.pk is None:
        return {"roles": [], "units": []}
    units = Profile.objects.filter(user=user).values_list("scope_units__code", flat=True)
    return {"roles": sorted(user.groups.filter(name__in=Role.values).values_list("name", flat=True)),
            "units": sorted(u for u in units if u)}


@transaction.atomic
def set_served_provinces(codes: list[str]) -> list[str]:
    """Make the installation serve exactly these provinces (codes of provinces in force today:
    "04" Cao Bằng). ValueError naming the first code that is not a current province. Returns the codes."""
    wanted = []
    for raw in codes:
        code = (raw or "").strip()
        if code.isdigit() and len(code) == 1:
            code = code.zfill(2)
        unit = AdminUnit.objects.filter(code=code, level=Level.PROVINCE, valid_to__isnull=True).first()
        if unit is None:
            raise ValueError(f"--province {raw!r}: not the code of a province in force today (e.g. 04 Cao Bằng)")
        if code not in wanted:
            wanted.append(code)
    ServedProvince.objects.exclude(code__in=wanted).delete()
    for code in wanted:
        ServedProvince.objects.get_or_create(code=code)
    return sorted(wanted)


def serve_province_if_unset(code: str) -> None:
    """The demo's set-up: an installation that has not been told its province serves the demo's."""
    if not ServedProvince.objects.exists():
        set_served_provinces([code])
