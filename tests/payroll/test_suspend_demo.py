from __future__ import annotations

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


def test_suspension_after_three_uncollected_months(make_person, commune, users, tmp_path):
    from ansinh.registry.models import ChangeLog, Enrolment

    maker, checker = users
    e = [("tcxh", "5.6-severe", "2024-07")]
    away, here = make_person(enrolments=e), make_person(enrolments=e)
    for period in ("2024-07", "2024-08"):
        _month_run(period, commune, maker, checker, tmp_path, {away.pk})
    assert suspension.suspend_uncollected("2024-08") == 0  # two months only
    run = _month_run("2024-09", commune, maker, checker, tmp_path, {away.pk})
    # carried over: September's run re-offered July and August to `away` (arrears)
    assert sorted(PayrollLine.objects.filter(run=run, person=away).values_list("period_month", flat=True)) == [
        "2024-07", "2024-08", "2024-09"]
    assert suspension.suspend_uncollected("2024-09") == 1
    assert Enrolment.objects.get(person=away).status == "suspended"
    assert Enrolment.objects.get(person=here).status == "active"
    assert ChangeLog.objects.filter(person=away, field="status", new="suspended").exists()
    # a suspended enrolment is not paid
    assert not generate.generate("2024-10", commune=commune).lines.filter(person=away).exists()


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
    from ansinh.registry.services import demo_setup as registry_demo

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
