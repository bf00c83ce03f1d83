"""A worker killed mid-job (kill -9): its job is marked failed within a minute (heartbeat),
the supervisor of `ansinh serve` starts a new worker, and the next job runs.

Real processes: `ansinh worker` (tests/core/worker_driver.py adds two test job kinds to it)
under the WorkerSupervisor that `ansinh serve` uses, against a file SQLite database (the
test's own SQLite database is in memory) or the PostgreSQL test database."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ansinh

ROOT = Path(__file__).resolve().parents[2]
SRC = str(Path(ansinh.__file__).resolve().parents[1])     # the ansinh under test (PYTHONPATH)
DRIVER = Path(__file__).with_name("worker_driver.py")


def _env(tmp_path: Path) -> dict:
    from django.db import connection

    env = os.environ.copy()
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    else:
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env["ANSINH_VAR"] = str(tmp_path / "var")
    env["ANSINH_CACHE_BACKEND"] = "django.core.cache.backends.filebased.FileBasedCache"
    env["ANSINH_CACHE_LOCATION"] = str(tmp_path / "cache")
    env["ANSINH_TASK_BACKEND"] = "django_tasks_db.DatabaseBackend"
    env["PYTHONPATH"] = os.pathsep.join([SRC, str(ROOT), env.get("PYTHONPATH", "")])
    env["DJANGO_SETTINGS_MODULE"] = "ansinh.settings"
    return env


def _drive(env, *args, timeout=180) -> str:
    out = subprocess.run([sys.executable, str(DRIVER), *map(str, args)], env=env, capture_output=True, text=True,
                         timeout=timeout, cwd=env["ANSINH_VAR"])
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


@pytest.mark.django_db(transaction=True)
def test_killed_worker_job_fails_within_a_minute_and_the_next_job_runs(tmp_path):
    env = _env(tmp_path)
    Path(env["ANSINH_VAR"]).mkdir()
    from django.db import connection

    if connection.vendor == "sqlite":
        _drive(env, "migrate", timeout=300)
    marker = tmp_path / "started"
    blocked = _drive(env, "enqueue", "block", marker)

    serve = subprocess.Popen([sys.executable, str(DRIVER), "supervise"], env=env, cwd=env["ANSINH_VAR"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        t0 = time.monotonic()
        while not marker.exists() and time.monotonic() - t0 < 120:
            assert serve.poll() is None, serve.stdout.read().decode()[-3000:]
            time.sleep(0.2)
        assert marker.exists(), "the worker never started the blocking job"
        time.sleep(0.5)
        worker_pid = int(marker.read_text())
        assert worker_pid != serve.pid
        os.kill(worker_pid, signal.SIGKILL)
        killed_at = time.monotonic()

        job = json.loads(_drive(env, "wait", blocked, "failed", 75))
        failed_after = time.monotonic() - killed_at
        assert job["status"] == "failed", job
        assert failed_after <= 60, f"marked failed only after {failed_after:.0f} s"
        assert "tiến trình xử lý nền đã ngừng" in job["error"] and "\n" not in job["error"]
        assert job["task_status"] == "FAILED"          # the django-tasks row no longer 'running'

        nxt = _drive(env, "enqueue", "quick")
        done = json.loads(_drive(env, "wait", nxt, "succeeded", 90))
        assert done["status"] == "succeeded", done
        assert done["result"]["pid"] != worker_pid       # a new worker ran it
        assert serve.poll() is None
        print(f"killed worker's job failed after {failed_after:.1f} s; next job ran by pid {done['result']['pid']}")
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        out = serve.stdout.read().decode(errors="replace")
        assert "the worker exited (code -9)" in out, out[-3000:]
