"""Error analysis of the engine on one evaluation set (the demo set: the tuning set).

Lists the false positives (linked, different people) and false negatives (one person, not
linked) by kind, with the two records and the per-field match weights, so a model change is
made from evidence, not from a guess.  Never run on the independent held-out seeds.

    .venv/bin/python bench/linkage/errors.py [--set demo] [--show 40]
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import febrl  # noqa: E402


def kind(p, a, b) -> str:
    """A short label of what the two records differ in (read from the records, not the model)."""
    out = []
    if a.get("id_number") and b.get("id_number"):
        if a["id_number"] == b["id_number"]:
            out.append("id=")
        elif len(a["id_number"]) != len(b["id_number"]):
            out.append("cmnd/cccd")
        else:
            out.append("id≠")
    else:
        out.append("id?")
    pa, pb = a.get("dob_precision") or "day", b.get("dob_precision") or "day"
    if "year" in (pa, pb):
        out.append("dob-year-only")
    elif a.get("dob") != b.get("dob"):
        out.append("dob≠")
    if (a.get("commune_old") or "") != (b.get("commune_old") or ""):
        out.append("commune≠")
    elif (a.get("village") or "") != (b.get("village") or ""):
        out.append("village≠")
    if (a.get("full_name") or "").upper() != (b.get("full_name") or "").upper():
        out.append("name≠")
    return " ".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="demo")
    ap.add_argument("--show", type=int, default=30)
    ap.add_argument("--threshold", type=float, default=0.9)
    a = ap.parse_args()
    if a.set.startswith("indep") and a.set != "indep11":
        sys.exit("held-out seeds are measured, never read")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ansinh.settings")
    from ansinh.matching import engine, evaluation

    rows, truth = febrl.load(a.set)
    by = {r["unique_id"]: r for r in rows}
    res = engine.dedupe(rows, threshold=a.threshold, predict_threshold=1e-4)
    m = evaluation.evaluate(res.clusters, truth)
    print(a.set, m)
    scored = {(min(p["unique_id_l"], p["unique_id_r"]), max(p["unique_id_l"], p["unique_id_r"])): p
              for p in res.pairs}
    pred = evaluation._pairs_of(res.clusters)
    true = evaluation._pairs_of(truth)
    fp, fn = sorted(pred - true), sorted(true - pred)
    for title, pairs in (("FALSE POSITIVES", fp), ("FALSE NEGATIVES", fn)):
        kinds = collections.Counter()
        ex = collections.defaultdict(list)
        for u, v in pairs:
            p = scored.get((u, v))
            k = kind(p, by[u], by[v]) + ("" if p else " [not blocked]")
            if p and p["shared_contact"]:
                k += " [shared-contact review]"
            kinds[k] += 1
            ex[k].append((u, v, p))
        print(f"\n==== {title}: {len(pairs)}")
        for k, n in kinds.most_common():
            print(f"{n:5d}  {k}")
        shown = 0
        for k, n in kinds.most_common():
            for u, v, p in ex[k][:3]:
                if shown >= a.show:
                    break
                shown += 1
                print(f"\n-- {k}: p={p['match_probability']:.4f}" if p else f"\n-- {k}")
                for r in (by[u], by[v]):
                    print("   ", {c: r.get(c) for c in ("full_name", "dob", "dob_precision", "gender", "id_number",
                                                          "commune_old", "commune_new", "village", "account_number",
                                                          "phone", "paid_to") if r.get(c) is not None})
                if p:
                    print("    w:", {f: round(p[f"w_{f}"], 1) for f in ("family", "middle", "given", "dob",
                                                                           "id_number", "gender", "residence",
                                                                           "village", "account", "phone")})


if __name__ == "__main__":
    main()
