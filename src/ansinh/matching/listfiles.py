"""File mode (`ansinh dedupe FILES`): commune list files -> raw schema, and one output row
per input row; no database."""
from __future__ import annotations

from ansinh.matching.engine import Result

def records_from_files(paths) -> tuple[list[dict], list[tuple[str, int]]]:
    """Read list files exactly as ``ansinh import`` does (``ansinh.registry.reader.read_list``).

    Returns (raw-schema rows, [(file name, 1-based sheet row)] indexed by unique_id).
    The commune is the file's commune hint (title) as text; no unit lookup.  A file whose title
    names no commune leaves it unknown (a file name is not a place: compared with a real commune
    it would count as a move); its rows are still blocked together through ``list_file``.  The bank is its
    provider code when recognised (``ansinh.core.providers.provider_of``), else as written;
    ``paid_to`` is the authorised person (else the account holder) the list names."""
    from pathlib import Path

    from ansinh.core.providers import provider_of
    from ansinh.registry.reader import read_list

    rows: list[dict] = []
    where: list[tuple[str, int]] = []
    for path in paths:
        parsed = read_list(path)
        fname = Path(path).name
        commune = parsed.commune_hint or None
        for src in parsed.rows:
            v = src.values
            dob = v.get("dob")
            d, prec = (dob if dob else (None, None))
            uid = len(where)
            where.append((fname, src.row))
            rows.append({
                "unique_id": uid,
                "full_name": v.get("full_name") or None,
                "dob": d,
                "dob_precision": prec,
                "gender": v.get("gender"),
                "id_number": v.get("id_number") or v.get("cmnd") or None,
                "commune_old": commune,
                "commune_new": None,
                "village": v.get("village") or None,
                "account_number": v.get("account_number") or None,
                "bank": provider_of(v.get("bank")) or v.get("bank") or None,
                "phone": v.get("phone") or None,
                "paid_to": v.get("authorised_person") or v.get("account_holder") or None,
                "list_file": fname,
            })
    return rows, where


def cluster_rows(result: Result, where: list[tuple[str, int]]) -> list[dict]:
    """One output row per input row: source, row, cluster, match_probability (None for singletons)."""
    out = []
    for uid, (fname, row) in enumerate(where):
        best = result.best.get(uid)
        out.append({"source": fname, "row": row, "cluster": result.clusters.get(uid, uid) + 1,
                    "match_probability": None if best is None else round(best, 6)})
    return out
