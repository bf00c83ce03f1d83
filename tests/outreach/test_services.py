"""Directive numbering (per organisation, restarting each year), issue/publish, reports, demo data."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from ansinh.core.jobs import BadInput
from ansinh.core.models import Organisation, OrgKind
from ansinh.outreach import services
from ansinh.outreach.models import Directive, DirectiveStatus, Evidence, Report, Task

from .conftest import PNG, same_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(db):
    from ansinh.core.demo import create_demo_orgs

    return create_demo_orgs()


def _draft(org, subject="tuyên truyền"):
    return services.create_directive(org, symbol=f"{org.symbol}-TTBCXB", subject=subject)


def test_numbers_restart_each_year_per_organisation(orgs):
    a, b = orgs["so_tttt"], orgs["so_yte"]
    d1, d2, d3 = _draft(a), _draft(a), _draft(a)
    services.issue_directive(d1, dt.date(2024, 2, 5))
    services.issue_directive(d2, dt.date(2024, 3, 1))
    services.issue_directive(d3, dt.date(2025, 1, 2))
    other = _draft(b)
    services.issue_directive(other, dt.date(2024, 2, 6))
    assert (d1.number, d2.number, d3.number, other.number) == (1, 2, 1, 1)
    d1.refresh_from_db()
    assert d1.number_symbol == "01/STTTT-TTBCXB" and d1.year == 2024 and d1.status == DirectiveStatus.ISSUED
    with pytest.raises(BadInput):
        services.issue_directive(d1)


def test_unique_number_per_organisation_and_year_is_enforced_by_the_database(orgs):
    a = orgs["so_tttt"]
    d1 = _draft(a)
    services.issue_directive(d1, dt.date(2024, 2, 5))
    d2 = _draft(a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Directive.objects.filter(pk=d2.pk).update(number=d1.number, year=2024)
    # Drafts have no number: any number of them.
    assert Directive.objects.filter(number__isnull=True).count() == 1


def test_publish_issues_first_and_sets_published(orgs):
    d = _draft(orgs["so_tttt"])
    services.publish_directive(d)
    d.refresh_from_db()
    assert d.status == DirectiveStatus.PUBLISHED and d.number == 1 and d.published_at is not None


def test_report_rules(orgs):
    from ansinh.core.services import upsert_user

    d = _draft(orgs["so_tttt"])
    task = services.add_task(d, recipient=orgs["vhxh_dongkinh"], description="Phát bản tin",
                             due_date=dt.date(2024, 3, 25))
    assert task.scope_commune.code == "05977" and task.province_code == "20"
    office = upsert_user("vhxh1", "Mk-thu-nghiem-2024", roles=["outreach"], unit_codes=[],
                         organisation=orgs["vhxh_dongkinh"])
    with pytest.raises(BadInput, match="trống"):
        services.submit_report(task, office, period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 2),
                               metrics={})
    with pytest.raises(BadInput, match="không âm"):
        services.submit_report(task, office, period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 2),
                               metrics={"banners": "-3"})
    with pytest.raises(BadInput, match="ảnh"):
        services.submit_report(task, office, period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 2),
                               metrics={"banners": "1"}, files=[("virus.exe", b"MZ")])
    r = services.submit_report(task, office, period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 20),
                               metrics={"banners": "4", "commune_broadcasts": "12"}, files=[("anh.png", PNG)])
    assert (r.banners, r.commune_broadcasts, r.scope_commune_id) == (4, 12, task.scope_commune_id)
    e = Evidence.objects.get(report=r)
    assert same_image(e.file.read()) and e.content_type == "image/png"  # re-encoded, same pixels


def test_report_only_by_the_recipient_organisation(orgs):
    from ansinh.core.services import upsert_user

    d = _draft(orgs["so_tttt"])
    task = services.add_task(d, recipient=orgs["vhxh_dongkinh"], description="x")
    bao = upsert_user("bao1", "Mk-thu-nghiem-2024", roles=["outreach"], unit_codes=[], organisation=orgs["bao_ls"])
    with pytest.raises(BadInput):
        services.submit_report(task, bao, period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 2),
                               metrics={"articles": 1})
    with pytest.raises(BadInput):  # no user: nobody's report (fails closed)
        services.submit_report(task, None, period_start=dt.date(2024, 2, 1), period_end=dt.date(2024, 2, 2),
                               metrics={"articles": 1})
    assert not Report.objects.exists()


def test_demo_setup_is_the_seed_letter_with_reports_and_overdue(demo):
    from ansinh.outreach import rules, selectors
    from ansinh.outreach.demo import demo_setup
    from ansinh.core.roles import OPERATOR

    d = Directive.objects.get(pk=demo["directive"])
    assert d.organisation.name == "Sở Thông tin và Truyền thông tỉnh Lạng Sơn"
    assert d.number_symbol.endswith("/STTTT-TTBCXB") and d.date == dt.date(2024, 2, 5)
    assert d.status == DirectiveStatus.PUBLISHED and d.attachments.count() == 1
    # The letter's facts (/work/shared/reference/seed-letter.txt): subject with both topics, the three
    # documents it implements with their dates, its sections, addressees, "Nơi nhận" and signer.
    assert d.subject.startswith("tuyên truyền Kết luận của Ban Thường vụ Tỉnh ủy") and "4531-KL/TU" in d.subject
    assert d.subject.endswith("chi trả trợ cấp an sinh xã hội không dùng tiền mặt đến các đối tượng hưởng chính sách")
    assert [(i.number_symbol, i.date) for i in d.implements.all()] == [
        ("316/VP-NC", dt.date(2023, 1, 18)), ("404/VP-KGVX", dt.date(2024, 1, 24)),
        ("121/SLĐT BXH-BTXHTE", dt.date(2024, 1, 17))]
    for text in ("1. Tuyên truyền Kết luận", "2. Tuyên truyền thực hiện chi trả", "3. Đề nghị Phòng Văn hóa",
                 "báo cáo kết quả về Sở khi có yêu cầu", "từ 3,04% lên 30-40%"):
        assert text in d.body
    assert d.place == "Lạng Sơn"  # from the issuing body's province, not a model default
    assert (d.signing_mode, d.signing_authority, d.signer_title, d.signer_name) == (
        "KT.", "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Lê Hải Yến")
    assert d.cc == ["Lãnh đạo Sở", "Trung tâm VHNTTTT các huyện, TP", "Phòng TTBCXB, VP", "Trung tâm CNS (đăng tải)"]
    assert d.archive == "VT, TTBCXB (LMV)"
    from ansinh.outreach.rendering import letter_from_directive

    assert letter_from_directive(d).addressees == [
        "Báo Lạng Sơn", "Đài Phát thanh và Truyền hình tỉnh", "Phòng Văn hóa và Thông tin các huyện, thành phố"]
    assert set(d.topics.values_list("name", flat=True)) == {"Sắp xếp đơn vị hành chính",
                                                             "Chi trả an sinh xã hội không dùng tiền mặt"}
    assert d.targets == [{"by": "2024-06-30", "low": 30, "high": 40}, {"by": "2024-12-31", "low": 70, "high": 80}]
    names = set(d.recipients.values_list("organisation__name", flat=True))
    assert {"Báo Lạng Sơn", "Đài Phát thanh và Truyền hình tỉnh Lạng Sơn"} <= names
    offices = Organisation.objects.filter(name__startswith="Phòng Văn hóa và Thông tin", kind=OrgKind.CULTURE_OFFICE)
    assert offices.count() == 11 and set(offices.values_list("pk", flat=True)) <= set(
        d.recipients.values_list("organisation_id", flat=True))
    rows = selectors.task_rows(Task.objects.filter(directive=d), today=dt.date(2024, 4, 30))
    states = selectors.state_counts(rows)
    assert states[rules.REPORTED] >= 3 and states[rules.OVERDUE] >= 8
    assert Report.objects.filter(task__directive=d).count() == 5
    # Idempotent.
    again = demo_setup()
    assert again["created"] is False and Directive.objects.filter(symbol="STTTT-TTBCXB").count() == 1
    assert selectors.visible_directives(OPERATOR).count() == 1
