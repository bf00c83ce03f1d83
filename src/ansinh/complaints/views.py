"""Complaint pages. Thin: reads through ansinh.complaints.selectors (scoped), writes through
ansinh.complaints.services. Objects outside what the user may see answer 404; writes by a
role that may not make them answer 403."""
from __future__ import annotations

import datetime as dt
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ansinh.complaints import rules, selectors, services
from ansinh.complaints.models import Category, Channel, ComplainantKind, Kind, Outcome, Severity, Status
from ansinh.core.jobs import BadInput
from ansinh.core.uploads import content_disposition, protect, read_uploaded, stored_file_response
from ansinh.text.dates import parse_day


def _today() -> dt.date:
    return timezone.localdate()


def _date(value: str | None, default: dt.date) -> dt.date:
    if not (value or "").strip():
        return default
    try:
        return parse_day(value)
    except ValueError:
        raise BadInput(_("Ngày không hợp lệ (dd/mm/yyyy).")) from None


def _int(value) -> int | None:
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    return n if 0 < n < 2**63 else None


@login_required
def case_list(request):
    today = _today()
    status = request.GET.get("status", "open")
    overdue = request.GET.get("overdue") == "1"
    kind = request.GET.get("kind", "")
    level = _int(request.GET.get("level")) or 0
    escalated = request.GET.get("escalated") == "1"
    qs = selectors.cases(request.user, today=today, status=status, overdue=overdue, kind=kind, level=level,
                         escalated=escalated)
    ctx = {"rows": selectors.rows(qs, today), "status": status, "overdue": overdue, "kind": kind,
           "level": level, "escalated_only": escalated,
           "statuses": Status.choices, "kinds": Kind.choices, "labels": selectors.STATE_LABELS,
           "dash": selectors.dashboard(request.user, today), "can_handle": selectors.is_handler_role(request.user)}
    return render(request, "complaints/list.html", ctx)


def _communes(user):
    from ansinh.core.scope import visible_units
    from ansinh.units.models import Level

    return visible_units(user).filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("name")


def _subject_choices(user):
    from ansinh.core.scope import scoped
    from ansinh.payroll.models import PayrollLine, RunStatus

    return list(scoped(PayrollLine, user).filter(run__status__in=(RunStatus.DRAFT, RunStatus.CHECKED,
                                                                  RunStatus.APPROVED), result="pending")
                .select_related("person").order_by("-run__period", "person__name_key")[:200])


@login_required
def case_new(request):
    if not selectors.is_handler_role(request.user):
        return HttpResponseForbidden(_("Bạn không có quyền tiếp nhận đơn."))
    from ansinh.core.scope import scoped, visible_units
    from ansinh.payroll.models import PayrollLine
    from ansinh.units.models import Level

    communes = list(visible_units(request.user).filter(level=Level.COMMUNE, valid_to__isnull=True)
                    .order_by("name")[:500])
    if request.method == "POST":
        p = request.POST
        try:
            line = None
            if _int(p.get("line")):
                line = scoped(PayrollLine, request.user).filter(pk=_int(p.get("line"))).first()
                if line is None:
                    raise Http404
            commune = next((u for u in communes if u.pk == _int(p.get("commune"))), None)
            case = services.create_case(
                request.user, kind=p.get("kind", ""), channel=p.get("channel", ""), category=p.get("category", ""),
                text=p.get("text", ""), received=_date(p.get("received"), _today()), commune=commune, line=line,
                complainant_kind=p.get("complainant_kind", ComplainantKind.OTHER),
                complainant_name=p.get("complainant_name", ""), complainant_contact=p.get("complainant_contact", ""),
                severity=p.get("severity", Severity.NORMAL), sensitive=p.get("sensitive", ""),
                complex_case=p.get("complex_case") == "1", officer_name=p.get("officer_name", ""))
        except services.NotAllowed as exc:
            return HttpResponseForbidden(str(exc))
        except BadInput as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Đã tiếp nhận đơn, mã %(code)s.") % {"code": case.code})
            return redirect("complaints:case", pk=case.pk)
    ctx = {"kinds": Kind.choices, "channels": Channel.choices, "categories": Category.choices,
           "severities": Severity.choices, "complainants": ComplainantKind.choices, "communes": communes,
           "lines": _subject_choices(request.user), "today": _today()}
    return render(request, "complaints/new.html", ctx)


@login_required
def case_detail(request, pk: int):
    case = selectors.case_for(request.user, pk)
    if case is None:
        raise Http404
    today = _today()
    from ansinh.complaints import deadlines, documents
    from ansinh.complaints.models import SigningMode

    appeal_due = None
    if case.kind == Kind.COMPLAINT and case.level == 1 and case.status in (Status.DECIDED, Status.ACCEPTED,
                                                                          Status.RECEIVED) \
            and deadlines.may_appeal(case.decided_on, case.due_decide, today):
        appeal_due = deadlines.due_appeal(case.decided_on, case.due_decide, received=case.received_on,
                                          remote=case.remote)
    handles = selectors.may_handle(request.user, case)
    ctx = {"case": case, **selectors.due_state(case, today), "labels": selectors.STATE_LABELS,
           "handles": handles, "appeal_due": appeal_due, "appeals": selectors.appeals_of(request.user, case),
           "may_appeal": selectors.may_appeal(request.user, case, today),
           "reviews": selectors.reviews_of(request.user, case), "review_kinds": selectors.REVIEW_CHOICES,
           "sms": documents.sms_text(case, _status_url(request)) if handles else "",
           "signing_modes": SigningMode.choices,
           "decider": services.decider_title(case) if case.status == Status.ACCEPTED else "",
           "sensitive": selectors.may_see_sensitive(request.user, case),
           "holds": selectors.holds_of(request.user, case), "attachments": selectors.attachments_of(request.user, case),
           "events": selectors.timeline(request.user, case), "outcomes": Outcome.choices, "today": today,
           "can_handle": handles, "open": case.status in selectors.OPEN,
           "may_release": selectors.may_release(request.user),
           "posting_lines": selectors.posting_lines(request.user, case) if case.line_id is None else []}
    return render(request, "complaints/detail.html", ctx)


@login_required
@require_POST
def case_action(request, pk: int, action: str):
    case = selectors.case_for(request.user, pk)
    if case is None:
        raise Http404
    p, user, today = request.POST, request.user, _today()
    try:
        if action == "accept":
            services.accept(case, user, _date(p.get("day"), today), complex_case=p.get("complex_case") == "1")
            messages.success(request, _("Đã thụ lý."))
        elif action == "refuse":
            services.refuse(case, user, _date(p.get("day"), today), p.get("reason", ""))
            messages.success(request, _("Đã trả lời không thụ lý."))
        elif action == "decide":
            number = p.get("number", "").strip()
            if number and _int(number) is None:
                raise BadInput(_("Số quyết định không hợp lệ."))
            services.decide(case, user, _date(p.get("day"), today), outcome=p.get("outcome", ""),
                            decision=p.get("decision", ""), number=_int(number) if number else None,
                            symbol=p.get("symbol", ""), signer_name=p.get("signer_name", ""),
                            signing_mode=p.get("signing_mode", ""), signer_title=p.get("signer_title", ""))
            messages.success(request, _("Đã ghi kết quả giải quyết."))
        elif action == "court":
            services.record_court(case, user, _date(p.get("day"), today), p.get("note", ""))
            messages.success(request, _("Đã ghi nhận người khiếu nại khởi kiện ra Tòa án."))
        elif action == "review":
            services.open_review(case, user, p.get("kind", ""), p.get("note", ""))
            messages.success(request, _("Đã mở yêu cầu trong hàng đợi rà soát."))
        elif action == "hold":
            line = None
            if _int(p.get("line")):
                from ansinh.core.scope import scoped
                from ansinh.payroll.models import PayrollLine

                line = scoped(PayrollLine, user).filter(pk=_int(p.get("line"))).first()
                if line is None:
                    raise Http404
            services.hold(case, user, line)
            messages.success(request, _("Đã tạm giữ dòng chi trả."))
        elif action == "release":
            from ansinh.complaints.models import LineHold
            from ansinh.core.scope import scoped

            h = scoped(LineHold, user).filter(case=case, pk=_int(p.get("hold")) or 0).first()
            if h is None:
                raise Http404
            services.release(h, user)
            messages.success(request, _("Đã giải phóng dòng chi trả."))
        elif action == "attach":
            f = request.FILES.get("file")
            if f is None:
                raise BadInput(_("Chọn tệp đính kèm."))
            name, content = read_uploaded(f, services.MAX_ATTACHMENT_BYTES)
            services.add_attachment(case, user, name, content)
            messages.success(request, _("Đã đính kèm tệp."))
        else:
            raise Http404
    except services.NotAllowed as exc:
        return HttpResponseForbidden(str(exc))
    except BadInput as exc:
        messages.error(request, str(exc))
    return redirect("complaints:case", pk=case.pk)


def _status_url(request) -> str:
    return request.build_absolute_uri(reverse("complaints_public:status"))


@login_required
def case_appeal(request, pk: int):
    """The second-level complaint page of a first-level complaint: its period (Art. 33), the form the
    next level fills in (province officer), and the appeal once filed."""
    from ansinh.complaints import deadlines

    case = selectors.case_for(request.user, pk)
    if case is None or case.kind != Kind.COMPLAINT or case.level != 1:
        raise Http404
    today = _today()
    if request.method == "POST":
        p = request.POST
        try:
            second = services.appeal(case, request.user, _date(p.get("received"), today), text=p.get("text", ""),
                                     channel=p.get("channel", Channel.LETTER), late_reason=p.get("late_reason", ""),
                                     complex_case=p.get("complex_case") == "1")
        except services.NotAllowed as exc:
            return HttpResponseForbidden(str(exc))
        except BadInput as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Đã tiếp nhận khiếu nại lần hai, mã %(code)s.") % {"code": second.code})
            return redirect("complaints:case", pk=second.pk)
    due = deadlines.due_appeal(case.decided_on, case.due_decide, received=case.received_on, remote=case.remote)
    ctx = {"case": case, "appeal_due": due, "appeals": selectors.appeals_of(request.user, case),
           "opens": deadlines.may_appeal(case.decided_on, case.due_decide, today),
           "may_file": selectors.may_appeal(request.user, case, today), "channels": Channel.choices,
           "today": today, "labels": selectors.STATE_LABELS, "can_handle": selectors.is_handler_role(request.user),
           "decider2": services.decider_title_for(2, case), "rows": selectors.rows(
               selectors.visible_cases(request.user).filter(parent=case), today)}
    return render(request, "complaints/appeal.html", ctx)


@login_required
def decision_docx(request, pk: int):
    from ansinh.audit import reads as audit_reads
    from ansinh.complaints import documents

    case = selectors.case_for(request.user, pk)
    if case is None or case.status != Status.DECIDED:
        raise Http404
    name = f"quyet-dinh-{case.code}.docx"
    data = documents.decision_docx(case)
    audit_reads.file_downloaded(request, name, data, persons=[case.person_id] if case.person_id else None)
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    return protect(resp, name)


@login_required
def notice_pdf(request, pk: int):
    from ansinh.audit import reads as audit_reads
    from ansinh.complaints import documents

    case = selectors.case_for(request.user, pk)
    if case is None or case.complainant_kind == ComplainantKind.ANONYMOUS or case.status == Status.RECEIVED:
        raise Http404
    name = f"thong-bao-{case.code}.pdf"
    data = documents.notice_pdf(case, _status_url(request))
    audit_reads.file_downloaded(request, name, data, persons=[case.person_id] if case.person_id else None)
    return protect(HttpResponse(data, content_type="application/pdf"), name)


@login_required
def attachment_file(request, pk: int):
    a = selectors.attachment_for(request.user, pk)
    if a is None:
        raise Http404
    return stored_file_response(a.file, a.name)


# --------------------------------------------------------------------------- postings

@login_required
def posting_list(request):
    if request.method == "POST":
        from ansinh.core.scope import scoped
        from ansinh.payroll.models import PayrollRun

        run = scoped(PayrollRun, request.user).filter(pk=_int(request.POST.get("run")) or 0).first()
        if run is None:
            raise Http404
        commune = None
        if _int(request.POST.get("commune")):
            commune = _communes(request.user).filter(pk=_int(request.POST.get("commune"))).first()
            if commune is None:
                raise Http404
        try:
            posting = services.create_posting(run, request.user, _date(request.POST.get("start"), _today()), commune)
        except services.NotAllowed as exc:
            return HttpResponseForbidden(str(exc))
        except BadInput as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Đã lập danh sách niêm yết."))
            return redirect("complaints:posting", pk=posting.pk)
    ctx = {"postings": list(selectors.visible_postings(request.user)[:100]),
           "runs": list(selectors.postable_runs(request.user)) if selectors.is_handler_role(request.user) else [],
           "communes": list(_communes(request.user)[:500]),
           "today": _today(), "can_handle": selectors.is_handler_role(request.user)}
    return render(request, "complaints/postings.html", ctx)


def _public_url(request, posting) -> str:
    return request.build_absolute_uri(reverse("complaints_public:posting", args=[posting.token]))


@login_required
def posting_detail(request, pk: int):
    posting = selectors.posting_for(request.user, pk)
    if posting is None:
        raise Http404
    ctx = {"posting": posting, "rows": selectors.posting_rows(posting), "villages": selectors.posting_villages(posting),
           "public_url": _public_url(request, posting),
           "feedback": selectors.rows(selectors.visible_cases(request.user).filter(posting=posting), _today()),
           "labels": selectors.STATE_LABELS, "can_handle": selectors.is_handler_role(request.user)}
    return render(request, "complaints/posting.html", ctx)


@login_required
def posting_pdf(request, pk: int):
    from ansinh.complaints.posting import posting_pdf as render_pdf

    posting = selectors.posting_for(request.user, pk)
    if posting is None:
        raise Http404
    village = request.GET.get("village")
    if village is not None and village not in selectors.posting_villages(posting):
        raise Http404
    data = render_pdf(posting, _public_url(request, posting), village)
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = content_disposition(f"niem-yet-{posting.pk}.pdf")
    return protect(resp, f"niem-yet-{posting.pk}.pdf")


# --------------------------------------------------------------------------- public (no log-in)
# Abuse-safe: a per-address rate limit (cache), an offline anti-spam check (a signed form time
# and a honeypot field, no CAPTCHA), and no echo: the answer is only a tracking code; the status
# page shows only the status and its dates.

FORM_SALT = "ansinh.complaints.public"


def _client(request) -> str:
    """The sender's address: behind nginx (ANSINH_BEHIND_TLS_PROXY) the last X-Forwarded-For entry,
    the one nginx itself appended (earlier entries are the client's to forge)."""
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = (request.META.get("HTTP_X_FORWARDED_FOR") or "").rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded[:64]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]


def _count_ok(key: str, limit: int, seconds: int) -> bool:
    n = cache.get_or_set(key, 0, seconds + 100)
    if n >= limit:
        return False
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, seconds + 100)
    return True


def _rate_ok(request, posting=None) -> bool:
    """At most PUBLIC_PER_HOUR messages an hour from one address, and PUBLIC_PER_POSTING_DAY a day
    about one posted list (whatever the addresses)."""
    hour, day = int(time.time() // 3600), int(time.time() // 86400)
    if not _count_ok(f"complaints:public:{_client(request)}:{hour}", rules.PUBLIC_PER_HOUR, 3600):
        return False
    return posting is None or _count_ok(f"complaints:posting:{posting.pk}:{day}", rules.PUBLIC_PER_POSTING_DAY,
                                        86400)


def _form_stamp() -> str:
    return signing.dumps(int(time.time()), salt=FORM_SALT)


def _stamp_ok(value: str) -> bool:
    try:
        t = signing.loads(value or "", salt=FORM_SALT, max_age=3600)
    except signing.BadSignature:
        return False
    return time.time() - int(t) >= rules.PUBLIC_MIN_SECONDS


def public_posting(request, token: str):
    posting = selectors.public_posting(token)
    if posting is None:
        raise Http404
    labels = dict(Category.choices)
    ctx = {"posting": posting, "stamp": _form_stamp(),
           "categories": [(c, labels[c]) for c in ("eligibility", "amount", "data", "other")]}
    if request.method == "POST":
        p = request.POST
        if p.get("website") or not _stamp_ok(p.get("stamp", "")):
            # a robot (the hidden field filled, or sent too fast): answered like a refusal, nothing stored
            return render(request, "complaints/public_refused.html", status=400)
        if not _rate_ok(request, posting):
            return render(request, "complaints/public_refused.html", {"limited": True}, status=429)
        try:
            case = services.public_feedback(posting, text=p.get("text", ""), name=p.get("name", ""),
                                            contact=p.get("contact", ""), category=p.get("category", ""))
        except BadInput:
            return render(request, "complaints/public_refused.html", status=400)
        return render(request, "complaints/public_sent.html", {"code": case.code})
    return render(request, "complaints/public_posting.html", ctx)


def public_status(request):
    code = request.GET.get("code", "")
    case = None
    if code:
        hour = int(time.time() // 3600)
        if not _count_ok(f"complaints:status:{_client(request)}:{hour}", rules.PUBLIC_LOOKUPS_PER_HOUR, 3600):
            return render(request, "complaints/public_refused.html", {"limited": True}, status=429)
        case = selectors.public_status(code)
    return render(request, "complaints/public_status.html", {"case": case, "asked": bool(code)})
