"""The Spark engine (local mode) runs the same settings as DuckDB and gives the same clusters.

Needs pyspark (``pip install -e '.[spark]'``) and a Java runtime; scripts/run_tests.py
runs this directory only when both are there and says so when they are not (it is
never skipped silently).  Slow (a Spark query costs about a second in local mode):
one Spark dedupe only."""
import csv
import json

from ansinh.matching import backends, engine
from ansinh.matching.evaluation import _pairs_of, evaluate
from ansinh.matching.prepare import prepare_sql, to_arrow
from tests.matching.test_engine import two_files  # noqa: F401 - the generated commune list files


def _clusters(path):
    return {(r["source"], int(r["row"])): r["cluster"] for r in csv.DictReader(open(path, encoding="utf-8"))}


def test_dedupe_cli_on_spark_gives_the_same_clusters_as_duckdb(two_files, tmp_path, capsys):  # noqa: F811
    from ansinh.cli import main

    d, truth = two_files
    files = [str(d / "xa_a.xlsx"), str(d / "xa_b.xlsx")]
    out = {}
    for eng in ("duckdb", "spark"):
        out[eng] = tmp_path / f"clusters_{eng}.csv"
        assert main(["dedupe", *files, "--out", str(out[eng]), "--engine", eng, "--json"]) in (0, None)
        assert json.loads(capsys.readouterr().out)["engine"] == eng
    duck, spark = _clusters(out["duckdb"]), _clusters(out["spark"])
    assert len(duck) == len(spark) == len(truth) == 760
    assert _pairs_of(duck) == _pairs_of(spark)   # the same clusters
    m = evaluate(spark, truth)
    assert m["precision"] >= 0.95 and m["recall"] >= 0.9, m


def test_spark_preparation_folds_like_python():
    rows = [{"unique_id": 1, "full_name": "Nguyễn  Thị Ngọc Hoà"}, {"unique_id": 2, "full_name": "Lê Đức"},
            {"unique_id": 3, "full_name": "HOÀNG VĂN THUỶ", "id_number": "020-190-123 465", "dob": None}]
    be = backends._Spark(backends.spark_session())
    try:
        be.load(f"{be.prefix}raw", to_arrow(rows))
        got = be.query(f"SELECT unique_id, family, middle, given, id_number, id_anagram "
                       f"FROM ({prepare_sql(be.prefix + 'raw', 'spark')}) t ORDER BY unique_id")[1]
    finally:
        be.close()
    assert got == [(1, "NGUYEN", "THI NGOC", "HOA", None, None), (2, "LE", None, "DUC", None, None),
                   (3, "HOANG", "VAN", "THUY", "020190123465", "020190123456")]
