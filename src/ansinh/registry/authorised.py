"""Authorised persons, properly (issue 14 item 4): an authorisation names who receives the money
for a beneficiary (relationship), the account in their name it lets payroll pay into, until when,
when to check it again, and the signed authorisation (a PDF or photo, verified by its bytes and
kept under VAR_DIR/uploads like every upload: ansinh.core.uploads).

After ``valid_until`` payroll no longer pays that account (``payroll/generate._account_usable_sql``:
the person is paid in cash until the authorisation is renewed) and ``flag_authorisations`` opens a
review item (AUTH_EXPIRED, blocks payment); ``recheck_on`` reached opens AUTH_RECHECK (a check).
Set-based: one query finds the authorisations, one bulk insert opens the items (not twice)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.roles import can_edit
from ansinh.core.scope import scope_for
from ansinh.core.uploads import read_uploaded, store_upload, verify_file
from ansinh.registry import rules
from ansinh.registry.history import Change, log_change, log_changes
from ansinh.registry.models import (
    AccountHolder,
    AuthorisedPerson,
    IssueStatus,
    PaymentAccount,
    Person,
    QualityIssue,
)
from ansinh.registry.routing import OutsideScope
from ansinh.text import fold, normalize_name

EVIDENCE_MAX_BYTES = 10 * 2**20
MESSAGES = {
    "AUTH_EXPIRED": "Giấy ủy quyền cho {name} hết hạn ngày {day:%d/%m/%Y}: không chi vào tài khoản của người "
                    "được ủy quyền (chi tiền mặt) đến khi có giấy ủy quyền mới",
    "AUTH_RECHECK": "Đến hạn kiểm tra lại giấy ủy quyền cho {name} (ngày {day:%d/%m/%Y})",
}


def _store_evidence(uploaded) -> str:
    name, content = read_uploaded(uploaded, EVIDENCE_MAX_BYTES)
    v = verify_file(name, content, ("image", "pdf"), EVIDENCE_MAX_BYTES)
    dest = store_upload(SimpleUploadedFile(v.name, v.content), "authorisation-evidence", "giay-uy-quyen")
    return str(dest.relative_to(settings.VAR_DIR))


def record_authorisation(person: Person, *, full_name: str, relationship: str, valid_until: dt.date,
                         recheck_on: dt.date | None = None, account: PaymentAccount | None = None, evidence=None,
                         user, source: str = "web") -> AuthorisedPerson:
    """Record (or renew) who receives the money for `person`: refused outside the editor's scope,
    without a name, a relationship or an end date, or with an account not of this person held by
    an authorised person. A renewal of the same name replaces the dates and evidence."""
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền sửa dữ liệu")
    if not scope_for(user).covers(person.scope_commune_id, person.province_code):
        raise OutsideScope("đối tượng ngoài phạm vi của bạn")
    name = normalize_name(full_name or "")
    if not name or not (relationship or "").strip():
        raise BadInput("cần họ tên và quan hệ với đối tượng của người được ủy quyền")
    if valid_until is None:
        raise BadInput("cần ngày hết hạn ủy quyền")
    if recheck_on is not None and recheck_on > valid_until:
        raise BadInput("ngày kiểm tra lại phải trước ngày hết hạn")
    if account is not None and (account.person_id != person.pk or account.holder != AccountHolder.AUTHORISED):
        raise BadInput("tài khoản phải của đối tượng này, do người được ủy quyền đứng tên")
    path = _store_evidence(evidence) if evidence is not None else ""
    with transaction.atomic():
        ap = AuthorisedPerson.objects.filter(person=person, name_key=fold(name)).first()
        old = (ap.valid_until, ap.recheck_on) if ap else (None, None)
        if ap is None:
            ap = AuthorisedPerson(person=person, full_name=name, name_key=fold(name))
        ap.relationship = relationship.strip()[:100]
        ap.valid_until, ap.recheck_on = valid_until, recheck_on
        if account is not None:
            ap.account = account
        if path:
            ap.evidence = path
        ap.save()
        log_change(person, "registry.authorisedperson", ap.pk, "valid_until", old[0], valid_until, user=user,
                   source=source)
        # a renewed authorisation closes the items the old dates opened
        today = timezone.localdate()
        closing = []
        if valid_until >= today:
            closing.append("AUTH_EXPIRED")
        if recheck_on is None or recheck_on > today:
            closing.append("AUTH_RECHECK")
        for issue in QualityIssue.objects.filter(person=person, rule__in=closing, status=IssueStatus.OPEN,
                                                 details__authorised=ap.pk):
            issue.status, issue.resolved_at, issue.reason = IssueStatus.FIXED, timezone.now(), "Đã gia hạn ủy quyền"
            issue.save(update_fields=["status", "resolved_at", "reason"])
            log_change(person, "registry.qualityissue", issue.pk, "status", IssueStatus.OPEN, IssueStatus.FIXED,
                       user=user, source=source)
    return ap


def flag_authorisations(today: dt.date | None = None, *, user=None, source: str = "cli:authorisations") -> dict:
    """Open a review item for every authorisation expired (AUTH_EXPIRED, on an account payroll would
    pay) or due for a check (AUTH_RECHECK) on `today`, unless one is open already. Returns counts."""
    today = today or timezone.localdate()
    out = {}
    now = timezone.now()
    with transaction.atomic():
        for rule, cond in (("AUTH_EXPIRED", Q(valid_until__lt=today, account__isnull=False)),
                           ("AUTH_RECHECK", Q(recheck_on__lte=today) & (Q(valid_until__isnull=True)
                                                                         | Q(valid_until__gte=today)))):
            open_item = QualityIssue.objects.filter(person_id=OuterRef("person_id"), rule=rule,
                                                    status=IssueStatus.OPEN)
            rows = list(AuthorisedPerson.objects.filter(cond).filter(~Exists(open_item))
                        .values_list("pk", "person_id", "full_name", "valid_until", "recheck_on",
                                     "person__scope_commune_id", "person__province_code"))
            sev = rules.RULES[rule][0]
            issues = [QualityIssue(person_id=pid, rule=rule, severity=sev, field="authorised",
                                   message=MESSAGES[rule].format(name=name, day=until if rule == "AUTH_EXPIRED"
                                                                 else recheck)[:500],
                                   details={"authorised": pk}, scope_commune_id=sc, province_code=pc)
                      for pk, pid, name, until, recheck, sc, pc in rows]
            QualityIssue.objects.bulk_create(issues)
            made = QualityIssue.objects.filter(rule=rule, status=IssueStatus.OPEN, created__gte=now,
                                               person_id__in=[r[1] for r in rows])
            log_changes([Change("registry.qualityissue", i.pk, i.person_id, "status", None, IssueStatus.OPEN,
                                i.scope_commune_id, i.province_code) for i in made], user=user, source=source)
            out[rule] = len(rows)
    return out


def expired_account_ids_sql(today: dt.date) -> str:
    """Accounts payroll must not pay on `today`: those of an authorisation expired before it
    (SQL, for ``payroll/generate._account_usable_sql``; the date is ours, not a user's text)."""
    return (f"SELECT ap.account_id FROM registry_authorisedperson ap WHERE ap.account_id IS NOT NULL"
            f" AND ap.valid_until < '{today.isoformat()}'")
