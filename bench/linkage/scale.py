"""Speed and memory of ansinh's matching engine at scale (DuckDB, embedded).

Generates N person records (Lạng Sơn-like names: a few family names dominate, NGUYEN +
VAN/THI) with ~5 % duplicates carrying the demo's faults (typos, no diacritics,
transposed or missing ID, day/month swap, year-only dates, other commune), dedupes
them with ansinh.matching.engine.dedupe (the code path of `ansinh dedupe`), and reports
wall time, peak memory (ru_maxrss) and accuracy against the generated truth; appends to
bench/RESULTS.md.  Then (``--spark-n``, default 100,000; 0 = skip) a generated set of that
size (same generator) is deduped by both engines (DuckDB and Spark in local mode, the
same settings) and their agreement on pairs is reported: the pairs put in one cluster
by both / by either (target ≥ 99 %).  Spark needs ``pip install -e '.[spark]'`` and Java.

    flock /tmp/ansinh-bench.lock .venv/bin/python bench/linkage/scale.py [--n 1000000] [--spark-n 100000] [--no-write]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
TARGET_SECONDS = 60

FAMILY = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Hoàng", 5), ("Phạm", 5), ("Vi", 3), ("Lộc", 3), ("Hà", 3),
          ("Nông", 3), ("Lương", 2), ("Đinh", 2), ("Triệu", 2), ("Mã", 2), ("Lý", 2), ("Vũ", 2), ("Đỗ", 2),
          ("Bùi", 2), ("Hứa", 1), ("Chu", 1), ("Dương", 1), ("Hồ", 1), ("Ngô", 1)]
MIDDLE = [("Văn", 35), ("Thị", 35), ("Đức", 5), ("Minh", 4), ("Thị Ngọc", 3), ("Văn Minh", 2), ("Hữu", 3),
          ("Thanh", 3), ("", 10)]
GIVEN = ("An Anh Bình Cường Chiến Dũng Duy Đào Giang Hà Hải Hằng Hiền Hiếu Hoa Hoan Hòa Hồng Huệ Hùng Hương Khánh "
         "Lan Liên Linh Loan Long Mai Minh Nam Nga Ngọc Nhàn Oanh Phong Phúc Phương Quân Quang Quế Sơn Tâm Thắng "
         "Thảo Thành Thơ Thu Thủy Trang Tú Tuấn Tùng Vân Vinh Xuân Yến Chung Cúc Diệp Định Đông Hạnh Kiên Lâm Lợi "
         "Mạnh Ninh Quyết Sáu Tài Thiện Toàn Trung Việt Vượng").split()
_STRIP = str.maketrans("àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ",
                       "aaaaaaaaaaaaaaaaaeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyyd")


def generate(n: int, seed: int = 1):
    rng = random.Random(seed)
    fam = rng.choices([f for f, _ in FAMILY], [w for _, w in FAMILY], k=n)
    mid = rng.choices([f for f, _ in MIDDLE], [w for _, w in MIDDLE], k=n)
    n_people = int(n / 1.05)
    rows, truth = [], {}
    base = dt.date(1925, 1, 1).toordinal()
    span = dt.date(2020, 12, 31).toordinal() - base
    people = []
    for i in range(n_people):
        dob = dt.date.fromordinal(base + rng.randrange(span))
        g = "M" if rng.random() < 0.5 else "F"
        name = " ".join(x for x in (fam[i], mid[i], rng.choice(GIVEN)) if x)
        idn = f"020{(0 if g == 'M' else 1) + (2 if dob.year >= 2000 else 0)}{dob.year % 100:02d}{rng.randrange(10**6):06d}"
        p = {"unique_id": i, "full_name": name, "dob": dob, "dob_precision": "day", "gender": g,
             "id_number": idn if rng.random() > 0.03 else None, "commune_old": f"X{rng.randrange(200)}",
             "village": f"Thôn {rng.randrange(12)}",
             "account_number": f"{rng.randrange(10**13):013d}" if rng.random() < 0.5 else None,
             "bank": "970405", "phone": f"09{rng.randrange(10**8):08d}" if rng.random() < 0.4 else None}
        if idn and rng.random() < 0.1:
            p["id_number"] = f"08{rng.randrange(10**7):07d}"  # an old 9-digit CMND
        people.append(p)
        rows.append(p)
        truth[i] = i
    for j in range(n - n_people):
        p = people[rng.randrange(n_people)]
        v = dict(p, unique_id=len(rows))
        k = rng.randrange(6)
        if k == 0:
            v["full_name"] = v["full_name"].lower().translate(_STRIP).upper()
        elif k == 1 and v["id_number"]:
            s = list(v["id_number"])
            a = rng.randrange(len(s) - 6, len(s) - 1)
            s[a], s[a + 1] = s[a + 1], s[a]
            v["id_number"] = "".join(s)
        elif k == 2:
            v["id_number"] = None
        elif k == 3 and v["dob"].day <= 12:
            v["dob"] = dt.date(v["dob"].year, v["dob"].day, v["dob"].month)
        elif k == 4:
            v["dob"] = dt.date(v["dob"].year, 1, 1)
            v["dob_precision"] = "year"
        if rng.random() < 0.35:
            v["commune_old"] = f"X{rng.randrange(200)}"
        if rng.random() < 0.3:
            v["account_number"] = None
        if rng.random() < 0.3:
            v["phone"] = None
        rows.append(v)
        truth[v["unique_id"]] = p["unique_id"]
    return rows, truth


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--spark-n", type=int, default=100_000)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    from ansinh.matching import engine, evaluation

    if a.n <= 0:  # the Spark comparison only
        line = spark_line(a.spark_n)
        if not a.no_write:
            load = os.getloadavg()
            with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
                fh.write(f"\n## linkage/scale (Spark vs DuckDB) — {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}"
                         f"\n\nMachine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
                         f"{platform.python_version()}; load average at the end "
                         f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}.\n\n{line}\n")
        return
    t0 = time.perf_counter()
    rows, truth = generate(a.n)
    t_gen = time.perf_counter() - t0
    t = time.perf_counter()
    res = engine.dedupe(rows, max_block_rows=5000)
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = evaluation.evaluate(res.clusters, truth)
    load = os.getloadavg()
    per_rule = rule_counts(rows)  # after the timed run (not counted)
    print({"n": a.n, "generate_s": round(t_gen, 1), "dedupe_s": round(wall, 1), "steps": res.seconds,
           "peak_rss_mb": round(peak_mb), "pairs_scored": len(res.pairs), **m, "largest_blocks": res.block_sizes})
    if not a.no_write:
        import duckdb
        import splink
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## linkage/scale — {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n\n")
            fh.write(f"Machine: {platform.machine()}, {os.cpu_count()} cores (shared), Python "
                     f"{platform.python_version()}, splink {splink.__version__}, duckdb {duckdb.__version__}; "
                     f"load average {load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}.\n\n")
            fh.write(f"- records: {a.n:,} (generated in {t_gen:.1f} s, not counted)\n")
            fh.write(f"- dedupe wall time: **{wall:.1f} s** (target ≤ {TARGET_SECONDS} s: ratio "
                     f"{wall / TARGET_SECONDS:.2f}, {'met' if wall <= TARGET_SECONDS else 'NOT met'}); "
                     f"steps {res.seconds}\n")
            fh.write(f"- peak memory (ru_maxrss, whole process incl. the Python input rows): {peak_mb:,.0f} MB\n")
            fh.write(f"- comparisons: {', '.join(__import__('ansinh.matching.comparisons', fromlist=['x']).FIELDS)}; "
                     f"shared-account reviews {sum(p['shared_contact'] for p in res.pairs):,}\n")
            fh.write(f"- pairs scored ≥ 0.5: {len(res.pairs):,}; largest block per rule: {res.block_sizes}\n")
            fh.write("- comparisons per blocking rule (exact, Splink's count_comparisons_from_blocking_rules; each "
                     "rule counts the pairs no earlier rule made; not timed): "
                     + "; ".join(f"{k}: {v:,}" for k, v in per_rule) + f"; total {sum(v for _k, v in per_rule):,}\n")
            fh.write(f"- accuracy vs generated truth: pairwise P {m['precision']:.4f} R {m['recall']:.4f} "
                     f"F1 {m['f1']:.4f}; B³ F1 {m['b3_f1']:.4f}\n")
    # the Spark comparison is appended after the DuckDB numbers are safely written
    del res
    line = spark_line(a.spark_n)
    if not a.no_write:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def rule_counts(rows) -> list[tuple[str, int]]:
    """Comparisons each prediction blocking rule adds (exact), on the engine's prepared records."""
    import logging

    from splink import Linker

    from ansinh.matching import comparisons, engine
    from ansinh.matching.backends import _backend
    from ansinh.matching.prepare import prepare_sql, to_arrow

    logging.getLogger("splink").setLevel(logging.ERROR)
    be = _backend("duckdb", None)
    try:
        be.load("raw_in", to_arrow(rows))
        be.create("records", prepare_sql("raw_in", be.dialect))
        be.unload("raw_in")
        linker = Linker(be.api.register("records"), engine._settings(), log_level=None)
        got = linker.blocking_analysis.count_comparisons_from_blocking_rules(
            comparisons.blocking_rules(), record_sample_proportion=1.0)
        return [(r["blocking_rule"], int(r["marginal_comparison_count"])) for r in got]
    finally:
        be.close()


def spark_line(n: int) -> str:
    """Dedupe ``n`` generated records (same generator, ~5 % duplicates) with DuckDB and with
    Spark; one RESULTS.md line."""
    from ansinh.matching import backends, engine, evaluation

    if n <= 0:
        return "- Spark agreement: not run (--spark-n 0)."
    why = backends.spark_available()
    if why:
        print("Spark not run:", why)
        return f"- Spark agreement: NOT measured ({why})."
    sub, sub_truth = generate(n, seed=2)
    out = {}
    for eng in ("duckdb", "spark"):
        t = time.perf_counter()
        if eng == "spark":
            backends.spark_session()  # JVM start-up, reported apart
            start = time.perf_counter() - t
            t = time.perf_counter()
        res = engine.dedupe(sub, max_block_rows=5000, engine=eng)
        out[eng] = (res, time.perf_counter() - t)
    d, s = evaluation._pairs_of(out["duckdb"][0].clusters), evaluation._pairs_of(out["spark"][0].clusters)
    agree = len(d & s) / len(d | s) if d | s else 1.0
    md, ms = (evaluation.evaluate(out[e][0].clusters, sub_truth) for e in ("duckdb", "spark"))
    print({"spark_n": n, "duckdb_s": round(out["duckdb"][1], 1), "spark_s": round(out["spark"][1], 1),
           "spark_start_s": round(start, 1), "pairs_duckdb": len(d), "pairs_spark": len(s), "both": len(d & s),
           "agreement": round(agree, 5), "f1_duckdb": md["f1"], "f1_spark": ms["f1"],
           "spark_steps": out["spark"][0].seconds})
    return (f"- Spark (local[2], pyspark {__import__('pyspark').__version__}) vs DuckDB on {n:,} generated records, "
            f"same settings: clustered pairs DuckDB {len(d):,}, Spark {len(s):,}, both {len(d & s):,}; "
            f"**agreement {agree:.2%}** (both / either; target ≥ 99.9 %: "
            f"{'met' if agree >= 0.999 else 'NOT met'}); F1 vs truth DuckDB {md['f1']:.4f}, Spark {ms['f1']:.4f}; "
            f"wall time DuckDB {out['duckdb'][1]:.1f} s, Spark {out['spark'][1]:.1f} s "
            f"(+ {start:.1f} s JVM start; steps {out['spark'][0].seconds}).")


if __name__ == "__main__":
    main()
