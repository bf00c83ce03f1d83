"""Reads for the home page: the day's work of the signed-in user.

What is shown follows what the user may do (roles) and see (scope): every read goes through the
apps' selectors or ansinh.core.scope with the user, and an item that asks for an action appears
only when the rule of that action lets this user take it (payroll.selectors.run_actions mirrors the
payroll services; accounts.approval.can_approve_accounts; ansinh.core.roles.may_open). Each item
carries the link where the work is done.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from ansinh.core.models import Job, JobStatus, Role
from ansinh.core.roles import is_staff_user, may_open, roles_of
from ansinh.core.scope import profile_of, scope_for, scoped
from ansinh.core.selectors import display_name

LAGGARDS = 8  # communes listed as lagging on a province's home page
RECENT = 5  # rows per "recent" list
TASK_HORIZON_DAYS = 31  # outreach tasks due within this many days are listed as due


def period_label(period: str) -> str:
    """'2024-11' -> '11/2024' (a payroll period as people write it)."""
    if len(period or "") == 7 and period[4] == "-":
        return f"{period[5:]}/{period[:4]}"
    return period or ""


# --------------------------------------------------------------------------- items

@dataclass
class RunItem:
    """A payroll run waiting for this user (approve, export, reconcile, decide corrections)."""
    run: object
    action: str  # approve / export / reconcile / corrections
    url: str
    period: str
    where: str
    lines: int
    total_vnd: int
    maker: str
    corrections: int = 0


@dataclass
class CommuneCoverage:
    unit: object
    url: str
    beneficiaries: int
    with_account: int
    without_account: int
    share: float
    target_low: float | None
    target_high: float | None
    target_due: dt.date | None
    band: str
    people_url: str


@dataclass
class IssueSummary:
    blocking: int
    warnings: int
    blocking_url: str
    warnings_url: str
    top: list[dict] = field(default_factory=list)  # [{title, n, url}] blocking rules, largest first


@dataclass
class TaskItem:
    task: object
    url: str
    recipient: str
    description: str
    due: dt.date | None
    state: str
    state_label: str
    directive: str


@dataclass
class ProvinceFigures:
    name: str
    url: str
    beneficiaries: int
    with_account: int
    share: float
    target_low: float | None
    target_high: float | None
    target_due: dt.date | None
    band: str
    communes: int
    communes_below: int
    laggards: list[CommuneCoverage]
    last_run: RunItem | None


@dataclass
class Today:
    day: dt.date  # the day the coverage figures are for
    scope_label: str
    approvals: list[RunItem] = field(default_factory=list)
    accounts_pending: int | None = None  # None: the user does not approve accounts
    communes: list[CommuneCoverage] = field(default_factory=list)
    issues: IssueSummary | None = None
    province: ProvinceFigures | None = None
    my_runs: list[RunItem] = field(default_factory=list)  # runs this user made, waiting for another user
    tasks: list[TaskItem] = field(default_factory=list)  # the user's organisation reports on these
    followed: list[TaskItem] = field(default_factory=list)  # others' tasks the user follows up
    tasks_url: str = ""
    directives: list[dict] = field(default_factory=list)
    recent_runs: list[RunItem] = field(default_factory=list)
    recent_batches: list[dict] = field(default_factory=list)
    recent_bank_lists: list[dict] = field(default_factory=list)
    recent_waivers: list[dict] = field(default_factory=list)
    users: dict | None = None
    jobs_failed: list = field(default_factory=list)
    jobs_running: list = field(default_factory=list)
    import_url: str = ""

    @property
    def has_work(self) -> bool:
        return bool(self.approvals or self.accounts_pending or (self.issues and self.issues.blocking)
                    or self.tasks or self.followed or self.jobs_failed)

    @property
    def followed_overdue(self) -> int:
        return sum(1 for k in self.followed if k.state == "overdue")

    @property
    def followed_pending(self) -> int:
        return len(self.followed) - self.followed_overdue


def today_for(user, today: dt.date | None = None) -> Today:
    """Everything the home page shows for `user` (a user with several roles gets each role's part)."""
    today = today or timezone.localdate()
    roles = roles_of(user)
    staff = is_staff_user(user)
    day = coverage_day(user, today) if staff else today
    t = Today(day=day, scope_label=scope_label(user))
    if staff:
        t.approvals = runs_waiting_for(user)
        t.accounts_pending = accounts_waiting_for(user)
        if may_open(user, "registry:import"):
            t.import_url = reverse("registry:import")
    if Role.COMMUNE_OFFICER in roles:
        t.communes = commune_coverage(user, day)
        t.issues = issue_summary(user)
    if roles & {Role.PROVINCE_OFFICER, Role.ADMIN} and scope_for(user).province_codes:
        t.province = province_figures(user, day)
        if t.issues is None:
            t.issues = issue_summary(user)
    if roles & {Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.ADMIN}:
        t.my_runs = runs_made_by(user)
    if roles & {Role.OUTREACH, Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER}:
        t.tasks, t.followed = tasks_due(user, today)
        t.tasks_url = reverse("outreach:summary") if t.followed and may_open(user, "outreach:summary") \
            else reverse("outreach:home")
    if not staff and Role.OUTREACH in roles:
        t.directives = directives_for(user)
    if roles & {Role.APPROVER, Role.AUDITOR}:
        t.recent_runs = recent_runs(user)
    if Role.AUDITOR in roles:
        t.recent_batches = recent_batches(user)
        t.recent_bank_lists = recent_bank_lists(user)
        t.recent_waivers = recent_waivers(user)
    if Role.ADMIN in roles:
        t.users = user_summary(user)
        t.jobs_failed, t.jobs_running = job_summary(user)
    return t


def scope_label(user) -> str:
    """The units of the user's profile by name ("Tỉnh Lạng Sơn", "Phường Đông Kinh"); "" without."""
    profile = profile_of(user)
    if profile is None:
        return ""
    return ", ".join(u.name for u in profile.scope_units.order_by("level", "name"))


def coverage_day(user, today: dt.date) -> dt.date:
    """The latest day of the coverage snapshot on or before today (the dashboard's default), else today."""
    from ansinh.accounts.kpi import snapshot_days

    days = [d for d in snapshot_days(user) if d <= today]
    return days[-1] if days else today


# --------------------------------------------------------------------------- payroll

def _run_item(user, run, action: str, corrections: int = 0) -> RunItem:
    s = run.summary or {}
    where = run.scope_commune.name if run.scope_commune_id else ""
    return RunItem(run=run, action=action, url=reverse("payroll:run", args=[run.pk]), period=period_label(run.period),
                   where=where, lines=int(s.get("lines") or 0), total_vnd=int(s.get("total_vnd") or 0),
                   maker=display_name(run.generated_by), corrections=corrections)


def runs_waiting_for(user) -> list[RunItem]:
    """Runs on which this user has the next step: approve (not their own), export, reconcile, or
    decide a requested result correction — as payroll.selectors.run_actions says."""
    from ansinh.payroll import selectors as payroll
    from ansinh.payroll.models import CorrectionStatus, ResultCorrection, RunStatus

    out: list[RunItem] = []
    open_runs = payroll.runs(user).filter(
        status__in=[RunStatus.DRAFT, RunStatus.CHECKED, RunStatus.APPROVED, RunStatus.EXPORTED])[:50]
    for run in open_runs:
        acts = payroll.run_actions(user, run)
        if acts["can_approve"]:
            out.append(_run_item(user, run, "approve"))
        elif acts["can_export"]:
            out.append(_run_item(user, run, "export"))
        elif acts["can_reconcile"]:
            out.append(_run_item(user, run, "reconcile"))
    pending = (scoped(ResultCorrection, user).filter(status=CorrectionStatus.REQUESTED)
               .exclude(requested_by_id=getattr(user, "pk", None))
               .values("line__run_id").annotate(n=Count("id")))
    by_run = {r["line__run_id"]: r["n"] for r in pending}
    if by_run:
        for run in payroll.runs(user).filter(pk__in=list(by_run)):
            if payroll.run_actions(user, run)["can_decide_corrections"]:
                out.append(_run_item(user, run, "corrections", by_run[run.pk]))
    return out


def runs_made_by(user) -> list[RunItem]:
    """Runs this user made that wait for another user's approval (maker-checker)."""
    from ansinh.payroll import selectors as payroll
    from ansinh.payroll.models import RunStatus

    qs = payroll.runs(user).filter(generated_by_id=getattr(user, "pk", None),
                                  status__in=[RunStatus.DRAFT, RunStatus.CHECKED])[:RECENT]
    return [_run_item(user, r, "wait") for r in qs]


def recent_runs(user) -> list[RunItem]:
    from ansinh.payroll import selectors as payroll
    from ansinh.payroll.models import RunStatus

    qs = payroll.runs(user).exclude(status=RunStatus.CANCELLED)[:RECENT]
    return [_run_item(user, r, r.status) for r in qs]


# --------------------------------------------------------------------------- accounts

def accounts_waiting_for(user) -> int | None:
    """Payment accounts waiting for a second user's approval in the user's scope; None when the
    user does not approve accounts."""
    from ansinh.accounts import lists
    from ansinh.accounts.approval import can_approve_accounts

    if not can_approve_accounts(user):
        return None
    return lists.pending_count(user)


def _target(province_code: str, commune_id: int | None, day: dt.date):
    from ansinh.accounts import rules
    from ansinh.accounts.kpi import target_points

    return rules.target_in_force(day, target_points(province_code, commune_id))


def _commune_row(u, day: dt.date) -> CommuneCoverage:
    c = u.counts
    target = _target(u.unit.province_code, u.unit.pk, day)
    url = reverse("accounts:unit", args=[u.unit.pk])
    return CommuneCoverage(unit=u.unit, url=url, beneficiaries=c.beneficiaries, with_account=c.with_account,
                           without_account=max(0, c.beneficiaries - c.with_account), share=u.share,
                           target_low=u.target_low, target_high=u.target_high,
                           target_due=target.due if target else None, band=u.band, people_url=url)


def _coverage(user, day: dt.date):
    from ansinh.accounts import kpi

    return kpi.coverage(user, day, "commune", "new", use_snapshot=day in kpi.snapshot_days(user))


def commune_coverage(user, day: dt.date) -> list[CommuneCoverage]:
    """Coverage of each current commune in the user's scope against its target (new map)."""
    return [_commune_row(u, day) for u in sorted(_coverage(user, day), key=lambda u: u.unit.name)]


def province_figures(user, day: dt.date) -> ProvinceFigures | None:
    """The province's coverage against its target and the communes furthest below theirs."""
    from ansinh.accounts import rules
    from ansinh.accounts import kpi
    from ansinh.payroll import selectors as payroll
    from ansinh.payroll.models import RunStatus
    from ansinh.units.models import AdminUnit, Level

    codes = sorted(scope_for(user).province_codes)
    if not codes:
        return None
    province = AdminUnit.objects.filter(level=Level.PROVINCE, province_code=codes[0], valid_to__isnull=True).first()
    communes = [u for u in _coverage(user, day) if u.unit.province_code == codes[0]]
    tot = kpi.total(communes, day, codes[0])
    target = _target(codes[0], None, day)
    with_people = [u for u in communes if u.counts.beneficiaries]
    below = [u for u in with_people if u.band == "below"]
    ranked = sorted(below or with_people, key=lambda u: (u.share, u.unit.name))[:LAGGARDS]
    run = payroll.runs(user).filter(province_code=codes[0], scope_commune__isnull=True) \
        .exclude(status=RunStatus.CANCELLED).first()
    return ProvinceFigures(
        name=province.name if province else "", url=reverse("accounts:dashboard"),
        beneficiaries=tot["beneficiaries"], with_account=tot["with_account"], share=tot["share"],
        target_low=tot["target_low"], target_high=tot["target_high"], target_due=target.due if target else None,
        band=tot["band"] if tot["target_low"] is not None else rules.band(tot["share"], None, None),
        communes=len(with_people), communes_below=len(below), laggards=[_commune_row(u, day) for u in ranked],
        last_run=_run_item(user, run, run.status) if run else None)


# --------------------------------------------------------------------------- review queue

def issue_summary(user) -> IssueSummary:
    """Open review issues in the user's scope: errors (they block payment: the person is not paid
    until fixed) and warnings, with the rules of the errors, largest first."""
    from ansinh.registry import rules as registry_rules
    from ansinh.registry import selectors as registry
    from ansinh.registry.models import Severity

    counts = registry.issue_counts(user)
    blocking = sum(c["n"] for c in counts if c["severity"] == Severity.ERROR)
    warnings = sum(c["n"] for c in counts if c["severity"] == Severity.WARNING)
    base = reverse("registry:review")
    top = sorted((c for c in counts if c["severity"] == Severity.ERROR), key=lambda c: -c["n"])[:4]
    return IssueSummary(
        blocking=blocking, warnings=warnings, blocking_url=f"{base}?severity={Severity.ERROR}",
        warnings_url=f"{base}?severity={Severity.WARNING}",
        top=[{"title": str(registry_rules.rule_title(c["rule"], c["severity"])), "n": c["n"],
              "url": f"{base}?severity={Severity.ERROR}&rule={c['rule']}"} for c in top])


def recent_waivers(user) -> list[dict]:
    """Issues waived most recently (a reason instead of a fix: what an auditor reads first)."""
    from ansinh.registry import rules as registry_rules
    from ansinh.registry import selectors as registry
    from ansinh.registry.models import IssueStatus

    qs = (registry.issues(user, status=IssueStatus.WAIVED).select_related("resolved_by", "resolved_by__profile")
          .order_by("-resolved_at", "-pk")[:RECENT])
    return [{"person": i.person.full_name, "url": reverse("registry:person", args=[i.person_id]),
             "rule": str(registry_rules.RULES.get(i.rule, ("", i.rule))[1]), "reason": i.reason,
             "by": display_name(i.resolved_by), "at": i.resolved_at} for i in qs]


def recent_batches(user) -> list[dict]:
    from ansinh.registry import selectors as registry

    qs = registry.batches(user).select_related("uploaded_by__profile")[:RECENT]
    return [{"name": b.file_name, "url": reverse("registry:batch", args=[b.pk]), "rows": b.rows,
             "imported": b.imported, "updated": b.updated, "rejected": b.rejected, "at": b.created,
             "by": display_name(b.uploaded_by), "commune": b.scope_commune.name if b.scope_commune_id else ""}
            for b in qs]


def recent_bank_lists(user) -> list[dict]:
    from ansinh.accounts import lists

    qs = lists.bank_lists(user)[:RECENT]
    return [{"name": b.file_name, "url": reverse("accounts:bank_list", args=[b.pk]), "at": b.created_at,
             "by": display_name(b.created_by)} for b in qs]


# --------------------------------------------------------------------------- outreach

def tasks_due(user, today: dt.date) -> tuple[list[TaskItem], list[TaskItem]]:
    """Outreach tasks the user sees that still owe a report (overdue first, then those due within
    TASK_HORIZON_DAYS), split into the user's own (its organisation is the recipient: it reports)
    and the others it follows (a department or a commune following its units)."""
    from ansinh.core.selectors import organisation_of
    from ansinh.outreach import rules as outreach_rules
    from ansinh.outreach import selectors as outreach

    rows = outreach.task_rows(outreach.visible_tasks(user), today)
    horizon = today + dt.timedelta(days=TASK_HORIZON_DAYS)
    due = [r for r in rows if r.state == outreach_rules.OVERDUE
           or (r.state == outreach_rules.PENDING and (r.task.due_date is None or r.task.due_date <= horizon))]
    due.sort(key=lambda r: (r.state != outreach_rules.OVERDUE, r.task.due_date or dt.date.max, r.task.pk))
    org = organisation_of(user)
    own, followed = [], []
    for r in due:
        item = TaskItem(task=r.task, url=reverse("outreach:task", args=[r.task.pk]), recipient=r.task.recipient.name,
                        description=r.task.description, due=r.task.due_date, state=r.state,
                        state_label=r.state_label, directive=str(r.task.directive))
        (own if org is not None and r.task.recipient_id == org.pk else followed).append(item)
    return own, followed


def directives_for(user) -> list[dict]:
    """The directives sent to the user's organisation (an outreach unit's reading list)."""
    from ansinh.outreach import selectors as outreach

    return [{"title": str(d), "url": reverse("outreach:directive", args=[d.pk]), "date": getattr(d, "date", None),
             "organisation": d.organisation.name if d.organisation_id else ""}
            for d in outreach.directive_list(user)[:RECENT]]


# --------------------------------------------------------------------------- administration

def user_summary(admin) -> dict:
    """Users by role, users who cannot work yet (no role, or no scope for a staff role) and
    sign-ins locked out after wrong passwords (lifted with `ansinh users unlock NAME`): the users
    whose scope lies in the administrator's scope, and those with no scope yet."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from ansinh.core.roles import STAFF_ROLES

    User = get_user_model()
    labels = dict(Role.choices)
    users = list(User.objects.filter(is_active=True).prefetch_related("groups", "profile__scope_units")
                 .select_related("profile").order_by("username"))
    mine = scope_for(admin)
    by_role = {r: 0 for r in Role.values}
    incomplete = []
    shown = []
    for u in users:
        profile = profile_of(u)
        units = list(profile.scope_units.all()) if profile else []
        if units and not any(mine.covers(unit.pk, unit.province_code) for unit in units):
            continue  # another province's user
        shown.append(u)
        roles = {g.name for g in u.groups.all() if g.name in Role.values}
        for r in roles:
            by_role[r] += 1
        if not roles:
            incomplete.append({"name": display_name(u), "login": u.username, "why": "no_role"})
        elif roles & STAFF_ROLES and not units and not u.is_superuser:
            incomplete.append({"name": display_name(u), "login": u.username, "why": "no_scope"})
    locked = []
    try:
        from axes.models import AccessAttempt

        limit = int(getattr(settings, "AXES_FAILURE_LIMIT", 5))
        names = {u.username for u in shown}
        locked = sorted({a for a in AccessAttempt.objects.filter(failures_since_start__gte=limit)
                        .values_list("username", flat=True) if a in names})
    except Exception:  # axes not installed or not migrated: nothing to report  # noqa: BLE001
        locked = []
    return {"total": len(shown), "by_role": [(labels[r], n) for r, n in by_role.items() if n],
            "incomplete": incomplete, "locked": locked}


def job_summary(user) -> tuple[list, list]:
    """Failed jobs of the last 7 days and jobs queued or running, in the user's scope."""
    since = timezone.now() - dt.timedelta(days=7)
    qs = scoped(Job.objects.select_related("created_by", "created_by__profile"), user)
    failed = list(qs.filter(status=JobStatus.FAILED, created_at__gte=since)[:RECENT])
    running = list(qs.filter(Q(status=JobStatus.RUNNING) | Q(status=JobStatus.QUEUED))[:RECENT])
    return failed, running


def recent_jobs(user, limit: int = 100) -> list:
    """Background jobs in the user's scope, newest first (with their makers' names)."""
    return list(scoped(Job.objects.select_related("created_by", "created_by__profile", "commune"), user)[:limit])
