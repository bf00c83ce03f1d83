"""Payments with account numbers encrypted at rest vs in clear (issue 13 item 1), same run.

For each mode (ANSINH_ENCRYPT_AT_REST=1, then 0) a fresh demo installation (`ansinh init`, `ansinh demo
setup --people N`: lists imported, accounts, a reconciled November) on SQLite, or on PostgreSQL with
--pg (a database of its own, dropped after). Then, in the installation's process, `ROUNDS` times: the
province's December 2024 generated (INSERT…SELECT: ciphertext and hash copied), approved, its provider
files written (every .csv/.xlsx and the G2P JSON: ID and account numbers decrypted chunk by chunk), the
demo result file written and reconciled, then the run removed; best and median of each step.

    .venv/bin/python bench/payments_at_rest.py [--people 20000] [--rounds 3] [--pg] [--write]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _machine import RESULTS, machine  # noqa: E402

TIMED = r"""
import json, os, statistics, sys, tempfile, time
from pathlib import Path
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from ansinh.payroll import approval, files, generate, reconcile
from ansinh.payroll.models import PayrollLine, PayrollRun

U = get_user_model().objects
tinh, phe = U.get(username="tinh"), U.get(username="pheduyet")
rounds = int(sys.argv[1])
times = {"generate": [], "files": [], "reconcile": []}
lines = 0
for _ in range(rounds):
    t = time.perf_counter()
    run = generate.generate("2024-12", province_code="20", user=tinh)
    times["generate"].append(time.perf_counter() - t)
    lines = PayrollLine.objects.filter(run=run).count()
    approval.approve(run, phe)
    approval.export(run, user=phe)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        files.write_all(run, d, pdf=False)
        times["files"].append(time.perf_counter() - t)
        result = Path(d) / "ket-qua.csv"
        files.write_demo_result(run, result)
        t = time.perf_counter()
        reconcile.reconcile(run, result, user=phe)
        times["reconcile"].append(time.perf_counter() - t)
    PayrollLine.objects.filter(run=run).delete()
    run.delete()
with connection.cursor() as cur:
    cur.execute("SELECT account_number FROM registry_paymentaccount LIMIT 1")
    sample = cur.fetchone()[0]
print(json.dumps({"lines": lines, "encrypted": sample.startswith("e1:"),
                  **{k: {"best": min(v), "median": statistics.median(v)} for k, v in times.items()}}))
"""


def run(cmd, env, timeout=3600):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])}…: {r.stderr[-2000:]}")
    return r.stdout


def installation(work: Path, url: str, encrypt: bool, people: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSINH_") and k != "DATABASE_URL"}
    env.update({"DATABASE_URL": url, "ANSINH_VAR": str(work / "var"), "ANSINH_DEMO": "1",
                "ANSINH_ENCRYPT_AT_REST": "1" if encrypt else "0", "PYTHONPATH": str(ROOT / "src")})
    run([sys.executable, "-m", "ansinh", "init"], env)
    run([sys.executable, "-m", "ansinh", "demo", "setup", "--people", str(people), "--no-logins", "--json"], env)
    return env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pg", action="store_true")
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    load0 = os.getloadavg()
    out = {}
    pg_admin = None
    for encrypt in (True, False):
        work = Path(tempfile.mkdtemp(prefix="bench-pay-"))
        if a.pg:
            import psycopg

            parts = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/ansinh")
            name = f"{parts.path.lstrip('/') or 'ansinh'}_bench_{uuid.uuid4().hex[:6]}"
            pg_admin = urlunsplit(parts._replace(path="/postgres"))
            with psycopg.connect(pg_admin, autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{name}"')
            url = urlunsplit(parts._replace(path="/" + name))
        else:
            url = f"sqlite:///{work / 'var' / 'ansinh.sqlite3'}"
        try:
            env = installation(work, url, encrypt, a.people)
            res = json.loads(run([sys.executable, "-c", TIMED, str(a.rounds)], env).strip().splitlines()[-1])
        finally:
            if a.pg:
                with psycopg.connect(pg_admin, autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        assert res["encrypted"] == encrypt, res
        out["on" if encrypt else "off"] = res
        print("encryption", "on" if encrypt else "off", json.dumps(res), flush=True)
    load1 = os.getloadavg()
    db = "PostgreSQL" if a.pg else "SQLite"
    rows = []
    for step in ("generate", "files", "reconcile"):
        on, off = out["on"][step], out["off"][step]
        rows.append(f"  - {step}: on {on['best']:.2f} s best ({on['median']:.2f} median), off {off['best']:.2f} s "
                    f"({off['median']:.2f}): **{on['best'] / off['best']:.2f}×** best, "
                    f"{on['median'] / off['median']:.2f}× median")
    text = (f"\n## payments at rest ({db}) — {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}\n\n"
            f"- machine: {machine()}; load average {load0[0]:.1f} at start, {load1[0]:.1f} at the end (eight "
            f"parallel workers on the machine: wall times are pessimistic and noisy)\n"
            f"- `bench/payments_at_rest.py --people {a.people} --rounds {a.rounds}{' --pg' if a.pg else ''}`: two "
            f"fresh demo installations, ANSINH_ENCRYPT_AT_REST=1 then 0; the province's December 2024 run of "
            f"{out['on']['lines']:,} lines (off: {out['off']['lines']:,}), {a.rounds} rounds each\n"
            + "\n".join(rows) + "\n")
    print(text)
    if a.write:
        with open(RESULTS, "a", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
