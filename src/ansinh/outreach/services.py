"""Writes for outreach: directives (create, issue with a number, publish), attachments,
reports with evidence files, and the demo data (the seed letter of February 2024)."""
from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from ansinh.core.jobs import BadInput
from ansinh.core.models import Organisation, OrgKind, Role
from ansinh.core.roles import has_role
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
from ansinh.text import fold
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
    if not place:  # the place on the letter: the issuing body's province ("Cao Bằng"), never a default one
        from ansinh.units.models import AdminUnit

        unit = AdminUnit.objects.filter(code=province, level=Level.PROVINCE, valid_to__isnull=True).first()
        place = unit.short_name if unit else ""
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
    org = getattr(getattr(user, "profile", None), "organisation", None) if _has_profile(user) else None
    return (org is not None and org.pk == task.recipient_id) or can_manage(user)


def _has_profile(user) -> bool:
    try:
        user.profile  # noqa: B018
    except Exception:  # noqa: BLE001
        return False
    return True


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
    """A report by the recipient organisation on one task, with evidence files (photos...)."""
    if user is not None and not can_report(user, task):
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


# --------------------------------------------------------------------------- demo

OLD_DISTRICTS = ["Tràng Định", "Văn Lãng", "Văn Quan", "Bình Gia", "Bắc Sơn", "Hữu Lũng", "Chi Lăng", "Cao Lộc",
                 "Lộc Bình", "Đình Lập"]  # + Thành phố Lạng Sơn (a city: "Phòng Văn hóa và Thông tin thành phố")

SEED_BODY = """Thực hiện Công văn số 316/VP-NC và Công văn số 404/VP-KGVX của Văn phòng UBND tỉnh; Công văn số 121/SLĐTBXH-BTXHTE của Sở Lao động - Thương binh và Xã hội, Sở Thông tin và Truyền thông đề nghị các cơ quan, đơn vị thực hiện một số nội dung sau:

1. Báo Lạng Sơn, Đài Phát thanh và Truyền hình tỉnh xây dựng chuyên trang, chuyên mục, tăng thời lượng tin, bài tuyên truyền về việc sắp xếp đơn vị hành chính cấp huyện, cấp xã giai đoạn 2023 - 2025 và về chi trả chính sách an sinh xã hội không dùng tiền mặt.

2. Phòng Văn hóa và Thông tin các huyện, thành phố chỉ đạo đài truyền thanh cấp xã, hệ thống loa truyền thanh cơ sở tuyên truyền để người dân, nhất là các đối tượng hưởng chính sách an sinh xã hội, hiểu lợi ích của việc nhận tiền qua tài khoản, phấn đấu đến hết quý II năm 2024 đạt từ 30% đến 40% và đến hết năm 2024 đạt từ 70% đến 80% đối tượng nhận chi trả không dùng tiền mặt.

3. Các cơ quan, đơn vị báo cáo kết quả thực hiện về Sở Thông tin và Truyền thông (qua Phòng Thông tin - Báo chí - Xuất bản) trước ngày 25 hằng tháng để tổng hợp."""


def _district(districts: dict, name: str):
    key = fold(name)
    return next((u for k, u in districts.items() if k.endswith(key)), None)


def _org(name: str, **defaults) -> Organisation:
    org, _ = Organisation.objects.get_or_create(name=name, defaults=defaults)
    return org


@transaction.atomic
def demo_setup(**kwargs) -> dict:
    """The seed letter of February 2024 as a directive, with reports from some recipients
    and others overdue. Idempotent: an existing seed letter is left as it is."""
    from ansinh.core.demo import create_demo_orgs
    from ansinh.core.demo import DEMO_PROVINCE
    from ansinh.core.services import current_unit
    from ansinh.units.selectors import old_districts

    orgs = create_demo_orgs()
    topics = ensure_topics()
    dept = orgs["so_tttt"]
    province = current_unit(DEMO_PROVINCE)
    existing = Directive.objects.filter(organisation=dept, symbol="STTTT-TTBCXB", year=2024,
                                        subject__startswith="tuyên truyền").first()
    if existing is not None:
        return {"directive": existing.pk, "created": False, "tasks": existing.tasks.count(),
                "reports": Report.objects.filter(task__directive=existing).count()}
    districts = {fold(u.name): u for u in old_districts(DEMO_PROVINCE)}
    offices = [_org(f"Phòng Văn hóa và Thông tin huyện {n}", short_name=f"Phòng VH&TT {n}", symbol="VHTT",
                    kind=OrgKind.CULTURE_OFFICE, unit=_district(districts, n) or province, province_code=DEMO_PROVINCE,
                    functions=["grassroots_information"], valid_to=dt.date(2025, 6, 30)) for n in OLD_DISTRICTS]
    offices.append(_org("Phòng Văn hóa và Thông tin thành phố Lạng Sơn", short_name="Phòng VH&TT TP Lạng Sơn",
                        symbol="VHTT", kind=OrgKind.CULTURE_OFFICE,
                        unit=_district(districts, "Lạng Sơn") or province, province_code=DEMO_PROVINCE,
                        functions=["grassroots_information"], valid_to=dt.date(2025, 6, 30)))
    group = "Phòng Văn hóa và Thông tin các huyện, thành phố"
    recipients = [(orgs["bao_ls"], ""), (orgs["dai_ptth"], "")] + [(o, group) for o in offices]
    recipients.append((orgs["vhxh_dongkinh"], ""))
    non_cash = topics["chi-tra-khong-dung-tien-mat"]
    tasks = [
        {"recipient": orgs["bao_ls"], "topic": non_cash, "due_date": dt.date(2024, 2, 25),
         "periodicity": Periodicity.PERIODIC, "period_months": 1, "until": dt.date(2024, 12, 25),
         "description": "Mở chuyên mục, đăng tin, bài tuyên truyền chi trả an sinh xã hội không dùng tiền mặt."},
        {"recipient": orgs["dai_ptth"], "topic": non_cash, "due_date": dt.date(2024, 2, 25),
         "periodicity": Periodicity.PERIODIC, "period_months": 1, "until": dt.date(2024, 12, 25),
         "description": "Tăng thời lượng tin, phóng sự phát thanh - truyền hình về chi trả không dùng tiền mặt."},
    ] + [{"recipient": o, "topic": non_cash, "due_date": dt.date(2024, 3, 25), "periodicity": Periodicity.ONCE,
          "description": "Chỉ đạo đài truyền thanh cấp xã, loa truyền thanh cơ sở tuyên truyền; báo cáo kết quả."}
         for o in offices] + [
        {"recipient": orgs["vhxh_dongkinh"], "topic": non_cash, "due_date": timezone.localdate() + dt.timedelta(days=20),
         "periodicity": Periodicity.ONCE,
         "description": "Phát bản tin trên đài truyền thanh phường, treo băng rôn, đến từng hộ chưa có tài khoản; "
                        "báo cáo kèm ảnh minh chứng."},
    ]
    d = create_directive(
        dept, symbol="STTTT-TTBCXB", superior_body="UBND TỈNH LẠNG SƠN", place="Lạng Sơn",
        date=dt.date(2024, 2, 5),
        subject="tuyên truyền chi trả chính sách an sinh xã hội không dùng tiền mặt",
        body=SEED_BODY, signing_mode="KT.", signing_authority="GIÁM ĐỐC", signer_title="PHÓ GIÁM ĐỐC",
        signer_name="Nguyễn Văn Demo",
        cc=["Giám đốc, các PGĐ Sở", "Sở Lao động - Thương binh và Xã hội", "UBND các huyện, thành phố"],
        archive="VT, TTBCXB",
        targets=[{"by": "2024-06-30", "low": 30, "high": 40}, {"by": "2024-12-31", "low": 70, "high": 80}],
        recipients=recipients, topics=list(topics.values()), tasks=tasks,
        implements=[
            {"number_symbol": "316/VP-NC", "date": None, "issuer": "Văn phòng UBND tỉnh Lạng Sơn",
             "summary": "sắp xếp đơn vị hành chính cấp huyện, cấp xã"},
            {"number_symbol": "404/VP-KGVX", "date": None, "issuer": "Văn phòng UBND tỉnh Lạng Sơn",
             "summary": "chi trả an sinh xã hội không dùng tiền mặt"},
            {"number_symbol": "121/SLĐTBXH-BTXHTE", "date": None,
             "issuer": "Sở Lao động - Thương binh và Xã hội tỉnh Lạng Sơn",
             "summary": "phối hợp tuyên truyền chi trả chính sách an sinh xã hội không dùng tiền mặt"},
        ])
    issue_directive(d, dt.date(2024, 2, 5))
    from ansinh.outreach.rendering import render_docx, letter_from_directive

    add_attachment(d, "Công văn (bản .docx)", f"{d.number:02d}-STTTT-TTBCXB.docx",
                   render_docx(letter_from_directive(d)))
    publish_directive(d)
    # Reports: the newspaper and the radio-TV station and three district offices reported; the others are overdue.
    by_org = {t.recipient_id: t for t in d.tasks.all()}
    tz = timezone.get_current_timezone()
    reported = [
        (orgs["bao_ls"], dict(articles=12, notes="Chuyên mục \"An sinh không tiền mặt\" trên Báo Lạng Sơn điện tử."),
         dt.date(2024, 2, 1), dt.date(2024, 2, 25)),
        (orgs["dai_ptth"], dict(tv_radio_pieces=8, broadcast_minutes=95), dt.date(2024, 2, 1), dt.date(2024, 2, 25)),
    ] + [(o, dict(commune_broadcasts=40 + 7 * i, broadcast_minutes=300 + 20 * i, loudspeaker_clusters=15 + i,
                  banners=6 + i, leaflets=500 + 50 * i, meetings=3, attendees=120 + 10 * i,
                  door_to_door_visits=60 + 5 * i), dt.date(2024, 2, 5), dt.date(2024, 3, 20))
         for i, o in enumerate(offices[:3])]
    n = 0
    for org, values, start, end in reported:
        notes = values.pop("notes", "")
        submit_report(by_org[org.pk], None, period_start=start, period_end=end, metrics=values, notes=notes,
                      at=dt.datetime.combine(end, dt.time(9), tzinfo=tz))
        n += 1
    return {"directive": d.pk, "number": d.number_symbol, "created": True, "tasks": d.tasks.count(), "reports": n}
