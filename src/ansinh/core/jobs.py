"""Background jobs with progress.

A job kind is a function `work(params: dict, progress: Progress) -> dict` registered
with `@job_kind("registry.import")`. The web starts it with `start_job(...)`: a Job row
is created and a django-tasks task (database backend; run `ansinh worker`) executes it.
The CLI runs the same function in-process with `run_inline(...)` and a progress bar.

Progress is written to Django's cache, not to the Job row: the work usually runs inside
one transaction (a failed job leaves nothing behind), so its own rows are invisible to
other connections until it commits, and SQLite allows only one writer.
"""
from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone
from django_tasks import task

from ansinh.core.models import Job, JobStatus
from ansinh.core.services import recorded_user

WorkFn = Callable[[dict, "Progress"], dict]
_KINDS: dict[str, WorkFn] = {}


class BadInput(Exception):
    """Input that a person must correct (a file, a row, an argument). Shown as one line."""


def job_kind(name: str) -> Callable[[WorkFn], WorkFn]:
    def register(fn: WorkFn) -> WorkFn:
        _KINDS[name] = fn
        return fn

    return register


def _cache_key(job_id) -> str:
    return f"ansinh:job:{job_id}"


class Progress:
    """Handed to the work function. `listener(done, total, message)` gets every update (CLI bars);
    the shared cache gets at most a few writes per second (web pages poll it)."""

    def __init__(self, job_id=None, listener: Callable[[int, int, str], None] | None = None):
        self.job_id = job_id
        self.listener = listener
        self.done = 0
        self.total = 0
        self.message = ""
        self._last = 0.0

    def set_total(self, total: int, message: str | None = None) -> None:
        self.total = int(total)
        self._emit(message, force=True)

    def advance(self, n: int = 1, message: str | None = None) -> None:
        self.done += int(n)
        self._emit(message)

    def update(self, done: int, message: str | None = None) -> None:
        self.done = int(done)
        self._emit(message)

    def _emit(self, message: str | None, force: bool = False) -> None:
        if message is not None:
            self.message = message
        if self.listener:
            self.listener(self.done, self.total, self.message)
        now = time.monotonic()
        if self.job_id and (force or now - self._last > 0.3):
            self._last = now
            cache.set(_cache_key(self.job_id), {"done": self.done, "total": self.total, "message": self.message}, 3600)


def live_progress(job: Job) -> dict:
    """The freshest progress of a job: the cache while it runs, the row once it has finished."""
    if job.status == JobStatus.RUNNING:
        data = cache.get(_cache_key(job.pk))
        if data:
            return data
    return {"done": job.done, "total": job.total, "message": job.message}


def create_job(kind: str, params: dict, *, user=None, title: str = "", commune=None, province_code: str = "") -> Job:
    if kind not in _KINDS:
        raise BadInput(f"unknown job kind: {kind}")
    if commune is not None and not province_code:
        province_code = commune.province_code
    return Job.objects.create(kind=kind, params=params, created_by=recorded_user(user),
                              title=title or kind, commune=commune, province_code=province_code)


def start_job(kind: str, params: dict, **kwargs) -> Job:
    job = create_job(kind, params, **kwargs)
    result = execute_job.enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    job.refresh_from_db()
    return job


def run_job(job: Job, listener: Callable[[int, int, str], None] | None = None) -> Job:
    """Run a job's work now, in this process, and record its outcome on the row."""
    progress = Progress(job.pk, listener)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    job.status = JobStatus.RUNNING
    try:
        result = _KINDS[job.kind](job.params, progress)
    except BadInput as exc:
        _finish(job, progress, JobStatus.FAILED, error=str(exc))
    except Exception as exc:  # recorded on the job; the page shows it
        _finish(job, progress, JobStatus.FAILED, error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}")
    else:
        _finish(job, progress, JobStatus.SUCCEEDED, result=result or {})
    job.refresh_from_db()
    return job


def _finish(job: Job, progress: Progress, status: str, result: dict | None = None, error: str = "") -> None:
    done = progress.total if status == JobStatus.SUCCEEDED and progress.total else progress.done
    Job.objects.filter(pk=job.pk).update(
        status=status, result=result or {}, error=error, done=done, total=progress.total,
        message=progress.message[:500], finished_at=timezone.now(),
    )
    cache.delete(_cache_key(job.pk))


def run_inline(kind: str, params: dict, listener=None, **kwargs) -> Job:
    return run_job(create_job(kind, params, **kwargs), listener)


@task()
def execute_job(job_id: str) -> str:
    close_old_connections()
    job = Job.objects.get(pk=job_id)
    if job.status != JobStatus.QUEUED:
        return job.status
    return run_job(job).status


def job_summary(job: Job) -> dict[str, Any]:
    p = live_progress(job)
    return {
        "id": str(job.pk), "kind": job.kind, "title": job.title, "status": job.status,
        "done": p["done"], "total": p["total"], "message": p["message"],
        "percent": (100 if job.status == JobStatus.SUCCEEDED else (min(100, p["done"] * 100 // p["total"]) if p["total"] else 0)),
        "result": job.result, "error": job.error.splitlines()[0] if job.error else "",
    }
