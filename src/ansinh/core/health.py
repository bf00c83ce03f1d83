"""`/healthz`: is this installation able to work? For a monitor and for nginx/systemd checks.

Answers JSON, 200 when every check passes and 503 otherwise, without a log-in and without any
personal data (no names, paths or counts of people):

- database: a `SELECT 1` on the default database;
- cache:    a value written and read back (the web and the worker share job progress through it);
- worker:   the background worker's own heartbeat (``worker_heartbeat``, written by `ansinh worker`
            every WORKER_BEAT_EVERY seconds) is younger than WORKER_STALE_AFTER seconds;
- disk:     free space in ANSINH_VAR and MEDIA_ROOT is at least settings.ANSINH_HEALTH_MIN_FREE_MB.
"""
from __future__ import annotations

import logging
import shutil
import threading
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)

WORKER_KEY = "ansinh:worker:heartbeat"
WORKER_BEAT_EVERY = 5      # seconds between two heartbeats of a running worker process
WORKER_STALE_AFTER = 30    # no heartbeat for this long: the worker is down


def beat_worker() -> None:
    cache.set(WORKER_KEY, time.time(), WORKER_STALE_AFTER * 10)


def worker_heartbeat(stop: threading.Event, every: float = WORKER_BEAT_EVERY) -> None:
    """Run in a daemon thread of `ansinh worker`: stamps the worker's heartbeat until `stop` is set.
    Independent of jobs: an idle worker beats too (a job has its own heartbeat, core.jobs)."""
    while True:
        try:
            beat_worker()
        except Exception:  # noqa: BLE001 - the cache is down: /healthz says so
            log.warning("worker heartbeat not written", exc_info=True)
        if stop.wait(every):
            return


def _timed(fn) -> dict:
    started = time.monotonic()
    try:
        out = fn() or {}
        ok = out.pop("ok", True)
    except Exception as exc:  # noqa: BLE001 - any failure is a failed check
        out, ok = {"error": type(exc).__name__}, False
    return {"ok": ok, "ms": round((time.monotonic() - started) * 1000, 1), **out}


def _database() -> dict:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"vendor": connection.vendor}


def _cache() -> dict:
    key, value = f"ansinh:healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 10)
    ok = cache.get(key) == value
    cache.delete(key)
    return {"ok": ok}


def _worker() -> dict:
    last = cache.get(WORKER_KEY)
    if last is None:
        return {"ok": False, "seen": False}
    age = max(0.0, time.time() - float(last))
    return {"ok": age <= WORKER_STALE_AFTER, "seen": True, "age_s": round(age, 1)}


def _disk() -> dict:
    floor = settings.ANSINH_HEALTH_MIN_FREE_MB
    out, ok = {"min_free_mb": floor}, True
    for name, folder in (("var", settings.VAR_DIR), ("media", settings.MEDIA_ROOT)):
        # a folder not made yet (no upload so far) lives on its parent's disk
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        free = shutil.disk_usage(folder).free // (1024 * 1024)
        out[f"{name}_free_mb"] = free
        ok = ok and free >= floor
    return {"ok": ok, **out}


def run_checks() -> dict:
    checks = {"database": _timed(_database), "cache": _timed(_cache), "worker": _timed(_worker),
              "disk": _timed(_disk)}
    return {"status": "ok" if all(c["ok"] for c in checks.values()) else "fail", "checks": checks}


@require_GET
def healthz(request):
    body = run_checks()
    if body["status"] != "ok":
        log.warning("health check failed: %s", ", ".join(k for k, c in body["checks"].items() if not c["ok"]))
    response = JsonResponse(body, status=200 if body["status"] == "ok" else 503)
    response["Cache-Control"] = "no-store"
    return response
