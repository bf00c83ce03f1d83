"""Masking by role: the one home of who sees an ID, account or phone number whole.

Everyone else sees the last digits only ("••••1234"), on every page, API answer and export that
shows a person. Pages read people through ansinh.core.scope, so a commune officer only ever sees
the people of their communes: "the commune officer of that person" is the role here.

    whole        ID (CCCD/CMND)   phone            account
    commune officer   yes         yes              yes
    province officer  yes         yes              yes   (fixes the province's cases, checks IDs)
    approver          no          no               yes   (approves accounts)
    auditor, admin, outreach: no (masked)

The command line's operator (ansinh.core.roles.OPERATOR: someone on the server) sees them whole.
Payment files for a provider are not masked: they are the file the provider is paid from, and
their sha256 is recorded in the audit log (docs/decisions/0023).

Pure: no database. Template tags: ansinh/core/templatetags/masking.py ({% whole_or_masked v "id" %})."""
from __future__ import annotations

import re

from ansinh.core.models import Role

ID, ACCOUNT, PHONE = "id", "account", "phone"
KINDS = (ID, ACCOUNT, PHONE)

WHOLE_FOR: dict[str, frozenset[str]] = {
    ID: frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER}),
    PHONE: frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER}),
    ACCOUNT: frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.APPROVER}),
}
SHOWN_DIGITS = {ID: 4, ACCOUNT: 4, PHONE: 3}

# Fields of registry history rows (ChangeLog.field) that hold an identifier, by kind.
FIELD_KINDS = {"id_number": ID, "legacy_cmnd": ID, "phone": PHONE, "account_number": ACCOUNT}

DOTS = "••••"


def mask(value, kind: str) -> str:
    """`value` with its last digits only (4; 3 for a phone); '' stays ''."""
    if kind not in KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}")
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    n = SHOWN_DIGITS[kind]
    return DOTS + text[-n:] if len(text) > n else DOTS


def may_see_whole(roles: set[str] | frozenset[str], kind: str, *, operator: bool = False) -> bool:
    """Do these roles see `kind` numbers whole? (`operator`: the command line's operator.)"""
    if kind not in KINDS:
        raise ValueError(f"unknown identifier kind {kind!r}")
    return operator or bool(set(roles) & WHOLE_FOR[kind])


def shown(value, kind: str, roles, *, operator: bool = False) -> str:
    """What a user with `roles` is shown of `value`."""
    if value is None:
        return ""
    return str(value) if may_see_whole(roles, kind, operator=operator) else mask(value, kind)


def for_user(user):
    """A function value, kind -> what `user` is shown (for exports and API answers)."""
    from ansinh.core.roles import OPERATOR, roles_of

    roles, operator = frozenset(roles_of(user)), user is OPERATOR
    return lambda value, kind: shown(value, kind, roles, operator=operator)


_LONG_NUMBER = re.compile(r"(?<!\d)\d{8,}(?!\d)")


def text_masked(text, roles, *, operator: bool = False) -> str:
    """A free text (a data-quality message) with every run of 8 or more digits masked, unless these
    roles see ID and phone numbers whole (such a run is an ID, phone or account number)."""
    text = "" if text is None else str(text)
    if may_see_whole(roles, ID, operator=operator) and may_see_whole(roles, PHONE, operator=operator):
        return text
    return _LONG_NUMBER.sub(lambda m: mask(m.group(0), ID), text)


def change_value(field: str, value, user_show) -> str:
    """A registry history value (old or new) of `field`, masked when the field is an identifier."""
    kind = FIELD_KINDS.get(field)
    return user_show(value, kind) if kind else ("" if value is None else str(value))


def numbers_masked(text) -> str:
    """A free text that comes from outside (a provider's reason for an unpaid line, a bank statement's
    :86: text) as it is stored: every run of 8 or more digits keeps its last digits only (it may be
    an ID or account number), whoever reads it later."""
    text = "" if text is None else str(text)
    return _LONG_NUMBER.sub(lambda m: mask(m.group(0), ACCOUNT), text)
