"""Outreach API (mounted at /api/outreach/): directives, tasks with their state, the bulletin.
Reads go through ansinh.outreach.selectors (scope + organisation)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError

from ansinh.outreach import selectors

router = Router(tags=["outreach"])


class DirectiveOut(Schema):
    id: int
    number_symbol: str
    date: dt.date | None
    subject: str
    status: str
    organisation: str


class TaskOut(Schema):
    id: int
    directive_id: int
    directive: str
    recipient: str
    description: str
    due_date: dt.date | None
    periodicity: str
    reports: int
    state: str


class BulletinOut(Schema):
    commune: str
    commune_name: str
    as_of: dt.date
    beneficiaries: int
    with_accounts: int
    share_pct: float
    text: str


@router.get("/directives", response=list[DirectiveOut])
def directives(request, q: str | None = None, status: str | None = None):
    return [DirectiveOut(id=d.pk, number_symbol=d.number_symbol, date=d.date, subject=f"V/v {d.subject}",
                         status=d.status, organisation=d.organisation.name)
            for d in selectors.directive_list(request.user, q=q, status=status)[:500]]


@router.get("/tasks", response=list[TaskOut])
def tasks(request):
    rows = selectors.task_rows(selectors.visible_tasks(request.user))
    return [TaskOut(id=r.task.pk, directive_id=r.task.directive_id, directive=r.task.directive.number_symbol,
                    recipient=r.task.recipient.name, description=r.task.description, due_date=r.task.due_date,
                    periodicity=r.task.periodicity, reports=r.reports, state=r.state) for r in rows]


@router.get("/bulletin", response=BulletinOut)
def bulletin(request, commune: str, as_of: dt.date | None = None):
    unit = next((u for u in selectors.bulletin_communes(request.user) if u.code == commune), None)
    if unit is None:
        raise HttpError(404, "commune not found in your scope")
    data = selectors.bulletin(unit, as_of or timezone.localdate())
    return BulletinOut(**{k: data[k] for k in ("commune", "commune_name", "beneficiaries", "with_accounts",
                                               "share_pct", "text")}, as_of=dt.date.fromisoformat(data["as_of"]))
