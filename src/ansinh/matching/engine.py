"""The matching engine: Splink on DuckDB (embedded), no Django, no database.

Input: a pyarrow table (or list of dicts) in the *raw schema* below; every source
(registry persons, commune list files, FEBRL) is mapped to it by its caller.  Folding
and name splitting happen in SQL with ``ansinh.text.fold_sql`` (the same definition
as ``ansinh.text.fold`` in Python).

Raw schema
----------
unique_id INTEGER (required), full_name TEXT *or* family/given TEXT (already split,
e.g. FEBRL), dob DATE, dob_precision TEXT ('day'/'month'/'year'), gender TEXT,
id_number TEXT, commune_old TEXT, commune_new TEXT, village TEXT.  Missing columns
are null.

Steps (``dedupe``): prepare records -> register term frequencies computed on a
*population* table (the whole registry, or all the files together; never one file) ->
check block sizes (raise :class:`BlockTooLarge` over the cap) -> train (λ from exact
ID agreement, u by random sampling, m by EM on two blocking sessions: never an
untrained prior) -> predict -> cluster.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from ansinh.matching import comparisons as cmp
from ansinh.text import fold_sql

RAW_COLUMNS = {
    "unique_id": pa.int64(),
    "full_name": pa.string(),
    "family": pa.string(),
    "given": pa.string(),
    "dob": pa.date32(),
    "dob_precision": pa.string(),
    "gender": pa.string(),
    "id_number": pa.string(),
    "commune_old": pa.string(),
    "commune_new": pa.string(),
    "village": pa.string(),
}

#: Default cap on the rows of one block of any prediction rule (a block of n rows
#: makes n(n-1)/2 comparisons).
MAX_BLOCK_ROWS = 2000



class BlockTooLarge(ValueError):
    """A blocking rule would create a block larger than the cap (skewed data)."""


@dataclass
class Result:
    pairs: list[dict]                  # unique_id_l, unique_id_r, match_probability, match_weight, bf_<field>...
    clusters: dict[int, int]           # unique_id -> cluster id (the smallest unique_id of the cluster)
    best: dict[int, float]             # unique_id -> highest match probability to another member
    block_sizes: dict[str, int] = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # λ and m/u per level (for the review page)
    seconds: dict = field(default_factory=dict)


def to_arrow(rows) -> pa.Table:
    """List of dicts / pyarrow table -> pyarrow table with every raw column."""
    if isinstance(rows, pa.Table):
        t = rows
    else:
        rows = list(rows)
        keys = {k for r in rows for k in r if k in RAW_COLUMNS}
        schema = pa.schema([(k, RAW_COLUMNS[k]) for k in RAW_COLUMNS if k in keys] or [("unique_id", pa.int64())])
        t = pa.Table.from_pylist(rows, schema=schema)
    cols = {}
    for name, typ in RAW_COLUMNS.items():
        if name in t.column_names:
            c = t.column(name)
            cols[name] = c if c.type == typ else c.cast(typ)
        else:
            cols[name] = pa.nulls(t.num_rows, typ)
    return pa.table(cols)


_TEXT = ("full_name", "family", "given", "commune_old", "commune_new", "village")


def prepare_sql(source: str, dialect: str = "duckdb") -> str:
    """SELECT turning a raw-schema table into match records (folded, split names).

    Folding (``fold_sql``) runs once per distinct text value (names, communes and
    villages repeat a lot), then joins back: same result, a fraction of the work."""
    distinct = " UNION ".join(f"SELECT {c} AS v FROM {source}" for c in _TEXT)
    j = "\n".join(f"LEFT JOIN fd AS f_{c} ON f_{c}.v = s.{c}" for c in _TEXT)
    return f"""
    WITH fd AS (
      SELECT v, nullif({fold_sql('v', dialect)}, '') AS f FROM ({distinct}) WHERE v IS NOT NULL
    ), n AS (
      SELECT s.unique_id, s.dob, s.dob_precision, s.gender, s.id_number,
             f_full_name.f AS name_f, f_family.f AS family_f, f_given.f AS given_f,
             f_commune_old.f AS commune_old_f, f_commune_new.f AS commune_new_f, f_village.f AS village_f,
             string_split(coalesce(f_full_name.f, ''), ' ') AS toks
      FROM {source} s
      {j}
    )
    SELECT unique_id,
      coalesce(family_f, CASE WHEN len(toks) >= 2 THEN toks[1] END) AS family,
      CASE WHEN family_f IS NULL AND given_f IS NULL AND len(toks) >= 3
           THEN array_to_string(toks[2:len(toks) - 1], ' ') END AS middle,
      coalesce(given_f, CASE WHEN len(toks) >= 1 AND toks[len(toks)] <> '' THEN toks[len(toks)] END) AS given,
      nullif(concat_ws(' ', family, middle, given), '') AS name_key,
      dob, coalesce(dob_precision, 'day') AS dob_precision, year(dob) AS dob_year,
      strftime(dob, '%Y%m%d') AS dob_str,
      nullif(gender, '') AS gender,
      id_digits AS id_number,
      CASE WHEN length(id_digits) = 12 THEN substr(id_digits, 4, 3) END AS id_yg,
      CASE WHEN length(id_digits) = 12
           THEN substr(id_digits, 1, 6) || array_to_string(list_sort(string_split(substr(id_digits, 7), '')), '')
           ELSE array_to_string(list_sort(string_split(id_digits, '')), '') END AS id_anagram,
      commune_old_f AS commune_old,
      commune_new_f AS commune_new,
      village_f AS village
    FROM (SELECT *, nullif(regexp_replace(coalesce(id_number, ''), '[^0-9]', '', 'g'), '') AS id_digits FROM n)
    """


def _settings(link_type: str = "dedupe_only", u_exact_id: float | None = None) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        comparisons=cmp.comparisons(u_exact_id),
        blocking_rules_to_generate_predictions=cmp.blocking_rules(),
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


def block_sizes(linker: Linker, rules) -> dict[str, int]:
    """Largest block (rows) of each rule; rules that cannot block (null keys) are skipped by Splink."""
    out = {}
    for r in rules:
        sdf = linker.blocking_analysis.n_largest_blocks(r, n_largest=1)
        recs = sdf.as_record_list()
        name = r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql
        if recs:
            rec = recs[0]
            out[name] = int(max(rec.get("count_l", 0) or 0, rec.get("count_r", 0) or 0))
        else:
            out[name] = 0
    return out


def dedupe(rows, *, population=None, threshold: float = 0.9, predict_threshold: float = 0.5,
           max_block_rows: int = MAX_BLOCK_ROWS, u_max_pairs: float = 5e5, seed: int = 42) -> Result:
    """Deduplicate ``rows`` (raw schema).  ``population`` (raw schema; default = ``rows``)
    supplies the term frequencies.  Pairs below ``predict_threshold`` are dropped;
    clusters join pairs at or above ``threshold``."""
    t0 = time.perf_counter()
    secs = {}
    logging.getLogger("splink").setLevel(logging.ERROR)
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    raw = to_arrow(rows)
    con.register("raw_in", raw)
    con.execute(f"CREATE TABLE records AS {prepare_sql('raw_in')}")
    con.unregister("raw_in")
    if population is not None:
        con.register("pop_in", to_arrow(population))
        con.execute(f"CREATE TABLE pop AS {prepare_sql('pop_in')}")
        con.unregister("pop_in")
    else:
        con.execute("CREATE VIEW pop AS SELECT * FROM records")
    n = con.execute("SELECT count(*) FROM records").fetchone()[0]
    for col in ("given", "family", "middle"):
        con.execute(f"""CREATE TABLE tf_{col} AS SELECT {col}, count(*) / sum(count(*)) OVER () AS tf_{col}
                        FROM pop WHERE {col} IS NOT NULL GROUP BY {col}""")
    secs["prepare"] = round(time.perf_counter() - t0, 2)
    if n < 2:
        return Result(pairs=[], clusters={i: i for (i,) in con.execute("SELECT unique_id FROM records").fetchall()},
                      best={}, seconds=secs)

    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register("records", dataset_display_name="records")
    n_ids = con.execute("SELECT count(DISTINCT id_number) FROM pop").fetchone()[0]
    linker = Linker(sdf, _settings(u_exact_id=1.0 / max(n_ids, 1000)))
    for col in ("given", "family", "middle"):
        tf = db_api.register(f"tf_{col}", table_name=f"tf_in_{col}")
        linker.table_management.register_term_frequency_lookup(tf, col)

    t = time.perf_counter()
    sizes = block_sizes(linker, cmp.blocking_rules())
    too_big = {k: v for k, v in sizes.items() if v > max_block_rows}
    if too_big:
        raise BlockTooLarge("blocking rule(s) exceed the cap of %d rows per block: %s" % (
            max_block_rows, ", ".join(f"{k} ({v} rows)" for k, v in too_big.items())))
    secs["block_check"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    exact = con.execute("""SELECT count(*) FROM (SELECT id_number FROM records WHERE id_number IS NOT NULL
                           GROUP BY 1 HAVING count(*) > 1)""").fetchone()[0]
    train(linker, u_max_pairs=u_max_pairs, seed=seed, exact_id_pairs=exact > 0)
    secs["train"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=predict_threshold)
    clus = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold)
    secs["predict_cluster"] = round(time.perf_counter() - t, 2)

    # Pairs with the per-field match weights (log2 Bayes factors incl. the term-frequency adjustment).
    cols = {r[0] for r in con.execute(f"DESCRIBE {pred.physical_name}").fetchall()}

    def w(f):
        e = f"p.mw_{f}" if f"mw_{f}" in cols else "0"
        if f"mw_tf_adj_{f}" in cols:
            e += f" + coalesce(p.mw_tf_adj_{f}, 0)"
        return f"{e} AS w_{f}"

    rel = con.execute(f"""
        SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight,
               {", ".join(w(f) for f in cmp.FIELDS)},
               cl.cluster_id = cr.cluster_id AS same_cluster
        FROM {pred.physical_name} p
        JOIN {clus.physical_name} cl ON cl.unique_id = p.unique_id_l
        JOIN {clus.physical_name} cr ON cr.unique_id = p.unique_id_r
    """)
    names = [d[0] for d in rel.description]
    pairs = [dict(zip(names, r)) for r in rel.fetchall()]

    # cluster id = smallest unique_id of the cluster
    clusters = dict(con.execute(f"""
        SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) FROM {clus.physical_name}""").fetchall())
    best: dict[int, float] = {}
    for p in pairs:
        if p["same_cluster"]:
            for k in (p["unique_id_l"], p["unique_id_r"]):
                if p["match_probability"] > best.get(k, -1.0):
                    best[k] = p["match_probability"]
    secs["total"] = round(time.perf_counter() - t0, 2)
    params = _params(linker)
    con.close()
    return Result(pairs=pairs, clusters=clusters, best=best, block_sizes=sizes, params=params, seconds=secs)


#: Deterministic rule for λ in the registry (where an ID number is unique, so exact-ID pairs
#: cannot exist): same first 9 ID digits (province, century/sex, birth year, 3 digits) and
#: the same given and family name.
ID_NEAR_SAME_NAME = ("l.given = r.given AND l.family = r.family AND l.dob_year = r.dob_year "
                     "AND levenshtein(l.id_number, r.id_number) <= 2")
#: EM blocking when no two records share an ID (the registry has a unique constraint):
#: IDs equal but for digits 7-9 (first 6 = province, century/sex, birth year; last 3
#: equal), which keeps one-digit typos and transpositions there; uses no other field,
#: so every other comparison is trained.
ID_PREFIX = ("substr(l.id_number, 1, 6) = substr(r.id_number, 1, 6) "
             "AND substr(l.id_number, 10) = substr(r.id_number, 10)")


def train(linker: Linker, *, u_max_pairs: float = 5e5, seed: int = 42, exact_id_pairs: bool = True) -> None:
    """Deterministic ID-based λ, u by random sampling, m by EM on two blocking sessions.

    Session 1 blocks on the ID number (trains every field but the ID) or, when no two
    records share an ID (the registry has a unique constraint), on IDs equal but for
    digits 7-9 (:data:`ID_PREFIX`); session 2 on given name + family name + date of
    birth (trains the ID, middle name, gender, residence, village).  Raises NotTrained
    when a comparison is left without trained m probabilities."""
    tr = linker.training
    tr.estimate_probability_two_random_records_match([block_on("id_number"), ID_NEAR_SAME_NAME], recall=0.8)
    lam = linker._settings_obj._probability_two_random_records_match
    if not lam or lam <= 0:
        raise NotTrained("no record pairs share an ID number: cannot estimate how many duplicates there are")
    tr.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    sessions = [[block_on("id_number")] if exact_id_pairs else [ID_PREFIX],
                [block_on("given", "family", "dob"), block_on("given", "dob"), block_on("family", "dob")]]
    for alternatives in sessions:
        for rule in alternatives:
            try:
                tr.estimate_parameters_using_expectation_maximisation(
                    rule, fix_probability_two_random_records_match=True)
                break
            except Exception as e:  # noqa: BLE001 - too few pairs / degenerate: try the next rule
                logging.getLogger(__name__).warning("EM session %s failed: %s", rule, e)
    _check_trained(linker)
    # Splink re-derives λ from the EM sessions even when fixed; keep the deterministic one.
    linker._settings_obj._probability_two_random_records_match = lam


class NotTrained(RuntimeError):
    """The model could not be trained (never predict with an untrained prior)."""


def _check_trained(linker: Linker) -> None:
    d = linker.misc.save_model_to_json()
    missing = []
    for c in d["comparisons"]:
        levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        observed = any(lv.get("u_probability") is not None for lv in levels)  # all-null columns: neutral
        if observed and not any(lv.get("m_probability") is not None for lv in levels):
            missing.append(c["output_column_name"])
    if missing:
        raise NotTrained("no trained m probabilities for: " + ", ".join(missing)
                         + " (too few records or no duplicates to learn from)")


def _params(linker: Linker) -> dict:
    try:
        d = linker.misc.save_model_to_json()
    except Exception:  # noqa: BLE001
        return {}
    return d


# --------------------------------------------------------------------------
# File mode: commune list files -> raw schema (no database)
# --------------------------------------------------------------------------

def records_from_files(paths) -> tuple[list[dict], list[tuple[str, int]]]:
    """Read list files exactly as ``ansinh import`` does (``ansinh.registry.reader.read_list``).

    Returns (raw-schema rows, [(file name, 1-based sheet row)] indexed by unique_id).
    The commune is the file's commune hint (title) as text; no unit lookup."""
    from pathlib import Path

    from ansinh.registry.reader import read_list

    rows: list[dict] = []
    where: list[tuple[str, int]] = []
    for path in paths:
        parsed = read_list(path)
        fname = Path(path).name
        commune = parsed.commune_hint or fname
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


# --------------------------------------------------------------------------
# Accuracy (benchmarks, tests)
# --------------------------------------------------------------------------

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
