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
for _ in range(3):
    t0 = time.perf_counter()
    rows = person_rows(Person.objects.all())
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(json.dumps({"rows": len(rows), "seconds": best, "ids": sum(1 for r in rows if r["id_number"])}))
"""

MICRO = r"""
import os, time, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
import django
django.setup()
from ansinh.core import crypto
ids = [f"0200{i:08d}" for i in range(1_000_000)]
phones = [f"09{i:08d}" for i in range(1_000_000)]
t0 = time.perf_counter(); enc = crypto.encrypt_many(ids) + crypto.encrypt_many(phones); t_enc = time.perf_counter() - t0
t0 = time.perf_counter(); crypto.decrypt_many(enc); t_dec = time.perf_counter() - t0
t0 = time.perf_counter(); crypto.lookup_hash_many(ids); crypto.lookup_hash_many(phones); t_hash = time.perf_counter() - t0
print(json.dumps({"encrypt_2M": t_enc, "decrypt_2M": t_dec, "hash_2M": t_hash}))
"""


def env_for(var: Path, on: bool, keys: dict) -> dict:
    env = {**os.environ, "PYTHONPATH": str(SRC), "ANSINH_VAR": str(var), "ANSINH_DEMO": "1",
           "DATABASE_URL": f"sqlite:///{var / 'ansinh.sqlite3'}", "ANSINH_ENCRYPT_AT_REST": "1" if on else "0",
           **keys}
    env.pop("DEBUG", None)
    return env


def run(cmd, env, cwd) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    t = time.perf_counter() - t0
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
        base = tmp / "base"
        base.mkdir()
        t_init, _ = run([str(ANSINH), "init", "--province", PROVINCE], env_for(base, True, keys), base)
        results = {True: [], False: []}
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
                rows_seen[on] = out.strip().splitlines()[-1][:300] if out.strip() else ""
                _t, out = run([str(PYTHON), "-c", LOADER], env, var)
                loads[on].append(json.loads(out.strip().splitlines()[-1]))
                print(f"round {rnd} encryption {'on ' if on else 'off'}: import {t:.1f} s, "
                      f"loader {loads[on][-1]['seconds']:.2f} s ({loads[on][-1]['rows']} persons); "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
                with open(var / "check.txt", "w") as fh:
                    fh.write(str(os.path.getsize(var / "ansinh.sqlite3")))
        _t, out = run([str(PYTHON), "-c", MICRO], env_for(base, True, keys), base)
        micro = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    imp_on, imp_off = min(results[True]), min(results[False])
    ld_on, ld_off = min(x["seconds"] for x in loads[True]), min(x["seconds"] for x in loads[False])
    n = loads[True][0]["rows"]
    lines = [
        f"## Identifiers encrypted at rest: on vs off (bench/encryption.py), {started:%Y-%m-%dT%H:%M:%SZ}",
        "",
        f"- machine: {_machine.machine(with_memory=True)}; **loaded by eight parallel workers** (load average "
        f"{os.getloadavg()[0]:.1f} at the end): absolute times are several times an idle machine's, read the ratios",
        f"- data: the demo lists of {args.people:,} people (province {PROVINCE}, seed 1; generated in {gen:.0f} s, "
        f"not timed), {n:,} persons after import; SQLite; {args.rounds} round(s), on/off alternated, best kept",
        f"- import (`ansinh registry import DIR`, subprocess, end to end): on **{imp_on:.1f} s**, off {imp_off:.1f} s: "
        f"**{imp_on / imp_off:.3f}×** (target ≤ {TARGET:.2f}×: {'met' if imp_on / imp_off <= TARGET else 'NOT met'}); "
        f"all runs on {', '.join(f'{x:.1f}' for x in results[True])} / off {', '.join(f'{x:.1f}' for x in results[False])} s",
        f"- matching's database loader (`matching.services.person_rows`, every person: ID, phone decrypted), best of "
        f"3: on **{ld_on:.2f} s**, off {ld_off:.2f} s: **{ld_on / ld_off:.2f}×** for {n:,} persons",
        f"- per million values (in-process): encrypt 2M (1M IDs + 1M phones) {micro['encrypt_2M']:.2f} s, "
        f"decrypt 2M {micro['decrypt_2M']:.2f} s, keyed hash 2M {micro['hash_2M']:.2f} s. The 1M dedupe "
        f"(bench/linkage/scale.py) reads generated frames, not the database: encryption adds only the loader's "
        f"decryption, ≈ {micro['decrypt_2M'] * 1.5:.1f} s for 1M persons with ID, phone and account number, to a "
        f"dedupe of 84.8 s (the 00:13Z run above): {(84.8 + micro['decrypt_2M'] * 1.5) / 84.8:.3f}×",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        with open(_machine.RESULTS, "a") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
