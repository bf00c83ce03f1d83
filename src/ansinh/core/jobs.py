"""Background jobs with progress.

A job kind is a function `work(params: dict, progress: Progress) -> dict` registered
with `@job_kind("registry.import")`. The web starts it with `start_job(...)`: a Job row
is created and a django-tasks task (database backend; run `ansinh worker`) executes it.
The CLI runs the same function in-process with `run_inline(...)` and a progress bar.

Progress is written to Django's cache, not to the Job row: the work usually runs inside
one transaction (a failed job leaves nothing behind), so its own rows are invisible to
other connections until it commits, and SQLite allows only one writer.

Worker health: while a job runs, a thread of the process running it writes a heartbeat
(a timestamp in the cache, for the same reasons) every HEARTBEAT_EVERY seconds.
``fail_stale_jobs()`` marks a running job whose heartbeat is older than STALE_AFTER
seconds failed (its worker was killed: out of memory, kill -9, a crash), with its
django-tasks task row, so the page says so and the queue moves on; the worker runs it at
start-up and every CHECK_EVERY seconds, and so does ``ansinh serve``'s supervisor, which
also restarts a worker that died. This needs a cache shared by the processes (the
file-based default, Redis, ...); with a process-local cache nothing is declared stale.

A job that fails removes the file it was given when that file is an upload (under
VAR_DIR/uploads): a refused upload leaves nothing behind.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone
from django_tasks import task

from ansinh.core.models import Job, JobStatus
from ansinh.core.services import recorded_user

WorkFn = Callable[[dict, "Progress"], dict]
_KINDS: dict[str, WorkFn] = {}
log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5       # seconds between two heartbeats of a running job
STALE_AFTER = 40          # a running job without a heartbeat for this long has lost its worker
CHECK_EVERY = 5           # how often the worker and `ansinh serve` look for such jobs
WORKER_DIED = ("Tác vụ bị dừng giữa chừng: tiến trình xử lý nền đã ngừng (bị tắt hoặc hết bộ nhớ); "
               "các thay đổi dở dang không được ghi. Hãy chạy lại.")


class BadInput(Exception):
    """Input that a person must correct (a file, a row, an argument). Shown as one line."""


def job_kind(name: str) -> Callable[[WorkFn], WorkFn]:
    def register(fn: WorkFn) -> WorkFn:
        _KINDS[name] = fn
        return fn

    return register


def _cache_key(job_id) -> str:
    return f"ansinh:job:{job_id}"


def _heartbeat_key(job_id) -> str:
    return f"ansinh:job:{job_id}:heartbeat"


class _Heartbeat:
    """A daemon thread that stamps the job's heartbeat in the cache until stopped."""

    def __init__(self, job_id):
        self.job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def beat(self) -> None:
        try:
            cache.set(_heartbeat_key(self.job_id), time.time(), STALE_AFTER * 10)
        except Exception:  # noqa: BLE001 - a missed beat is retried; the job goes on
            log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY):
            self.beat()

    def __enter__(self):
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=HEARTBEAT_EVERY + 1)
        cache.delete(_heartbeat_key(self.job_id))


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
    with _Heartbeat(job.pk):
        Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
        job.status = JobStatus.RUNNING
        try:
            result = _work(job, progress)
        except BadInput as exc:
            _finish(job, progress, JobStatus.FAILED, error=str(exc))
        except MemoryError:
            _finish(job, progress, JobStatus.FAILED, error="Tác vụ cần nhiều bộ nhớ hơn máy chủ cho phép.")
        except Exception as exc:  # recorded on the job; the page shows it
            _finish(job, progress, JobStatus.FAILED,
                    error=f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}")
        else:
            _finish(job, progress, JobStatus.SUCCEEDED, result=result or {})
    job.refresh_from_db()
    if job.status == JobStatus.FAILED:
        discard_upload(job.params)
    return job


def _work(job: Job, progress: Progress) -> dict:
    """The job's work; an upload it was given (stored encrypted, ansinh.core.uploads) is read from a
    decrypted copy that lives only while the work runs."""
    path = job.params.get("path") if isinstance(job.params, dict) else None
    if not path or not Path(path).is_file():
        return _KINDS[job.kind](job.params, progress)
    from ansinh.core.sealed import opened_upload

    with opened_upload(path) as plain:
        return _KINDS[job.kind]({**job.params, "path": str(plain)}, progress)


def discard_upload(params: dict) -> None:
    """Remove the upload a failed job was given (the file and its random folder under
    VAR_DIR/uploads/<area>/), nothing outside that folder."""
    path = params.get("path") if isinstance(params, dict) else None
    if not path:
        return
    try:
        root = (Path(settings.VAR_DIR) / "uploads").resolve()
        p = Path(path).resolve()
        folder = p.parent
        if folder.parent.parent != root or not p.is_relative_to(root):
            return
        if p.is_file():
            p.unlink()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    except OSError:
        log.warning("could not remove a refused upload", exc_info=True)


def _shared_cache() -> bool:
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    return not backend.endswith(("LocMemCache", "DummyCache"))


def fail_stale_jobs(stale_after: float | None = None) -> int:
    """Mark running jobs whose worker died (no heartbeat for `stale_after` seconds) failed,
    with their django-tasks task rows; returns how many. Safe to run from any process that
    shares the cache, as often as wanted."""
    if not _shared_cache():
        return 0
    stale_after = STALE_AFTER if stale_after is None else stale_after
    now = time.time()
    n = 0
    for pk, started, task_id, params in Job.objects.filter(status=JobStatus.RUNNING).values_list(
            "pk", "started_at", "task_result_id", "params"):
        last = cache.get(_heartbeat_key(pk))
        if last is None:
            last = started.timestamp() if started else 0.0
        if now - last <= stale_after:
            continue
        done = Job.objects.filter(pk=pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, error=WORKER_DIED, finished_at=timezone.now())
        if not done:
            continue
        n += 1
        log.warning("job %s: no heartbeat for %.0f s, marked failed (its worker died)", pk, now - last)
        cache.delete(_cache_key(pk))
        if task_id:
            _fail_task_row(task_id)
        discard_upload(params)
    return n


def _fail_task_row(task_id: str) -> None:
    """The django-tasks database row of a task whose worker died: failed, not running."""
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # another task backend
        return
    from django_tasks.base import TaskResultStatus

    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=timezone.now(),
        exception_class_path="ansinh.core.jobs.WorkerDied", traceback=WORKER_DIED)


def watch_stale_jobs(stop: threading.Event, every: float | None = None) -> None:
    """Run fail_stale_jobs() every `every` seconds until `stop` is set (a daemon thread of the
    worker and of `ansinh serve`)."""
    from django.db import connections

    every = CHECK_EVERY if every is None else every
    while True:
        try:
            fail_stale_jobs()
        except Exception:  # noqa: BLE001 - a busy database: try again next time
            log.warning("stale-job check failed", exc_info=True)
        finally:
            connections.close_all()
        if stop.wait(every):
            return


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
