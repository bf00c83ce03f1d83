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


# Who may change the registry (import lists, fix and waive issues, place a person, check IDs).
EDITORS = (Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.ADMIN)


def can_edit(user) -> bool:
    """May `user` change registry data? None (nobody) may not: the CLI passes OPERATOR."""
    return has_role(user, *EDITORS)


class _Operator:
    """The command line's operator: an active superuser with no profile and no database row, so
    scope_for gives EVERYTHING, roles_of gives the administrator and recorded_user records
    nobody. Commands pass it explicitly; a `user` of None is nobody and sees or changes nothing."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    pk = None
    username = "operator"
    _ansinh_roles = frozenset({Role.ADMIN})

    @property
    def profile(self):
        raise AttributeError("the operator has no profile")

    def __repr__(self) -> str:
        return "OPERATOR"


OPERATOR = _Operator()


# Roles whose holders do staff work (registry, payroll, accounts, matching, units, jobs). A user with none
# of them (an outreach unit: a newspaper, a broadcaster, a commune culture office) sees only the pages below.
STAFF_ROLES = frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})

# What an outreach unit may open: the home page, its tasks and reports (with their evidence), the
# directives sent to it (with files and attachments), its report summary and the commune bulletin.
# Everything else answers 403 (ansinh.web.middleware.RoleRequiredMiddleware).
OUTREACH_VIEWS = frozenset({
    "home", "login", "logout", "set_language", "healthz",
    "outreach:home", "outreach:task", "outreach:evidence", "outreach:summary",
    "outreach:directives", "outreach:directive", "outreach:directive_file", "outreach:attachment",
    "outreach:bulletin", "outreach:bulletin_audio",
})
OUTREACH_API_PREFIXES = ("/api/me", "/api/outreach/", "/api/public/")


# The roles of machine clients' service users (ansinh.interop.clients): a payment provider's system
# records the results of the runs sent to it (payroll/access.RECONCILERS); another agency's system
# searches the registry within its scope (ansinh.interop.dci). Never held by a person; no web page.
MACHINE_ROLES = frozenset({Role.PROVIDER_CLIENT, Role.AGENCY_CLIENT})


def is_staff_user(user) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def outreach_may_open(view_name: str, path: str) -> bool:
    if path.startswith("/api/"):
        return path.startswith(OUTREACH_API_PREFIXES)
    return view_name in OUTREACH_VIEWS or view_name.startswith("outreach_public:")


# --------------------------------------------------------------------------- which pages a role may open
# The one rule: RoleRequiredMiddleware refuses the pages it says no to, and the menu (ansinh.web.menu)
# shows an entry only when it says yes, so the menu and the gate cannot disagree.

# Staff pages that only some staff roles open (every other staff page is open to every staff role; each
# view's own checks of scope and of the action still apply). The list import is an upload form: only
# those who may change the registry (the registry's editors) open it; the others read the imports on
# registry:batches.
# Who reads the audit log (every read, export and change of personal data): the auditor and the administrator.
AUDIT_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})

# Who answers a data subject's request with a copy of all their data (ansinh.audit.subject): the
# officers who hold the record (and see its numbers whole already). An action on the person page, not
# a page of the menu: checked by the view (audit/views.subject_export) and the page's form.
SUBJECT_REQUEST_ROLES = frozenset({Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER})

STAFF_PAGE_ROLES: dict[str, frozenset[str]] = {
    "registry:import": frozenset(EDITORS),  # the registry's editors (can_edit)
    "audit:log": AUDIT_ROLES,
    # Machine clients (register, rotate keys, revoke, their calls): the administrator only.
    "interop:clients": frozenset({Role.ADMIN}),
}
# Every page of a URL namespace that only some staff roles open (the pages behind a menu entry above).
STAFF_NAMESPACE_ROLES: dict[str, frozenset[str]] = {
    "interop": frozenset({Role.ADMIN}),
}


def may_open(user, view_name: str, path: str = "") -> bool:
    """May `user` open the page named `view_name` (at `path`, for the API)? Nobody signed in: no."""
    if not getattr(user, "is_authenticated", False):
        return False
    if roles_of(user) & MACHINE_ROLES and not is_staff_user(user):
        return False  # a machine client's service user opens no page (it uses /api/g2p/ with a token)
    if is_staff_user(user):
        needed = STAFF_PAGE_ROLES.get(view_name) or STAFF_NAMESPACE_ROLES.get(view_name.partition(":")[0])
        return needed is None or bool(roles_of(user) & needed)
    return outreach_may_open(view_name, path)
