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

HIV and disability categories (SENSITIVE_CATEGORIES) are shown to the roles that handle them
(SENSITIVE_FOR: commune and province officers, the approver); the others see PROTECTED in their
place, and cannot filter a list by them. Raw rows of an imported sheet (rejected rows) are masked
cell by cell (`cell_masked`).
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
    """What a user with `roles` is shown of `value` (an identifier, or a CATEGORY code)."""
    if value is None:
        return ""
    if kind == CATEGORY:
        return category_shown(value, roles, operator=operator)
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


# --------------------------------------------------------------------------- sensitive categories

# HIV (children, adults) and disability: Decree 20/2021 Art. 5 clauses 3, 6 and 8. The category of an
# enrolment in one of them says the person has HIV or a disability (and, for 5.6, how severe).
SENSITIVE_CATEGORIES = ("5.3", "5.6", "5.8")
# Who handles them: the officers who enrol and fix people, and the approver who checks the amounts a
# category gives. The auditor, the administrator and the outreach units see "protected".
SENSITIVE_FOR = frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.APPROVER})
CATEGORY = "category"
PROTECTED = "Thông tin được bảo vệ"  # what the others are shown in place of such a category


def sensitive_category(code) -> bool:
    """Is this category code (or a "+"-joined pair, "5.4+5.6-severe") HIV or disability?"""
    return any(c.strip()[:3] in SENSITIVE_CATEGORIES for c in str(code or "").split("+") if c.strip())


def may_see_sensitive(roles, *, operator: bool = False) -> bool:
    return operator or bool(set(roles) & SENSITIVE_FOR)


def category_shown(code, roles, *, operator: bool = False) -> str:
    """A category code as these roles are shown it: PROTECTED for HIV and disability unless they handle them."""
    text = "" if code is None else str(code)
    if sensitive_category(text) and not may_see_sensitive(roles, operator=operator):
        return PROTECTED
    return text


_ID_LIKE = re.compile(r"^[\d\s.\-]+$")


def cell_masked(value, roles, *, operator: bool = False) -> str:
    """A raw cell of an imported sheet (a rejected row): a cell that is a number of 8 or more digits
    (an ID, account or phone number, with spaces, dots or dashes) shows its last 4 digits, and long
    numbers inside a text are masked, unless these roles see IDs and phones whole."""
    text = "" if value is None else str(value)
    if may_see_whole(roles, ID, operator=operator) and may_see_whole(roles, PHONE, operator=operator):
        return text
    digits = re.sub(r"\D", "", text)
    if _ID_LIKE.match(text) and len(digits) >= 8:
        return mask(digits, ID)
    return text_masked(text, roles, operator=operator)


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
