"""The scheduled monthly progress report: due on the month's first working day, made once by the
background job, kept with its sha256 and served later exactly as sent."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.test import Client

from ansinh.reports import services
from ansinh.reports.models import KeptReport

D = dt.date


def test_monthly_job(town, users, capsys):
    from ansinh.cli import main
    from ansinh.core.services import set_served_provinces

    set_served_provinces(["20"])
    # Saturday 1 June 2024: May's report waits for Monday 3 June; Sunday 1 September for Wednesday 4
    # (2 and 3 September 2024 are the National Day holiday: core/workdays.py)
    assert not services.monthly_due(D(2024, 6, 1)) and services.monthly_due(D(2024, 6, 3))
    assert services.schedule_monthly(D(2024, 9, 1)) is None
    assert not services.monthly_due(D(2024, 9, 1)) and not services.monthly_due(D(2024, 9, 2))
    assert services.monthly_due(D(2024, 9, 4))
    assert services.monthly_due(D(2024, 7, 1))  # Monday 1 July 2024: June's report is due
    assert main(["report", "monthly", "--today", "2024-07-01", "--now", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"due": true' in out and '"status": "succeeded"' in out
    kept = list(KeptReport.objects.filter(scheduled=True, period="2024-06"))
    assert {k.fmt for k in kept} == set(services.formats()) and {k.unit_code for k in kept} == {"20"}
    for k in kept:
        assert k.sha256 == hashlib.sha256(bytes(k.content)).hexdigest() and k.size == len(bytes(k.content))
        assert k.figures["figures"]["total"]["beneficiaries"] == 3 and k.map == "old"  # June 2024: the old map
    assert not services.monthly_due(D(2024, 7, 2))  # made once
    assert main(["report", "monthly", "--today", "2024-07-02", "--now"]) == 0
    assert "nothing due" in capsys.readouterr().out
    assert KeptReport.objects.filter(scheduled=True).count() == len(kept)
    # later changes to the registry do not change what was sent
    xlsx = next(k for k in kept if k.fmt == "xlsx")
    sent = bytes(xlsx.content)
    town["p4"].enrolments.update(status="terminated", end_month="2024-01")
    c = Client()
    assert c.login(username="r_kiemtoan", password="Mk-thu-nghiem-2024")
    page = c.get("/reports/").content.decode()
    assert xlsx.sha256 in page
    assert c.get(f"/reports/kept/{xlsx.pk}/").content == sent


def test_monthly_job_queued(town, db):
    """Through the queue (django-tasks): the job kind is registered and runs in the worker."""
    from ansinh.core.jobs import run_job
    from ansinh.core.models import Job
    from ansinh.core.services import set_served_provinces

    set_served_provinces(["20"])
    job = services.schedule_monthly(D(2024, 12, 2))
    assert job is not None and job.kind == services.MONTHLY_JOB
    job = Job.objects.get(pk=job.pk)
    if job.status == "queued":  # a real queue: run it as the worker would
        run_job(job)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result["period"] == "2024-11" and len(job.result["kept"]) == len(services.formats())
