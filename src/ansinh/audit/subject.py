"""A data subject's request: everything ansinh holds about one person, as .xlsx or .json, from the
person page (Decree 13/2023/NĐ-CP Art. 9 and 14; the Personal Data Protection Law 2025: the right
to see and receive one's own data).

Who: the officers who answer such requests for the record they hold (SUBJECT_ROLES: commune and
province officers, checked by the view), for a person in their scope.
Numbers are whole: the copy is for the person it is about, and these roles see them whole on the
person page already (ansinh.core.masking), so the export widens nobody's view. Each export is one
audit-log entry (SUBJECT_EXPORT) naming the person, the file, its sha256 and the request's reference.

Reads only; sections in the order of the file: the person, enrolments, authorised persons, accounts,
payments, complaints, data-quality findings, registry history, who saw or exported the data."""
from __future__ import annotations

import io

from django.utils.translation import gettext as _

from ansinh.core.roles import SUBJECT_REQUEST_ROLES as SUBJECT_ROLES  # noqa: F401 (the gate's rule)
FORMATS = ("xlsx", "json")


def _d(value) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _section(key: str, title: str, header: list[str], rows: list[list]) -> dict:
    return {"key": key, "title": title, "header": header, "rows": rows}


def sections(viewer, person) -> list[dict]:
    """The person's data, section by section (`header` and `rows` of plain values, numbers whole)."""
    from ansinh.audit import selectors as audit_selectors
    from ansinh.audit.models import Action
    from ansinh.complaints.models import Case
    from ansinh.core.scope import scoped
    from ansinh.core.selectors import display_name
    from ansinh.payroll.models import PayrollLine
    from ansinh.payroll.selectors import category_label, channel_label
    from ansinh.registry import rules, selectors
    from django.utils import timezone

    from ansinh.registry.history_words import change_subject, source_words, value_words
    from ansinh.registry.models import month_display
    from ansinh.registry.templatetags.registry_tags import object_words

    def at(moment) -> str:
        return f"{timezone.localtime(moment):%d/%m/%Y %H:%M}"

    p = person
    out = [_section("person", _("Thông tin cá nhân"), [_("Thông tin"), _("Giá trị")], [
        [_("Mã hồ sơ"), p.pk], [_("Họ và tên"), p.full_name], [_("Số định danh"), p.id_number or ""],
        [_("Số CMND"), p.legacy_cmnd or ""], [_("Ngày sinh"), p.dob_display],
        [_("Giới tính"), str(p.get_gender_display() or "")], [_("Dân tộc"), p.ethnicity],
        [_("Điện thoại"), p.phone], [_("Thôn/bản"), p.village], [_("Địa chỉ"), p.address_text],
        [_("Xã/phường hiện hành"), p.commune.name if p.commune_id else ""],
        [_("Tình trạng"), str(p.get_status_display())], [_("Ngày mất"), _d(p.deceased_on)],
        [_("Đã chi trả đến tháng"), p.paid_through_display]])]
    out.append(_section("enrolments", _("Diện hưởng"),
                        [_("Chế độ"), _("Diện"), _("Hệ số"), _("Mức (đồng)"), _("Quyết định"), _("Ngày quyết định"),
                         _("Từ tháng"), _("Đến tháng"), _("Trạng thái"), _("Lý do")],
                        [[str(e.get_programme_display()), category_label(e.category) or e.category_label,
                          str(e.coefficient or ""), e.amount or "", e.decision_number, _d(e.decision_date),
                          month_display(e.start_month), month_display(e.end_month), str(e.get_status_display()),
                          e.status_reason]
                         for e in p.enrolments.order_by("programme", "category")]))
    out.append(_section("authorised", _("Người được ủy quyền"), [_("Họ và tên"), _("Số định danh"), _("Quan hệ")],
                        [[a.full_name, a.id_number, a.relationship] for a in p.authorised.order_by("pk")]))
    out.append(_section("accounts", _("Tài khoản nhận tiền"),
                        [_("Tổ chức"), _("Số tài khoản"), _("Chủ tài khoản"), _("Trạng thái"), _("Ngày đăng ký"),
                         _("Ngày đóng"), _("Phê duyệt")],
                        [[a.provider_name or a.provider or "", a.account_number, a.holder_name,
                          str(a.get_status_display()), _d(a.registered_on), _d(a.closed_on),
                          str(a.get_approval_display())] for a in p.accounts.order_by("pk")]))
    lines = scoped(PayrollLine, viewer).filter(person=p).select_related("run").order_by("period_month", "pk")
    out.append(_section("payments", _("Chi trả"),
                        [_("Bảng chi tháng"), _("Tháng được hưởng"), _("Diện"), _("Số tiền (đồng)"), _("Kênh"),
                         _("Số tài khoản"), _("Kết quả"), _("Ngày chi")],
                        [[ln.run.period_display, month_display(ln.period_month), category_label(ln.category), ln.amount,
                          channel_label(ln.channel), ln.account_number, str(ln.get_result_display()), _d(ln.paid_on)]
                         for ln in lines]))
    from django.db.models import Q

    cases = scoped(Case, viewer).filter(Q(person=p) | Q(complainant_person=p)).order_by("received_on", "pk")
    out.append(_section("complaints", _("Đơn thư"),
                        [_("Mã đơn"), _("Loại"), _("Nội dung"), _("Ngày tiếp nhận"), _("Trạng thái"),
                         _("Ngày giải quyết"), _("Kết quả"), _("Nội dung đơn"), _("Quyết định")],
                        [[c.code, str(c.get_kind_display()), str(c.get_category_display()), _d(c.received_on),
                          str(c.get_status_display()), _d(c.decided_on), str(c.get_outcome_display() or ""),
                          c.text, c.decision] for c in cases]))
    out.append(_section("issues", _("Vấn đề dữ liệu"), [_("Quy tắc"), _("Nội dung"), _("Trạng thái")],
                        [[rules.rule_title(i.rule, i.severity), i.message, str(i.get_status_display())]
                         for i in p.issues.order_by("rule", "pk")]))
    out.append(_section("history", _("Lịch sử thay đổi"),
                        [_("Thời điểm"), _("Người sửa"), _("Nguồn"), _("Trường"), _("Giá trị cũ"), _("Giá trị mới")],
                        [[at(c.at), display_name(c.user) if c.user_id else _("Dòng lệnh/hệ thống"),
                          source_words(c.source), change_subject(c.model, c.field), value_words(c.old),
                          value_words(c.new)] for c in selectors.person_history(viewer, p)]))
    labels = dict(Action.choices)
    entries = list(audit_selectors.who_saw(viewer, p.pk)[:5000])
    from django.contrib.auth import get_user_model

    names = {u.pk: display_name(u) for u in get_user_model().objects.filter(
        pk__in={e.user_id for e in entries if e.user_id}).select_related("profile")}
    out.append(_section("readers", _("Ai đã xem, xuất, sửa dữ liệu"),
                        [_("Thời điểm"), _("Người"), _("Việc"), _("Tệp hoặc đối tượng")],
                        [[at(e.at), names.get(e.user_id) or e.user_name or _("Dòng lệnh"),
                          str(labels.get(e.action, e.action)), object_words(e.object)] for e in entries]))
    return out


def render(secs: list[dict], fmt: str) -> bytes:
    """The sections as an .xlsx (one sheet each) or as JSON (UTF-8)."""
    if fmt == "json":
        import json

        return json.dumps({s["key"]: {"title": s["title"], "rows": [dict(zip(s["header"], r, strict=True))
                                                                     for r in s["rows"]]} for s in secs},
                          ensure_ascii=False, indent=1, default=str).encode("utf-8")
    if fmt != "xlsx":
        raise ValueError(f"unknown format {fmt!r}")
    import openpyxl

    from ansinh.core.exports import safe_row

    wb = openpyxl.Workbook(write_only=True)
    for s in secs:
        ws = wb.create_sheet(s["title"][:31])
        ws.append(s["header"])
        for r in s["rows"]:
            ws.append(safe_row([v if isinstance(v, int) else str(v) for v in r]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def file_name(person, fmt: str) -> str:
    return f"du-lieu-ca-nhan-{person.pk}.{fmt}"


def export(request, person, fmt: str, reference: str) -> bytes:
    """The file for a request (its reference, e.g. "Đơn ngày 01/12/2026"), recorded in the audit log."""
    import hashlib

    from ansinh.audit.models import Action
    from ansinh.audit.reads import _user
    from ansinh.audit.services import append
    from ansinh.core import masking

    user = _user(request)
    data = render(sections(user, person), fmt)
    append(Action.SUBJECT_EXPORT, user=user, persons=[person.pk], object=file_name(person, fmt),
           sha256=hashlib.sha256(data).hexdigest(),
           detail={"request": masking.text_masked(reference.strip()[:200], frozenset())})
    return data
