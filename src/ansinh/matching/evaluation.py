"""Accuracy of a clustering (benchmarks, tests): pairwise and B³ precision, recall, F1."""
from __future__ import annotations

def _pairs_of(groups: dict) -> set[tuple]:
    members: dict = {}
    for k, g in groups.items():
        members.setdefault(g, []).append(k)
    out = set()
    for ms in members.values():
        ms.sort()
        for i in range(len(ms)):
            for j in range(i + 1, len(ms)):
                out.add((ms[i], ms[j]))
    return out


def evaluate(predicted: dict, truth: dict) -> dict:
    """Pairwise precision/recall/F1 and B³ precision/recall/F1 of a clustering.

    ``predicted`` and ``truth``: record id -> cluster / entity key (same record ids)."""
    pp, tp_ = _pairs_of(predicted), _pairs_of(truth)
    tp = len(pp & tp_)
    prec = tp / len(pp) if pp else 1.0
    rec = tp / len(tp_) if tp_ else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    pc: dict = {}
    tc: dict = {}
    for k in truth:
        pc.setdefault(predicted[k], set()).add(k)
        tc.setdefault(truth[k], set()).add(k)
    bp = br = 0.0
    for k in truth:
        a, b = pc[predicted[k]], tc[truth[k]]
        inter = len(a & b)
        bp += inter / len(a)
        br += inter / len(b)
    n = len(truth) or 1
    bp, br = bp / n, br / n
    bf = 2 * bp * br / (bp + br) if bp + br else 0.0
    return {"pairs_true": len(tp_), "pairs_predicted": len(pp), "true_positives": tp,
            "precision": round(prec, 5), "recall": round(rec, 5), "f1": round(f1, 5),
            "b3_precision": round(bp, 5), "b3_recall": round(br, 5), "b3_f1": round(bf, 5)}
