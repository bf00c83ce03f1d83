"""Who may do what on a payroll run, checked by every payroll write (so the web, the API and
the CLI keep the same rules): roles, the user's scope, maker ≠ checker; and the row lock a
run's state change takes."""
from __future__ import annotations

from ansinh.core.jobs import BadInput
from ansinh.core.roles import has_role
from ansinh.core.scope import scope_for, scope_from_units
from ansinh.payroll.models import PayrollRun
from ansinh.text.dates import parse_month

MAKERS = ("commune_officer", "province_officer", "admin")  # generate, regenerate, cancel
APPROVERS = ("approver", "admin")  # approve a run, approve a result correction
CHECKERS = MAKERS + APPROVERS  # check a draft (not its maker)
EXPORTERS = MAKERS + APPROVERS  # export an approved run (never the auditor)
# record the provider's results (not the run's maker); provider_client: a payment provider's system
# (ansinh.interop), only for the runs sent to it, inside its scope
RECONCILERS = MAKERS + APPROVERS + ("provider_client",)
CORRECTORS = MAKERS + APPROVERS  # request a result correction
SUSPENDERS = ("approver", "province_officer", "admin")  # confirm suspensions for uncollected months
CAMPAIGN_EDITORS = ("province_officer", "admin")  # create a one-off payment campaign (the province decides it)


class NotAllowed(BadInput):
    """The user may not do this (role, scope): 403 on the web, exit 2 in the CLI."""


class SameUser(NotAllowed):
    """Maker-checker: the checker is the maker, or the run has no recorded maker. The page says
    so (a message), rather than 403: the user may do this to another user's run."""


def require(user, roles: tuple[str, ...], what: str) -> None:
    if user is None or not getattr(user, "pk", None) or not getattr(user, "is_active", False):
        raise NotAllowed(f"{what}: a named user is required (--as USER)")
    if not has_role(user, *roles):
        raise NotAllowed(f"{what}: user {user.get_username()} does not have the role for this")


def require_maker(user, commune, province_code: str, what: str = "generate") -> None:
    """A maker whose scope covers the commune (an AdminUnit) or, without one, the province."""
    require(user, MAKERS, what)
    scope = scope_for(user)
    inside = scope.covers(commune.pk, province_code) if commune else scope.allows_province(province_code)
    if not inside:
        raise NotAllowed(f"{what}: {'commune' if commune else 'province'} outside the scope of user "
                         f"{user.get_username()}")


def require_run(user, run: PayrollRun, roles: tuple[str, ...], what: str) -> None:
    """Role and scope: the run must be inside the user's scope (as the pages read it)."""
    require(user, roles, what)
    if not scope_for(user).covers(run.scope_commune_id, run.province_code):
        raise NotAllowed(f"{what}: run {run.pk} is outside the scope of user {user.get_username()}")


def require_not_maker(user, run: PayrollRun, what: str, role: str) -> None:
    if run.generated_by_id is None:
        raise SameUser(f"{what}: run {run.pk} has no recorded maker; regenerate it as a named user")
    if run.generated_by_id == user.pk:
        raise SameUser(f"{what}: the {role} must be a different user from the one who generated run {run.pk}")


def lock(run: PayrollRun) -> PayrollRun:
    """Lock the run's row (inside a transaction) and refresh the caller's instance from it."""
    run.refresh_from_db(from_queryset=PayrollRun.objects.select_for_update())
    return run


def parse_period(text: str) -> str:
    try:
        return parse_month(text)
    except ValueError:
        raise BadInput(f"period: {(text or '').strip()!r} is not YYYY-MM") from None


# --------------------------------------------------------------------------- a run's scope, in SQL

def commune_sql(unit, alias: str = "p") -> tuple[str, list]:
    """Rows `alias` (persons `p`, or enrolments `e`) filed under a commune or the units it came
    from / became (its succession)."""
    ids = sorted(scope_from_units([unit]).commune_ids | {unit.pk})
    return f"{alias}.scope_commune_id IN ({', '.join(['%s'] * len(ids))})", ids


def run_scope_sql(run: PayrollRun, alias: str = "p") -> tuple[str, list]:
    """The run's scope on persons (`p`) or, for monthly lines, on enrolments (`e`): a month is
    paid by the commune of the enrolment in force then, so after a transfer between communes the
    old commune's months stay its own (ansinh.registry.transfer_rules)."""
    if run.scope_commune_id:
        return commune_sql(run.scope_commune, alias)
    return f"{alias}.province_code = %s", [run.province_code]
