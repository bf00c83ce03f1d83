from __future__ import annotations

import io
import zipfile

from django.test import Client
from django.urls import reverse

from ansinh.payroll import generate, rates
from ansinh.payroll.models import PayrollRun, Rate, RunStatus


def _client(username):
    c = Client()
    assert c.login(username=username, password="Mk-thu-nghiem-2024")
    return c


def test_generate_approve_download_reconcile(make_person, commune, users, settings):
    settings.ANSINH_DEMO = True
    maker, checker = users
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-12")], account=("970405", "900800700"))
    make_person(enrolments=[("tcxh", "5.5c", "2024-12")], dob=__import__("datetime").date(1940, 1, 1))
    m, a = _client("maker1"), _client("checker1")
    r = m.post(reverse("payroll:generate"), {"period": "2024-12", "commune": commune.pk})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    run = generate.generate("2024-12", commune=commune, user=maker) if not PayrollRun.objects.exists() \
        else PayrollRun.objects.get()
    if not run.lines.exists():  # the job already claimed the lines in another run (worker ran eagerly)
        run = PayrollRun.objects.filter(lines__isnull=False).distinct().get()
    run.generated_by = maker
    run.save()
    page = m.get(reverse("payroll:run", args=[run.pk])).content.decode()
    import re
    total = re.search(r'id="run-total">([^<]*)<', page).group(1)
    assert re.sub(r"\D", "", total) == str(750_000 + 500_000), total
    m.post(reverse("payroll:approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.status in (RunStatus.DRAFT, RunStatus.CHECKED)  # maker has no approver role
    a.post(reverse("payroll:approve", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED
    a.post(reverse("payroll:export", args=[run.pk]))
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED
    z = a.get(reverse("payroll:download", args=[run.pk]))
    names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
    assert any(n.endswith("Agribank.csv") for n in names) and any(n.endswith("VNPost.xlsx") for n in names)
    result = a.get(reverse("payroll:demo_result", args=[run.pk])).content
    up = io.BytesIO(result)
    up.name = "ket-qua.csv"
    a.post(reverse("payroll:reconcile", args=[run.pk]), {"result": up})
    run.refresh_from_db()
    assert run.status == RunStatus.RECONCILED and run.reconciliation["balanced"]


def test_out_of_scope_run_is_404(make_person, commune):
    from ansinh.core.services import upsert_user

    make_person()
    run = generate.generate("2024-12", commune=commune)
    upsert_user("other1", "Mk-thu-nghiem-2024", roles=["commune_officer"], unit_codes=["06079"])
    assert _client("other1").get(reverse("payroll:run", args=[run.pk])).status_code == 404


def test_admin_adds_a_rate(db):
    from ansinh.core.services import upsert_user

    upsert_user("adm1", "Mk-thu-nghiem-2024", roles=["admin"], unit_codes=["20"])
    rates.ensure_seed_data()
    c = _client("adm1")
    c.post(reverse("payroll:rates"), {"kind": "standard", "amount": "650.000", "valid_from": "01/01/2027",
                                      "province_code": "", "legal_basis": "Nghị định thử"})
    assert Rate.objects.filter(amount=650_000, legal_basis="Nghị định thử").exists()
    assert Rate.objects.get(kind="standard", amount=500_000).valid_to.isoformat() == "2026-12-31"


def test_generate_job_inline(make_person, commune, users):
    from ansinh.core.jobs import run_inline

    maker, _ = users
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-12")])
    job = run_inline("payroll.generate", {"period": "2024-12", "commune_id": commune.pk, "user_id": maker.pk},
                     user=maker, commune=commune, province_code=commune.province_code)
    assert job.status == "succeeded", job.error
    run = PayrollRun.objects.get(pk=job.result["run"])
    assert job.result["url"] == reverse("payroll:run", args=[run.pk]) and job.result["total_vnd"] == 750_000
    assert run.generated_by == maker
    bad = run_inline("payroll.generate", {"period": "12/2024", "user_id": maker.pk}, user=maker)
    assert bad.status == "failed" and "YYYY-MM" in bad.error


def test_line_vietqr_image_on_demand(make_person, commune, users):
    import zxingcpp
    from PIL import Image

    from ansinh.payroll import vietqr
    from ansinh.payroll.models import PayrollLine

    maker, _ = users
    bank = make_person(enrolments=[("tcxh", "5.6-severe", "2024-12")], account=("970436", "0011001932418"))
    cash = make_person(enrolments=[("tcxh", "5.6-severe", "2024-12")])
    run = generate.generate("2024-12", commune=commune, user=maker)
    lb, lc = PayrollLine.objects.get(run=run, person=bank), PayrollLine.objects.get(run=run, person=cash)
    c = _client("maker1")
    page = c.get(reverse("payroll:run", args=[run.pk])).content.decode()
    assert reverse("payroll:line_qr", args=[run.pk, lb.pk]) in page
    assert reverse("payroll:line_qr", args=[run.pk, lc.pk]) not in page
    r = c.get(reverse("payroll:line_qr", args=[run.pk, lb.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    text = zxingcpp.read_barcodes(Image.open(io.BytesIO(r.content)).convert("L"))[0].text
    assert text == vietqr.payload("970436", "0011001932418", 750_000, "TCXH 2024-12")
    assert c.get(reverse("payroll:line_qr", args=[run.pk, lc.pk])).status_code == 404  # cash: no QR
    other = PayrollRun.objects.create(period="2024-12", province_code="20")  # another run in scope
    assert c.get(reverse("payroll:line_qr", args=[other.pk, lb.pk])).status_code == 404


def test_generate_form_reads_the_month_as_people_write_it(make_person, commune, users):
    """The form asks for mm/yyyy (the run list shows 12/2024); the job gets the ISO month; a wrong month is
    a message in words, no job."""
    from ansinh.core.models import Job

    m = _client("maker1")
    page = m.get(reverse("payroll:runs")).content.decode()
    assert "Tháng (mm/yyyy)" in page and "yyyy-mm" not in page
    before = Job.objects.count()
    r = m.post(reverse("payroll:generate"), {"period": "12/2024", "commune": commune.pk})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    assert Job.objects.order_by("-pk").first().params["period"] == "2024-12"
    r = m.post(reverse("payroll:generate"), {"period": "13/2024", "commune": commune.pk}, follow=True)
    assert "dạng mm/yyyy, ví dụ 12/2024" in r.content.decode()
    assert 'class="alert alert-danger' in r.content.decode()  # an error looks like one (settings.MESSAGE_TAGS)
    assert Job.objects.count() == before + 1


def test_generate_form_offers_the_month_after_the_latest_monthly_run(make_person, commune, users):
    """Months are paid in order: the form offers the one after the last monthly run (a campaign's run
    is not a month), today's month when there is none, never further than next month."""
    import datetime as dt

    from ansinh.payroll import selectors

    maker, _checker = users
    today = dt.date(2026, 12, 5)
    assert selectors.next_period(maker, today) == "2026-12"
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-10")])
    generate.generate("2024-11", commune=commune, user=maker)
    assert selectors.next_period(maker, today) == "2024-12"
    assert selectors.next_period(maker, dt.date(2024, 10, 20)) == "2024-11"  # not beyond next month
    page = _client("maker1").get(reverse("payroll:runs")).content.decode()
    assert 'value="12/2024"' in page
