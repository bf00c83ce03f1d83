"""gunicorn vs granian on the same pages, in the same run (issue 17; decision 0016).

Starts each application server in turn with the command line of deploy/ (2 worker processes, 4
threads each: the 2-core machine of the reference install), signs in N client threads as a
province officer and has them fetch the same pages in turn for D seconds; then the other server.
The order alternates over rounds so that a change of machine load hits both. Appends a section to
bench/RESULTS.md (machine, date, load, p50/p95/p99 per page and overall, requests/s, errors).

    ANSINH_DEMO=1 ANSINH_VAR=/tmp/x ansinh init && ... demo setup --people 3000
    ANSINH_DEMO=1 ANSINH_VAR=/tmp/x python bench/app_server.py --port 8776 --seconds 20 --clients 8 --rounds 2

granian is not a dependency of ansinh (decision 0016 chose gunicorn): `pip install granian==2.8.7` to re-run.
Local only, bounded: it talks to 127.0.0.1 and stops after rounds × servers × seconds.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import machine, record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["/", "/registry/", "/accounts/", "/payroll/", "/units/", "/login/?anon=1", "/healthz"]


def server_command(name: str, port: int, workers: int, threads: int) -> list[str]:
    py = sys.executable
    if name == "gunicorn":
        return [py, "-m", "gunicorn", "ansinh.wsgi:application", "--bind", f"127.0.0.1:{port}",
                "--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
                "--timeout", "120", "--log-level", "warning"]
    return [py, "-m", "granian", "--interface", "wsgi", "ansinh.wsgi:application", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads),
            "--log-level", "warning", "--no-access-log"]


class Client:
    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        h = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return r.status, data

    def login(self, user: str, password: str) -> None:
        from urllib.parse import urlencode

        self.cookies.pop("sessionid", None)
        _, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request("POST", "/login/", urlencode(
            {"username": user, "password": password, "csrfmiddlewaretoken": token}),
            {"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/login/"})
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"log-in as {user} failed (status {status})")


def port_free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_up(port: int, proc, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/login/", headers={"Host": "127.0.0.1"})
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not start")


def drive(port: int, clients: int, seconds: float, user: str, password: str) -> dict:
    samples: dict[str, list[float]] = {p: [] for p in PAGES}
    errors: list[str] = []
    lock = threading.Lock()
    login_lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def one(i: int) -> None:
        try:
            c = Client(port)
            with login_lock:  # log-ins one at a time, before the measured part
                c.login(user, password)
            for p in PAGES:  # warm each page once, not counted
                c.request("GET", p)
        except BaseException as exc:  # noqa: BLE001 - say why, and free the others
            print(f"client {i}: {exc!r}", file=sys.stderr, flush=True)
            start.abort()
            return
        start.wait(timeout=120)
        k = i
        while time.monotonic() < stop_at[0]:
            page = PAGES[k % len(PAGES)]
            k += 1
            anon = page.startswith("/login/")
            saved = c.cookies.pop("sessionid", None) if anon else None
            t0 = time.perf_counter()
            try:
                status, _ = c.request("GET", page)
            except Exception as exc:  # noqa: BLE001
                status = f"{type(exc).__name__}"
            dt_ms = (time.perf_counter() - t0) * 1000
            if saved:
                c.cookies["sessionid"] = saved
            with lock:
                if status == 200:
                    samples[page].append(dt_ms)
                else:
                    errors.append(f"{page} {status}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + 10**6
    start.wait(timeout=180)
    t0 = time.monotonic()
    stop_at[0] = t0 + seconds
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    return {"samples": samples, "errors": errors, "wall": wall}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8776)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--user", default="tinh")
    ap.add_argument("--password", default="ansinh-demo")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()

    if not port_free(args.port):
        raise SystemExit(f"port {args.port} is in use by another program: choose another with --port")
    env = {**os.environ, "ANSINH_LOG_FORMAT": os.environ.get("ANSINH_LOG_FORMAT", "json"),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    totals = {s: {"samples": {p: [] for p in PAGES}, "errors": [], "wall": 0.0} for s in ("gunicorn", "granian")}
    started = dt.datetime.now(dt.timezone.utc)
    load0 = os.getloadavg()
    versions = {}
    for name in ("gunicorn", "granian"):
        out = subprocess.run([sys.executable, "-c", f"import importlib.metadata as m; print(m.version('{name}'))"],
                             capture_output=True, text=True)
        versions[name] = out.stdout.strip()
    # the worker runs alongside, as in production (and /healthz wants its heartbeat)
    worker = subprocess.Popen([sys.executable, "-m", "ansinh", "worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(3)
    try:
        run_rounds(args, env, totals)
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(20)
    load1 = os.getloadavg()
    write(args, env, totals, started, load0, load1, versions)
    return 0 if not any(t["errors"] for t in totals.values()) else 1


def run_rounds(args, env, totals) -> None:
    for r in range(args.rounds):
        order = ("gunicorn", "granian") if r % 2 == 0 else ("granian", "gunicorn")
        for name in order:
            log = open(Path(env.get("ANSINH_VAR", ".")) / f"bench-{name}.log", "ab")  # the JSON log lines go on disk
            proc = subprocess.Popen(server_command(name, args.port, args.workers, args.threads), env=env,
                                    stdout=log, stderr=log, start_new_session=True)
            try:
                wait_up(args.port, proc)
                res = drive(args.port, args.clients, args.seconds, args.user, args.password)
            finally:
                os.killpg(proc.pid, 15)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
                    proc.wait()
            for p, v in res["samples"].items():
                totals[name]["samples"][p] += v
            totals[name]["errors"] += res["errors"]
            totals[name]["wall"] += res["wall"]
            n = sum(len(v) for v in res["samples"].values())
            print(f"round {r + 1} {name}: {n} requests in {res['wall']:.1f} s = {n / res['wall']:.1f}/s, "
                  f"errors {len(res['errors'])}", flush=True)


def write(args, env, totals, started, load0, load1, versions) -> None:
    lines = [f"\n## app_server (gunicorn vs granian) — {started.strftime('%Y-%m-%dT%H:%M:%SZ')}\n",
             f"- machine: {machine(with_memory=True)}",
             f"- date: {started.isoformat(timespec='seconds')}; load average (1/5/15 min) at start "
             f"{load0[0]:.2f}/{load0[1]:.2f}/{load0[2]:.2f}, at end {load1[0]:.2f}/{load1[1]:.2f}/{load1[2]:.2f} "
             "(the machine is shared with other work)",
             f"- servers: gunicorn {versions['gunicorn']} (`--worker-class gthread --workers {args.workers} "
             f"--threads {args.threads}`), granian {versions['granian']} (`--interface wsgi --workers {args.workers} "
             f"--blocking-threads {args.threads}`); database {env.get('DATABASE_URL', 'SQLite (embedded)').split('@')[-1]}; "
             f"JSON logs on",
             f"- load: {args.clients} signed-in clients (keep-alive) on the same machine, {args.rounds} rounds × "
             f"{args.seconds:.0f} s per server, order alternating; pages in turn: {', '.join(PAGES)}",
             "",
             "| server | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
             "|---|---|---|---|---|---|---|"]
    for name, t in totals.items():
        allv = [x for v in t["samples"].values() for x in v]
        lines.append(f"| {name} | {len(allv)} | {len(allv) / t['wall']:.1f} | {pct(allv, .5):.0f} | "
                     f"{pct(allv, .95):.0f} | {pct(allv, .99):.0f} | {len(t['errors'])} |")
    lines += ["", "| page | " + " | ".join(f"{n} p50 / p95 ms" for n in totals) + " |",
              "|---|" + "---|" * len(totals)]
    for p in PAGES:
        lines.append(f"| `{p}` | " + " | ".join(
            f"{pct(t['samples'][p], .5):.0f} / {pct(t['samples'][p], .95):.0f}" for t in totals.values()) + " |")
    for name, t in totals.items():
        if t["errors"]:
            from collections import Counter

            lines.append(f"\n{name} errors: " + ", ".join(f"{k} ×{v}" for k, v in Counter(t["errors"]).most_common(5)))
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        record(text)


if __name__ == "__main__":
    sys.exit(main())
