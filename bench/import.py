"""Benchmark of `ansinh import`: all the Lạng Sơn commune lists, end to end, on SQLite and PostgreSQL.

Standalone. Generates the demo lists once (``ansinh.registry.demo_lists.generate``, province 20,
seed 1; not timed) into a temporary folder, then:

1. reading floor: every list loaded with python-calamine only (``.csv`` with the csv
   module), best of 3 — the least any importer has to spend on these files;
2. for each database (a fresh SQLite file; a fresh ``bench_import`` database on the
   PostgreSQL server at --pg-url when one answers): ``ansinh init`` (not timed), then
   ``.venv/bin/ansinh import DIR --province 20 --json`` timed as a subprocess (process
   start, Django set-up, reading, resolving and writing included) with its CPU time and
   peak RSS (``os.wait4``); then, on a second fresh database, the same command through a
   small wrapper that also times the in-process part (the ``import_file`` calls);
3. a section appended to bench/RESULTS.md (unless --no-write).

Targets (issue): ≤ 30 s end to end and ≤ 5× the reading floor.

    .venv/bin/python bench/import.py [--people 60000] [--pg-url postgres://postgres@127.0.0.1:5432/bench_import]
                                     [--skip-pg] [--no-in-process] [--profile] [--no-write]

--profile additionally runs the import in-process under cProfile on a fresh SQLite
database and prints (and records) the top functions.
"""
from __future__ import annotations

import _machine  # bench/_machine.py (this folder is on sys.path when run as a script)
import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
ANSINH = BIN / "ansinh"
PYTHON = BIN / "python" if (BIN / "python").exists() else Path(sys.executable)
TARGET_WALL = 30.0
TARGET_RATIO = 5.0
PROVINCE = "20"
SPREADSHEET = (".xlsx", ".xlsm", ".xls", ".ods")

# Runs `ansinh` exactly as the console script does (ansinh.cli.main), and records how long
# the import_file calls took in-process. argv[1] = JSON file for the timings, rest = CLI args.
WRAPPER = r"""
import json, os, sys, time
t_begin = time.perf_counter()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
import django
django.setup()
import ansinh.registry.importing.files as services
from ansinh.cli import main
t_ready = time.perf_counter()
per_file = []
_orig = services.import_file
def import_file(path, *a, **kw):
    t0 = time.perf_counter()
    try:
        return _orig(path, *a, **kw)
    finally:
        per_file.append((os.path.basename(str(path)), time.perf_counter() - t0))
services.import_file = import_file
profile = os.environ.get("BENCH_PROFILE")
if profile:
    import cProfile
    prof = cProfile.Profile()
    prof.enable()
t0 = time.perf_counter()
rc = main(sys.argv[2:])
t_main = time.perf_counter() - t0
if profile:
    prof.disable()
    prof.dump_stats(profile)
with open(sys.argv[1], "w") as fh:
    json.dump({"setup": t_ready - t_begin, "main": t_main, "files": sum(t for _, t in per_file),
               "per_file": per_file, "rc": rc}, fh)
sys.exit(rc)
"""


# --------------------------------------------------------------------------- helpers

def machine() -> str:
    return _machine.machine(with_memory=True)


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def generate(out: Path, people: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT / "src"))
    from ansinh.registry.demo_lists import generate as demo_generate

    summary = demo_generate(province_code=PROVINCE, people=people, seed=seed, out_dir=out)
    truth = out / "ground_truth.csv"
    if truth.exists():  # the lists folder holds lists only (as `ansinh demo setup` does)
        truth.replace(out.parent / "ground_truth.csv")
    return summary


def list_files(folder: Path) -> list[Path]:
    # same selection as ansinh.registry.importing.files.list_files
    return sorted(q for q in folder.iterdir() if q.is_file() and q.suffix.lower() in (*SPREADSHEET, ".csv")
                  and not q.name.startswith(("~$", ".")))


def read_floor(files: list[Path]) -> tuple[float, int]:
    """Load every file with python-calamine (csv module for .csv); seconds and sheet rows."""
    from python_calamine import CalamineWorkbook

    rows = 0
    t0 = time.perf_counter()
    for p in files:
        if p.suffix.lower() == ".csv":
            with open(p, encoding="utf-8-sig", newline="") as fh:
                text = fh.read()
            first = text[:text.find("\n")] if "\n" in text else text
            delim = ";" if first.count(";") > first.count(",") else ","
            data = list(csv.reader(text.splitlines(), delimiter=delim))
        else:
            data = CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
        rows += len(data)
    return time.perf_counter() - t0, rows


def run_child(argv: list[str], env: dict, out: Path, err: Path) -> dict:
    """Run a command; wall time, rc and the child's own rusage (os.wait4, not its siblings')."""
    with open(out, "wb") as fo, open(err, "wb") as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall": wall, "rc": proc.returncode, "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime,
            "sys": ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024}


def child_env(db_url: str, var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("ANSINH_PROGRESS", "DJANGO_SETTINGS_MODULE")}
    env.update(DATABASE_URL=db_url, ANSINH_VAR=str(var), DJANGO_SETTINGS_MODULE="ansinh.settings",
               PYTHONUNBUFFERED="1")
    return env


def first_line(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""


# --------------------------------------------------------------------------- databases

class SQLite:
    name = "SQLite"

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.n = 0

    def fresh(self) -> str:
        self.n += 1
        path = self.tmp / f"bench-{self.n}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"

    def size_mb(self) -> float | None:
        path = self.tmp / f"bench-{self.n}.sqlite3"
        return sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists()) / 2**20

    def drop(self) -> None:
        pass


class Postgres:
    name = "PostgreSQL"

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.url = url
        self.dbname = parts.path.lstrip("/") or "bench_import"
        self.admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", "", ""))
        self.created = False

    def _admin(self):
        import psycopg

        return psycopg.connect(self.admin.replace("postgres://", "postgresql://", 1), autocommit=True,
                               connect_timeout=3)

    def available(self) -> str | None:
        try:
            with self._admin() as conn:
                return conn.execute("show server_version").fetchone()[0]
        except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
            print(f"PostgreSQL: none at {self.admin} ({type(exc).__name__}: {str(exc).strip()[:120]})")
            return None

    def fresh(self) -> str:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.dbname)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.dbname)))
        self.created = True
        return self.url

    def size_mb(self) -> float | None:
        try:
            with self._admin() as conn:
                return conn.execute("select pg_database_size(%s)", [self.dbname]).fetchone()[0] / 2**20
        except Exception:  # noqa: BLE001
            return None

    def drop(self) -> None:
        if not self.created:
            return
        from psycopg import sql

        try:
            with self._admin() as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.dbname)))
        except Exception as exc:  # noqa: BLE001
            print(f"warning: could not drop {self.dbname}: {exc}")



# --------------------------------------------------------------------------- storage floor

def storage_floor_sqlite(path: Path) -> dict:
    """Seconds to write the rows the import kept into empty copies of the same tables.

    The rows are read back first (not timed); each table gets one ``executemany`` from ready
    tuples into a copy with the same indexes, and one commit. No importer that keeps these
    records (persons, enrolments, quality issues, source rows, change history, accounts,
    batches) can write them faster with the same schema.
    """
    import sqlite3

    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    tables = [r[0] for r in con.execute(
        "select name from sqlite_master where type='table' and name like 'registry\\_%' escape '\\'")]
    per, total = {}, 0.0
    for t in tables:
        rows = con.execute(f'select * from "{t}"').fetchall()
        if not rows:
            continue
        ddl = con.execute("select sql from sqlite_master where type='table' and name=?", (t,)).fetchone()[0]
        con.execute(ddl.replace(f'"{t}"', f'"floor_{t}"', 1))
        for i, (ix,) in enumerate(con.execute(
                "select sql from sqlite_master where type='index' and tbl_name=? and sql is not null", (t,)).fetchall()):
            ix = re.sub(r'INDEX\s+"([^"]+)"', lambda m: f'INDEX "floor{i}_{m.group(1)}"', ix, count=1)
            con.execute(ix.replace(f' ON "{t}"', f' ON "floor_{t}"'))
        con.commit()
        marks = ",".join("?" * len(rows[0]))
        t0 = time.perf_counter()
        con.executemany(f'insert into "floor_{t}" values ({marks})', rows)
        con.commit()
        per[t] = (len(rows), time.perf_counter() - t0)
        total += per[t][1]
    for t in per:
        con.execute(f'drop table "floor_{t}"')
    con.commit()
    con.close()
    return {"total": total, "tables": per}


def storage_floor_pg(url: str) -> dict:
    """The same on PostgreSQL: one COPY per table into ``LIKE … INCLUDING ALL`` copies, one commit."""
    import psycopg

    per, total = {}, 0.0
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as con:
        tables = [r[0] for r in con.execute(
            "select tablename from pg_tables where schemaname='public' and tablename like 'registry\\_%'")]
        for t in tables:
            buf = bytearray()
            with con.cursor().copy(f'COPY "{t}" TO STDOUT') as cp:
                for chunk in cp:
                    buf += chunk
            n = con.execute(f'select count(*) from "{t}"').fetchone()[0]
            if not n:
                continue
            con.execute(f'CREATE TABLE "floor_{t}" (LIKE "{t}" INCLUDING ALL)')
            con.commit()
            t0 = time.perf_counter()
            with con.cursor().copy(f'COPY "floor_{t}" FROM STDIN') as cp:
                cp.write(bytes(buf))
            con.commit()
            per[t] = (n, time.perf_counter() - t0)
            total += per[t][1]
        for t in per:
            con.execute(f'DROP TABLE "floor_{t}"')
        con.commit()
    return {"total": total, "tables": per}


def startup_floor(env: dict) -> float:
    """Best of 3: a Python process that only sets Django up and imports the CLI."""
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([str(PYTHON), "-c", "import django; django.setup(); import ansinh.cli"], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        took = time.perf_counter() - t0
        best = took if best is None else min(best, took)
    return best

# --------------------------------------------------------------------------- one backend

def init_db(db, tmp: Path, tag: str) -> tuple[str, Path, float]:
    url = db.fresh()
    var = tmp / f"var-{tag}"
    var.mkdir(exist_ok=True)
    env = child_env(url, var)
    r = run_child([str(ANSINH), "init", "--json"], env, tmp / f"init-{tag}.out", tmp / f"init-{tag}.err")
    if r["rc"] != 0:
        raise RuntimeError(f"ansinh init failed on {db.name}: {first_line(tmp / f'init-{tag}.err')}")
    return url, var, r["wall"]


def measure(db, data: Path, tmp: Path, n_files: int, in_process: bool) -> dict:
    tag = db.name.lower()
    url, var, t_init = init_db(db, tmp, tag)
    out, err = tmp / f"import-{tag}.json", tmp / f"import-{tag}.err"
    load = loadavg()
    print(f"{db.name}: init {t_init:.1f} s; importing (load average {load}) …", flush=True)
    r = run_child([str(ANSINH), "import", str(data), "--province", PROVINCE, "--json"], child_env(url, var), out, err)
    if r["rc"] != 0:
        raise RuntimeError(f"ansinh import failed on {db.name} (rc {r['rc']}): {first_line(err)}")
    report = json.loads(out.read_text())
    t = report["totals"]
    res = {**r, "init": t_init, "load": load, "totals": t, "db_mb": db.size_mb(),
           "check": t["rows"] == t["imported"] + t["updated"] + t["rejected"] and t["files"] == n_files
           and t["failed"] == 0 and t["already_imported"] == 0}
    print(f"{db.name}: wall {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, peak RSS {r['maxrss_mb']:.0f} MB; "
          f"{t['rows']} rows = {t['imported']} + {t['updated']} + {t['rejected']}", flush=True)
    try:
        if db.name == "SQLite":
            res["storage"] = storage_floor_sqlite(Path(url.removeprefix("sqlite:///")))
        else:
            res["storage"] = storage_floor_pg(url)
        res["startup"] = startup_floor(child_env(url, var))
        print(f"{db.name}: storage floor {res['storage']['total']:.2f} s, start-up floor {res['startup']:.2f} s",
              flush=True)
    except Exception as exc:  # noqa: BLE001 - the floor is extra information, never fatal
        print(f"{db.name}: storage floor not measured: {exc}", file=sys.stderr)
    if in_process:
        url, var, _ = init_db(db, tmp, tag + "-2")
        timings = tmp / f"timings-{tag}.json"
        r2 = run_child([str(PYTHON), "-c", WRAPPER, str(timings), "import", str(data), "--province", PROVINCE,
                        "--json"], child_env(url, var), tmp / f"import2-{tag}.json", tmp / f"import2-{tag}.err")
        if r2["rc"] != 0:
            raise RuntimeError(f"in-process run failed on {db.name}: {first_line(tmp / f'import2-{tag}.err')}")
        tm = json.loads(timings.read_text())
        t2 = json.loads((tmp / f"import2-{tag}.json").read_text())["totals"]
        slow = sorted(tm["per_file"], key=lambda x: -x[1])[:3]
        res["in_process"] = {"wall": r2["wall"], "cpu": r2["cpu"], "setup": tm["setup"], "main": tm["main"],
                             "files": tm["files"], "slowest": slow, "same_totals": t2 == t,
                             "maxrss_mb": r2["maxrss_mb"]}
        print(f"{db.name}: second run wall {r2['wall']:.2f} s, in-process import_file total {tm['files']:.2f} s "
              f"(Django set-up {tm['setup']:.2f} s)", flush=True)
    return res


def profile(data: Path, tmp: Path, top: int = 25) -> list[str]:
    import pstats

    db = SQLite(tmp / "prof")
    (tmp / "prof").mkdir(exist_ok=True)
    url, var, _ = init_db(db, tmp, "profile")
    stats_path = tmp / "import.prof"
    env = {**child_env(url, var), "BENCH_PROFILE": str(stats_path)}
    r = run_child([str(PYTHON), "-c", WRAPPER, str(tmp / "timings-profile.json"), "import", str(data),
                   "--province", PROVINCE, "--json"], env, tmp / "profile.json", tmp / "profile.err")
    if r["rc"] != 0:
        raise RuntimeError(f"profiled run failed: {first_line(tmp / 'profile.err')}")
    st = pstats.Stats(str(stats_path))
    total = st.total_tt
    print(f"\ncProfile of the in-process import (SQLite; wall {r['wall']:.1f} s under the profiler, "
          f"profiled total {total:.1f} s)")
    for key in ("tottime", "cumulative"):
        print(f"\n--- top {top} by {key}")
        st.sort_stats(key).print_stats(top)
    # one line per hotspot (own time), for RESULTS.md
    rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:8]
    out = []
    for (file, line, func), (cc, nc, tt, ct, _) in rows:
        func = re.sub(r" at 0x[0-9a-f]+", "", func)
        where = "" if file == "~" else f" ({file.split('/site-packages/')[-1].split('/src/')[-1]}:{line})"
        out.append(f"`{func}`{where} {tt:.1f} s own / {ct:.1f} s cum, {nc:,} calls ({tt / total:.0%})")
    return out


# --------------------------------------------------------------------------- main

def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/bench_import")
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--no-in-process", action="store_true", help="skip the second (wrapper) run per database")
    ap.add_argument("--profile", action="store_true", help="also profile the in-process import (SQLite)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if not ANSINH.exists():
        print(f"{ANSINH} not found: run `make install` first", file=sys.stderr)
        return 2

    started = dt.datetime.now()
    load_start = loadavg()
    results: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    hotspots: list[str] = []
    pg = None
    with tempfile.TemporaryDirectory(prefix="ansinh-bench-import-") as tmpdir:
        tmp = Path(tmpdir)
        data = tmp / "lists"
        print(f"generating {args.people:,} people (seed {args.seed}) …", flush=True)
        t0 = time.perf_counter()
        gen = generate(data, args.people, args.seed)
        t_gen = time.perf_counter() - t0
        files = list_files(data)
        by_ext = Counter(p.suffix.lower() for p in files)
        size_mb = sum(p.stat().st_size for p in files) / 2**20
        print(f"{len(files)} files, {gen['rows']:,} data rows, {size_mb:.1f} MB in {t_gen:.1f} s", flush=True)

        floors = []
        sheet_rows = 0
        for _ in range(3):
            s, sheet_rows = read_floor(files)
            floors.append(s)
        floor = min(floors)
        print(f"reading floor: {floor:.2f} s (runs {', '.join(f'{x:.2f}' for x in floors)}; "
              f"{sheet_rows:,} sheet rows)", flush=True)

        backends = [SQLite(tmp)]
        if args.skip_pg:
            skipped["PostgreSQL"] = "--skip-pg"
        else:
            pg = Postgres(args.pg_url)
            version = pg.available()
            if version:
                pg.version = version
                backends.append(pg)
            else:
                skipped["PostgreSQL"] = f"no server answering at {pg.admin}"
        try:
            for db in backends:
                try:
                    results[db.name] = measure(db, data, tmp, len(files), not args.no_in_process)
                except RuntimeError as exc:
                    print(exc, file=sys.stderr)
                    skipped[db.name] = f"FAILED: {exc}"
        finally:
            if pg is not None:
                pg.drop()
        if args.profile:
            hotspots = profile(data, tmp)

    lines = [
        f"## import — {started.isoformat(timespec='seconds')}",
        "",
        f"- machine: {machine()}",
        f"- date: {started.isoformat(timespec='seconds')}; load average at start (1/5/15 min): {load_start}",
        f"- data: `ansinh.registry.demo_lists.generate` (province {PROVINCE}, seed {args.seed}, {args.people:,} people): "
        f"{len(files)} commune files ({', '.join(f'{n} {e}' for e, n in sorted(by_ext.items()))}; "
        f"{size_mb:.1f} MB), {gen['rows']:,} data rows; generated in {t_gen:.1f} s (not timed)",
        f"- reading floor: {floor:.2f} s — python-calamine `from_path(p).get_sheet_by_index(0).to_python()` "
        f"(.csv: csv module), best of 3 ({', '.join(f'{x:.2f}' for x in floors)} s), {sheet_rows:,} sheet rows",
    ]
    for name in ("SQLite", "PostgreSQL"):
        if name in skipped:
            lines.append(f"- {name}: skipped ({skipped[name]})")
            continue
        r = results[name]
        t = r["totals"]
        extra = f" {pg.version}" if name == "PostgreSQL" and pg is not None else ""
        line = (f"- {name}{extra}: **{r['wall']:.2f} s** end to end (`ansinh import DIR --province {PROVINCE} --json`"
                f" as a subprocess, process start included; load average before {r['load']}); "
                f"ratio to floor **{r['wall'] / floor:.1f}×**; CPU {r['cpu']:.2f} s (user {r['user']:.2f} + sys "
                f"{r['sys']:.2f}) = {r['cpu'] / floor:.1f}× floor; peak RSS {r['maxrss_mb']:.0f} MB; "
                f"{t['files']} files, {t['rows']:,} rows = {t['imported']:,} imported + {t['updated']:,} updated + "
                f"{t['rejected']:,} rejected ({'check ok' if r['check'] else 'CHECK FAILED'}); "
                f"init {r['init']:.1f} s not timed")
        if r.get("db_mb") is not None:
            line += f"; database {r['db_mb']:.0f} MB after import"
        ip = r.get("in_process")
        if ip:
            line += (f"; second run on a fresh database: wall {ip['wall']:.2f} s, of which in-process import of the "
                     f"files {ip['files']:.2f} s ({ip['files'] / floor:.1f}× floor; start-up + Django set-up "
                     f"{ip['wall'] - ip['main']:.2f} s), slowest files "
                     + ", ".join(f"{n} {s:.2f} s" for n, s in ip["slowest"])
                     + ("" if ip["same_totals"] else "; TOTALS DIFFER from the first run"))
        lines.append(line)
        if r.get("storage"):
            st = r["storage"]
            least = floor + st["total"] + r["startup"]
            lines.append(
                f"  - {name} storage floor: **{st['total']:.2f} s** to write the rows this import keeps into empty "
                f"copies of the same tables with their indexes (one {'executemany' if name == 'SQLite' else 'COPY'} "
                f"per table from ready rows, one commit each: "
                + ", ".join(f"{k.removeprefix('registry_')} {n:,} rows {s_:.2f} s" for k, (n, s_) in st["tables"].items())
                + f"); process start + Django set-up {r['startup']:.2f} s; so the least any importer keeping these "
                f"records can take is {least:.2f} s = **{least / floor:.1f}× the reading floor**; "
                f"this import is {r['wall'] / least:.1f}× that least")
    walls = {n: r["wall"] for n, r in results.items()}
    target_parts = []
    for n, w in walls.items():
        target_parts.append(f"{n} ≤ {TARGET_WALL:.0f} s {verdict(w <= TARGET_WALL)} ({w:.1f} s), "
                            f"≤ {TARGET_RATIO:.0f}× {verdict(w / floor <= TARGET_RATIO)} ({w / floor:.1f}×)")
    lines.append("- targets (≤ 30 s end to end, ≤ 5× the reading floor): " + "; ".join(target_parts))
    if results:
        peak = max(results.items(), key=lambda kv: kv[1]["maxrss_mb"])
        mems = ", ".join(f"{n} {r['maxrss_mb']:.0f} MB" for n, r in results.items())
        lines.append(f"- peak memory: {mems} "
                     f"(ru_maxrss of the `ansinh import` process; highest {peak[0]})")
    if hotspots:
        lines.append("- cProfile hotspots (in-process import, SQLite, own time): " + "; ".join(hotspots))
    lines.append("")
    report = "\n".join(lines)
    print()
    print(report)
    if not args.no_write:
        path = ROOT / "bench" / "RESULTS.md"
        with open(path, "a", encoding="utf-8") as fh:
            if fh.tell() == 0:
                fh.write("# Benchmark results\n\n")
            fh.write(report + "\n")
    ok = all(r["check"] for r in results.values()) and not any(v.startswith("FAILED") for v in skipped.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
