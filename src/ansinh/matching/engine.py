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
import os
import time
import uuid
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

#: The few list/date/regex functions whose spelling differs between DuckDB and Spark SQL
#: (everything else in :func:`prepare_sql` is common SQL).  Arrays are 1-based in both.
_FN = {
    "duckdb": {
        "split_words": "string_split({0}, ' ')",
        "size": "len({0})",
        "at": "{0}[{1}]",
        "middle": "array_to_string({0}[2:len({0}) - 1], ' ')",
        "yyyymmdd": "strftime({0}, '%Y%m%d')",
        "digits": "regexp_replace({0}, '[^0-9]', '', 'g')",
        "sorted_chars": "array_to_string(list_sort(string_split({0}, '')), '')",
    },
    "spark": {
        "split_words": "split({0}, ' ')",
        "size": "size({0})",
        "at": "element_at({0}, {1})",
        "middle": "array_join(slice({0}, 2, size({0}) - 2), ' ')",
        "yyyymmdd": "date_format({0}, 'yyyyMMdd')",
        "digits": "regexp_replace({0}, '[^0-9]', '')",
        "sorted_chars": "array_join(array_sort(split({0}, '')), '')",
    },
}


def prepare_sql(source: str, dialect: str = "duckdb") -> str:
    """SELECT turning a raw-schema table into match records (folded, split names).

    Folding (``fold_sql``) runs once per distinct text value (names, communes and
    villages repeat a lot), then joins back: same result, a fraction of the work.
    ``dialect`` is "duckdb" or "spark" (same columns, same values; Spark's input text
    must already be NFC, see :func:`nfc_text`)."""
    f = _FN[dialect]

    def fn(name, *args):
        return f[name].format(*args)

    distinct = " UNION ".join(f"SELECT {c} AS v FROM {source}" for c in _TEXT)
    j = "\n".join(f"LEFT JOIN fd AS f_{c} ON f_{c}.v = s.{c}" for c in _TEXT)
    toks = "toks"
    return f"""
    WITH fd AS (
      SELECT v, nullif({fold_sql('v', dialect)}, '') AS f FROM ({distinct}) u WHERE v IS NOT NULL
    ), n AS (
      SELECT s.unique_id, s.dob, s.dob_precision, s.gender,
             nullif({fn('digits', "coalesce(s.id_number, '')")}, '') AS id_digits,
             f_full_name.f AS name_f, f_family.f AS family_f, f_given.f AS given_f,
             f_commune_old.f AS commune_old_f, f_commune_new.f AS commune_new_f, f_village.f AS village_f,
             {fn('split_words', "coalesce(f_full_name.f, '')")} AS toks
      FROM {source} s
      {j}
    ), p AS (
      SELECT unique_id, dob, gender, id_digits, dob_precision, commune_old_f, commune_new_f, village_f,
        coalesce(family_f, CASE WHEN {fn('size', toks)} >= 2 THEN {fn('at', toks, 1)} END) AS family,
        CASE WHEN family_f IS NULL AND given_f IS NULL AND {fn('size', toks)} >= 3
             THEN {fn('middle', toks)} END AS middle,
        coalesce(given_f, CASE WHEN {fn('size', toks)} >= 1 AND {fn('at', toks, fn('size', toks))} <> ''
                               THEN {fn('at', toks, fn('size', toks))} END) AS given
      FROM n
    )
    SELECT unique_id, family, middle, given,
      nullif(concat_ws(' ', family, middle, given), '') AS name_key,
      dob, coalesce(dob_precision, 'day') AS dob_precision, year(dob) AS dob_year,
      {fn('yyyymmdd', 'dob')} AS dob_str,
      nullif(gender, '') AS gender,
      id_digits AS id_number,
      CASE WHEN length(id_digits) = 12 THEN substr(id_digits, 4, 3) END AS id_yg,
      CASE WHEN length(id_digits) = 12
           THEN concat(substr(id_digits, 1, 6), {fn('sorted_chars', 'substr(id_digits, 7)')})
           ELSE {fn('sorted_chars', 'id_digits')} END AS id_anagram,
      commune_old_f AS commune_old,
      commune_new_f AS commune_new,
      village_f AS village
    FROM p
    """


def nfc_text(t: pa.Table) -> pa.Table:
    """NFC-normalise the text columns (Spark SQL has no NFC function; DuckDB's fold does it)."""
    import pyarrow.compute as pc

    for c in _TEXT:
        i = t.column_names.index(c)
        t = t.set_column(i, c, pc.utf8_normalize(t.column(c), "NFC"))
    return t


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


ENGINES = ("duckdb", "spark")


class _DuckDB:
    """Embedded DuckDB (default): one in-memory connection per run."""

    dialect = "duckdb"

    def __init__(self):
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2")
        self.api = DuckDBAPI(connection=self.con)
        self.prefix = ""

    def load(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unload(self, name: str) -> None:
        self.con.unregister(name)

    def create(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE TABLE {name} AS {sql}")

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE VIEW {name} AS {sql}")

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        rel = self.con.execute(sql)
        return [d[0] for d in rel.description], rel.fetchall()

    def columns(self, name: str) -> set[str]:
        return {r[0] for r in self.con.execute(f"DESCRIBE {name}").fetchall()}

    def close(self) -> None:
        self.con.close()


class _Spark:
    """A Spark session (local mode by default, see :func:`spark_session`); the run's
    tables are temporary views with a per-run prefix, cached while the run lasts."""

    dialect = "spark"

    def __init__(self, spark):
        from splink.backends.spark import SparkAPI

        self.spark = spark
        parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
        # Splink's default lineage break (parquet in the checkpoint directory); "persist"
        # hits a Spark 4.1 analyser error (InlineCTE: exprId on unresolved object).
        self.api = SparkAPI(spark_session=spark, break_lineage_method="parquet",
                            num_partitions_on_repartition=max(parts, 1))
        self.prefix = f"r{uuid.uuid4().hex[:10]}_"
        import tempfile

        self.tmp = tempfile.mkdtemp(prefix="ansinh-spark-run-", dir=_SPARK_TMP)
        self._cached = []
        self._views = []

    def _dir(self, name: str) -> str:
        return os.path.join(self.tmp, name)

    def load(self, name: str, table: pa.Table) -> None:
        # Through a parquet file, not createDataFrame: a DataFrame made from local data is a
        # LocalRelation inside every later query plan, which the optimiser copies again and
        # again (Java heap exhausted at 100,000 rows with a 2 GB driver).
        import pyarrow.parquet as pq

        path = self._dir(name)
        pq.write_table(nfc_text(table), path + ".parquet")
        self.spark.read.parquet(path + ".parquet").createOrReplaceTempView(name)
        self._views.append(name)

    def unload(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def create(self, name: str, sql: str) -> None:
        path = self._dir(name)
        self.spark.sql(sql).write.mode("overwrite").parquet(path)
        df = self.spark.read.parquet(path).cache()
        df.createOrReplaceTempView(name)
        self._cached.append(df)
        self._views.append(name)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(sql).createOrReplaceTempView(name)
        self._views.append(name)

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        df = self.spark.sql(sql)
        return list(df.columns), [tuple(r) for r in df.collect()]

    def columns(self, name: str) -> set[str]:
        return set(self.spark.table(name).columns)

    def close(self) -> None:
        try:
            self.api.delete_tables_created_by_splink_from_db()
        except Exception:  # noqa: BLE001 - cleanup only
            pass
        for v in self._views:
            self.spark.catalog.dropTempView(v)
        for df in self._cached:
            df.unpersist()
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)


_SPARK = None
_SPARK_TMP = None  # the local session's scratch directory (None: the system's temporary directory)


def spark_available() -> str | None:
    """None when the Spark engine can run here, else why not (no pyspark / no Java)."""
    import shutil

    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime (install a JRE 17, e.g. apt-get install openjdk-17-jre-headless)"
    return None


def spark_session(master: str = "local[2]", partitions: int = 4, driver_memory: str | None = None):
    """The process's Spark session for matching (created once): local mode, Splink's
    similarity UDF jar (jaro_winkler, damerau_levenshtein) on the class path, a
    temporary checkpoint directory for Splink's parquet lineage breaks."""
    global _SPARK, _SPARK_TMP
    driver_memory = driver_memory or os.environ.get("ANSINH_SPARK_DRIVER_MEMORY", "3g")
    if _SPARK is not None and not _SPARK.sparkContext._jsc.sc().isStopped():
        return _SPARK
    why = spark_available()
    if why:
        raise EngineUnavailable(why)
    import atexit
    import shutil
    import tempfile

    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    tmp = tempfile.mkdtemp(prefix="ansinh-spark-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    spark = (SparkSession.builder.master(master).appName("ansinh-matching")
             .config("spark.jars", similarity_jar_location())
             .config("spark.sql.shuffle.partitions", str(partitions))
             .config("spark.default.parallelism", str(partitions))
             .config("spark.driver.memory", driver_memory)
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.local.dir", tmp)
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(tmp, "checkpoints"))
    _SPARK, _SPARK_TMP = spark, tmp
    return spark


class EngineUnavailable(RuntimeError):
    """The requested engine cannot run on this machine (e.g. Spark without pyspark/Java)."""


def _backend(engine: str, spark=None):
    if engine == "duckdb":
        return _DuckDB()
    if engine == "spark":
        return _Spark(spark or spark_session())
    raise ValueError(f"unknown engine {engine!r} ({', '.join(ENGINES)})")


def dedupe(rows, *, population=None, threshold: float = 0.9, predict_threshold: float = 0.5,
           max_block_rows: int = MAX_BLOCK_ROWS, u_max_pairs: float = 5e5, seed: int = 42,
           engine: str = "duckdb", spark=None) -> Result:
    """Deduplicate ``rows`` (raw schema).  ``population`` (raw schema; default = ``rows``)
    supplies the term frequencies.  Pairs below ``predict_threshold`` are dropped;
    clusters join pairs at or above ``threshold``.

    ``engine``: "duckdb" (embedded, default) or "spark" (``spark``: a SparkSession,
    default :func:`spark_session`, local mode).  Both run the same Splink settings
    (:func:`_settings`), the same preparation SQL and the same training."""
    t0 = time.perf_counter()
    secs = {}
    logging.getLogger("splink").setLevel(logging.ERROR)
    be = _backend(engine, spark)
    try:
        return _dedupe(be, rows, population, threshold, predict_threshold, max_block_rows, u_max_pairs, seed,
                       t0, secs)
    finally:
        be.close()


def _dedupe(be, rows, population, threshold, predict_threshold, max_block_rows, u_max_pairs, seed, t0, secs):
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
    train(linker, u_max_pairs=u_max_pairs, seed=seed, exact_id_pairs=exact > 0)
    secs["train"] = round(time.perf_counter() - t, 2)

    t = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=predict_threshold)
    clus = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, threshold)
    secs["predict_cluster"] = round(time.perf_counter() - t, 2)

    # Pairs with the per-field match weights (log2 Bayes factors incl. the term-frequency adjustment).
    cols = be.columns(pred.physical_name)

    def w(f):
        e = f"p.mw_{f}" if f"mw_{f}" in cols else "0"
        if f"mw_tf_adj_{f}" in cols:
            e += f" + coalesce(p.mw_tf_adj_{f}, 0)"
        return f"{e} AS w_{f}"

    names, got = be.query(f"""
        SELECT p.unique_id_l, p.unique_id_r, p.match_probability, p.match_weight,
               {", ".join(w(f) for f in cmp.FIELDS)},
               cl.cluster_id = cr.cluster_id AS same_cluster
        FROM {pred.physical_name} p
        JOIN {clus.physical_name} cl ON cl.unique_id = p.unique_id_l
        JOIN {clus.physical_name} cr ON cr.unique_id = p.unique_id_r
    """)
    pairs = [dict(zip(names, r)) for r in got]

    # cluster id = smallest unique_id of the cluster
    clusters = dict(be.query(f"""
        SELECT unique_id, min(unique_id) OVER (PARTITION BY cluster_id) FROM {clus.physical_name}""")[1])
    best: dict[int, float] = {}
    for p in pairs:
        if p["same_cluster"]:
            for k in (p["unique_id_l"], p["unique_id_r"]):
                if p["match_probability"] > best.get(k, -1.0):
                    best[k] = p["match_probability"]
    secs["total"] = round(time.perf_counter() - t0, 2)
    params = _params(linker)
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
