"""Where the matching engine runs its SQL: embedded DuckDB (default) or a Spark session
(local mode by default). Both take the same tables and the same Splink settings."""
from __future__ import annotations

import os
import uuid

import duckdb
import pyarrow as pa
from splink import DuckDBAPI

from ansinh.matching.prepare import nfc_text

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
