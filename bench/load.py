"""Load test (issue 17): 65 commune officers and 10 province users at once on gunicorn + PostgreSQL
with the 60,000-person demo — browsing, searching, imports, a payroll generation running.

Local only and bounded: everything talks to 127.0.0.1 and stops after --seconds. Locust
(bench/locustfile.py, `pip install -e ".[bench]"`) drives the users; gunicorn starts with the command
line of deploy/systemd/ansinh-web.service and the settings of deploy/ansinh.env.example (workers,
threads); `ansinh worker` runs beside it as in production. Afterwards every job started during the
run is waited for: a job that failed or never finished is reported as lost. Appends p50/p95/p99 per
page, errors, jobs and the machine's load to bench/RESULTS.md.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_load ANSINH_DEMO=1 ANSINH_VAR=/tmp/loadvar
    ansinh init && ansinh demo setup --people 60000
    python bench/load.py --port 8791 --seconds 180
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine, record  # noqa: E402
from app_server import wait_up  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Tai-thu-nghiem-2024"
IMPORTING_EVERY = 5     # one commune officer in five uploads a small list during the run
IMPORT_ROWS = 20
FAMILY = ["Hoàng", "Nông", "Vi", "Lương", "Triệu", "Lâm", "Hà", "Lộc", "Chu", "Mã"]
MIDDLE = ["Văn", "Thị", "Đức", "Ngọc", "Thị Thu", "Văn Hữu"]
GIVEN = ["Páo", "Slấy", "Nần", "Thuỷ", "Khoa", "Mây", "Hoà", "Chiến", "Lan", "Tằng"]


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    import django

    django.setup()


def web_command(port: int) -> tuple[list[str], dict]:
    """The ExecStart line of deploy/systemd/ansinh-web.service, with its variables from the env example."""
    unit = (ROOT / "deploy/systemd/ansinh-web.service").read_text(encoding="utf-8")
    line = next(l for l in unit.splitlines() if l.startswith("ExecStart="))[len("ExecStart="):]
    env = dict(re.findall(r"^([A-Z_]+)=(.*)$", (ROOT / "deploy/ansinh.env.example").read_text(encoding="utf-8"),
                          re.M))
    env["ANSINH_BIND"] = f"127.0.0.1:{port}"
    argv = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], a) for a in shlex.split(line)]
    assert argv[0].endswith("/gunicorn"), argv[0]
    return [sys.executable, "-m", "gunicorn", *argv[1:]], env


def write_list(path: Path, commune_name: str, province_code: str, rng: random.Random) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"UBND {commune_name.upper()}", None, None, None, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    ws.append(["DANH SÁCH ĐỐI TƯỢNG HƯỞNG TRỢ CẤP XÃ HỘI HẰNG THÁNG"])
    ws.append(["Tháng 11 năm 2024"])
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "Diện đối tượng", "Số tài khoản",
               "Ngân hàng", "Số điện thoại", "Địa chỉ"])
    for i in range(1, IMPORT_ROWS + 1):
        year = rng.randint(1925, 1943)
        female = rng.random() < 0.55
        ident = f"{province_code.zfill(3)}{1 if female else 0}{year % 100:02d}{rng.randrange(10**6):06d}"
        ws.append([i, f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
                   f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}", "Nữ" if female else "Nam", ident,
                   f"Thôn Nà {rng.randint(1, 9)}", "Người cao tuổi từ đủ 80 tuổi không có lương hưu", "", "", "", ""])
    ws.append(["Tổng cộng"])
    wb.save(path)
    return path


def prepare(workdir: Path, period: str) -> tuple[Path, dict]:
    """Users (one commune officer per current commune, 10 province users) and the lists to import."""
    from ansinh.core.selectors import installation_province
    from ansinh.core.services import upsert_user
    from ansinh.units.models import AdminUnit, Level

    province = installation_province()
    if not province:
        raise SystemExit("no province served: run `ansinh init` and `ansinh demo setup` first")
    communes = list(AdminUnit.objects.filter(province_code=province, level=Level.COMMUNE, valid_to__isnull=True)
                    .order_by("code"))
    rng = random.Random(17)
    conf = {"password": PASSWORD, "period": period, "communes": [], "provinces": []}
    for i, unit in enumerate(communes):
        login = f"load_{unit.code}"
        upsert_user(login, PASSWORD, roles=["commune_officer"], unit_codes=[unit.code],
                    full_name=f"Cán bộ {unit.name}")
        entry = {"login": login}
        if i % IMPORTING_EVERY == 0:
            entry["file"] = str(write_list(workdir / f"ds-{unit.code}.xlsx", unit.name, province, rng))
        conf["communes"].append(entry)
    for i in range(10):
        login = f"load_tinh{i}"
        upsert_user(login, PASSWORD, roles=["province_officer"], unit_codes=[province], full_name=f"Cán bộ tỉnh {i}")
        conf["provinces"].append({"login": login, "generates": i == 0})
    path = workdir / "users.json"
    path.write_text(json.dumps(conf, ensure_ascii=False), encoding="utf-8")
    return path, {"province": province, "communes": len(communes),
                  "importers": sum(1 for c in conf["communes"] if "file" in c)}


def wait_jobs(since: dt.datetime, timeout: float) -> dict:
    from ansinh.core.models import Job, JobStatus

    end = time.time() + timeout
    while True:
        jobs = list(Job.objects.filter(created_at__gte=since).values("kind", "status", "started_at", "finished_at",
                                                                      "created_at"))
        pending = [j for j in jobs if j["status"] in (JobStatus.QUEUED, JobStatus.RUNNING)]
        if not pending or time.time() > end:
            break
        time.sleep(3)
    by = {}
    for j in jobs:
        k = by.setdefault(j["kind"], {"started": 0, "succeeded": 0, "failed": 0, "unfinished": 0, "max_s": 0.0})
        k["started"] += 1
        k[{"succeeded": "succeeded", "failed": "failed"}.get(j["status"], "unfinished")] += 1
        if j["finished_at"]:
            k["max_s"] = max(k["max_s"], (j["finished_at"] - j["created_at"]).total_seconds())
    return by


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8791)
    ap.add_argument("--seconds", type=int, default=180)
    ap.add_argument("--spawn-rate", type=float, default=2.5)
    ap.add_argument("--period", default="2024-12", help="month of the payroll generated during the run")
    ap.add_argument("--jobs-timeout", type=float, default=900)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must point at PostgreSQL (the load test is for gunicorn + PostgreSQL)")
    sys.path.insert(0, str(ROOT / "src"))
    django_setup()
    from ansinh.registry.models import Person

    people = Person.objects.count()
    workdir = Path(tempfile.mkdtemp(prefix="ansinh-load-"))
    users_file, info = prepare(workdir, args.period)
    cmd, envfile = web_command(args.port)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "ANSINH_LOG_FORMAT": "json", "LOAD_USERS": str(users_file)}
    log = open(workdir / "servers.log", "w")
    web = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True, cwd=ROOT)
    worker = subprocess.Popen([sys.executable, "-m", "ansinh", "worker"], env=env, stdout=log, stderr=log,
                              start_new_session=True, cwd=ROOT)
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()
    try:
        wait_up(args.port, web, timeout=90)
        users = info["communes"] + 10
        prefix = workdir / "stats"
        t0 = time.time()
        rc = subprocess.call([sys.executable, "-m", "locust", "-f", str(ROOT / "bench/locustfile.py"), "--headless",
                              "-u", str(users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s",
                              "--host", f"http://127.0.0.1:{args.port}", "--csv", str(prefix), "--only-summary",
                              "--stop-timeout", "30", "--exit-code-on-error", "0"], env=env, cwd=ROOT)
        wall = time.time() - t0
        load1 = os.getloadavg()
        jobs = wait_jobs(started, args.jobs_timeout)
    finally:
        for p in (web, worker):
            try:
                os.killpg(p.pid, 15)
            except ProcessLookupError:
                pass
        for p in (web, worker):
            p.wait(timeout=60)
    rows = read_stats(prefix)
    pages = [r for r in rows if r["Name"] != "Aggregated" and r["Type"] == "GET" and r["Name"] != "login form"]
    agg_fail = sum(int(r["Failure Count"]) for r in rows if r["Name"] != "Aggregated")
    agg_req = sum(int(r["Request Count"]) for r in rows if r["Name"] != "Aggregated")
    # p95 of pages only (log-ins and uploads are reported, not part of the page goal)
    worst95 = max(float(r["95%"]) for r in pages) if pages else float("nan")
    lost = sum(k["failed"] + k["unfinished"] for k in jobs.values())
    lines = [f"\n## Load: {info['communes']} commune officers + 10 province users, gunicorn + PostgreSQL "
             f"({dt.date.today():%Y-%m-%d})\n",
             f"- Machine: {machine(with_memory=True)}; load average {load0[0]:.1f} before, {load1[0]:.1f} at the end "
             f"(other work on the machine at the time is included).",
             f"- Data: {people:,} persons (demo, province {info['province']}); {users} Locust users spawned at "
             f"{args.spawn_rate}/s, each waiting 2–10 s between clicks, for {args.seconds} s ({wall:.0f} s wall); "
             f"{info['importers']} commune officers upload a {IMPORT_ROWS}-row list, one province user starts a "
             f"province-wide payroll generation for {args.period}.",
             f"- Server: `{' '.join(cmd[3:])}` (deploy/systemd/ansinh-web.service with deploy/ansinh.env.example) "
             f"+ `ansinh worker`; locust exit code {rc}.",
             f"- Requests {agg_req:,}, failures {agg_fail}; worst page p95 {worst95:.0f} ms (goal ≤ 500 ms).",
             "", "| request | count | failures | p50 ms | p95 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        lines.append(f"| {r['Type']} {r['Name']} | {int(r['Request Count']):,} | {r['Failure Count']} | {r['50%']} | "
                     f"{r['95%']} | {r['99%']} | {float(r['Max Response Time']):.0f} |")
    lines += ["", "| job | started | succeeded | failed | unfinished | longest (queued → done) |", "|---|---:|---:|---:|---:|---:|"]
    for kind, k in sorted(jobs.items()):
        lines.append(f"| {kind} | {k['started']} | {k['succeeded']} | {k['failed']} | {k['unfinished']} | "
                     f"{k['max_s']:.0f} s |")
    lines.append(f"\nJobs lost (failed or unfinished after {args.jobs_timeout:.0f} s): {lost}.\n")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        record(text)
    return 0 if agg_fail == 0 and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
