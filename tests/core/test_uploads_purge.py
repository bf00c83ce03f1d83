"""Uploaded lists are deleted after the retention period (`ansinh uploads purge`, daily by the worker);
a file a queued job still reads, and approval evidence, are kept."""
from __future__ import annotations

import json
import os
import time

import pytest

from ansinh.cli import main
from ansinh.core.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def upload(var, area, name, age_days):
    d = var / "uploads" / area / f"{area}{name}"
    d.mkdir(parents=True)
    f = d / name
    f.write_bytes(b"020040001234")
    t = time.time() - age_days * 86400
    os.utime(f, (t, t))
    return f


def test_purge_keeps_recent_busy_and_evidence(tmp_path, settings, capsys):
    settings.VAR_DIR = tmp_path
    old = upload(tmp_path, "registry", "old.xlsx", 100)
    recent = upload(tmp_path, "registry", "new.xlsx", 10)
    busy = upload(tmp_path, "accounts", "busy.xlsx", 100)
    evidence = upload(tmp_path, "account-evidence", "minh-chung.pdf", 1000)
    Job.objects.create(kind="accounts.bank_list", params={"path": str(busy)}, status=JobStatus.QUEUED)
    assert main(["uploads", "purge", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r == {"days": 90, "deleted": 1, "kept_for_jobs": 1}
    assert not old.exists() and not old.parent.exists()
    assert recent.exists() and busy.exists() and evidence.exists()
    assert main(["uploads", "purge", "--days", "5"]) == 0 and not recent.exists()
    assert main(["uploads", "purge", "--days", "-1"]) == 2


def test_daily_housekeeping_runs_once_a_day(tmp_path, settings):
    import datetime as dt

    from ansinh.audit.models import Action, AuditEntry
    from ansinh.core.housekeeping import run_daily

    settings.VAR_DIR = tmp_path
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"daily-{tmp_path.name}"}}
    from ansinh.registry.models import AuthorisedPerson, Person, QualityIssue

    p = Person.objects.create(full_name="Hoàng Văn Bình", name_key="hoang van binh")
    AuthorisedPerson.objects.create(person=p, full_name="Hoàng Thị Mai", relationship="con",
                                    recheck_on=dt.date(2026, 12, 1))
    day = dt.date(2026, 12, 4)
    first = run_daily(day)
    assert first["checkpoint"]["day"] == "2026-12-03" and first["uploads"]["deleted"] == 0
    # the authorisation due for a check on 01/12/2026 is in the review queue after the day's run
    assert first["authorisations"] == {"AUTH_EXPIRED": 0, "AUTH_RECHECK": 1}
    assert QualityIssue.objects.filter(person=p, rule="AUTH_RECHECK", status="open").count() == 1
    assert run_daily(day) is None
    assert AuditEntry.objects.filter(action=Action.CHECKPOINT).count() == 1
