"""Background jobs: the task backend runs them and records progress and outcome."""
from __future__ import annotations

import pytest
from django.db import transaction

from ansinh.core import jobs
from ansinh.core.models import Job, JobStatus, Organisation, OrgKind

pytestmark = pytest.mark.django_db


@jobs.job_kind("test.count")
def _count(params, progress):
    progress.set_total(params["n"], "counting")
    for _ in range(params["n"]):
        progress.advance()
    return {"counted": params["n"]}


@jobs.job_kind("test.fail_midway")
def _fail(params, progress):
    with transaction.atomic():
        Organisation.objects.create(name="half-written", kind=OrgKind.OTHER)
        raise jobs.BadInput("lists/x.xlsx: row 7: boom")


def test_inline_job_reports_progress_to_listener():
    seen = []
    job = jobs.run_inline("test.count", {"n": 5}, listener=lambda d, t, m: seen.append((d, t)))
    assert job.status == JobStatus.SUCCEEDED and job.result == {"counted": 5}
    assert seen[-1] == (5, 5) and job.done == 5 and job.percent == 100


@pytest.mark.usefixtures("transactional_db_with_units")
def test_enqueued_job_runs_in_worker_and_is_visible():
    from django.core.management import call_command

    job = jobs.start_job("test.count", {"n": 3}, province_code="20")
    assert job.status == JobStatus.QUEUED and job.task_result_id
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result == {"counted": 3}


def test_failed_job_leaves_nothing_and_keeps_the_message():
    job = jobs.run_inline("test.fail_midway", {})
    assert job.status == JobStatus.FAILED
    assert job.error == "lists/x.xlsx: row 7: boom"
    assert not Organisation.objects.filter(name="half-written").exists()


def test_unknown_kind_is_bad_input():
    with pytest.raises(jobs.BadInput):
        jobs.create_job("nope", {})
