from __future__ import annotations

import pytest
from django.urls import reverse

from ansinh.core.jobs import BadInput
from ansinh.payroll import approval, demo, generate, reconcile, suspension
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun, RunStatus


def _month_run(period, commune, maker, checker, tmp_path, unpaid_person_ids):
    run = generate.generate(period, commune=commune, user=maker)
    approval.approve(run, checker)
    approval.export(run, tmp_path / period, user=checker, pdf=False)
    res = tmp_path / f"{period}.csv"
    rows = ["line_id;status;reason;paid_date"]
    for ln in run.lines.all():
        if ln.person_id in unpaid_person_ids:
            rows.append(f"{ln.pk};unpaid;not_collected;")
        else:
            rows.append(f"{ln.pk};paid;;{period}-20")
    res.write_text("\n".join(rows) + "\n", encoding="utf-8")
    reconcile.reconcile(run, res, user=checker)
    return run


def _three_months(make_person, commune, maker, checker, tmp_path):
    e = [("tcxh", "5.6-severe", "2024-07")]
    away, here = make_person(enrolments=e), make_person(enrolments=e)
    for period in ("2024-07", "2024-08"):
        _month_run(period, commune, maker, checker, tmp_path, {away.pk})
    return away, here


def test_suspension_after_three_uncollected_months(make_person, commune, users, tmp_path):
    from ansinh.payroll.access import NotAllowed, SameUser
    from ansinh.registry.models import ChangeLog, Enrolment

    maker, checker = users
    away, here = _three_months(make_person, commune, maker, checker, tmp_path)
    august = PayrollRun.objects.get(period="2024-08")
    assert suspension.persons_to_suspend(august) == 0
    assert suspension.suspend_uncollected("2024-08", user=checker) == 0  # two months only
    run = _month_run("2024-09", commune, maker, checker, tmp_path, {away.pk})
    # carried over: September's run re-offered July and August to `away` (arrears)
    assert sorted(PayrollLine.objects.filter(run=run, person=away).values_list("period_month", flat=True)) == [
        "2024-07", "2024-08", "2024-09"]
    assert suspension.persons_to_suspend(run) == 1
    # fail closed without a user; maker-checker: not the user who generated the month's run
    with pytest.raises(NotAllowed, match="named user"):
        suspension.suspend_uncollected("2024-09", user=None)
    with pytest.raises(SameUser, match="different user"):
        suspension.suspend_uncollected("2024-09", user=maker)
    assert Enrolment.objects.get(person=away).status == "active"
    assert suspension.suspend_uncollected("2024-09", run=run, user=checker) == 1
    assert Enrolment.objects.get(person=away).status == "suspended"
    assert Enrolment.objects.get(person=here).status == "active"
    log = ChangeLog.objects.get(person=away, field="status", new="suspended")
    assert log.user == checker and log.source == "payroll:suspend:2024-09"
    assert suspension.persons_to_suspend(run) == 0
    assert suspension.suspend_uncollected("2024-09", user=checker) == 0  # done once
    # a suspended enrolment is not paid
    assert not generate.generate("2024-10", commune=commune).lines.filter(person=away).exists()


def test_suspension_outside_the_scope_is_refused(make_person, commune, users, tmp_path):
    from ansinh.core.services import upsert_user
    from ansinh.payroll.access import NotAllowed

    maker, checker = users
    _three_months(make_person, commune, maker, checker, tmp_path)
    run = _month_run("2024-09", commune, maker, checker, tmp_path, set(PayrollLine.objects.values_list(
        "person_id", flat=True)[:1]))
    other = upsert_user("pheduyet_hp", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["06079"])
    with pytest.raises(NotAllowed, match="outside the scope"):
        suspension.suspend_uncollected("2024-09", run=run, user=other)
    with pytest.raises(BadInput, match="no reconciled run"):
        suspension.suspend_uncollected("2024-09", user=other)


def test_run_page_shows_the_suspension_step_and_the_approver_confirms_it(make_person, commune, users, tmp_path):
    from django.test import Client

    from ansinh.registry.models import Enrolment

    maker, checker = users
    away, _ = _three_months(make_person, commune, maker, checker, tmp_path)
    run = _month_run("2024-09", commune, maker, checker, tmp_path, {away.pk})
    url = reverse("payroll:run", args=[run.pk])
    c = Client()
    c.force_login(maker)
    page = c.get(url).content.decode()
    assert "1 người sẽ bị tạm dừng vì không nhận 3 tháng liên tục" in page
    assert reverse("payroll:suspend", args=[run.pk]) not in page  # the maker does not confirm
    r = c.post(reverse("payroll:suspend", args=[run.pk]), follow=True)
    assert "phải khác người lập bảng chi" in r.content.decode()
    assert Enrolment.objects.get(person=away).status == "active"
    c.force_login(checker)
    page = c.get(url).content.decode()
    assert reverse("payroll:suspend", args=[run.pk]) in page
    assert c.get(reverse("payroll:suspend", args=[run.pk])).status_code == 405  # a GET changes nothing
    r = c.post(reverse("payroll:suspend", args=[run.pk]), follow=True)
    assert "Đã tạm dừng 1 lượt hưởng" in r.content.decode()
    assert Enrolment.objects.get(person=away).status == "suspended"
    assert "sẽ bị tạm dừng" not in c.get(url).content.decode()


def test_cli_suspend(make_person, commune, users, tmp_path, capsys):
    from ansinh.cli import main
    from ansinh.registry.models import Enrolment

    maker, checker = users
    away, _ = _three_months(make_person, commune, maker, checker, tmp_path)
    _month_run("2024-09", commune, maker, checker, tmp_path, {away.pk})
    assert main(["payroll", "suspend", "--period", "2024-09"]) == 2
    assert "--as USER is required" in capsys.readouterr().err
    assert main(["payroll", "suspend", "--period", "2024-09", "--as", "maker1"]) == 2
    assert "different user" in capsys.readouterr().err
    assert main(["payroll", "suspend", "--period", "2024-13", "--as", "checker1"]) == 2
    assert "period" in capsys.readouterr().err
    assert main(["payroll", "suspend", "--period", "2024-09", "--as", "checker1", "--json"]) == 0
    assert '"suspended_enrolments": 1' in capsys.readouterr().out
    assert Enrolment.objects.get(person=away).status == "suspended"


def test_demo_setup_is_idempotent(make_person, commune, settings):
    from ansinh.core.services import upsert_user

    upsert_user("tinh", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    upsert_user("pheduyet", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"])
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-01")], account=("970405", "123123123"), paid_through="2024-10")
    make_person(enrolments=[("tcxh", "5.5c", "2024-01")], dob=__import__("datetime").date(1940, 2, 2),
                paid_through="2024-10")
    settings.ANSINH_DEMO = False  # a production installation: no fabricated history
    assert demo.demo_setup() == {"payroll": "skipped: demo helpers need ANSINH_DEMO=1"}
    assert not PayrollRun.objects.exists()
    settings.ANSINH_DEMO = True
    out = demo.demo_setup()
    assert out["lines"] == 2 and out["period"] == "2024-11"  # paid through October: no arrears
    run = PayrollRun.objects.get(period="2024-11")
    assert run.status == RunStatus.RECONCILED and run.approved_by.username == "pheduyet"
    assert run.generated_by.username == "tinh"
    assert run.lines.filter(result=LineResult.PENDING).count() == 0
    assert demo.demo_setup() == {"payroll": "exists"}


def test_demo_opening_position_makes_november_and_december_ordinary_months(db, settings, tmp_path):
    """`ansinh demo setup` imports the generated lists (titled "Tháng 01 năm 2024") as paid
    through 2024-10: the payroll step's November run has no arrears and is reconciled, and
    December pays everyone for December plus November's uncollected lines carried over."""
    from ansinh.core.cli import DEMO_PAID_THROUGH
    from ansinh.core.demo import create_demo_users
    from ansinh.registry.models import Person
    from ansinh.registry.demo import demo_setup as registry_demo

    settings.VAR_DIR = tmp_path
    settings.ANSINH_DEMO = True
    create_demo_users()
    opening = registry_demo(people=400, seed=3, paid_through=DEMO_PAID_THROUGH)
    assert opening["paid_through"] == DEMO_PAID_THROUGH == "2024-10" and opening["imported"] > 300
    assert set(Person.objects.values_list("paid_through", flat=True)) == {"2024-10"}
    out = demo.demo_setup()
    nov = PayrollRun.objects.get(period="2024-11")
    assert out["lines"] == nov.lines.count() > 300 and nov.status == RunStatus.RECONCILED
    assert nov.generated_by.username == "tinh" and nov.approved_by.username == "pheduyet"
    assert not nov.lines.filter(period_month__lt="2024-11").exists()  # no arrears before November
    uncollected = set(nov.lines.filter(result=LineResult.UNPAID).values_list("person_id", "programme"))
    assert uncollected and nov.reconciliation["balanced"]
    dec = generate.generate("2024-12", province_code="20")
    assert set(dec.lines.filter(period_month="2024-11").values_list("person_id", "programme")) == uncollected
    assert dec.lines.filter(period_month="2024-12").count() >= nov.lines.count() - 5  # deaths/ends only
    assert not dec.lines.filter(period_month__lt="2024-11").exists()
