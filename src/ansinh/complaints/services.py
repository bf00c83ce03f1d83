"""Writes of the complaints app. Every write checks role and scope here, so the pages, the API
and the CLI keep the same rules. Payroll rows are written only through ansinh.payroll.holds."""
from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ansinh.complaints import deadlines, rules
from ansinh.complaints.models import (Attachment, Case, Category, Channel, ComplainantKind, Event, Kind, LineHold,
                                      Outcome, Posting, RemoteArea, Severity, Status)
from ansinh.core.jobs import BadInput
from ansinh.core.roles import has_role
from ansinh.core.scope import scope_for
from ansinh.core.uploads import ATTACHMENT_KINDS, safe_stored_name, verify_file

HANDLERS = ("commune_officer", "province_officer", "admin")  # receive, accept, decide, hold, post
# A second-level complaint is the next level's (since 01/07/2025 the province's): only they file,
# accept and decide it; the commune reads it.
LEVEL2_HANDLERS = ("province_officer", "admin")
MAX_ATTACHMENT_BYTES = 20 * 2**20
MAX_TEXT = 5000


class NotAllowed(BadInput):
    """Role or scope: 403 on the web, exit 2 in the CLI."""


def _require(user, roles=HANDLERS, what: str = "") -> None:
    if user is None or not getattr(user, "is_active", False) or not has_role(user, *roles):
        raise NotAllowed(_("Bạn không có quyền %(what)s.") % {"what": what or _("xử lý đơn")})


def _require_case(user, case: Case, roles=HANDLERS, what: str = "") -> None:
    _require(user, roles, what)
    if not scope_for(user).covers(case.scope_commune_id, case.province_code):
        raise NotAllowed(_("Hồ sơ này ngoài phạm vi của bạn."))


def _user(user):
    return user if getattr(user, "pk", None) else None


def _event(case: Case, action: str, user=None, note: str = "", issue=None) -> Event:
    return Event.objects.create(case=case, action=action, user=_user(user), note=note, issue=issue,
                                scope_commune_id=case.scope_commune_id, province_code=case.province_code)


def _roles(case: Case):
    return LEVEL2_HANDLERS if case.level == 2 else HANDLERS


def is_remote(unit_id: int | None, day: dt.date) -> bool:
    """The commune is a remote, extremely difficult area on `day` (RemoteArea rows, dated)."""
    if unit_id is None:
        return False
    return RemoteArea.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), unit_id=unit_id,
                                     valid_from__lte=day).exists()


def _choice(value: str, choices, field: str) -> str:
    if value not in choices.values:
        raise BadInput(f"{field}: {str(value)[:30]!r} is not one of {', '.join(choices.values)}")
    return value


def _text(value: str, field: str, limit: int = MAX_TEXT, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise BadInput(_("%(field)s: bắt buộc") % {"field": field})
    if len(value) > limit:
        raise BadInput(_("%(field)s: tối đa %(n)s ký tự") % {"field": field, "n": limit})
    return value


def _new_code() -> str:
    for _i in range(20):
        code = rules.new_code()
        if not Case.objects.filter(code=code).exists():
            return code
    raise RuntimeError("no free tracking code")


def create_case(user, *, kind: str, channel: str, category: str, text: str, received: dt.date,
                commune=None, person=None, line=None, posting=None, account=None, officer_name: str = "",
                complainant_kind: str = ComplainantKind.OTHER, complainant_name: str = "",
                complainant_contact: str = "", complainant_person=None, severity: str = Severity.NORMAL,
                sensitive: str = "", complex_case: bool = False, level: int = 1,
                _public: bool = False) -> Case:
    """Receive a case. Filed under the commune of its subject (line, person, posting, account) or
    the one given. Anonymous senders only for feedback (a complaint needs a named complainant)."""
    if not _public:
        _require(user, what=_("tiếp nhận đơn"))
    _choice(kind, Kind, "kind")
    _choice(channel, Channel, "channel")
    _choice(category, Category, "category")
    _choice(severity, Severity, "severity")
    _choice(complainant_kind, ComplainantKind, "complainant")
    if level not in (1, 2) or (level == 2 and kind != Kind.COMPLAINT):
        raise BadInput("level: 1, or 2 for a second-level complaint")
    text = _text(text, _("Nội dung"))
    complainant_name = _text(complainant_name, _("Người gửi"), 200, required=False)
    if complainant_kind == ComplainantKind.ANONYMOUS:
        if kind != Kind.FEEDBACK:
            raise BadInput(_("Khiếu nại, tố cáo phải ghi rõ họ tên người gửi; chỉ kiến nghị, phản ánh được gửi không ghi tên."))
        complainant_name, complainant_contact, complainant_person = "", "", None
    elif not complainant_name and complainant_person is None:
        raise BadInput(_("Người gửi: ghi họ tên, hoặc chọn không ghi tên (chỉ với kiến nghị, phản ánh)."))
    if complainant_person is not None and not complainant_name:
        complainant_name = complainant_person.full_name
    if line is not None:
        person = person or line.person
    if account is not None:
        person = person or account.person
    anchor = line or posting or person or commune
    if anchor is None:
        raise BadInput(_("Chọn xã/phường, hoặc người, dòng chi trả, danh sách niêm yết mà đơn nói đến."))
    if commune is not None and anchor is commune:
        commune_id, province = commune.pk, commune.province_code
    else:
        commune_id, province = anchor.scope_commune_id, anchor.province_code
    if not _public:
        scope = scope_for(user)
        for obj in (line, posting, person, commune, complainant_person):
            if obj is None:
                continue
            keys = (obj.pk, obj.province_code) if obj is commune else (obj.scope_commune_id, obj.province_code)
            if not scope.covers(*keys):
                raise NotAllowed(_("Hồ sơ này ngoài phạm vi của bạn."))
    remote = is_remote(commune_id, received)
    try:
        due_a = deadlines.due_accept(kind, received, level=level)
        due_d = deadlines.due_decide(kind, received, level=level, complex_case=complex_case, remote=remote)
    except deadlines.NoRule as exc:
        raise BadInput(str(exc)) from None
    with transaction.atomic():
        case = Case.objects.create(
            code=_new_code(), kind=kind, level=level, channel=channel, category=category, severity=severity,
            complainant_kind=complainant_kind, complainant_person=complainant_person,
            complainant_name=complainant_name, complainant_contact=(complainant_contact or "").strip()[:100],
            person=person, line=line, posting=posting, account=account, officer_name=officer_name[:200],
            text=text, sensitive=_text(sensitive, "sensitive", required=False), complex_case=complex_case,
            remote=remote, received_on=received, due_accept=due_a, due_decide=due_d,
            created_by=_user(user), scope_commune_id=commune_id, province_code=province or "")
        _event(case, "received", user)
    return case


def public_feedback(posting: Posting, *, text: str, name: str = "", contact: str = "",
                    category: str = Category.ELIGIBILITY, today: dt.date | None = None) -> Case:
    """Feedback sent from a posted list's public page (no log-in): an objection to the list."""
    if category not in (Category.ELIGIBILITY, Category.AMOUNT, Category.DATA, Category.OTHER):
        category = Category.OTHER
    name = (name or "").strip()
    return create_case(None, kind=Kind.FEEDBACK, channel=Channel.ONLINE, category=category,
                       text=_text(text, _("Nội dung"), rules.PUBLIC_MAX_TEXT), received=today or timezone.localdate(),
                       posting=posting, complainant_kind=ComplainantKind.OTHER if name else ComplainantKind.ANONYMOUS,
                       complainant_name=name[:200], complainant_contact=contact, _public=True)


def accept(case: Case, user, day: dt.date, *, complex_case: bool | None = None) -> Case:
    """Accept (thụ lý): the user becomes the handler; the decision is due from this day."""
    _require_case(user, case, _roles(case), what=_("thụ lý đơn"))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status != Status.RECEIVED:
            raise BadInput(_("Đơn đã được xử lý (trạng thái: %(s)s).") % {"s": case.get_status_display()})
        if day < case.received_on:
            raise BadInput(_("Ngày thụ lý trước ngày nhận đơn."))
        if complex_case is not None:
            case.complex_case = complex_case
        case.status, case.accepted_on, case.handler = Status.ACCEPTED, day, _user(user)
        case.due_decide = deadlines.due_decide(case.kind, case.received_on, day, level=case.level,
                                               complex_case=case.complex_case, remote=case.remote)
        case.save(update_fields=["status", "accepted_on", "handler", "complex_case", "due_decide"])
        _event(case, "accepted", user)
    return case


def refuse(case: Case, user, day: dt.date, reason: str) -> Case:
    _require_case(user, case, _roles(case), what=_("trả lời không thụ lý"))
    reason = _text(reason, _("Lý do"))
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status != Status.RECEIVED:
            raise BadInput(_("Đơn đã được xử lý (trạng thái: %(s)s).") % {"s": case.get_status_display()})
        case.status, case.refused_on, case.decision, case.handler = Status.REFUSED, day, reason, _user(user)
        case.save(update_fields=["status", "refused_on", "decision", "handler"])
        _event(case, "refused", user, reason)
    return case


def decider_title(case: Case) -> str:
    """"Chủ tịch Ủy ban nhân dân xã Hồng Phong": who decides a case of this level received on its
    day (deadlines.DECIDERS), with the unit's name."""
    return decider_title_for(case.level, case)


def decider_title_for(level: int, case: Case) -> str:
    from ansinh.units.models import AdminUnit, Level

    try:
        d = deadlines.decider_for(level, case.received_on)
    except deadlines.NoRule:
        return ""
    unit = None
    if d.unit_level == "commune":
        unit = case.scope_commune
    elif d.unit_level == "province":
        unit = AdminUnit.objects.filter(code=case.province_code, level=Level.PROVINCE).order_by("-valid_from").first()
    elif case.scope_commune is not None and case.scope_commune.parent_id is not None:
        unit = case.scope_commune.parent
    name = (unit.name[0].lower() + unit.name[1:]) if unit is not None else {
        "commune": "cấp xã", "district": "cấp huyện", "province": "cấp tỉnh"}[d.unit_level]
    return f"{d.title} {name}"


def decide(case: Case, user, day: dt.date, *, outcome: str, decision: str, number: int | None = None,
           symbol: str = "", decision_date: dt.date | None = None, signer_name: str = "",
           signing_mode: str = "", signer_title: str = "") -> Case:
    """Record the decision and its document (Decree 30 format, documents.decision_docx): the number in
    the issuing office's register, its date and who signed (the decider, or a deputy "KT.")."""
    from ansinh.complaints.models import SigningMode

    _require_case(user, case, _roles(case), what=_("giải quyết đơn"))
    _choice(outcome, Outcome, "outcome")
    _choice(signing_mode or "", SigningMode, "signing_mode")
    decision = _text(decision, _("Kết quả giải quyết"))
    if number is not None and not (0 < number < 10**6):
        raise BadInput(_("Số quyết định không hợp lệ."))
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("scope_commune").get(pk=case.pk)
        if case.status != Status.ACCEPTED:
            raise BadInput(_("Chỉ giải quyết đơn đã thụ lý."))
        if day < case.accepted_on:
            raise BadInput(_("Ngày giải quyết trước ngày thụ lý."))
        case.status, case.decided_on, case.outcome, case.decision = Status.DECIDED, day, outcome, decision
        case.decision_number = number
        case.decision_symbol = _text(symbol, "symbol", 40, required=False) or "QĐ-UBND"
        case.decision_date = decision_date or day
        case.decider_title = decider_title(case)
        case.signing_mode = signing_mode or ""
        case.signer_title = _text(signer_title, "signer_title", 120, required=False) if signing_mode else ""
        if signing_mode and not case.signer_title:
            case.signer_title = "Phó Chủ tịch"
        case.signer_name = _text(signer_name, _("Người ký"), 120, required=False)
        case.save(update_fields=["status", "decided_on", "outcome", "decision", "decision_number", "decision_symbol",
                                 "decision_date", "decider_title", "signing_mode", "signer_title", "signer_name"])
        _event(case, "decided", user, decision)
    return case


# --------------------------------------------------------------------------- second level, court

def appeal(case: Case, user, day: dt.date, *, text: str, channel: str = Channel.LETTER, late_reason: str = "",
           complex_case: bool = False) -> Case:
    """A second-level complaint (Law on Complaints Art. 33) about a first-level complaint: the
    complainant disagrees with its decision, or it was not decided in time. Filed by the next level
    (the province) under the same commune (which reads it); its own deadlines (Art. 36, 37). Filed
    after Art. 33's period only with the obstacle written down (Art. 9)."""
    _require_case(user, case, LEVEL2_HANDLERS, what=_("tiếp nhận khiếu nại lần hai"))
    case = Case.objects.select_related("scope_commune").get(pk=case.pk)  # as stored now
    if case.kind != Kind.COMPLAINT or case.level != 1:
        raise BadInput(_("Chỉ khiếu nại lần đầu mới có khiếu nại lần hai."))
    if case.status == Status.REFUSED or case.court_on is not None:
        raise BadInput(_("Đơn đã đóng (không thụ lý, hoặc đã khởi kiện ra Tòa án)."))
    if case.appeals.exists():
        raise BadInput(_("Đơn này đã có khiếu nại lần hai."))
    if day < case.received_on or not deadlines.may_appeal(case.decided_on, case.due_decide, day):
        raise BadInput(_("Chỉ khiếu nại lần hai khi đã có quyết định lần đầu hoặc đã hết thời hạn giải quyết lần đầu."))
    late_reason = _text(late_reason, _("Lý do nộp muộn"), 500, required=False)
    due = deadlines.due_appeal(case.decided_on, case.due_decide, received=case.received_on, remote=case.remote)
    if day > due and not late_reason:
        raise BadInput(_("Đã quá thời hạn khiếu nại lần hai (%(d)s, Luật Khiếu nại Điều 33): ghi lý do trở ngại "
                         "khách quan (Điều 9) để tiếp nhận.") % {"d": due.strftime("%d/%m/%Y")})
    with transaction.atomic():
        second = create_case(user, kind=Kind.COMPLAINT, level=2, channel=channel, category=case.category,
                             text=text, received=day, commune=case.scope_commune, person=case.person,
                             line=case.line, posting=case.posting, account=case.account,
                             complainant_kind=case.complainant_kind, complainant_name=case.complainant_name,
                             complainant_contact=case.complainant_contact,
                             complainant_person=case.complainant_person, severity=case.severity,
                             complex_case=complex_case, _public=True)
        Case.objects.filter(pk=second.pk).update(parent=case, late_reason=late_reason, created_by=_user(user))
        second.parent, second.late_reason = case, late_reason
        _event(case, "appealed", user, second.code)
    return second


def record_court(case: Case, user, day: dt.date, note: str = "") -> Case:
    """The complainant sued at the administrative court (Law on Complaints Art. 7): recorded on the
    case (and its second-level complaint, when one is open), which closes: a complaint already before
    the court is not handled (Art. 11)."""
    _require_case(user, case, _roles(case), what=_("ghi nhận khởi kiện"))
    if case.kind != Kind.COMPLAINT:
        raise BadInput(_("Chỉ khiếu nại mới có khởi kiện ra Tòa án."))
    if case.court_on is not None:
        raise BadInput(_("Đã ghi nhận khởi kiện."))
    if day < case.received_on:
        raise BadInput(_("Ngày khởi kiện trước ngày nhận đơn."))
    note = _text(note, _("Ghi chú"), 500, required=False)
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        case.court_on, case.court_note = day, note
        fields = ["court_on", "court_note"]
        if case.status in (Status.RECEIVED, Status.ACCEPTED):
            case.status = Status.COURT
            fields.append("status")
        case.save(update_fields=fields)
        _event(case, "court", user, note)
    return case


# --------------------------------------------------------------------------- escalation

def missed(qs, today: dt.date):
    """The cases of `qs` whose handler missed a deadline by `today`: the step to accept (accepted,
    refused or taken to court) not done by its last day, or done after it; once accepted, the
    decision (or the court) not there by the last day to decide, or after it.
    `selectors.due_state(...)["escalated"]` in SQL (tests/complaints/test_escalation.py)."""
    from django.db.models.functions import Coalesce

    qs = qs.alias(done_accept=Coalesce("accepted_on", "refused_on", "court_on"),
                  done_decide=Coalesce("decided_on", "court_on"))
    accept_missed = Q(done_accept__isnull=True, due_accept__lt=today) | Q(done_accept__gt=F("due_accept"))
    decide_missed = Q(accepted_on__isnull=False) & (Q(done_decide__isnull=True, due_decide__lt=today)
                                                    | Q(done_decide__gt=F("due_decide")))
    return qs.filter(accept_missed | decide_missed)


def escalate_overdue(today: dt.date | None = None, user=None) -> int:
    """Record the escalation of every first-level case whose commune missed a deadline and that is
    not yet escalated: one event each on the timeline (once: Case.escalated_on and the event's
    unique constraint), filed under the case's keys so the province (and the commune) see it. Two
    statements over the whole set, whatever the number of cases. Run by the worker's daily
    housekeeping (core/housekeeping.py) and `ansinh complaint escalate`."""
    today = today or timezone.localdate()
    with transaction.atomic():
        rows = list(missed(Case.objects.select_for_update().filter(level=1, escalated_on__isnull=True), today)
                    .values_list("pk", "scope_commune_id", "province_code"))
        if not rows:
            return 0
        ids = [r[0] for r in rows]
        for i in range(0, len(ids), 5000):
            Case.objects.filter(pk__in=ids[i:i + 5000]).update(escalated_on=today)
        Event.objects.bulk_create([Event(case_id=pk, action="escalated", user=_user(user), note=today.isoformat(),
                                         scope_commune_id=sc, province_code=pc) for pk, sc, pc in rows],
                                  batch_size=2000)
    return len(rows)


# --------------------------------------------------------------------------- acting on a case

REVIEW_KINDS = {
    # kind -> (registry rule, the field the review queue corrects, words)
    "account": ("COMPLAINT_ACCOUNT", "account", "Đề nghị thay đổi tài khoản nhận tiền"),
    "category": ("COMPLAINT_CATEGORY", "category", "Đề nghị xem xét lại diện đối tượng"),
    "residence": ("COMPLAINT_RESIDENCE", "address_text", "Đề nghị điều chỉnh nơi cư trú"),
    "verify": ("COMPLAINT_VERIFY", "", "Đề nghị xác minh (trùng lặp, sai người)"),
}


def open_review(case: Case, user, kind: str, note: str = ""):
    """Open a change request (account, category, residence) or a verification review (duplicate,
    wrong person) for the case's person in the registry's review queue (a QualityIssue, corrected
    there through registry.review: fix_issue, add_account, waive_issue), linked both ways: the
    issue's details name the case, the case's timeline names the issue."""
    from ansinh.registry.history import log_change
    from ansinh.registry.models import IssueStatus, QualityIssue, Severity

    _require_case(user, case, what=_("mở yêu cầu điều chỉnh"))
    if kind not in REVIEW_KINDS:
        raise BadInput("kind: account, category, residence or verify")
    if case.person_id is None:
        raise BadInput(_("Đơn không gắn với đối tượng nào."))
    person = case.person
    if not scope_for(user).covers(person.scope_commune_id, person.province_code):
        raise NotAllowed(_("Đối tượng ngoài phạm vi của bạn."))
    rule, field, words = REVIEW_KINDS[kind]
    note = _text(note, _("Ghi chú"), 300, required=False)
    with transaction.atomic():
        if QualityIssue.objects.filter(person=person, rule=rule, status=IssueStatus.OPEN,
                                       details__case=case.pk).exists():
            raise BadInput(_("Yêu cầu này đã được mở và đang chờ xử lý."))
        issue = QualityIssue.objects.create(
            person=person, rule=rule, severity=Severity.WARNING, field=field,
            message=(f"{words} theo đơn {case.code}" + (f": {note}" if note else ""))[:500],
            details={"case": case.pk, "kind": kind}, scope_commune_id=person.scope_commune_id,
            province_code=person.province_code)
        log_change(person, "registry.qualityissue", issue.pk, "status", None, IssueStatus.OPEN, user=user)
        _event(case, "review", user, words, issue=issue)
    return issue


def hold(case: Case, user, line=None) -> LineHold:
    """Hold the payroll line the case is about (payroll.holds), while the case is open. A case
    about a posted list names the line when it is held (a line of that list, in the user's scope)."""
    from ansinh.payroll import holds

    _require_case(user, case, what=_("tạm giữ dòng chi trả"))
    if case.status in (Status.REFUSED, Status.DECIDED):
        raise BadInput(_("Đơn đã đóng."))
    if line is None:
        line = case.line
    elif case.line_id is not None and line.pk != case.line_id:
        raise BadInput(_("Đơn đã gắn với một dòng chi trả khác."))
    if line is None:
        raise BadInput(_("Đơn không gắn với dòng chi trả nào."))
    if not scope_for(user).covers(line.scope_commune_id, line.province_code) or (
            case.posting_id is not None and (line.run_id != case.posting.run_id
                                             or line.scope_commune_id != case.posting.scope_commune_id)):
        raise NotAllowed(_("Dòng chi trả này ngoài phạm vi của đơn."))
    with transaction.atomic():
        if case.line_id is None:
            Case.objects.filter(pk=case.pk).update(line=line, person=case.person or line.person)
            case.line, case.person = line, case.person or line.person
        line = holds.hold_line(line, user=user)
        h = LineHold.objects.create(case=case, line=line, period_month=line.period_month, held_by=user,
                                    scope_commune_id=case.scope_commune_id, province_code=case.province_code)
        _event(case, "held", user, line.period_month)
    return h


def release(h: LineHold, user) -> LineHold:
    """Release a hold: a different user from the one who placed it (maker-checker)."""
    from ansinh.payroll import holds

    _require_case(user, h.case, roles=holds.RELEASERS, what=_("giải phóng dòng chi trả"))
    if h.released_at is not None:
        raise BadInput(_("Dòng chi trả đã được giải phóng."))
    if h.held_by_id == getattr(user, "pk", None):
        raise NotAllowed(_("Người giải phóng phải khác người đã tạm giữ (hai người kiểm soát)."))
    with transaction.atomic():
        if h.line_id is not None:
            holds.release_line(h.line, user=user)
        h.released_by, h.released_at = user, timezone.now()
        try:
            h.save(update_fields=["released_by", "released_at"])
        except IntegrityError:
            raise NotAllowed(_("Người giải phóng phải khác người đã tạm giữ (hai người kiểm soát).")) from None
        _event(h.case, "released", user, h.period_month)
    return h


def add_attachment(case: Case, user, name: str, content: bytes) -> Attachment:
    _require_case(user, case, what=_("đính kèm tệp"))
    v = verify_file(name, content, ATTACHMENT_KINDS, MAX_ATTACHMENT_BYTES)
    a = Attachment(case=case, name=v.name, uploaded_by=_user(user), scope_commune_id=case.scope_commune_id,
                   province_code=case.province_code)
    a.file.save(safe_stored_name(v.name), ContentFile(v.content), save=True)
    _event(case, "attached", user, v.name)
    return a


def create_posting(run, user, start: dt.date, commune=None) -> Posting:
    """Post a commune's list (its lines of `run`: a commune's run, or a province's run for one
    commune) for 2 working days from `start`."""
    from ansinh.payroll.models import RunStatus

    _require(user, what=_("niêm yết danh sách"))
    commune = commune or run.scope_commune
    if commune is None:
        raise BadInput(_("Chọn xã/phường niêm yết."))
    if run.scope_commune_id is not None and commune.pk != run.scope_commune_id:
        raise BadInput(_("Bảng chi trả này là của xã/phường khác."))
    if commune.province_code != run.province_code:
        raise BadInput(_("Xã/phường không thuộc tỉnh của bảng chi trả."))
    scope = scope_for(user)
    if not scope.covers(run.scope_commune_id, run.province_code) or not scope.covers(commune.pk, commune.province_code):
        raise NotAllowed(_("Danh sách này ngoài phạm vi của bạn."))
    if run.status == RunStatus.CANCELLED:
        raise BadInput(_("Bảng chi trả đã hủy."))
    first, last = rules.posting_period(start)
    return Posting.objects.create(run=run, token=rules.new_token(), starts=first, ends=last, created_by=_user(user),
                                  scope_commune=commune, province_code=commune.province_code)
