"""The background job of the scheduled monthly progress report (ansinh.core.jobs)."""
from __future__ import annotations

import datetime as dt

from ansinh.core.jobs import Progress, job_kind


@job_kind("reports.monthly")
def monthly_job(params: dict, progress: Progress) -> dict:
    from ansinh.core.models import Job
    from ansinh.reports import services

    today = dt.date.fromisoformat(params["today"])
    job = Job.objects.filter(pk=progress.job_id).first() if progress.job_id else None
    kept = services.make_monthly(today, job=job, progress=progress)
    return {"period": services.monthly_period(today).code,
            "kept": [{"id": k.pk, "file": k.file_name, "sha256": k.sha256} for k in kept]}
