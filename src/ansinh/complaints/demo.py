"""Demo complaints (ANSINH_DEMO only): a posted list of phường Đông Kinh from the reconciled
November run, feedback about it from its public page, and cases in every state (on track, at
risk, overdue and escalated to the province, decided), received relative to today. Xã Hồng
Phong is flagged as a remote area for the demo (illustrative data, not a legal list)."""
from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model

from ansinh.core import workdays


def demo_setup(**kwargs) -> dict:
    from ansinh.complaints import services
    from ansinh.complaints.models import Case, Posting, RemoteArea
    from ansinh.core.services import current_unit
    from ansinh.payroll.models import PayrollLine, PayrollRun
    from ansinh.registry.models import Person

    if not getattr(settings, "ANSINH_DEMO", False):
        return {"complaints": "skipped: demo helpers need ANSINH_DEMO=1"}
    if Case.objects.exists():
        return {"complaints": "exists"}
    User = get_user_model()  # noqa: N806
    users = {u.username: u for u in User.objects.filter(username__in=["dongkinh", "hongphong", "tinh"])}
    if len(users) < 3:
        return {"complaints": "skipped: demo users dongkinh, hongphong and tinh are needed"}
    today = kwargs.get("today") or dt.date.today()
    dk, hp = current_unit("05977"), current_unit("06079")
    RemoteArea.objects.get_or_create(unit=hp, valid_from=dt.date(2021, 1, 1),
                                     defaults={"basis": "Dữ liệu minh họa (demo): xã vùng sâu, vùng xa"})
    officer, tinh = users["dongkinh"], users["tinh"]
    out: dict = {"complaints": 0}

    def back(n: int) -> dt.date:
        return workdays.add_working_days(today, -n)

    run = PayrollRun.objects.filter(scope_commune__isnull=True).order_by("-period").first()
    dk_people = list(Person.objects.filter(scope_commune=dk).order_by("name_key")[:6])
    hp_people = list(Person.objects.filter(scope_commune=hp).order_by("name_key")[:3])
    posting = None
    if run is not None and PayrollLine.objects.filter(run=run, scope_commune=dk).exists():
        posting = services.create_posting(run, tinh, back(1), commune=dk)
        services.public_feedback(posting, text="Nhà bà Hoàng Thị Nhung ở thôn tôi đủ 80 tuổi nhưng chưa có tên "
                                               "trong danh sách.", today=back(1))
        services.public_feedback(posting, text="Số tiền của ông Lăng Văn Sáu ghi thấp hơn tháng trước.",
                                 name="Lăng Thị Hiền", category="amount", today=today)
        out["posting"] = posting.pk
    made = []
    if dk_people:
        p = dk_people[0]
        made.append(services.create_case(officer, kind="complaint", channel="in_person", category="payment",
                                         text="Tháng 11 tôi chưa nhận được tiền trợ cấp qua tài khoản.",
                                         received=back(4), person=p, complainant_kind="beneficiary",
                                         complainant_person=p, severity="high"))
        late = services.create_case(officer, kind="complaint", channel="letter", category="eligibility",
                                    text="Đề nghị xem xét lại việc dừng trợ cấp của mẹ tôi.", received=back(25),
                                    person=dk_people[min(1, len(dk_people) - 1)], complainant_kind="authorised",
                                    complainant_name="Hoàng Văn Tâm",
                                    sensitive="Mẹ tôi khuyết tật vận động, đặc biệt nặng.")
        made.append(late)  # not accepted in time: escalated to the province
        acc = services.create_case(officer, kind="complaint", channel="phone", category="account",
                                   text="Số tài khoản trong danh sách không phải của tôi.", received=back(12),
                                   person=dk_people[-1], complainant_name="Nông Thị Hằng")
        services.accept(acc, officer, back(10))
        made.append(acc)
        done = services.create_case(officer, kind="feedback", channel="meeting", category="data",
                                    text="Tên thôn của một số người trong danh sách ghi sai.", received=back(20),
                                    commune=dk, complainant_kind="anonymous")
        services.accept(done, officer, back(18))
        services.decide(done, officer, back(9), outcome="upheld", decision="Đã sửa tên thôn trong sổ đối tượng.")
        made.append(done)
        made.append(services.create_case(officer, kind="denunciation", channel="letter", category="officer",
                                         text="Cán bộ thu tiền khi làm hồ sơ cho dân.", received=back(2),
                                         commune=dk, complainant_name="Triệu Văn Lực", officer_name="(đã ghi)"))
    if hp_people:
        p = hp_people[0]
        c = services.create_case(users["hongphong"], kind="complaint", channel="radio", category="amount",
                                 text="Mức trợ cấp của tôi chưa tăng theo mức chuẩn mới.", received=back(6),
                                 person=p, complainant_kind="beneficiary", complainant_person=p, complex_case=True)
        services.accept(c, users["hongphong"], back(5))
        made.append(c)
    made += decided_and_appealed(officer, tinh, dk_people, today)
    out["complaints"] = len(made) + (Posting.objects.filter(pk=getattr(posting, "pk", 0)).count() and 2)
    out["escalated"] = services.escalate_overdue(today)
    return out


def decided_and_appealed(officer, province_officer, people, today: dt.date) -> list:
    """A complaint decided by the commune chairman (its decision document numbered and signed), which
    the complainant took to the province as a second-level complaint."""
    from ansinh.complaints import services

    if len(people) < 3:
        return []

    def back(n: int) -> dt.date:
        return workdays.add_working_days(today, -n)

    first = services.create_case(officer, kind="complaint", channel="in_person", category="amount",
                                 text="Tháng 10 tôi chỉ nhận được một nửa số tiền trợ cấp.", received=back(30),
                                 person=people[2], complainant_name="Lương Thị Mai", complainant_kind="authorised")
    services.accept(first, officer, back(28))
    first = services.decide(first, officer, back(8), outcome="rejected",
                    decision="Số tiền tháng 10 đã chi đúng mức theo hệ số; phần chênh lệch là khoản truy lĩnh đã "
                             "chi trong tháng 9.", number=12, signer_name="Hoàng Văn Bình", signing_mode="KT.")
    second = services.appeal(first, province_officer, back(2),
                             text="Gia đình không đồng ý với quyết định giải quyết lần đầu; đề nghị tỉnh xem xét.")
    return [first, second]
