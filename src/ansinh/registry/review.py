"""The review queue's writes: fixing a quality issue (a person's field, checked, with the ID rules
re-evaluated), waiving one with a reason, and placing a person whose old commune was split in one
current commune. Each checks the editor's role and scope (None: nobody, refused) and records every
change through ansinh.registry.history in the same transaction."""
from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.roles import can_edit
from ansinh.core.scope import scope_for
from ansinh.core.services import recorded_user
from ansinh.registry import rules
from ansinh.registry.categories import CATEGORIES
from ansinh.registry.categories import coefficient as category_coefficient
from ansinh.registry.history import log_change
from ansinh.registry.importing.residence import resolve_for_person
from ansinh.registry.models import IssueStatus, Person, Programme, QualityIssue
from ansinh.registry.recheck import recheck_persons
from ansinh.registry.routing import IdNumberTaken, OutsideScope, follow_person_scope, route_id_taken
from ansinh.text import fold, normalize_name
from ansinh.units.models import AdminUnit, Level


class _IdTaken(Exception):
    """Raised inside fix_issue's transaction (nothing written yet) to route the case after it."""

    def __init__(self, person_id: int, other_id: int):
        super().__init__(person_id, other_id)
        self.person_id, self.other_id = person_id, other_id



FIXABLE_FIELDS = ("full_name", "id_number", "dob", "gender", "phone", "village", "address_text", "ethnicity",
                  "category")


def _check_can_touch(person: Person, user) -> None:
    """Refuse unless `user` may edit and the person is in their scope (None: nobody, refused)."""
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền sửa dữ liệu")
    s = scope_for(user)
    if not s.covers(person.scope_commune_id, person.province_code):
        raise OutsideScope("đối tượng ngoài phạm vi của bạn")


def _parse_value(fld: str, value: str):
    from ansinh.text.dates import parse_cell

    value = (value or "").strip()
    if fld == "full_name":
        v = normalize_name(value)
        if not v:
            raise BadInput("họ tên không được để trống")
        return v
    if fld == "id_number":
        digits = re.sub(r"[\s.\-]", "", value)
        id_number, legacy, findings = rules.classify_id(digits)
        errors = [f for f in findings if f.severity == rules.ERROR]
        if errors:
            raise BadInput(errors[0].message)
        return (id_number, legacy)
    if fld == "dob":
        try:
            parsed = parse_cell(value)
        except ValueError as exc:
            raise BadInput(f"ngày sinh không hợp lệ: {exc}") from None
        if parsed is None:
            raise BadInput("ngày sinh không được để trống")
        return parsed
    if fld == "gender":
        v = {"M": "M", "NAM": "M", "F": "F", "NU": "F"}.get(fold(value))
        if v is None:
            raise BadInput("giới tính phải là Nam hoặc Nữ")
        return v
    if fld == "phone":
        phone, findings = rules.normalise_phone(value)
        if not phone:
            raise BadInput(findings[0].message if findings else "số điện thoại trống")
        return phone
    if fld == "category":
        if value not in CATEGORIES:
            raise BadInput(f"mã diện không hợp lệ: {value!r}")
        return value
    return " ".join(value.split())


def fix_issue(issue: QualityIssue, user, field: str, value: str) -> QualityIssue:
    """Set a person's field (checked) and mark the issue fixed; both recorded in history.

    An ID number already registered to another person is refused with
    rules.ID_TAKEN_MESSAGE (IdNumberTaken) — never the other person's name, commune or the
    number — and the case goes to a reviewer whose scope covers both (route_id_taken)."""
    from django.utils.translation import gettext

    try:
        return _fix_issue(issue, user, field, value)
    except _IdTaken as taken:
        with transaction.atomic():
            person = Person.objects.get(pk=taken.person_id)
            other = Person.objects.get(pk=taken.other_id)
            route_id_taken(person, (other.scope_commune_id, other.province_code), user, message=(
                f"Số định danh nhập cho đối tượng này đã được đăng ký cho một đối tượng khác "
                f"(hồ sơ #{other.pk}); cấp tỉnh sẽ xử lý."), details={"other_person": other.pk, "issue": issue.pk})
        raise IdNumberTaken(gettext(rules.ID_TAKEN_MESSAGE)) from None


@transaction.atomic
def _fix_issue(issue: QualityIssue, user, field: str, value: str) -> QualityIssue:
    issue = QualityIssue.objects.select_for_update().select_related("person").get(pk=issue.pk)
    person = issue.person
    _check_can_touch(person, user=user)
    if issue.status != IssueStatus.OPEN:
        raise BadInput("vấn đề này đã được xử lý")
    if field not in FIXABLE_FIELDS:
        raise BadInput(f"không sửa được trường {field!r}")
    val = _parse_value(field, value)
    now = timezone.now()
    if field == "id_number":
        id_number, legacy = val
        other = (Person.objects.filter(id_number=id_number).exclude(pk=person.pk).values_list("pk", flat=True)
                 .first() if id_number else None)
        if other is not None:
            raise _IdTaken(person.pk, other)  # nothing written yet: fix_issue routes the case
        for fld, new in (("id_number", id_number), ("legacy_cmnd", legacy)):
            if new and getattr(person, fld) != new:
                log_change(person, "registry.person", person.pk, fld, getattr(person, fld), new, user=user)
                setattr(person, fld, new)
    elif field == "dob":
        dob, precision = val
        log_change(person, "registry.person", person.pk, "dob", person.dob, dob, user=user)
        person.dob, person.dob_precision = dob, precision
    elif field == "category":
        enrol_id = (issue.details or {}).get("enrolment")
        enrol = person.enrolments.filter(pk=enrol_id).first() if enrol_id else None
        if enrol is None:
            enrol = person.enrolments.filter(category="").first() or person.enrolments.first()
        if enrol is None:
            raise BadInput("đối tượng chưa có diện hưởng nào")
        log_change(person, "registry.enrolment", enrol.pk, "category", enrol.category, val, user=user)
        enrol.category = val
        from ansinh.registry.importing.prepare import programme_of

        programme = programme_of(val)
        enrol.programme = programme
        if enrol.coefficient is None and person.dob:
            coef = category_coefficient(val, rules.age_on(person.dob, timezone.localdate()))
            enrol.coefficient = coef
        enrol.save()
    else:
        old = getattr(person, field)
        if issue.rule == "RESIDENCE" and field in ("address_text", "village"):
            unit = resolve_for_person(person, val)
            if unit is None:
                raise BadInput(f"không xác định được xã/phường hiện hành từ “{val}” (ghi rõ xã, huyện)")
            if old != val:
                log_change(person, "registry.person", person.pk, field, old, val, user=user)
                setattr(person, field, val)
            person.save()
            resolve_residence(person, unit, user)  # closes the RESIDENCE issues, keeps the history
            issue.refresh_from_db()
            return issue
        if old != val:
            log_change(person, "registry.person", person.pk, field, old, val, user=user)
            setattr(person, field, val)
            if field == "full_name":
                person.name_key = fold(val)
    person.save()
    if issue.rule in ("ACCOUNT_FIELDS",):
        # Several things may be missing: the issue closes (recheck_persons below) once none is.
        recheck_persons([person.pk], user=user, source="web", at=now)
        issue.refresh_from_db()
        return issue
    issue.status = IssueStatus.FIXED
    issue.resolved_by = recorded_user(user)
    issue.resolved_at = now
    issue.reason = f"Sửa {field}: {value}"[:500]
    issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
    log_change(person, "registry.qualityissue", issue.pk, "status", IssueStatus.OPEN, IssueStatus.FIXED, user=user)
    if field in ("id_number", "dob", "gender"):
        _recheck_id_rules(person, user, field, now)
    recheck_persons([person.pk], user=user, source="web", at=now)
    return issue


@transaction.atomic
def add_account(issue: QualityIssue, user, provider: str, number: str) -> QualityIssue:
    """Record the account a person will be paid into, from their "no account" issue (the review
    queue's fix of ACCOUNT_MISSING): checked like a bank list's number, pending until a second
    user approves it (ansinh.accounts.approval), recorded in history; the issue then closes
    itself (recheck_persons), as it would after a bank list or an import."""
    from ansinh.accounts.rules import check_account_number, clean_account_number
    from ansinh.core import providers
    from ansinh.registry.history import Change, log_changes
    from ansinh.registry.models import AccountStatus, PaymentAccount

    issue = QualityIssue.objects.select_for_update().select_related("person").get(pk=issue.pk)
    person = issue.person
    _check_can_touch(person, user=user)
    if issue.status != IssueStatus.OPEN:
        raise BadInput("vấn đề này đã được xử lý")
    if provider not in providers.ACCOUNT_PROVIDERS:
        raise BadInput("chọn ngân hàng hoặc ví điện tử")
    number = clean_account_number(number)
    err = check_account_number(provider, number)
    if err:
        raise BadInput(err)
    if PaymentAccount.objects.filter(person=person, account_number=number).exists():
        raise BadInput("tài khoản này đã có trong hồ sơ")
    now = timezone.now()
    acc = PaymentAccount.objects.create(
        person=person, provider=provider, provider_name=providers.ACCOUNT_PROVIDERS[provider].short_name,
        account_number=number, holder_name=fold(person.full_name), source="web", status=AccountStatus.REGISTERED,
        registered_on=timezone.localdate(), made_by=recorded_user(user))
    log_changes([Change("registry.paymentaccount", acc.pk, person.pk, "", None, f"tạo mới: {acc}",
                        person.scope_commune_id, person.province_code)], user=user, source="web", at=now)
    recheck_persons([person.pk], user=user, source="web", at=now)
    issue.refresh_from_db()
    if issue.status == IssueStatus.OPEN and issue.rule == "COMPLAINT_ACCOUNT":
        # A change of account asked in a complaint: not a re-read rule, closed by the new account.
        issue.status, issue.resolved_by, issue.resolved_at = IssueStatus.FIXED, recorded_user(user), now
        issue.reason = "Đã ghi tài khoản mới (chờ phê duyệt)"
        issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
        log_change(person, "registry.qualityissue", issue.pk, "status", IssueStatus.OPEN, IssueStatus.FIXED, user=user)
    return issue


# Rules that compare the ID number with other fields: re-evaluated whenever one side changes.
_ID_CROSS_RULES = ("ID_GENDER", "ID_BIRTH_YEAR")


def _recheck_id_rules(person: Person, user, changed: str, now) -> None:
    """After a fix of the ID number, date of birth or gender: close the open ID_GENDER /
    ID_BIRTH_YEAR issues that no longer hold and open those that now do (both recorded)."""
    found = {f.rule: f for f in (rules.check_id_gender(person.id_number, person.gender)
                                 + rules.check_id_birth_year(person.id_number, person.dob))}
    open_issues = {i.rule: i for i in QualityIssue.objects.select_for_update().filter(
        person=person, status=IssueStatus.OPEN, rule__in=_ID_CROSS_RULES)}
    for rule, other in open_issues.items():
        if rule in found:
            continue
        other.status, other.resolved_by, other.resolved_at = IssueStatus.FIXED, recorded_user(user), now
        other.reason = f"Tự đóng: hết sai lệch sau khi sửa {changed}"
        other.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
        log_change(person, "registry.qualityissue", other.pk, "status", IssueStatus.OPEN, IssueStatus.FIXED, user=user)
    for rule, f in found.items():
        if rule in open_issues:
            continue
        new = QualityIssue.objects.create(
            person=person, rule=rule, severity=f.severity, field=f.field, message=f.message[:500],
            details={**f.details, "after_fix": changed}, scope_commune_id=person.scope_commune_id,
            province_code=person.province_code)
        log_change(person, "registry.qualityissue", new.pk, "status", None, IssueStatus.OPEN, user=user)


@transaction.atomic
def waive_issue(issue: QualityIssue, user, reason: str) -> QualityIssue:
    issue = QualityIssue.objects.select_for_update().select_related("person").get(pk=issue.pk)
    _check_can_touch(issue.person, user=user)
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("cần ghi lý do bỏ qua")
    if issue.status != IssueStatus.OPEN:
        raise BadInput("vấn đề này đã được xử lý")
    issue.status = IssueStatus.WAIVED
    issue.resolved_by = recorded_user(user)
    issue.resolved_at = timezone.now()
    issue.reason = reason[:500]
    issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
    log_change(issue.person, "registry.qualityissue", issue.pk, "status", IssueStatus.OPEN, IssueStatus.WAIVED,
               user=user)
    return issue



def residence_choices(person: Person) -> list[AdminUnit]:
    """Current communes a person of a split commune may be placed in."""
    ids: set[int] = set()
    for issue in person.issues.filter(rule="RESIDENCE", status=IssueStatus.OPEN):
        ids |= {c.get("id") for c in (issue.details or {}).get("candidates", []) if c.get("id")}
    if person.residence_unit_id:
        from ansinh.core.scope import succession_links

        ids |= {s for _, s in succession_links([person.residence_unit_id], forward=True)}
    return list(AdminUnit.objects.filter(pk__in=ids, valid_to__isnull=True, level=Level.COMMUNE).order_by("name"))


@transaction.atomic
def resolve_residence(person: Person, unit: AdminUnit, user) -> Person:
    """Place a person whose old commune was split (or not found) in one current commune."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_can_touch(person, user=user)
    if unit.valid_to is not None or unit.level != Level.COMMUNE:
        raise BadInput(f"{unit.name} không phải xã/phường hiện hành")
    choices = residence_choices(person)
    if choices and unit not in choices:
        raise BadInput(f"{unit.name} không phải đơn vị kế thừa của {person.residence_unit or 'nơi cư trú'}")
    s = scope_for(user)
    if not s.covers(unit.pk, unit.province_code):
        raise OutsideScope(f"{unit.name} ngoài phạm vi của bạn")
    old = person.commune
    log_change(person, "registry.person", person.pk, "commune", f"{old.code} {old.name}" if old else "",
               f"{unit.code} {unit.name}", user=user)
    person.commune = unit
    if person.residence_unit_id is None:
        person.residence_unit = unit
    person.scope_commune = unit
    person.province_code = unit.province_code
    person.save()
    follow_person_scope([person.pk], unit.pk, unit.province_code)
    now = timezone.now()
    for issue in person.issues.filter(rule="RESIDENCE", status=IssueStatus.OPEN):
        issue.status = IssueStatus.FIXED
        issue.resolved_by = recorded_user(user)
        issue.resolved_at = now
        issue.reason = f"Chọn {unit.name}"
        issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
        log_change(person, "registry.qualityissue", issue.pk, "status", IssueStatus.OPEN, IssueStatus.FIXED, user=user)
    recheck_persons([person.pk], user=user, source="web", at=now)
    return person

