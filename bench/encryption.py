"""What encrypting identifiers at rest costs (issue 13, decision 0025): the same work with
ANSINH_ENCRYPT_AT_REST=1 (AES-256-GCM + keyed hashes) and =0 (cleartext column, hashes still kept: the
floor), in one run, alternating the two so the machine's load falls on both alike.

1. the import of the demo lists (``ansinh.registry.demo_lists.generate``, province 20, seed 1; --people,
   default 60,000) into a fresh SQLite database (one ``ansinh init`` copied for every run, not timed):
   ``ansinh registry import DIR --province 20 --json`` timed as a subprocess;
2. the part of the 1M dedupe that reads the database: matching's loader
   (``ansinh.matching.services.person_rows`` over every person: ciphertext loaded and decrypted) on that
   database, in a subprocess, per mode. The 1M dedupe itself (bench/linkage/scale.py) deduplicates generated
   frames without a database: encryption cannot change it; what it adds is this decryption, also measured
   per million values (``decrypt_many`` of 1,000,000 IDs + 1,000,000 phones);
3. a section appended to bench/RESULTS.md (unless --no-write).

    .venv/bin/python bench/encryption.py [--people 60000] [--rounds 1] [--no-write]
"""
from __future__ import annotations

import _machine  # bench/_machine.py
import argparse
import base64
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PYTHON = Path(sys.executable)
ANSINH = PYTHON.parent / "ansinh"
PROVINCE = "20"
TARGET = 1.10

LOADER = r"""
import os, sys, time, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
import django
django.setup()
from ansinh.matching.services import person_rows
from ansinh.registry.models import Person
best = None
cpu = None
for _ in range(3):
    t0, c0 = time.perf_counter(), time.process_time()
    rows = person_rows(Person.objects.all())
    t, c = time.perf_counter() - t0, time.process_time() - c0
    best = t if best is None else min(best, t)
    cpu = c if cpu is None else min(cpu, c)
print(json.dumps({"rows": len(rows), "seconds": best, "cpu": cpu, "ids": sum(1 for r in rows if r["id_number"])}))
"""

MICRO = r"""
import os, time, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
import django
django.setup()
from ansinh.core import crypto
N = 300_000
ids = [f"0200{i:08d}" for i in range(N)]
c = time.process_time
t0 = c(); enc = crypto.encrypt_many(ids); t_enc = c() - t0
t0 = c(); crypto.decrypt_many(enc); t_dec = c() - t0
t0 = c(); crypto.lookup_hash_many(ids); t_hash = c() - t0
print(json.dumps({"encrypt_us": t_enc / N * 1e6, "decrypt_us": t_dec / N * 1e6, "hash_us": t_hash / N * 1e6}))
"""


def env_for(var: Path, on: bool, keys: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(SRC), "ANSINH_VAR": str(var), "ANSINH_DEMO": "1",
           "DATABASE_URL": f"sqlite:///{var / 'ansinh.sqlite3'}", "ANSINH_ENCRYPT_AT_REST": "1" if on else "0",
           **keys}
    env.pop("DEBUG", None)
    return env


CPU = [0.0]  # CPU seconds (user + system) of the last child: far less sensitive to the machine's load than wall


def run(cmd, env, cwd) -> tuple[float, str]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    t = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd[:3]))} failed: {r.stderr[-2000:]}")
    return t, r.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=60000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    keys = {"ANSINH_DATA_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
            "ANSINH_LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode()}
    tmp = Path(tempfile.mkdtemp(prefix="bench_enc_"))
    started = dt.datetime.now(dt.timezone.utc)
    try:
        sys.path.insert(0, str(SRC))
        data = tmp / "lists"
        t0 = time.perf_counter()
        subprocess.run([str(PYTHON), "-c", "import sys; from ansinh.registry.demo_lists import generate; "
                        f"generate(province_code='{PROVINCE}', people={args.people}, seed=1, out_dir=sys.argv[1])",
                        str(data)], env={**os.environ, "PYTHONPATH": str(SRC)}, check=True, capture_output=True)
        gen = time.perf_counter() - t0
        (data / "ground_truth.csv").rename(tmp / "ground_truth.csv")  # the generator's answer key, not a list
        base = tmp / "base"
        base.mkdir()
        t_init, _ = run([str(ANSINH), "init", "--province", PROVINCE], env_for(base, True, keys), base)
        results = {True: [], False: []}
        cpu = {True: [], False: []}
        loads = {True: [], False: []}
        rows_seen = {}
        for rnd in range(args.rounds):
            for on in ((False, True) if rnd % 2 == 0 else (True, False)):
                var = tmp / f"{'on' if on else 'off'}{rnd}"
                var.mkdir()
                shutil.copy(base / "ansinh.sqlite3", var / "ansinh.sqlite3")
                env = env_for(var, on, keys)
                t, out = run([str(ANSINH), "registry", "import", str(data), "--province", PROVINCE, "--json"], env, var)
                results[on].append(t)
                cpu[on].append(CPU[0])
                rows_seen[on] = out.strip().splitlines()[-1][:300] if out.strip() else ""
                _t, out = run([str(PYTHON), "-c", LOADER], env, var)
                loads[on].append(json.loads(out.strip().splitlines()[-1]))
                print(f"round {rnd} encryption {'on ' if on else 'off'}: import {t:.1f} s (CPU {cpu[on][-1]:.1f} s), "
                      f"loader {loads[on][-1]['seconds']:.2f} s ({loads[on][-1]['rows']} persons); "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
                with open(var / "check.txt", "w") as fh:
                    fh.write(str(os.path.getsize(var / "ansinh.sqlite3")))
        _t, out = run([str(PYTHON), "-c", MICRO], env_for(base, True, keys), base)
        micro = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    imp_on, imp_off = min(results[True]), min(results[False])
    cpu_on, cpu_off = min(cpu[True]), min(cpu[False])
    ld_on, ld_off = min(x["seconds"] for x in loads[True]), min(x["seconds"] for x in loads[False])
    lc_on, lc_off = min(x["cpu"] for x in loads[True]), min(x["cpu"] for x in loads[False])
    n = loads[True][0]["rows"]
    per_m = micro["decrypt_us"] * 3  # seconds of CPU to decrypt ID, phone and account of 1M persons
    lines = [
        f"## Identifiers encrypted at rest: on vs off (bench/encryption.py), {started:%Y-%m-%dT%H:%M:%SZ}",
        "",
        f"- machine: {_machine.machine(with_memory=True)}; **loaded by eight parallel workers** (load average "
        f"{os.getloadavg()[0]:.1f} at the end): wall times are several times an idle machine's and swing by more "
        f"than the effect measured; the CPU seconds (user + system of the process) are the comparison to read",
        f"- data: the demo lists of {args.people:,} people (province {PROVINCE}, seed 1; generated in {gen:.0f} s, "
        f"not timed), {n:,} persons after import; SQLite; {args.rounds} round(s), on/off alternated, best kept",
        f"- import (`ansinh registry import DIR`, subprocess, end to end): CPU on **{cpu_on:.1f} s**, off "
        f"{cpu_off:.1f} s: **{cpu_on / cpu_off:.3f}×** (target ≤ {TARGET:.2f}×: "
        f"{'met' if cpu_on / cpu_off <= TARGET else 'NOT met'}); wall on {imp_on:.1f} s, off {imp_off:.1f} s",
        f"- matching's database loader (`matching.services.person_rows`, every person: ID, CMND, phone read as "
        f"stored and decrypted in bulk), best of 3: CPU on **{lc_on:.2f} s**, off {lc_off:.2f} s "
        f"(**{lc_on / lc_off:.2f}×**); wall {ld_on:.2f} / {ld_off:.2f} s, for {n:,} persons",
        f"- per value (CPU, in-process, 300,000 IDs): encrypt {micro['encrypt_us']:.2f} µs, decrypt "
        f"{micro['decrypt_us']:.2f} µs, keyed hash {micro['hash_us']:.2f} µs. The 1M dedupe "
        f"(bench/linkage/scale.py) deduplicates generated frames without the database: encryption does not "
        f"touch it. What it adds to a 1M dedupe of the registry is the loader's decryption: ≈ {per_m:.1f} CPU "
        f"seconds for 1M persons' ID, phone and account number, against the 84.8 s of the 1M dedupe "
        f"(00:13Z run above): ≈ {per_m / 84.8 * 100:.1f} % (target ≤ 10 %)",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with open(_machine.RESULTS, "a") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
