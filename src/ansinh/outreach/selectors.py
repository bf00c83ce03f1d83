"""Reads for outreach. Every read goes through `visible(qs, user)`:

* department officers, approvers, auditors and admins: ansinh.core.scope.scoped (their province);
* users of an outreach organisation (role "outreach"): only what concerns THEIR organisation
  (`user.profile.organisation`) — tasks and reports of that organisation, and the directives
  (issued or published) that give it a task;
* anyone else (commune officers): the unit scope, i.e. tasks and reports of their commune.

A user of None sees nothing; the CLI reads as ansinh.core.roles.OPERATOR."""
from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from ansinh.core.models import Role
from ansinh.core.roles import has_role
from ansinh.core.scope import scope_for, scoped, succession_links, visible_units
from ansinh.core.selectors import organisation_of
from ansinh.outreach import rules
from ansinh.outreach.models import (
    METRICS,
    Attachment,
    Directive,
    DirectiveStatus,
    Evidence,
    Report,
    Task,
)
from ansinh.units.models import AdminUnit, Level

DEPARTMENT_ROLES = (Role.PROVINCE_OFFICER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)


def issuing_organisations(user) -> QuerySet:
    """Organisations a department user may issue a directive as or send it to: those of the
    provinces in their scope (an organisation carries a province code, not a commune)."""
    from ansinh.core.models import Organisation

    return Organisation.objects.filter(scope_for(user).q(None, "province_code")).order_by("name")


def is_department(user) -> bool:
    return bool(user is not None and (scope_for(user).everything or has_role(user, *DEPARTMENT_ROLES)))


def is_outreach_only(user) -> bool:
    return user is not None and not is_department(user) and has_role(user, Role.OUTREACH)


def org_filter(qs: QuerySet, user, path: str) -> QuerySet:
    """Restrict to rows whose organisation (at `path`) is the user's organisation."""
    org = organisation_of(user)
    return qs.filter(**{path: org}) if org is not None else qs.none()


def visible_tasks(user) -> QuerySet:
    if user is None or not getattr(user, "is_authenticated", False):
        return Task.objects.none()
    qs = Task.objects.exclude(directive__status=DirectiveStatus.DRAFT) if not is_department(user) else Task.objects
    if is_outreach_only(user):
        return org_filter(qs.all(), user, "recipient")
    return scoped(qs.all(), user)


def visible_reports(user) -> QuerySet:
    if user is None or not getattr(user, "is_authenticated", False):
        return Report.objects.none()
    if is_outreach_only(user):
        return org_filter(Report.objects.all(), user, "organisation")
    return scoped(Report.objects.all(), user)


def visible_directives(user) -> QuerySet:
    if user is None or not getattr(user, "is_authenticated", False):
        return Directive.objects.none()
    if is_department(user):
        return scoped(Directive.objects.all(), user)
    ids = visible_tasks(user).values("directive_id")
    return Directive.objects.filter(pk__in=ids).exclude(status=DirectiveStatus.DRAFT)


def directive_for(user, pk) -> Directive | None:
    return visible_directives(user).select_related("organisation").filter(pk=pk).first()


def task_for(user, pk) -> Task | None:
    return visible_tasks(user).select_related("directive", "recipient", "topic").filter(pk=pk).first()


def evidence_for(user, pk) -> Evidence | None:
    return Evidence.objects.filter(pk=pk, report__in=visible_reports(user)).first()


def attachment_for(user, pk) -> Attachment | None:
    return Attachment.objects.filter(pk=pk, directive__in=visible_directives(user)).first()


def published_directives() -> QuerySet:
    """The public list ("Văn bản chỉ đạo điều hành"): published directives only."""
    return (Directive.objects.filter(status=DirectiveStatus.PUBLISHED).select_related("organisation")
            .prefetch_related("attachments", "topics").order_by("-date", "-number", "-pk"))


def public_attachment(pk) -> Attachment | None:
    return Attachment.objects.filter(pk=pk, directive__status=DirectiveStatus.PUBLISHED).first()


def directive_list(user, q: str | None = None, status: str | None = None) -> QuerySet:
    qs = visible_directives(user).select_related("organisation").prefetch_related("topics")
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(symbol__icontains=q) | Q(body__icontains=q))
    if status:
        qs = qs.filter(status=status)
    return qs


# --------------------------------------------------------------------------- task states

@dataclass
class TaskRow:
    task: Task
    reports: int
    last_report: dt.datetime | None
    state: str

    @property
    def state_label(self) -> str:
        return gettext(rules.STATE_LABELS[self.state])


def state_labels() -> dict[str, str]:
    """The task states' words in the reader's language, for pages."""
    return {k: gettext(v) for k, v in rules.STATE_LABELS.items()}


def task_rows(tasks: QuerySet, today: dt.date | None = None) -> list[TaskRow]:
    today = today or timezone.localdate()
    tasks = tasks.select_related("directive", "recipient", "topic").annotate(
        n_reports=Count("reports"), last_at=models_max("reports__submitted_at"))
    out = []
    for t in tasks:
        state = rules.task_state(t.periodicity, t.due_date, t.period_months, t.until, t.n_reports, today)
        out.append(TaskRow(t, t.n_reports, t.last_at, state))
    return out


def models_max(path: str):
    from django.db.models import Max

    return Max(path)


def state_counts(rows: list[TaskRow]) -> dict[str, int]:
    counts = {k: 0 for k in rules.STATE_LABELS}
    for r in rows:
        counts[r.state] += 1
    return counts


# --------------------------------------------------------------------------- totals

def totals(user, *, by: str = "unit", start: dt.date | None = None, end: dt.date | None = None,
           directive: int | None = None) -> list[dict]:
    """Report totals grouped by unit (organisation), topic or period (month of period_end)."""
    qs = visible_reports(user)
    if start:
        qs = qs.filter(period_end__gte=start)
    if end:
        qs = qs.filter(period_start__lte=end)
    if directive:
        qs = qs.filter(task__directive_id=directive)
    sums = {f: Sum(f) for f, _ in METRICS}
    if by == "topic":
        rows = qs.values("task__topic__name").annotate(n=Count("pk"), **sums).order_by("task__topic__name")
        key = "task__topic__name"
    elif by == "period":
        from django.db.models.functions import TruncMonth

        rows = qs.annotate(m=TruncMonth("period_end")).values("m").annotate(n=Count("pk"), **sums).order_by("m")
        key = "m"
    else:
        rows = qs.values("organisation__name").annotate(n=Count("pk"), **sums).order_by("organisation__name")
        key = "organisation__name"
    out = []
    for r in rows:
        label = r[key]
        if by == "period" and label is not None:
            label = f"{label:%m/%Y}"
        out.append({"label": label or "—", "reports": r["n"], **{f: r[f] or 0 for f, _ in METRICS}})
    return out


def totals_xlsx(rows: list[dict], title: str) -> bytes:
    from openpyxl import Workbook

    from ansinh.core.exports import safe_row

    wb = Workbook()
    ws = wb.active
    ws.title = "Tong hop"
    ws.append([title])
    ws.append(["Nhóm", "Số báo cáo"] + [str(label) for _, label in METRICS])
    for r in rows:  # labels are organisation, unit or topic names: user data
        ws.append(safe_row([r["label"], r["reports"]] + [r[f] for f, _ in METRICS]))
        for c in ws[ws.max_row][1:]:
            c.number_format = "#,##0"  # counts are numbers a Vietnamese Excel shows 1.234
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def totals_docx(rows: list[dict], title: str, states: list[TaskRow] | None = None) -> bytes:
    from docx import Document
    from docx.shared import Mm, Pt

    from ansinh.formats import vn_number

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(297), Mm(210)
    sec.left_margin, sec.right_margin, sec.top_margin, sec.bottom_margin = Mm(30), Mm(15), Mm(20), Mm(20)
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(12)
    doc.add_paragraph().add_run(title).bold = True
    table = doc.add_table(rows=1, cols=2 + len(METRICS))
    table.style = "Table Grid"
    for i, h in enumerate(["Nhóm", "Số báo cáo"] + [str(label) for _, label in METRICS]):
        table.rows[0].cells[i].text = h
    for r in rows:
        cells = table.add_row().cells
        for i, v in enumerate([r["label"], r["reports"]] + [r[f] for f, _ in METRICS]):
            cells[i].text = vn_number(v) if isinstance(v, int) else str(v)
    if states:
        doc.add_paragraph().add_run("Tình hình báo cáo theo đơn vị").bold = True
        t2 = doc.add_table(rows=1, cols=4)
        t2.style = "Table Grid"
        for i, h in enumerate(["Đơn vị", "Hạn báo cáo", "Số báo cáo", "Tình trạng"]):
            t2.rows[0].cells[i].text = h
        for s in states:
            c = t2.add_row().cells
            c[0].text = s.task.recipient.name
            c[1].text = f"{s.task.due_date:%d/%m/%Y}" if s.task.due_date else ""
            c[2].text = vn_number(s.reports)
            c[3].text = s.state_label
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- coverage (accounts)

def accounts_coverage(as_of: dt.date, province_code: str) -> dict[int, tuple[int, int]]:
    """{current commune id: (beneficiaries, with an account)} of the province on `as_of`, from the
    accounts' coverage KPI (ansinh.accounts.kpi.coverage on the new map, the whole province)."""
    from ansinh.accounts import kpi
    from ansinh.core.roles import OPERATOR

    units = kpi.coverage(OPERATOR, as_of, "commune", "new", province=province_code)
    return {uc.unit.pk: (uc.counts.beneficiaries, uc.counts.with_account) for uc in units}


def coverage(unit: AdminUnit, as_of: dt.date) -> tuple[int, int]:
    """(beneficiaries with an active enrolment on `as_of`, of whom with a payment account then)."""
    return accounts_coverage(as_of, unit.province_code).get(unit.pk, (0, 0))


def coverage_by_commune(units: list[AdminUnit], as_of: dt.date) -> dict[int, tuple[int, int]]:
    """coverage() for many current communes of one province: {unit id: (beneficiaries, with accounts)},
    the communes with beneficiaries only."""
    if not units:
        return {}
    engine = accounts_coverage(as_of, units[0].province_code)
    return {u.pk: engine[u.pk] for u in units if engine.get(u.pk, (0, 0))[0]}


def target_in_force(as_of: dt.date, province_code: str) -> tuple[int | None, int | None, dt.date | None]:
    """(low %, high %, deadline) of the account-coverage target in force on `as_of`.

    From the accounts' targets (ansinh.accounts Target rows); when none applies, from the targets
    written in the issued directives of the province (the first deadline on or after `as_of`,
    else the last)."""
    from ansinh.accounts import kpi
    from ansinh.accounts import rules as acc_rules

    t = acc_rules.target_in_force(as_of, kpi.target_points(province_code))
    if t is not None:
        return (int(t.low) if t.low is not None else None, int(t.high) if t.high is not None else None, t.due)
    targets = []
    for d in Directive.objects.filter(province_code=province_code).exclude(status=DirectiveStatus.DRAFT).only(
            "targets"):
        for t in d.targets or []:
            try:
                targets.append((dt.date.fromisoformat(t["by"]), int(t["low"]), int(t.get("high") or t["low"])))
            except (KeyError, ValueError, TypeError):
                continue
    if not targets:
        return None, None, None
    targets.sort()
    upcoming = [t for t in targets if t[0] >= as_of]
    by, low, high = upcoming[0] if upcoming else targets[-1]
    return low, high, by


def bulletin(unit: AdminUnit, as_of: dt.date) -> dict:
    n, acc = coverage(unit, as_of)
    low, high, by = target_in_force(as_of, unit.province_code)
    level = "Phường" if unit.name.lower().startswith("phường") else "Xã"
    places = (f"Ủy ban nhân dân {unit.name[0].lower() + unit.name[1:]}", "chi nhánh ngân hàng gần nhất",
              "bưu điện văn hóa xã hoặc bưu điện huyện")
    facts = rules.BulletinFacts(commune_name=unit.name, as_of=as_of, beneficiaries=n, with_accounts=acc,
                                target_low=low, target_high=high, target_by=by, places=places)
    return {"commune": unit.code, "commune_name": unit.name, "level": level, "as_of": as_of.isoformat(),
            "beneficiaries": n, "with_accounts": acc, "share_pct": rules.share_pct(acc, n),
            "target_low": low, "target_high": high, "target_by": by.isoformat() if by else None,
            "text": rules.bulletin_text(facts)}


def find_commune(code: str, on: dt.date | None = None) -> AdminUnit | None:
    """The commune with this code: the current one first (the registry files beneficiaries under
    current communes and the bulletin is read today), else the unit valid on `on` (codes are reused)."""
    qs = AdminUnit.objects.filter(code=code, level=Level.COMMUNE)
    hit = qs.filter(valid_to__isnull=True).first()
    if hit is None and on is not None:
        hit = qs.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)).first()
    return hit or qs.order_by("-valid_from").first()


def bulletin_communes(user) -> list[AdminUnit]:
    return list(visible_units(user).filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("name"))


# --------------------------------------------------------------------------- effect

def effect(user, start: dt.date, end: dt.date, province_code: str) -> list[dict]:
    """Per current commune: outreach reported in [start, end] against the change in account
    coverage over the same period; ranked so that low coverage gain with little outreach comes first.
    A commune's outreach is its own reports' and those of the old-map district it lay in."""
    units = list(visible_units(user).filter(level=Level.COMMUNE, valid_to__isnull=True,
                                            province_code=province_code).order_by("name"))
    reports = visible_reports(user).filter(period_end__gte=start, period_start__lte=end)
    by_unit: dict[int, dict] = defaultdict(lambda: {"reports": 0, "actions": 0})
    metric_fields = [f for f, _ in METRICS if f not in ("broadcast_minutes", "attendees", "leaflets")]
    pred = dict(succession_links(u.pk for u in units))  # {old commune id: the current one it became}
    values = list(reports.values("scope_commune_id", *metric_fields))
    # A report filed on a district of the old map (its culture office's) covers the district's
    # communes: it counts for each current commune that one of them became.
    unit_ids = {u.pk for u in units}
    covers: dict[int, set[int]] = defaultdict(set)
    for old, district in AdminUnit.objects.filter(
            parent_id__in={r["scope_commune_id"] for r in values}, parent__level=Level.DISTRICT,
            level=Level.COMMUNE).values_list("pk", "parent_id"):
        current = pred.get(old, old)
        if current in unit_ids:
            covers[district].add(current)
    for r in values:
        sc = r["scope_commune_id"]
        actions = sum(r[f] or 0 for f in metric_fields)
        for uid in covers.get(sc) or {pred.get(sc, sc)}:
            by_unit[uid]["reports"] += 1
            by_unit[uid]["actions"] += actions
    cov0, cov1 = coverage_by_commune(units, start), coverage_by_commune(units, end)
    rows = []
    for u in units:
        n0, a0 = cov0.get(u.pk, (0, 0))
        n1, a1 = cov1.get(u.pk, (0, 0))
        if n1 == 0 and not by_unit.get(u.pk):
            continue
        # Nobody counted at the start (or end): no share then, and no change (None, never 0).
        s0 = rules.share_pct(a0, n0) if n0 else None
        s1 = rules.share_pct(a1, n1) if n1 else None
        rows.append({"unit": u, "code": u.code, "name": u.name, "reports": by_unit[u.pk]["reports"],
                     "actions": by_unit[u.pk]["actions"], "beneficiaries": n1, "with_accounts": a1,
                     "share_start": s0, "share_end": s1,
                     "change": round(s1 - s0, 1) if s0 is not None and s1 is not None else None,
                     "missing": by_unit[u.pk]["reports"] == 0})
    rows.sort(key=lambda r: (not r["missing"], r["share_end"] if r["share_end"] is not None else -1, r["actions"],
                             r["name"]))
    return rows
