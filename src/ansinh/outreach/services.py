"""Writes for outreach: directives (create, issue with a number, publish), attachments,
reports with evidence files. The demo data (the seed letter of February 2024): outreach/demo.py."""
from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ansinh.core.jobs import BadInput
from ansinh.core.models import Organisation, Role
from ansinh.core.roles import has_role
from ansinh.core.scope import profile_of
from ansinh.core.selectors import province_place, province_short_name
from ansinh.core.services import recorded_user
from ansinh.core.uploads import ATTACHMENT_KINDS, EVIDENCE_KINDS, safe_stored_name, verify_file
from ansinh.outreach.models import (
    METRICS,
    Attachment,
    Directive,
    DirectiveRecipient,
    DirectiveStatus,
    Evidence,
    ImplementedDocument,
    Periodicity,
    Report,
    Task,
    Topic,
)
from ansinh.units.models import Level

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024

TOPICS = [
    ("sap-xep-don-vi-hanh-chinh", "Sắp xếp đơn vị hành chính"),
    ("chi-tra-khong-dung-tien-mat", "Chi trả an sinh xã hội không dùng tiền mặt"),
]


def can_manage(user) -> bool:
    """Department officers draft, issue and publish directives."""
    return has_role(user, Role.PROVINCE_OFFICER, Role.ADMIN)


def ensure_topics() -> dict[str, Topic]:
    out = {}
    for code, name in TOPICS:
        out[code], _ = Topic.objects.get_or_create(code=code, defaults={"name": name})
    return out


def _scope_keys(org: Organisation) -> tuple:
    unit = org.unit
    commune = unit if unit is not None and unit.level != Level.PROVINCE else None
    return commune, (org.province_code or (unit.province_code if unit else ""))


@transaction.atomic
def create_directive(organisation: Organisation, *, symbol: str, subject: str, user=None, place: str = "",
                     date: dt.date | None = None, superior_body: str = "", body: str = "", signing_mode: str = "",
                     signing_authority: str = "", signer_title: str = "", signer_name: str = "",
                     cc: list[str] | None = None, archive: str = "VT", targets: list[dict] | None = None,
                     recipients: list[tuple[Organisation, str]] | None = None,
                     implements: list[dict] | None = None, topics: list[Topic] | None = None,
                     tasks: list[dict] | None = None) -> Directive:
    if not subject.strip():
        raise BadInput(_("Chưa có trích yếu (V/v …)."))
    if not symbol.strip():
        raise BadInput(_("Chưa có ký hiệu văn bản."))
    commune, province = _scope_keys(organisation)
    if not place:  # the place on the letter: the issuing body's province ("Cao Bằng"), else the installation's
        place = province_short_name(province) or province_place(user)
    d = Directive.objects.create(
        organisation=organisation, symbol=symbol.strip(), subject=subject.strip(), place=place, date=date,
        superior_body=superior_body, body=body, signing_mode=signing_mode, signing_authority=signing_authority,
        signer_title=signer_title, signer_name=signer_name, cc=cc or [], archive=archive, targets=targets or [],
        created_by=recorded_user(user), scope_commune=commune, province_code=province)
    for i, (org, label) in enumerate(recipients or []):
        DirectiveRecipient.objects.create(directive=d, organisation=org, addressed_as=label or "", order=i)
    ImplementedDocument.objects.bulk_create(
        [ImplementedDocument(directive=d, order=i, **doc) for i, doc in enumerate(implements or [])])
    if topics:
        d.topics.set(topics)
    for t in tasks or []:
        add_task(d, **t)
    return d


def add_task(d: Directive, *, recipient: Organisation, description: str, due_date: dt.date | None = None,
             topic: Topic | None = None, periodicity: str = Periodicity.ONCE, period_months: int | None = None,
             until: dt.date | None = None) -> Task:
    commune, province = _scope_keys(recipient)
    return Task.objects.create(directive=d, recipient=recipient, description=description, due_date=due_date,
                               topic=topic, periodicity=periodicity, period_months=period_months, until=until,
                               scope_commune=commune, province_code=province or d.province_code)


def allocate_number(d: Directive, day: dt.date) -> int:
    """The next number of the issuing organisation in `day`'s year (restarting each year).

    The organisation row is locked while the number is chosen (PostgreSQL: SELECT … FOR
    UPDATE; SQLite serialises writers), and the unique (organisation, year, number)
    constraint is the last word: a collision retries with the next number."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                Organisation.objects.select_for_update().filter(pk=d.organisation_id).first()
                last = (Directive.objects.filter(organisation_id=d.organisation_id, year=day.year)
                        .aggregate(m=Max("number"))["m"]) or 0
                Directive.objects.filter(pk=d.pk).update(number=last + 1, year=day.year, date=day)
                d.number, d.year, d.date = last + 1, day.year, day
                return d.number
        except IntegrityError:
            continue
    raise BadInput(_("Không cấp được số văn bản, xin thử lại."))


def issue_directive(d: Directive, day: dt.date | None = None) -> Directive:
    if d.status != DirectiveStatus.DRAFT:
        raise BadInput(_("Văn bản đã được ban hành."))
    day = day or d.date or timezone.localdate()
    with transaction.atomic():
        if d.number is None:
            allocate_number(d, day)
        Directive.objects.filter(pk=d.pk).update(status=DirectiveStatus.ISSUED)
        d.status = DirectiveStatus.ISSUED
    return d


def publish_directive(d: Directive) -> Directive:
    if d.status == DirectiveStatus.DRAFT:
        issue_directive(d)
    d.status, d.published_at = DirectiveStatus.PUBLISHED, timezone.now()
    d.save(update_fields=["status", "published_at"])
    return d


def add_attachment(d: Directive, title: str, name: str, content: bytes) -> Attachment:
    """Attach a document (PDF, office document or image, verified by its bytes; see
    ansinh.core.uploads.verify_file)."""
    v = verify_file(name, content, ATTACHMENT_KINDS, MAX_ATTACHMENT_BYTES)
    a = Attachment(directive=d, title=title or v.name)
    a.file.save(safe_stored_name(v.name), ContentFile(v.content), save=True)
    return a


def can_report(user, task: Task) -> bool:
    org = getattr(profile_of(user), "organisation", None)
    return (org is not None and org.pk == task.recipient_id) or can_manage(user)


def clean_metrics(data: dict) -> dict[str, int]:
    out = {}
    for fld, label in METRICS:
        raw = str(data.get(fld, "") or "0").strip().replace(".", "").replace(",", "")
        try:
            val = int(raw)
        except ValueError:
            raise BadInput(f"{label}: {_('phải là số nguyên không âm')}") from None
        if val < 0:
            raise BadInput(f"{label}: {_('phải là số nguyên không âm')}")
        out[fld] = val
    return out


@transaction.atomic
def submit_report(task: Task, user, *, period_start: dt.date, period_end: dt.date, metrics: dict,
                  notes: str = "", files: list[tuple[str, bytes]] | None = None, at=None) -> Report:
    """A report by the recipient organisation on one task, with evidence files (photos...); by a user
    of that organisation or a department officer (None: nobody)."""
    if not can_report(user, task):
        raise BadInput(_("Đơn vị của bạn không phải đơn vị thực hiện nhiệm vụ này."))
    if period_end < period_start:
        raise BadInput(_("Kỳ báo cáo: ngày kết thúc trước ngày bắt đầu."))
    values = clean_metrics(metrics)
    # Only formats verified by their bytes; images are re-encoded (ansinh.core.uploads).
    files = [verify_file(name, content, EVIDENCE_KINDS, MAX_EVIDENCE_BYTES) for name, content in files or []]
    if not any(values.values()) and not notes.strip() and not files:
        raise BadInput(_("Báo cáo trống: nhập ít nhất một số liệu, nội dung hoặc tệp minh chứng."))
    r = Report.objects.create(task=task, organisation=task.recipient,
                              submitted_by=recorded_user(user),
                              submitted_at=at or timezone.now(), period_start=period_start, period_end=period_end,
                              notes=notes.strip(), scope_commune=task.scope_commune,
                              province_code=task.province_code, **values)
    for v in files:
        e = Evidence(report=r, name=v.name, content_type=v.content_type)
        e.file.save(safe_stored_name(v.name), ContentFile(v.content), save=True)
    return r
