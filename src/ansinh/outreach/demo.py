"""Outreach's demo data: the province's real letter as a directive — Sở Thông tin và Truyền
thông Lạng Sơn, "Số: /STTTT-TTBCXB", "Lạng Sơn, ngày tháng 02 năm 2024", signed "KT. GIÁM
ĐỐC / PHÓ GIÁM ĐỐC / Lê Hải Yến" — issued and published, with reports from some recipients and
others overdue. Run by `ansinh demo setup` after the accounts and payroll steps.

The letter's facts are typed here as the Directive holds them (subject, the documents it
implements, its three sections, recipients, "Nơi nhận", signer); the paragraphs that cite the
implemented documents are written from `IMPLEMENTS`, so each number and date is typed once.
The original leaves its number and day blank (it was numbered on the day it was signed): the
demo lets ansinh allocate the number when it issues the letter and dates it `ISSUED_ON`
(a day of February 2024), and says so in `NUMBER_NOTE`."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone

from ansinh.core.models import Organisation, OrgKind
from ansinh.outreach.models import Directive, Periodicity, Report
from ansinh.outreach.rendering import implemented_text
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

SYMBOL = "STTTT-TTBCXB"
ISSUED_ON = dt.date(2024, 2, 5)  # the letter: "ngày   tháng 02 năm 2024" (day left blank)
NUMBER_NOTE = ("Bản gốc để trống số và ngày (\"Số: /STTTT-TTBCXB\", \"ngày   tháng 02 năm 2024\"); "
               "bản demo do ansinh cấp số khi ban hành và ghi ngày 05/02/2024.")
SUBJECT = ("tuyên truyền Kết luận của Ban Thường vụ Tỉnh ủy về sắp xếp đơn vị hành chính tại Thông báo "
           "số 4531-KL/TU ngày 16/01/2024; chi trả trợ cấp an sinh xã hội không dùng tiền mặt đến các đối "
           "tượng hưởng chính sách")
SUPERIOR_BODY = "UBND TỈNH LẠNG SƠN"

# "Thực hiện …": the three letters the directive implements, as the letter cites them
# (316/VP-NC is dated 18/01/2023 in the letter, as written).
IMPLEMENTS = [
    {"number_symbol": "316/VP-NC", "date": dt.date(2023, 1, 18), "issuer": "UBND tỉnh",
     "summary": "triển khai thực hiện Kết luận của Ban Thường vụ Tỉnh ủy về sắp xếp đơn vị hành chính tại "
                "Thông báo số 4531-KL/TU ngày 16/01/2024"},
    {"number_symbol": "404/VP-KGVX", "date": dt.date(2024, 1, 24), "issuer": "UBND tỉnh",
     "summary": "tăng cường thực hiện chi trả trợ cấp an sinh xã hội không dùng tiền mặt đến các đối tượng "
                "hưởng chính sách"},
    {"number_symbol": "121/SLĐT BXH-BTXHTE", "date": dt.date(2024, 1, 17),
     "issuer": "Sở Lao động - Thương binh và Xã hội",
     "summary": "phối hợp tổ chức triển khai chi trả trợ cấp an sinh xã hội không dùng tiền mặt trong dịp tết "
                "Nguyên đán Giáp Thìn và trong năm 2024"},
]

# The letter's three sections: (heading, paragraphs).
SECTIONS = [
    ("1. Tuyên truyền Kết luận của Ban Thường vụ Tỉnh ủy về sắp xếp đơn vị hành chính tại Thông báo số "
     "4531-KL/TU ngày 16/01/2024",
     ["Tuyên truyền Kết luận của Ban Chỉ đạo thực hiện sắp xếp đơn vị hành chính cấp huyện, cấp xã tỉnh Lạng "
      "Sơn, giai đoạn 2023 - 2030 tại Hội nghị ngày 11/01/2024 (Tại Thông báo số 4531-TB/VPTU ngày 16/01/2024 "
      "của Văn phòng Tỉnh ủy), đối với Phương án tổng thể sắp xếp đơn vị hành chính cấp huyện, cấp xã tỉnh "
      "Lạng Sơn giai đoạn 2023 - 2025, Ban Chỉ đạo thống nhất: Giữ nguyên Phương án tổng thể sắp xếp đơn vị "
      "hành chính cấp huyện, cấp xã tỉnh Lạng Sơn giai đoạn 2023 - 2025 theo Kết luận số 1417-KL/TU, ngày "
      "28/10/2023 của Ban Thường vụ Tỉnh ủy."]),
    ("2. Tuyên truyền thực hiện chi trả trợ cấp an sinh xã hội không dùng tiền mặt đến các đối tượng hưởng "
     "chính sách",
     ["Tuyên truyền việc thực hiện chi trả trợ cấp an sinh xã hội đến các đối tượng hưởng chính sách của tháng "
      "01, tháng 02/2024, trợ cấp tết Nguyên đán và trong năm 2024 qua tài khoản của đối tượng thụ hưởng hoặc "
      "người được ủy quyền đã có tài khoản nhằm tạo sự đồng thuận trong xã hội, tuyên truyền khuyến khích người "
      "dân thuộc diện được hưởng chính sách an sinh xã hội thực hiện đăng ký tài khoản để thực hiện chi trả "
      "không dùng tiền mặt.",
      "Phản ánh hoạt động của các cơ quan chức năng trong việc rà soát, làm sạch dữ liệu công dân thuộc diện "
      "hưởng chính sách an sinh xã hội để phục vụ cho việc mở tài khoản và hướng dẫn người dân để thực hiện "
      "việc mở tài khoản nhằm đạt mục tiêu tăng tỷ lệ người có tài khoản từ 3,04% lên 30-40% trong quý II năm "
      "2024 và hết năm 2024 tỷ lệ đối tượng hưởng chính sách an sinh xã hội có tài khoản đạt 70-80% trên tổng "
      "số đối tượng được hưởng chính sách an sinh xã hội."]),
    ("3. Đề nghị Phòng Văn hóa và Thông tin các huyện, thành phố",
     ["Đôn đốc, hướng dẫn Trung tâm Văn hóa, Thể thao và Truyền thông; Đài Truyền thanh cấp xã tuyên truyền "
      "các nội dung nêu trên."]),
]
# Section 2's targets as data (the coverage dashboard's band).
TARGETS = [{"by": "2024-06-30", "low": 30, "high": 40}, {"by": "2024-12-31", "low": 70, "high": 80}]
CLOSING = "Đề nghị Quý cơ quan, đơn vị tổ chức tuyên truyền nội dung nêu trên và báo cáo kết quả về Sở khi có yêu cầu."
PUBLISHED_AT = ("gửi kèm trên iOffice và đăng tải trên trang Thông tin điện tử của Sở Thông tin và Truyền thông "
                "tại địa chỉ: http://stttt.langson.gov.vn/ (Mục Văn bản chỉ đạo điều hành)./.")
# "Kính gửi:" as the letter writes it: (demo organisation key or None for the district offices, line).
ADDRESSEES = [("bao_ls", "Báo Lạng Sơn"), ("dai_ptth", "Đài Phát thanh và Truyền hình tỉnh"),
              (None, "Phòng Văn hóa và Thông tin các huyện, thành phố")]
# "Nơi nhận:" after "- Như trên;", and "Lưu:".
CC = ["Lãnh đạo Sở", "Trung tâm VHNTTTT các huyện, TP", "Phòng TTBCXB, VP", "Trung tâm CNS (đăng tải)"]
ARCHIVE = "VT, TTBCXB (LMV)"
SIGNING = {"signing_mode": "KT.", "signing_authority": "GIÁM ĐỐC", "signer_title": "PHÓ GIÁM ĐỐC",
           "signer_name": "Lê Hải Yến"}


def letter_body() -> str:
    """The letter's text: "Thực hiện …" from IMPLEMENTS, the three sections, the closing lines."""
    docs = [SimpleNamespace(**d) for d in IMPLEMENTS]
    opening = ("Thực hiện " + "; ".join(implemented_text(d) for d in docs)
               + "; Sở Thông tin và Truyền thông đề nghị các cơ quan, đơn vị:")
    sent = "; ".join(("Công văn số " if i == 0 else "số ") + implemented_text(d, about=False)[len("Công văn số "):]
                     for i, d in enumerate(docs))
    paras = [opening]
    for heading, texts in SECTIONS:
        paras += [heading] + texts
    paras += [CLOSING, f"{sent} {PUBLISHED_AT}"]
    return "\n\n".join(paras)


def _district(districts: dict, name: str):
    key = fold(name)
    return next((u for k, u in districts.items() if k.endswith(key)), None)


def _org(name: str, **defaults) -> Organisation:
    org, _ = Organisation.objects.get_or_create(name=name, defaults=defaults)
    return org


@transaction.atomic
def demo_setup(**kwargs) -> dict:
    """The province's letter of February 2024 as a directive, with reports from some recipients
    and others overdue. Idempotent: an existing seed letter is left as it is."""
    from ansinh.core.demo import create_demo_orgs
    from ansinh.core.demo import DEMO_PROVINCE
    from ansinh.core.services import current_unit
    from ansinh.units.selectors import old_districts

    orgs = create_demo_orgs()
    topics = ensure_topics()
    dept = orgs["so_tttt"]
    province = current_unit(DEMO_PROVINCE)
    existing = Directive.objects.filter(organisation=dept, symbol=SYMBOL, year=ISSUED_ON.year,
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
    recipients = []
    for key, line in ADDRESSEES:
        if key:
            recipients.append((orgs[key], "" if orgs[key].name == line else line))
        else:
            recipients += [(o, line) for o in offices]
    both, non_cash = list(topics.values()), topics["chi-tra-khong-dung-tien-mat"]
    # Sections 1 and 2 for the press, section 3 for the district offices; reports "khi có yêu
    # cầu": the department asked for them by the due dates below (the demo's requests).
    press = SECTIONS[0][0][3:] + "; " + SECTIONS[1][0][3:][:1].lower() + SECTIONS[1][0][4:] + "."
    tasks = [
        {"recipient": orgs[key], "topic": non_cash, "due_date": dt.date(2024, 2, 25),
         "periodicity": Periodicity.ON_REQUEST, "description": press}
        for key in ("bao_ls", "dai_ptth")
    ] + [{"recipient": o, "topic": non_cash, "due_date": dt.date(2024, 3, 25), "periodicity": Periodicity.ON_REQUEST,
          "description": SECTIONS[2][1][0]} for o in offices] + [
        # The department's latest request to the newspaper ("khi có yêu cầu"): due in two weeks.
        {"recipient": orgs["bao_ls"], "topic": non_cash, "due_date": timezone.localdate() + dt.timedelta(days=14),
         "periodicity": Periodicity.ON_REQUEST,
         "description": "Báo cáo kết quả tuyên truyền chi trả trợ cấp an sinh xã hội không dùng tiền mặt theo yêu "
                        "cầu của Sở (kèm danh sách tin, bài đã đăng)."},
    ] + [
        # Today's ward culture office (after the 2025 reform) carries section 3 on in Đông Kinh: a task of
        # the demo, not an addressee of the letter.
        {"recipient": orgs["vhxh_dongkinh"], "topic": non_cash, "due_date": timezone.localdate() + dt.timedelta(days=20),
         "periodicity": Periodicity.ONCE,
         "description": "Phát bản tin trên đài truyền thanh phường, treo băng rôn, đến từng hộ chưa có tài khoản; "
                        "báo cáo kèm ảnh minh chứng."},
    ]
    d = create_directive(
        dept, symbol=SYMBOL, superior_body=SUPERIOR_BODY, date=ISSUED_ON, subject=SUBJECT, body=letter_body(),
        cc=CC, archive=ARCHIVE, targets=TARGETS, recipients=recipients, topics=both, tasks=tasks,
        implements=IMPLEMENTS, **SIGNING)
    issue_directive(d, ISSUED_ON)
    from ansinh.outreach.rendering import render_docx, letter_from_directive

    # Said where the letter is read: its number and day are ansinh's, the original leaves them blank.
    add_attachment(d, f"Công văn (bản .docx; số {d.number:02d} và ngày {ISSUED_ON:%d/%m/%Y} do ansinh cấp, "
                      "bản gốc để trống)", f"{d.number:02d}-{SYMBOL}.docx", render_docx(letter_from_directive(d)))
    publish_directive(d)
    # Reports: the newspaper and the radio-TV station and three district offices reported; the others are overdue.
    by_org = {t.recipient_id: t for t in d.tasks.filter(due_date__year=ISSUED_ON.year)}  # the 2024 requests
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
    return {"directive": d.pk, "number": d.number_symbol, "created": True, "tasks": d.tasks.count(), "reports": n,
            "note": NUMBER_NOTE}
