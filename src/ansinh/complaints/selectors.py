"""Reads of the complaints app, all through ansinh.core.scope.scoped (the public page reads
one posting by its token and one case's status by its tracking code, nothing else)."""
from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ansinh.complaints import deadlines, rules
from ansinh.complaints.models import Attachment, Case, Category, Channel, Kind, LineHold, Posting, Status
from ansinh.core.roles import has_role, roles_of
from ansinh.core.scope import scoped

OPEN = (Status.RECEIVED, Status.ACCEPTED)


def overdue_q(today: dt.date) -> Q:
    """Open cases past a due date: not accepted in time, or not decided in time."""
    return Q(status=Status.RECEIVED, due_accept__lt=today) | Q(status=Status.ACCEPTED, due_decide__lt=today)


def visible_cases(user) -> QuerySet:
    return scoped(Case, user).select_related("scope_commune", "handler", "person", "posting")


def cases(user, *, today: dt.date, status: str = "", overdue: bool = False, kind: str = "",
          commune_id: int | None = None, level: int = 0, escalated: bool = False) -> QuerySet:
    qs = visible_cases(user)
    if level in (1, 2):
        qs = qs.filter(level=level)
    if escalated:
        qs = qs.filter(escalated_on__isnull=False)
    if status == "open":
        qs = qs.filter(status__in=OPEN)
    elif status in Status.values:
        qs = qs.filter(status=status)
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    if overdue:
        qs = qs.filter(overdue_q(today))
    if commune_id:
        qs = qs.filter(scope_commune_id=commune_id)
    return qs


def case_for(user, pk: int) -> Case | None:
    return visible_cases(user).filter(pk=pk).first()


def may_see_sensitive(user, case: Case) -> bool:
    """The handler; before a case has one, the officer who received it (who wrote the detail down)."""
    uid = getattr(user, "pk", None)
    handler = case.handler_id if case.handler_id is not None else case.created_by_id
    return rules.may_see_sensitive(roles_of(user), is_handler=uid is not None and handler == uid)


def due_state(case: Case, today: dt.date) -> dict:
    """The current step's due date and state (on track / at risk / breached), and whether the
    commune missed a deadline (the case is then the province's too)."""
    acc = deadlines.state(case.due_accept, today, case.accepted_on or case.refused_on or case.court_on)
    if case.accepted_on is None:  # received, refused, or taken to court before acceptance
        due, st = case.due_accept, acc
    else:
        due, st = case.due_decide, deadlines.state(case.due_decide, today, case.decided_on or case.court_on)
    escalated = acc in (deadlines.BREACHED, deadlines.LATE) or st in (deadlines.BREACHED, deadlines.LATE)
    return {"due": due, "state": st, "state_label": STATE_LABELS[st], "escalated": escalated}


STATE_LABELS = {deadlines.ON_TRACK: _("Trong hạn"), deadlines.AT_RISK: _("Sắp đến hạn"),
                deadlines.BREACHED: _("Quá hạn"), deadlines.MET: _("Đúng hạn"), deadlines.LATE: _("Trễ hạn")}


def rows(qs, today: dt.date, limit: int = 300) -> list[dict]:
    out = []
    for c in qs[:limit]:
        out.append({"case": c, **due_state(c, today)})
    return out


def holds_of(user, case: Case) -> list[LineHold]:
    return list(scoped(LineHold, user).filter(case=case).select_related("held_by", "released_by", "line"))


def attachments_of(user, case: Case) -> list[Attachment]:
    return list(scoped(Attachment, user).filter(case=case))


def attachment_for(user, pk: int) -> Attachment | None:
    return scoped(Attachment, user).filter(pk=pk).first()


def timeline(user, case: Case):
    from ansinh.complaints.models import Event

    return list(scoped(Event, user).filter(case=case).select_related("user"))


def dashboard(user, today: dt.date) -> dict:
    """Counts for the province (and the commune, of its own cases): open cases by commune,
    overdue, by category and channel, median days to decision, cases per 1.000 beneficiaries."""
    from ansinh.registry.models import Person

    qs = scoped(Case, user)
    open_qs = qs.filter(status__in=OPEN)
    by_commune = list(open_qs.values("scope_commune__name").annotate(n=Count("id"),
                                                                       late=Count("id", filter=overdue_q(today)))
                      .order_by("-n", "scope_commune__name"))
    cat_labels, ch_labels = dict(Category.choices), dict(Channel.choices)
    by_category = [(cat_labels.get(r["category"], r["category"]), r["n"])
                   for r in qs.values("category").annotate(n=Count("id")).order_by("-n", "category")]
    by_channel = [(ch_labels.get(r["channel"], r["channel"]), r["n"])
                  for r in qs.values("channel").annotate(n=Count("id")).order_by("-n", "channel")]
    spans = [(d - r).days for r, d in qs.filter(status=Status.DECIDED).values_list("received_on", "decided_on")]
    total = qs.count()
    beneficiaries = scoped(Person, user).count()
    return {
        "total": total, "open": open_qs.count(), "overdue": qs.filter(overdue_q(today)).count(),
        "escalated": qs.filter(escalated_on__isnull=False).count(), "level2": qs.filter(level=2).count(),
        "by_commune": by_commune, "by_category": by_category, "by_channel": by_channel,
        "by_kind": Counter(dict(Kind.choices).get(k, k) for k in qs.values_list("kind", flat=True)).most_common(),
        "median_days": statistics.median(spans) if spans else None,
        "per_thousand": round(total * 1000 / beneficiaries, 1) if beneficiaries else None,
        "beneficiaries": beneficiaries,
    }


# --------------------------------------------------------------------------- postings

def visible_postings(user) -> QuerySet:
    return scoped(Posting, user).select_related("run", "scope_commune")


def posting_for(user, pk: int) -> Posting | None:
    return visible_postings(user).filter(pk=pk).first()


def postable_runs(user):
    from ansinh.payroll.models import PayrollRun, RunStatus

    return (scoped(PayrollRun, user).exclude(status=RunStatus.CANCELLED)
            .select_related("scope_commune").order_by("-period", "-id")[:50])


def posting_rows(posting: Posting, village: str | None = None) -> list[dict]:
    """What a posted list prints, one row a person: name, village, category in posted words, the
    amount of the run. Nothing else is read (no ID, no account, no HIV status, no disability degree)."""
    from ansinh.payroll.models import PayrollLine

    acc: dict[int, dict] = {}
    qs = (PayrollLine.objects.filter(run_id=posting.run_id, scope_commune_id=posting.scope_commune_id)
          .values_list("person_id", "person__full_name", "person__village", "category", "amount")
          .order_by("person__village", "person__name_key", "person_id", "id"))
    for pid, name, vil, cat, amount in qs:
        if village is not None and (vil or "") != village:
            continue
        r = acc.setdefault(pid, {"name": name, "village": vil or "", "categories": [], "amount": 0})
        label = rules.posted_category(cat)
        if label not in r["categories"]:
            r["categories"].append(label)
        r["amount"] += amount
    return [{**r, "category": " + ".join(r["categories"])} for r in acc.values()]


def posting_villages(posting: Posting) -> list[str]:
    from ansinh.payroll.models import PayrollLine

    return sorted({v or "" for v in PayrollLine.objects.filter(run_id=posting.run_id,
                                                               scope_commune_id=posting.scope_commune_id)
                   .values_list("person__village", flat=True)})


def public_posting(token: str) -> Posting | None:
    if not token or len(token) > 64:
        return None
    return Posting.objects.filter(token=token).select_related("scope_commune").first()


def public_status(code: str) -> Case | None:
    code = rules.normalise_code(code)
    if len(code) != rules.CODE_LENGTH:
        return None
    return Case.objects.filter(code=code).only("code", "status", "received_on", "accepted_on", "decided_on",
                                               "refused_on").first()


def may_handle(user, case: Case) -> bool:
    """The user's role may act on this case: a second-level complaint is the next level's."""
    from ansinh.complaints.services import HANDLERS, LEVEL2_HANDLERS

    return has_role(user, *(LEVEL2_HANDLERS if case.level == 2 else HANDLERS))


def may_appeal(user, case: Case, today: dt.date) -> bool:
    """A second-level complaint may be filed now about this case, by this user (the next level)."""
    from ansinh.complaints.services import LEVEL2_HANDLERS

    return (case.kind == Kind.COMPLAINT and case.level == 1 and case.status != Status.REFUSED
            and case.court_on is None and has_role(user, *LEVEL2_HANDLERS)
            and deadlines.may_appeal(case.decided_on, case.due_decide, today) and not case.appeals.exists())


def appeals_of(user, case: Case) -> list[Case]:
    return list(visible_cases(user).filter(parent=case))


REVIEW_CHOICES = [("account", _("Thay đổi tài khoản nhận tiền")), ("category", _("Xem xét lại diện đối tượng")),
                  ("residence", _("Điều chỉnh nơi cư trú")), ("verify", _("Xác minh trùng lặp, sai người"))]


def reviews_of(user, case: Case) -> list:
    """The registry review-queue items opened from this case (its timeline names them), in scope."""
    from ansinh.complaints.models import Event
    from ansinh.registry.models import QualityIssue

    from ansinh.registry.rules import rule_title

    ids = list(scoped(Event, user).filter(case=case, issue__isnull=False).values_list("issue_id", flat=True))
    out = list(scoped(QualityIssue, user).filter(pk__in=ids).select_related("person").order_by("id"))
    for i in out:
        i.rule_title = rule_title(i.rule, i.severity)
    return out


def is_handler_role(user) -> bool:
    from ansinh.complaints.services import HANDLERS

    return has_role(user, *HANDLERS)


def may_release(user) -> bool:
    from ansinh.payroll.holds import RELEASERS

    return has_role(user, *RELEASERS)


def posting_lines(user, case: Case) -> list:
    """Lines of the posted list a case is about (to hold one): pending, in the user's scope."""
    from ansinh.payroll.holds import HELD
    from ansinh.payroll.models import PayrollLine

    if case.posting_id is None:
        return []
    return list(scoped(PayrollLine, user).filter(run_id=case.posting.run_id, result="pending",
                                                 scope_commune_id=case.posting.scope_commune_id)
                .exclude(result_reason=HELD).select_related("person").order_by("person__name_key", "id")[:500])


# --------------------------------------------------------------------------- figures for a period (reports)

def overdue_on_q(day: dt.date) -> Q:
    """Cases open on `day` and past a due date then, from the dates kept on the case (so a past
    day reads as it was): received by then, not accepted nor refused by then and past the last day
    to accept; or accepted by then, not decided by then and past the last day to decide. On today
    it selects what `overdue_q(today)` selects (tests/reports/test_complaints.py)."""
    not_in_court = Q(court_on__isnull=True) | Q(court_on__gt=day)  # a case taken to court is closed then
    not_accepted = (Q(accepted_on__isnull=True) | Q(accepted_on__gt=day)) & \
        (Q(refused_on__isnull=True) | Q(refused_on__gt=day)) & not_in_court
    not_decided = (Q(decided_on__isnull=True) | Q(decided_on__gt=day)) & not_in_court
    return Q(received_on__lte=day) & (
        (not_accepted & Q(due_accept__lt=day)) | (Q(accepted_on__lte=day) & not_decided & Q(due_decide__lt=day)))


def open_on_q(day: dt.date) -> Q:
    """Cases received by `day` and not refused, decided nor taken to court by then."""
    return Q(received_on__lte=day) & (Q(refused_on__isnull=True) | Q(refused_on__gt=day)) & \
        (Q(decided_on__isnull=True) | Q(decided_on__gt=day)) & (Q(court_on__isnull=True) | Q(court_on__gt=day))


def answered_in_time_q() -> Q:
    """Accepted or refused on or before the last day to accept (`due_accept`, kept on the case):
    `deadlines.state(case.due_accept, …, accepted_on or refused_on)`'s MET, in SQL."""
    from django.db.models import F

    return (Q(accepted_on__isnull=False, accepted_on__lte=F("due_accept"))
            | Q(accepted_on__isnull=True, refused_on__isnull=False, refused_on__lte=F("due_accept")))


def decided_in_time_q() -> Q:
    """Decided on or before the last day to decide: `deadlines.state`'s MET, in SQL."""
    from django.db.models import F

    return Q(decided_on__isnull=False, decided_on__lte=F("due_decide"))
