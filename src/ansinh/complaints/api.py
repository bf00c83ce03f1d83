"""Complaints API (mounted at /api/complaints/): cases in the caller's scope (list, one), and
feedback received by an officer. Reads through ansinh.complaints.selectors (scoped, like the pages);
the sensitive part and the complainant's contact only for those the page shows them to; the
write through ansinh.complaints.services.create_case (role and scope checked there)."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone
from ninja import Router, Schema
from ninja.errors import HttpError

from ansinh.complaints import selectors, services
from ansinh.complaints.models import Case, Category, Channel, ComplainantKind, Kind
from ansinh.core.jobs import BadInput

router = Router(tags=["complaints"])
MAX_LIMIT = 500


class CaseOut(Schema):
    id: int
    code: str
    kind: str
    level: int
    parent_id: int | None
    channel: str
    category: str
    severity: str
    status: str
    commune: str | None
    commune_name: str | None
    received: dt.date
    due_accept: dt.date
    accepted: dt.date | None
    due_decide: dt.date
    decided: dt.date | None
    state: str
    escalated: bool
    escalated_on: dt.date | None
    complainant: str
    text: str
    outcome: str
    decision: str
    decision_number: int | None
    decision_date: dt.date | None
    court_on: dt.date | None
    sensitive: str | None  # None: hidden from this caller
    complainant_contact: str | None


def _out(user, c: Case, today: dt.date) -> CaseOut:
    st = selectors.due_state(c, today)
    see = selectors.may_see_sensitive(user, c)
    return CaseOut(
        id=c.pk, code=c.code, kind=c.kind, level=c.level, parent_id=c.parent_id, channel=c.channel,
        category=c.category, severity=c.severity, status=c.status,
        commune=c.scope_commune.code if c.scope_commune else None,
        commune_name=c.scope_commune.name if c.scope_commune else None, received=c.received_on,
        due_accept=c.due_accept, accepted=c.accepted_on, due_decide=c.due_decide, decided=c.decided_on,
        state=st["state"], escalated=st["escalated"] and c.level == 1 or c.escalated_on is not None,
        escalated_on=c.escalated_on,
        complainant="" if c.complainant_kind == ComplainantKind.ANONYMOUS else c.complainant_name, text=c.text,
        outcome=c.outcome, decision=c.decision, decision_number=c.decision_number, decision_date=c.decision_date,
        court_on=c.court_on, sensitive=c.sensitive if see else None,
        complainant_contact=c.complainant_contact if see else None)


@router.get("/cases", response=list[CaseOut])
def cases(request, status: str = "", overdue: bool = False, kind: str = "", level: int = 0,
          escalated: bool = False, limit: int = 100):
    """Cases in the caller's scope, newest first: `status` received|accepted|refused|decided|court|open."""
    today = timezone.localdate()
    qs = selectors.cases(request.user, today=today, status=status, overdue=overdue, kind=kind, level=level,
                         escalated=escalated)
    return [_out(request.user, c, today) for c in qs[:max(1, min(limit, MAX_LIMIT))]]


@router.get("/cases/{case_id}", response=CaseOut)
def case(request, case_id: int):
    c = selectors.case_for(request.user, case_id)
    if c is None:
        raise HttpError(404, "not found")
    return _out(request.user, c, timezone.localdate())


class FeedbackIn(Schema):
    text: str
    category: str = Category.OTHER
    channel: str = Channel.PHONE
    commune: str | None = None  # the commune's code (one in the caller's scope)
    line_id: int | None = None  # or the payroll line the feedback is about
    complainant_name: str = ""  # empty: anonymous (feedback only)
    received: dt.date | None = None


@router.post("/feedback", response={201: CaseOut})
def feedback(request, body: FeedbackIn):
    """Record feedback (kiến nghị, phản ánh) received by an officer (phone, meeting, radio, …)."""
    from ansinh.core.scope import scoped, visible_units
    from ansinh.payroll.models import PayrollLine
    from ansinh.units.models import Level

    commune = line = None
    if body.line_id is not None:
        line = scoped(PayrollLine, request.user).filter(pk=body.line_id).first()
        if line is None:
            raise HttpError(404, "line not found in your scope")
    elif body.commune:
        commune = visible_units(request.user).filter(code=body.commune[:10], level=Level.COMMUNE,
                                                    valid_to__isnull=True).first()
        if commune is None:
            raise HttpError(404, "commune not found in your scope")
    name = (body.complainant_name or "").strip()
    try:
        c = services.create_case(
            request.user, kind=Kind.FEEDBACK, channel=body.channel, category=body.category, text=body.text,
            received=body.received or timezone.localdate(), commune=commune, line=line,
            complainant_kind=ComplainantKind.OTHER if name else ComplainantKind.ANONYMOUS, complainant_name=name)
    except services.NotAllowed as exc:
        raise HttpError(403, str(exc)) from None
    except BadInput as exc:
        raise HttpError(400, str(exc)) from None
    c = selectors.case_for(request.user, c.pk)
    return 201, _out(request.user, c, timezone.localdate())
