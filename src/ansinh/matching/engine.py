"""The matching engine: Splink on DuckDB (embedded) or Spark, no Django, no database.

Input: a pyarrow table (or list of dicts) in the *raw schema* (``ansinh.matching.prepare``);
every source (registry persons, commune list files, FEBRL) is mapped to it by its caller.
Folding and name splitting happen in SQL (``prepare.prepare_sql``); where the SQL runs is
``ansinh.matching.backends``; file mode is ``listfiles``, accuracy ``evaluation``.

Steps (``dedupe``): prepare records -> register term frequencies computed on a
*population* table (the whole registry, or all the files together; never one file) ->
check block sizes (raise :class:`BlockTooLarge` over the cap) -> train (λ from exact
ID agreement, u by random sampling, m by EM on two blocking sessions: never an
untrained prior) -> predict -> cluster.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

from splink import Linker, SettingsCreator, block_on

from ansinh.matching import comparisons as cmp
from ansinh.matching.backends import _backend
from ansinh.matching.prepare import prepare_sql, to_arrow

#: Default cap on the rows of one block of any prediction rule (a block of n rows
#: makes n(n-1)/2 comparisons).
MAX_BLOCK_ROWS = 2000


#: Comparisons whose agreement may be an authorised person's, not the person's: a pair linked
#: only through them goes to review (``shared_contact``), see
#: :func:`ansinh.matching.comparisons.account`.  The phone is ordinary evidence (on the demo
#: set every pair linked only through a shared phone was one person).
CONTACT_FIELDS = ("account",)


class BlockTooLarge(ValueError):
    """A blocking rule would create a block larger than the cap (skewed data)."""


@dataclass
class Result:
    # unique_id_l, unique_id_r, match_probability, match_weight, w_<field> (comparisons.FIELDS),
    # shared_contact (linked only through a shared account/phone: review, not clustered), same_cluster
    pairs: list[dict]
    clusters: dict[int, int]           # unique_id -> cluster id (the smallest unique_id of the cluster)
    best: dict[int, float]             # unique_id -> highest match probability to another member
    block_sizes: dict[str, int] = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # λ and m/u per level (for the review page)
    seconds: dict = field(default_factory=dict)
    # One row per reviewer's label whose two records were in this run: unique_id_l < unique_id_r,
    # same (the reviewer's decision), match_probability (this model's), model_same (whether the
    # model alone would link them: p >= threshold, not only through a shared account); the
    # clustering follows the decision.
    labels: list[dict] = field(default_factory=list)


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
           max_block_rows: int = MAX_BLOCK_ROWS, u_max_pairs: float = 5e5, seed: int = 42,
           engine: str = "duckdb", spark=None, labels=()) -> Result:
    """Deduplicate ``rows`` (raw schema).  ``population`` (raw schema; default = ``rows``)
    supplies the term frequencies.  Pairs below ``predict_threshold`` are dropped;
    clusters join pairs at or above ``threshold``.

    ``labels``: reviewers' decisions, (unique_id, unique_id, same: bool).  The "same person"
    ones train the m probabilities beside EM (:func:`learn_from_labels`); every decision binds
    the clustering (same: always joined; not the same: never in one cluster) whatever the
    model says, and ``Result.labels`` reports where the model disagrees.

    ``engine``: "duckdb" (embedded, default) or "spark" (``spark``: a SparkSession,
    default :func:`spark_session`, local mode).  Both run the same Splink settings
    (:func:`_settings`), the same preparation SQL and the same training."""
    t0 = time.perf_counter()
    secs = {}
    logging.getLogger("splink").setLevel(logging.ERROR)
    be = _backend(engine, spark)
    try:
        return _dedupe(be, rows, population, threshold, predict_threshold, max_block_rows, u_max_pairs, seed,
                       t0, secs, list(labels))
    finally:
        be.close()


def _dedupe(be, rows, population, threshold, predict_threshold, max_block_rows, u_max_pairs, seed, t0, secs,
            labels):
    x = be.prefix
    be.load(f"{x}raw_in", to_arrow(rows))
    be.create(f"{x}records", prepare_sql(f"{x}raw_in", be.dialect))
    be.unload(f"{x}raw_in")
    if population is not None:
        be.load(f"{x}pop_in", to_arrow(population))
        be.create(f"{x}pop", prepare_sql(f"{x}pop_in", be.dialect))
        be.unload(f"{x}pop_in")
    else:
        be.view(f"{x}pop", f"SELECT * FROM {x}records")

    def one(sql):
        return be.query(sql)[1][0][0]

    n = one(f"SELECT count(*) FROM {x}records")
    for col in ("given", "family", "middle"):
        be.create(f"{x}tf_{col}", f"""SELECT {col}, count(*) / sum(count(*)) OVER () AS tf_{col}
                                     FROM {x}pop WHERE {col} IS NOT NULL GROUP BY {col}""")
    secs["prepare"] = round(time.perf_counter() - t0, 2)
    if n < 2:
        ids = [r[0] for r in be.query(f"SELECT unique_id FROM {x}records")[1]]
        return Result(pairs=[], clusters={i: i for i in ids}, best={}, seconds=secs)

    db_api = be.api
    sdf = db_api.register(f"{x}records", dataset_display_name="records")
    n_ids = one(f"SELECT count(DISTINCT id_number) FROM {x}pop")
    # log_level=None: Splink would otherwise set its logger to INFO and print every training step.
    linker = Linker(sdf, _settings(u_exact_id=1.0 / max(n_ids, 1000)), log_level=None)
    for col in ("given", "family", "middle"):
        tf = db_api.register(f"{x}tf_{col}", table_name=f"{x}tf_in_{col}")
        linker.table_management.register_term_frequency_lookup(tf, col)

    t = time.perf_counter()
    sizes = block_sizes(linker, cmp.blocking_rules())
    too_big = {k: v for k, v in sizes.items() if v > max_block_rows}
    if too_big:
        raise BlockTooLarge("blocking rule(s) exceed the cap of %d rows per block: %s" % (
            max_block_rows, ", ".join(f"{k} ({v} rows)" for k, v in too_big.items())))
    secs["block_check"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    exact = one(f"""SELECT count(*) FROM (SELECT id_number FROM {x}records WHERE id_number IS NOT NULL
                    GROUP BY id_number HAVING count(*) > 1) d""")
    train(linker, u_max_pairs=u_max_pairs, seed=seed, exact_id_pairs=exact > 0,
          before_em=lambda: contact_u(linker, be, f"{x}records"))
    present = {r[0] for r in be.query(f"SELECT unique_id FROM {x}records")[1]}
    labels = _clean_labels(labels, present)
    if any(same for _a, _b, same in labels):
        learn_from_labels(linker, _score_pairs(linker, be, f"{x}labels_train", [(a, b) for a, b, same in labels
                                                                                   if same]), n)
    secs["train"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=predict_threshold)
    secs["predict"] = round(time.perf_counter() - t, 2)
    # Pairs with the per-field match weights (log2 Bayes factors incl. the term-frequency adjustment).
    cols = be.columns(pred.physical_name)

    def w(f):
        e = f"coalesce(p.mw_{f}, 0)" if f"mw_{f}" in cols else "0"
        if f"mw_tf_adj_{f}" in cols:
            e += f" + coalesce(p.mw_tf_adj_{f}, 0)"
        return e

    # A pair linked only through a shared account (without its weight it would stay
    # under the threshold) may be two people paid through one authorised person: reviewed, never
    # linked (not an edge of the clustering).
    contact = " + ".join(f"greatest({w(f)}, 0)" for f in CONTACT_FIELDS)
    limit = math.log2(threshold / (1 - threshold)) if 0 < threshold < 1 else 0.0
    be.create(f"{x}scored", f"""
        SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight,
               {", ".join(f"{w(f)} AS w_{f}" for f in cmp.FIELDS)},
               (p.match_probability >= {threshold} AND p.match_weight - ({contact}) < {limit!r})
                 AS shared_contact
        FROM {pred.physical_name} p""")
    names, got = be.query(f"SELECT * FROM {x}scored")
    pairs = [dict(zip(names, r)) for r in got]
    linked = [p for p in pairs if p["match_probability"] >= threshold and not p["shared_contact"]]
    edge = f"FROM {x}scored WHERE match_probability >= {threshold} AND NOT shared_contact"
    # Reviewers' decisions bind the clustering: "same" is an edge whatever the model says,
    # "not the same" a cannot-link; the model's own view of each is reported (Result.labels).
    forced = [(a, b) for a, b, same in labels if same]
    against = {(a, b) for a, b, same in labels if not same}
    label_rows = []
    if labels:
        # the model alone links a pair at or above the threshold unless only a shared account does
        scored = {(p["unique_id_l"], p["unique_id_r"]): (p["match_probability"], not p["shared_contact"])
                  for p in pairs}
        missing = [(a, b) for a, b, _s in labels if (a, b) not in scored]
        scored.update({(r["unique_id_l"], r["unique_id_r"]): (
            r["match_probability"], r["match_weight"] - sum(max(r[f"mw_{f}"] or 0.0, 0.0) for f in CONTACT_FIELDS)
            >= limit) for r in _score_pairs(linker, be, f"{x}labels_check", missing)})
        label_rows = []
        for a, b, same in labels:
            prob, own = scored.get((a, b), (None, False))
            label_rows.append({"unique_id_l": a, "unique_id_r": b, "same": same, "match_probability": prob,
                               "model_same": (prob or 0.0) >= threshold and own})
    ends = {u for a, b in forced for u in (a, b)}
    extra = f" UNION SELECT unique_id AS u FROM {x}records WHERE unique_id IN ({', '.join(map(str, ends))})" \
        if ends else ""
    witness = {r[0]: r[1:] for r in be.query(f"""
        SELECT r.unique_id, r.id_number, r.id_ok, r.dob_str, r.dob_precision FROM {x}records r
        JOIN (SELECT unique_id_l AS u {edge} UNION SELECT unique_id_r AS u {edge}{extra}) e
          ON e.u = r.unique_id""")[1]}
    # Only the ids of linked pairs are clustered; every other record is its own cluster.
    clusters = {r[0]: r[0] for r in be.query(f"SELECT unique_id FROM {x}records")[1]}
    first = cluster(list(witness), linked, witness, forced=forced, against=against)
    # A group of three or more joined through chains: its members' pairs the model did not score
    # (below predict_threshold or never blocked together) are scored now, and a pair the model
    # finds clearly two people (< CANNOT_LINK_BELOW) may not end in one cluster (a namesake with a
    # year-only birth date must not chain two people, one with a CMND and one with a CCCD).
    known = {(p["unique_id_l"], p["unique_id_r"]): p["match_probability"] for p in pairs}
    groups: dict[int, list[int]] = {}
    for u, c in first.items():
        groups.setdefault(c, []).append(u)
    within = [(a, b) for g in groups.values() if len(g) >= 3
              for i, a in enumerate(sorted(g)) for b in sorted(g)[i + 1:]]
    if within:
        got = dict(known)
        got.update({(r["unique_id_l"], r["unique_id_r"]): r["match_probability"] for r in _score_pairs(
            linker, be, f"{x}within", [k for k in within if k not in known])})
        low = {k for k in within if got[k] < CANNOT_LINK_BELOW}
        if low:
            first = cluster(list(witness), linked, witness, forced=forced, against=against | low)
    clusters.update(first)
    for p in pairs:
        p["same_cluster"] = clusters[p["unique_id_l"]] == clusters[p["unique_id_r"]]
    secs["predict_cluster"] = round(time.perf_counter() - t, 2)
    secs["cluster"] = round(secs["predict_cluster"] - secs["predict"], 2)

    best: dict[int, float] = {}
    for p in pairs:
        if p["same_cluster"]:
            for k in (p["unique_id_l"], p["unique_id_r"]):
                if p["match_probability"] > best.get(k, -1.0):
                    best[k] = p["match_probability"]
    secs["total"] = round(time.perf_counter() - t0, 2)
    params = _params(linker)
    return Result(pairs=pairs, clusters=clusters, best=best, block_sizes=sizes, params=params, seconds=secs,
                  labels=label_rows)


#: Two records of one group the model scores below this are two people: never one cluster
#: (:func:`cluster`'s ``against``).  0.001 is far under the review band (0.5): the pair's own
#: evidence says "two people" by about 1000 to 1 whatever chain joined them (0.01 cost FEBRL3
#: 0.0003 of F1 for the same gain on the demo set).
CANNOT_LINK_BELOW = 0.001


def _clean_labels(labels, present: set) -> list[tuple[int, int, bool]]:
    """Labels whose two records are both in this run, lower id first, one per pair (the
    latest wins)."""
    out: dict = {}
    for a, b, same in labels:
        if a != b and a in present and b in present:
            out[(min(a, b), max(a, b))] = bool(same)
    return [(a, b, same) for (a, b), same in sorted(out.items())]


def _score_pairs(linker: Linker, be, name: str, pairs: list[tuple[int, int]]) -> list[dict]:
    """The model's comparison vector and match probability of given record pairs, blocked or
    not (Splink's scoring of a labels table): unique_id_l, unique_id_r, match_probability,
    match_weight, gamma_<field>."""
    import pyarrow as pa
    from splink.internals.accuracy import predictions_from_sample_of_pairwise_labels_sql
    from splink.internals.pipeline import CTEPipeline
    from splink.internals.vertically_concatenate import enqueue_df_concat_with_tf

    if not pairs:
        return []
    be.load(name, pa.table({"unique_id_l": pa.array([a for a, _b in pairs], pa.int64()),
                            "unique_id_r": pa.array([b for _a, b in pairs], pa.int64()),
                            "clerical_match_score": pa.array([1.0] * len(pairs), pa.float64())}))
    pipeline = CTEPipeline()
    enqueue_df_concat_with_tf(linker, pipeline)
    # Without its last step (which blocking rule found the pair: needs columns not retained).
    sqls = [q for q in predictions_from_sample_of_pairwise_labels_sql(linker, name)
            if q["output_table_name"] != "__splink__labels_with_predictions"]
    pipeline.enqueue_list_of_sqls(sqls)
    gammas = ", ".join(f"c.gamma_{cc.output_column_name}" for cc in linker._settings_obj.comparisons)
    gammas += "".join(f", p.mw_{f}" for f in CONTACT_FIELDS)
    pipeline.enqueue_sql(f"""SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight, {gammas}
                             FROM __splink__df_predict p JOIN __splink__df_comparison_vectors c
                               ON c.unique_id_l = p.unique_id_l AND c.unique_id_r = p.unique_id_r""",
                         "__splink__labels_scored")
    sdf = linker._db_api.sql_pipeline_to_splink_dataframe(pipeline)
    cols, got = be.query(f"SELECT * FROM {sdf.physical_name}")
    out = []
    for r in got:
        d = dict(zip(cols, r))
        a, b = d["unique_id_l"], d["unique_id_r"]
        d["unique_id_l"], d["unique_id_r"] = min(a, b), max(a, b)
        out.append(d)
    return out


def learn_from_labels(linker: Linker, scored: list[dict], n_records: int) -> dict:
    """Reviewers' "same person" decisions as training labels for the m probabilities.

    Each labelled pair is one more observed duplicate: a level's m becomes (D·m_EM + k) / (D + n),
    where n is the labelled pairs with the comparison not null, k those at the level and D the
    duplicates EM's estimate stands for (λ × the record pairs).  So a few labels move a level
    EM never saw among its duplicates (floored at :data:`M_FLOOR`: a reviewer says it happens)
    and leave a well-trained level almost where it was; as labels accumulate they dominate.
    Returns {field: labelled pairs used}."""
    st = linker._settings_obj
    lam = st._probability_two_random_records_match or 0.0
    dup = max(lam * n_records * (n_records - 1) / 2, 1.0)
    used = {}
    for cc in st.comparisons:
        col = f"gamma_{cc.output_column_name}"
        vals = [r[col] for r in scored if r.get(col) is not None and r[col] >= 0]
        if not vals:
            continue
        used[cc.output_column_name] = len(vals)
        for lv in cc._comparison_levels_excluding_null:
            k = sum(v == lv.comparison_vector_value for v in vals)
            m = lv._m_probability if isinstance(lv._m_probability, (int, float)) else None
            new = (dup * m + k) / (dup + len(vals)) if m is not None else k / len(vals)
            lv.m_probability = max(new, M_FLOOR)
            lv._fix_m_probability = True
    return used


def contact_u(linker: Linker, be, records: str) -> None:
    """u of the account and phone agreement levels counted exactly, not sampled.

    Random sampling (5e5 pairs) almost never draws two rows sharing an account or a phone
    (a registry holds them for few persons), so their u was left unknown and the level's
    weight undefined.  Counted instead: among the record pairs that both carry the field, the
    share that agree (Σ c(c-1) / M(M-1) over the values' row counts c, M rows carrying it;
    at least one pair, so never 0).  True duplicates are counted too, as in sampling: u is
    over- rather than under-estimated.  The "different" level takes the rest."""
    q = be.query(f"""
        SELECT (SELECT count(account_number) FROM {records}),
               (SELECT coalesce(sum(c * (c - 1)), 0) FROM (SELECT count(*) AS c FROM {records}
                 WHERE account_number IS NOT NULL GROUP BY account_number) a),
               (SELECT coalesce(sum(c * (c - 1)), 0) FROM (SELECT count(*) AS c FROM {records}
                 WHERE account_number IS NOT NULL AND NOT paid_other GROUP BY account_number) a),
               (SELECT count(phone) FROM {records}),
               (SELECT coalesce(sum(c * (c - 1)), 0) FROM (SELECT count(*) AS c FROM {records}
                 WHERE phone IS NOT NULL GROUP BY phone) p)""")[1][0]
    m_acct, all_acct, own_acct, m_phone, same_phone = (int(v or 0) for v in q)
    shares = {}
    if m_acct >= 2:
        pairs = m_acct * (m_acct - 1)
        shares["account"] = [max(own_acct, 1) / pairs, max(all_acct - own_acct, 1) / pairs]
    if m_phone >= 2:
        shares["phone"] = [max(same_phone, 1) / (m_phone * (m_phone - 1))]
    for cc in linker._settings_obj.comparisons:
        got = shares.get(cc.output_column_name)
        if not got:
            continue
        levels = cc._comparison_levels_excluding_null
        for lv, u in zip(levels, got):
            lv.u_probability = u
            lv._fix_u_probability = True
        levels[-1].u_probability = max(1.0 - sum(got), M_FLOOR)
        levels[-1]._fix_u_probability = True


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


def train(linker: Linker, *, u_max_pairs: float = 5e5, seed: int = 42, exact_id_pairs: bool = True,
          before_em=None) -> None:
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
    if before_em is not None:
        before_em()  # u the sample cannot see (contact_u)
    sessions = [[block_on("id_number")] if exact_id_pairs else [ID_PREFIX],
                [block_on("given", "family", "dob"), block_on("given", "dob"), block_on("family", "dob")]]
    seen: dict[str, int] = {}  # comparison -> record pairs of the EM sessions that trained it
    for alternatives in sessions:
        for rule in alternatives:
            before = _sessions_per_comparison(linker)
            try:
                tr.estimate_parameters_using_expectation_maximisation(
                    rule, fix_probability_two_random_records_match=True)
                _floor_m(linker)
            except Exception as e:  # noqa: BLE001 - too few pairs / degenerate: try the next rule
                logging.getLogger(__name__).warning("EM session %s failed: %s", rule, e)
                continue
            pairs = _pairs_of_rule(linker, rule)
            for name, k in _sessions_per_comparison(linker).items():
                if k > before.get(name, 0):
                    seen[name] = seen.get(name, 0) + pairs
            break
    _floor_m(linker)
    _neutral_if_untrained(linker)
    _unobserved_m(linker, seen)
    _id_kind_level(linker, seen)
    _check_trained(linker)
    # Splink re-derives λ from the EM sessions even when fixed; keep the deterministic one.
    linker._settings_obj._probability_two_random_records_match = lam


#: Lowest m probability of a level: Splink's own value for a level never observed among the
#: pairs a session trains on.  A difference that never occurs among one session's duplicates
#: (a changed phone or account in a generated set, a changed gender when blocking on the ID)
#: otherwise drives EM's m towards 0 (1e-150 after one session), which (a) underflows to 0 in
#: the next session (Splink then aborts that session: training is left incomplete) and (b)
#: makes one differing field veto a pair whatever the rest says.  1e-6 is a weight of about
#: -20 bits against a random pair: still strong evidence, never an absolute veto.
M_FLOOR = 1e-6


def _floor_m(linker: Linker) -> None:
    """Raise every trained m probability under :data:`M_FLOOR` to it and fix it there (later
    EM sessions start from it and do not train it again; a session that observes the level
    among its duplicates cannot lower it below the floor either way), renormalising the
    comparison's other trained levels so its m probabilities still sum to 1."""
    for cc in linker._settings_obj.comparisons:
        levels = [cl for cl in cc._comparison_levels_excluding_null
                  if isinstance(cl._m_probability, (int, float))]
        low = [cl for cl in levels if cl._m_probability < M_FLOOR]
        if not low:
            continue
        rest = [cl for cl in levels if cl not in low and not cl._fix_m_probability]
        total = sum(cl._m_probability for cl in rest)
        want = 1.0 - sum(M_FLOOR if cl in low else cl._m_probability for cl in levels if cl not in rest)
        for cl in low:
            cl.m_probability = M_FLOOR
            cl._fix_m_probability = True
        if total > 0 and want > 0:
            for cl in rest:
                cl.m_probability = cl._m_probability * want / total


#: Evidence most registries hold for few persons (an account or phone on a handful of rows): when
#: no EM session sees it on both rows of a pair, it cannot be trained and is left out (m = u on
#: every level: weight 0), instead of refusing the whole run.  The names, birth date and ID are
#: never left out (:func:`_check_trained` refuses).
OPTIONAL_FIELDS = ("account", "phone")


def _neutral_if_untrained(linker: Linker) -> None:
    for cc in linker._settings_obj.comparisons:
        if cc.output_column_name not in OPTIONAL_FIELDS:
            continue
        levels = cc._comparison_levels_excluding_null
        if any(isinstance(cl._m_probability, (int, float)) for cl in levels):
            continue
        for cl in levels:
            if isinstance(cl._u_probability, (int, float)):
                cl.m_probability = cl._u_probability
                cl._fix_m_probability = True
        logging.getLogger(__name__).warning("comparison %s not trained (too few rows carry it): left out",
                                            cc.output_column_name)


def _sessions_per_comparison(linker: Linker) -> dict[str, int]:
    """How many EM sessions have trained each comparison so far (Splink records one value per
    session and level, "not observed" included)."""
    return {cc.output_column_name: len(cc._comparison_levels_excluding_null[0]._trained_m_probabilities)
            for cc in linker._settings_obj.comparisons if cc._comparison_levels_excluding_null}


def _pairs_of_rule(linker: Linker, rule) -> int:
    """Record pairs an EM session blocked on ``rule`` compared (exact count)."""
    try:
        got = linker.blocking_analysis.count_comparisons_from_blocking_rules([rule], record_sample_proportion=1.0)
        return int(got[0]["marginal_comparison_count"])
    except Exception:  # noqa: BLE001 - a count that fails leaves the estimate at its most cautious
        return 0


def _unobserved_m(linker: Linker, seen: dict[str, int]) -> None:
    """m of a level no EM session observed, in a comparison that was trained: 1 / (N + 2), N = the
    record pairs of the sessions that trained the comparison (``seen``), none of them at the level.

    Splink keeps the median of the sessions' estimates and skips a session's "level not observed",
    so such a level was left without m and Splink predicted with its *untrained default prior*
    (0.95 / levels): on the demo set "middle name on one row only" weighed +10 bits and two
    year-only dates 1937/1973 -0.3 bits, though its duplicates never showed either.  1 / (N + 2) is
    the rule of succession (no occurrence in N trials): after the demo set's ~3,000 training pairs
    about 3e-4, a strong "against"; after the 7 pairs a small registry trains on, about 0.1, weak
    (a rare difference among few pairs is not proof that it never happens: 1e-6 there lost a
    test registry's year-only twins).  The other levels' m are scaled to keep the sum at 1."""
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    for cc in linker._settings_obj.comparisons:
        levels = cc._comparison_levels_excluding_null
        if not any(isinstance(cl._m_probability, (int, float)) for cl in levels):
            continue  # never trained: _check_trained / _neutral_if_untrained decide
        unseen = [cl for cl in levels if cl._m_probability in (None, LEVEL_NOT_OBSERVED_TEXT)
                  and not cl._fix_m_probability]
        if not unseen:
            continue
        m = max(1.0 / (seen.get(cc.output_column_name, 0) + 2), M_FLOOR)
        rest = [cl for cl in levels if cl not in unseen and isinstance(cl._m_probability, (int, float))
                and not cl._fix_m_probability]
        _pin_m(levels, unseen, m, rescale=rest)


def _pin_m(levels, pinned, m: float, *, rescale) -> None:
    """Fix the m of the ``pinned`` levels at ``m`` and scale the m of the ``rescale`` levels so that the
    comparison's m still sum to 1 (the levels in neither list keep theirs; none below M_FLOOR)."""
    total = sum(cl._m_probability for cl in rescale)
    want = 1.0 - m * len(pinned) - sum(cl._m_probability for cl in levels if cl not in pinned and cl not in rescale
                                       and isinstance(cl._m_probability, (int, float)))
    for cl in pinned:
        cl.m_probability = m
        cl._fix_m_probability = True
    if total > 0 and want > 0:
        for cl in rescale:
            cl.m_probability = max(cl._m_probability * want / total, M_FLOOR)


def _id_kind_level(linker: Linker, seen: dict[str, int]) -> None:
    """The "CMND beside a CCCD" ID level (:func:`comparisons.id_number`), kept from vetoing.

    Its m is never below 1 / (N + 2) (N: the record pairs of the EM sessions that trained the ID,
    as for a level never observed, :func:`_unobserved_m`): EM drives it to ~3e-6 on the demo sets
    (-15 bits), yet a person who renewed a CMND as a CCCD exists; no stronger than "not seen among
    N duplicates" (-8.6 bits on the demo sets).  When random sampling never drew such a pair (a
    registry without CMNDs, or without CCCDs), its u is unknown and the level is neutral (m = u),
    as the null level it used to be."""
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    for cc in linker._settings_obj.comparisons:
        if cc.output_column_name != "id_number":
            continue
        for lv in cc._comparison_levels_excluding_null:
            if "id_kind_l" not in lv.sql_condition:
                continue
            m = lv._m_probability if isinstance(lv._m_probability, (int, float)) else None
            if m is None or m == LEVEL_NOT_OBSERVED_TEXT:
                continue  # ID never trained: _check_trained refuses
            u = lv._u_probability
            if not isinstance(u, (int, float)) or u == LEVEL_NOT_OBSERVED_TEXT:
                lv.u_probability = m  # weight 0
                lv._fix_u_probability = True
                continue
            floor = max(1.0 / (seen.get("id_number", 0) + 2), M_FLOOR)
            if m >= floor:
                continue
            others = [o for o in cc._comparison_levels_excluding_null
                      if o is not lv and isinstance(o._m_probability, (int, float))]
            _pin_m(cc._comparison_levels_excluding_null, [lv], floor, rescale=others)


def _edits(a: str, b: str) -> int:
    """Levenshtein distance (short strings: IDs, dates)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def conflict(a, b) -> bool:
    """Two records that cannot be one person, whatever their names and places say: two CCCDs
    more than two edits apart, each consistent with its own row's birth year and gender.
    (Birth dates are not used: FEBRL's date typos go well beyond one edit, and a conflict on
    them cost 3-6 % of its recall.)  ``a``, ``b``: (id_number, id_ok, dob_str, dob_precision)."""
    return bool(a[1] and b[1] and a[0] != b[0] and _edits(a[0], b[0]) > 2)


def cluster(ids, linked: list[dict], witness: dict, forced=(), against=frozenset()) -> dict:
    """Connected components of the linked pairs, strongest first, never joining two groups
    that hold a :func:`conflict` (a chain through a row without ID or birth date must not
    join two namesakes) or a pair in ``against`` (lower id first: a reviewer's "not the same",
    or the model's own "clearly two people").  ``forced`` pairs (a reviewer's "same person")
    are joined first, whatever :func:`conflict` says, unless ``against`` forbids it.
    Returns unique_id -> smallest unique_id of its cluster."""
    parent = {i: i for i in ids}
    members = {}

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def apart(ma, mb) -> bool:
        return bool(against) and any((min(u, v), max(u, v)) in against for u in ma for v in mb)

    edges = [(u, v, True) for u, v in forced] + [
        (p["unique_id_l"], p["unique_id_r"], False)
        for p in sorted(linked, key=lambda p: (-p["match_probability"], p["unique_id_l"], p["unique_id_r"]))]
    for l, r, decided in edges:
        a, b = find(l), find(r)
        if a == b:
            continue
        ma, mb = members.get(a, [l]), members.get(b, [r])
        if apart(ma, mb) or (not decided and any(conflict(witness[u], witness[v]) for u in ma for v in mb)):
            continue
        if a > b:
            a, b, ma, mb = b, a, mb, ma
        parent[b] = a
        members[a] = ma + mb
        members.pop(b, None)
    return {i: find(i) for i in ids}


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
