"""The Spark engine (local mode) runs the same settings as DuckDB and gives the same clusters.

Needs pyspark (``pip install -e '.[spark]'``) and a Java runtime; scripts/run_tests.py
runs this directory only when both are there and says so when they are not (it is
never skipped silently)."""
import datetime as dt
import random

from ansinh.matching import engine
from ansinh.text import fold

FAMILY = ["Nguyễn", "Trần", "Lê", "Hoàng", "Vi", "Lộc", "Hà", "Nông", "Lương", "Đinh"]
MIDDLE = ["Văn", "Thị", "Đức", "Thị Ngọc", "Minh", ""]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hoa", "Hoan", "Lan", "Mai", "Nam", "Sơn", "Tâm", "Yến", "Hùng", "Thủy",
         "Phương", "Quân", "Khánh", "Linh", "Trang", "Đào", "Hiền", "Hương", "Tuấn", "Vinh", "Xuân", "Oanh"]


def generated(n_people=300, n_dups=40, seed=11):
    """People with CCCD numbers plus duplicates carrying typical faults; truth = person key."""
    rng = random.Random(seed)
    rows, truth = [], {}
    for i in range(n_people):
        g = rng.choice("MF")
        dob = dt.date(rng.randint(1930, 2015), rng.randint(1, 12), rng.randint(1, 28))
        name = " ".join(x for x in [rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)] if x)
        idn = f"020{(0 if g == 'M' else 1) + (2 if dob.year >= 2000 else 0)}{dob.year % 100:02d}{rng.randint(0, 999999):06d}"
        rows.append({"unique_id": i, "full_name": name, "dob": dob, "gender": g, "id_number": idn,
                     "commune_old": f"Xã {rng.randint(1, 6)}", "village": f"Thôn {rng.randint(1, 9)}"})
        truth[i] = i
    for j in range(n_dups):
        p = rows[rng.randrange(n_people)]
        v = dict(p, unique_id=len(rows))
        k = j % 4
        if k == 0:
            s = list(v["id_number"])
            s[7], s[8] = s[8], s[7]
            v["id_number"] = "".join(s)
        elif k == 1:
            v["full_name"] = fold(v["full_name"])
        elif k == 2:
            v["id_number"] = None
        else:
            v["commune_old"] = "Xã 9"
        rows.append(v)
        truth[v["unique_id"]] = p["unique_id"]
    return rows, truth


def test_spark_and_duckdb_give_the_same_clusters():
    rows, truth = generated()
    duck = engine.dedupe(rows, engine="duckdb")
    spark = engine.dedupe(rows, engine="spark")
    same = engine._pairs_of(duck.clusters)
    assert same == engine._pairs_of(spark.clusters)
    assert engine.evaluate(spark.clusters, truth)["f1"] >= 0.95
    # the same pairs scored, with nearly the same probabilities (training samples differ)
    dp = {(p["unique_id_l"], p["unique_id_r"]): p["match_probability"] for p in duck.pairs}
    sp = {(p["unique_id_l"], p["unique_id_r"]): p["match_probability"] for p in spark.pairs}
    strong = {k for k, v in dp.items() if v >= 0.9}
    assert strong <= set(sp)
    assert all(sp[k] >= 0.9 for k in strong)


def test_spark_folds_like_python():
    rows = [{"unique_id": 1, "full_name": "Nguyễn  Thị Ngọc Hoà"}, {"unique_id": 2, "full_name": "Lê Đức"},
            {"unique_id": 3, "full_name": "HOÀNG VĂN THUỶ", "id_number": "020-190-123 456"}]
    spark = engine.spark_session()
    be = engine._Spark(spark)
    try:
        be.load(f"{be.prefix}raw", engine.to_arrow(rows))
        got = be.query(f"SELECT unique_id, family, middle, given, id_number, id_anagram "
                       f"FROM ({engine.prepare_sql(be.prefix + 'raw', 'spark')}) t ORDER BY 1")[1]
    finally:
        be.close()
    assert got == [(1, "NGUYEN", "THI NGOC", "HOA", None, None), (2, "LE", None, "DUC", None, None),
                   (3, "HOANG", "VAN", "THUY", "020190123456", "020190123456")]
