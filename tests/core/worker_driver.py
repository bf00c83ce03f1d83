"""Subprocess driver for the worker-health test (tests/core/test_worker_health.py).

python tests/core/worker_driver.py migrate
python tests/core/worker_driver.py enqueue block|quick [MARKER]   -> prints the job id
python tests/core/worker_driver.py wait JOB_ID STATUS TIMEOUT       -> prints the job as JSON
python tests/core/worker_driver.py worker                           -> `ansinh worker` (with the test job kinds)
python tests/core/worker_driver.py supervise                        -> `ansinh serve`'s supervisor of that worker

The database, cache and var folder come from the environment (DATABASE_URL, ANSINH_VAR,
ANSINH_CACHE_LOCATION), as for any ansinh process.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")

import django  # noqa: E402

django.setup()

from ansinh.core.jobs import job_kind  # noqa: E402


@job_kind("test.block")
def _block(params, progress):
    """Writes its process id to the marker file, then blocks (until killed)."""
    progress.set_total(1, "blocking")
    Path(params["marker"]).write_text(str(os.getpid()))
    time.sleep(600)
    return {"pid": os.getpid()}


@job_kind("test.quick")
def _quick(params, progress):
    progress.set_total(1, "quick")
    progress.advance()
    return {"pid": os.getpid()}


def main(argv: list[str]) -> None:
    cmd = argv[0]
    if cmd == "migrate":
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    elif cmd == "enqueue":
        from ansinh.core.jobs import start_job

        params = {"marker": argv[2]} if len(argv) > 2 else {}
        print(start_job(f"test.{argv[1]}", params, province_code="20").pk, flush=True)
    elif cmd == "wait":
        from django_tasks_db.models import DBTaskResult

        from ansinh.core.models import Job

        job_id, status, timeout = argv[1], argv[2], float(argv[3])
        t0 = time.monotonic()
        while True:
            job = Job.objects.get(pk=job_id)
            if job.status == status or time.monotonic() - t0 > timeout:
                break
            time.sleep(0.5)
        task = DBTaskResult.objects.filter(id=job.task_result_id).values_list("status", flat=True).first()
        print(json.dumps({"status": job.status, "error": job.error, "result": job.result, "task_status": task,
                          "waited": round(time.monotonic() - t0, 1)}), flush=True)
    elif cmd == "worker":
        from ansinh.core.cli import worker

        worker(once=False)
    elif cmd == "supervise":
        from ansinh.core.cli import WorkerSupervisor

        sup = WorkerSupervisor([sys.executable, __file__, "worker"])
        sup.start()
        try:
            while True:
                time.sleep(1)
        finally:
            sup.stop()
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv[1:])
