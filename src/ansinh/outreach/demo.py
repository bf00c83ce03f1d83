"""Outreach's demo data: the seed letter of February 2024 (Sở TT&TT Lạng Sơn) as a directive,
issued and published, with reports from some recipients and others overdue. Run by
`ansinh demo setup` after the accounts and payroll steps."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ansinh.core.models import Organisation, OrgKind
from ansinh.outreach.models import Directive, Periodicity, Report
from ansinh.outreach.services import (
    add_attachment,
    create_directive,
    ensure_topics,
    issue_directive,
    publish_directive,
    submit_report,
)
from ansinh.text import fold

# The department's officer enters the reports received on paper (ansinh.core.demo.USERS).
DEMO_REPORTER = "tinh"

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
    from django.contrib.auth import get_user_model

    reporter = get_user_model().objects.get(username=DEMO_REPORTER)  # the demo users come first
    n = 0
    for org, values, start, end in reported:
        notes = values.pop("notes", "")
        submit_report(by_org[org.pk], reporter, period_start=start, period_end=end, metrics=values, notes=notes,
                      at=dt.datetime.combine(end, dt.time(9), tzinfo=tz))
        n += 1
    return {"directive": d.pk, "number": d.number_symbol, "created": True, "tasks": d.tasks.count(), "reports": n}
