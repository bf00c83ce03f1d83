"""Issue #16's evidence: account (+ bank, authorised person), phone, ID kind, two consistent
CCCDs, middle name on one row, initial consonant cluster, legacy fonts; no database."""
import datetime as dt
import random

import duckdb
import openpyxl
import pytest

from ansinh.matching import engine
from ansinh.matching.listfiles import records_from_files
from ansinh.matching.prepare import CLUSTERS, prepare_sql, simple_initial_py, to_arrow
from ansinh.text import fold
from ansinh.text.legacy import unicode_to_tcvn3
from tests.matching.test_engine import FAMILY, GIVEN, MIDDLE


def _prepared(rows):
    con = duckdb.connect()
    con.register("raw", to_arrow(rows))
    rel = con.execute(prepare_sql("raw") + " ORDER BY unique_id")
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def test_prepared_id_kind_consistency_cluster_and_shared_contacts():
    rows = [
        {"unique_id": 1, "full_name": "Vi Ngọc Ngần", "dob": dt.date(1950, 3, 2), "gender": "F",
         "id_number": "020150123456", "account_number": "1234 5678 901", "phone": "0912 345 678",
         "paid_to": "Vi Văn Tài"},
        {"unique_id": 2, "full_name": "Hà Thuỷ", "dob": dt.date(2003, 3, 2), "gender": "M",
         "id_number": "020203123456", "paid_to": "Hà Thuỷ"},
        {"unique_id": 3, "full_name": "Lý Quang Khoa", "dob": dt.date(1950, 3, 2), "gender": "M",
         "id_number": "080123456"},
        {"unique_id": 4, "full_name": "Lý Khoa", "dob": dt.date(1951, 3, 2), "gender": "M",
         "id_number": "020050123456"},  # born 1950 by the ID, 1951 by the row
    ] + [{"unique_id": 10 + i, "full_name": "Nông Văn Slằn", "phone": "0209 999 999"} for i in range(11)]
    r = {x["unique_id"]: x for x in _prepared(rows)}
    assert (r[1]["id_kind"], r[1]["id_ok"]) == ("cccd", True)
    assert (r[2]["id_kind"], r[2]["id_ok"]) == ("cccd", True)      # 2000s male: digit 2
    assert (r[3]["id_kind"], r[3]["id_ok"]) == ("cmnd", None)
    assert r[4]["id_ok"] is False
    assert (r[1]["given"], r[1]["given_simple"]) == ("NGAN", "NAN")
    assert r[10]["given_simple"] == "SLAN"[0] + "AN"
    assert r[1]["account_number"] == "12345678901" and r[1]["phone"] == "0912345678"
    assert r[1]["paid_other"] is True and r[2]["paid_other"] is False
    assert r[10]["phone"] is None       # a phone on 11 rows is nobody's own
    assert r[4]["middle"] is None and r[3]["middle"] == "QUANG"


def test_simple_initial_sql_equals_python():
    words = [c + "AN" for c in CLUSTERS] + ["AN", "NAN", "N", "", "THUY", "TRUNG", "GIANG"]
    got = {x["unique_id"]: x["given_simple"] for x in _prepared(
        [{"unique_id": i, "given": w or None, "family": "VI"} for i, w in enumerate(words)])}
    assert [got[i] for i in range(len(words))] == [simple_initial_py(w or None) for w in words]


def _population(n, seed):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        g = rng.choice("MF")
        dob = dt.date(rng.randint(1930, 2010), rng.randint(1, 12), rng.randint(1, 28))
        idn = f"020{(0 if g == 'M' else 1) + (2 if dob.year >= 2000 else 0)}{dob.year % 100:02d}{rng.randint(0, 999999):06d}"
        name = " ".join(x for x in [rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)] if x)
        out.append({"unique_id": i, "full_name": name, "dob": dob, "gender": g, "id_number": idn,
                    "commune_old": f"X{rng.randint(1, 6)}", "village": f"Thôn {rng.randint(1, 9)}",
                    "account_number": f"{rng.randrange(10 ** 13):013d}", "bank": "970405"})
    dups = []
    for p in rng.sample(out, 150):
        v = dict(p, unique_id=len(out) + len(dups))
        if rng.random() < 0.5:
            v["id_number"] = None
        dups.append(v)
    return out + dups


@pytest.fixture(scope="module")
def cases():
    rows = _population(1500, 5)
    n = len(rows)
    extra = [
        # A: the same person, CMND on one row, CCCD on the other
        {"unique_id": n, "full_name": "Hoàng Văn Pác", "dob": dt.date(1948, 5, 6), "gender": "M",
         "id_number": "020048777111", "commune_old": "X1", "village": "Bản Nà Pàn"},
        {"unique_id": n + 1, "full_name": "Hoàng Văn Pác", "dob": dt.date(1948, 5, 6), "gender": "M",
         "id_number": "081234567", "commune_old": "X1", "village": "Bản Nà Pàn"},
        # B: namesakes in one village, each with a CCCD consistent with their own row
        {"unique_id": n + 2, "full_name": "Nông Thị Slao", "dob": dt.date(1952, 1, 1), "dob_precision": "year",
         "gender": "F", "id_number": "020152555001", "commune_old": "X2", "village": "Bản Khuổi Mạ"},
        {"unique_id": n + 3, "full_name": "Nông Thị Slao", "dob": dt.date(1955, 1, 1), "dob_precision": "year",
         "gender": "F", "id_number": "020155999002", "commune_old": "X2", "village": "Bản Khuổi Mạ"},
        # ... and a row of the same name without ID or birth date between them
        {"unique_id": n + 4, "full_name": "Nông Thị Slao", "gender": "F", "commune_old": "X2",
         "village": "Bản Khuổi Mạ"},
        # C: two people paid through one authorised person: one account, nothing else alike
        {"unique_id": n + 5, "full_name": "Lương Văn Tằng", "dob": dt.date(1940, 2, 3), "gender": "M",
         "commune_old": "X3", "village": "Bản Pò Cáy", "account_number": "9999888877776", "bank": "970405",
         "paid_to": "Lương Thị Mìn"},
        {"unique_id": n + 6, "full_name": "Lương Thị Phấn", "dob": dt.date(1944, 7, 8), "gender": "F",
         "commune_old": "X3", "village": "Bản Pò Cáy", "account_number": "9999888877776", "bank": "970405",
         "paid_to": "Lương Thị Mìn"},
    ]
    res = engine.dedupe(rows + extra)
    pairs = {(min(p["unique_id_l"], p["unique_id_r"]), max(p["unique_id_l"], p["unique_id_r"])): p
             for p in res.pairs}
    return n, res, pairs


def test_cmnd_beside_cccd_is_not_a_disagreement(cases):
    n, res, pairs = cases
    assert pairs[(n, n + 1)]["w_id_number"] == 0.0
    assert res.clusters[n] == res.clusters[n + 1]


def test_two_consistent_cccds_are_two_people_even_through_a_chain(cases):
    n, res, pairs = cases
    p = pairs.get((n + 2, n + 3))
    assert p is None or p["w_id_number"] < -5
    assert res.clusters[n + 2] != res.clusters[n + 3]


def test_a_shared_account_alone_is_reviewed_not_linked(cases):
    n, res, pairs = cases
    assert res.clusters[n + 5] != res.clusters[n + 6]
    p = pairs.get((n + 5, n + 6))
    if p is not None and p["match_probability"] >= 0.9:
        assert p["shared_contact"] and not p["same_cluster"]


def test_legacy_font_row_reads_like_its_unicode_twin(tmp_path):
    """A row pasted from an old TCVN3 file inside a Unicode list is decoded by the reader, so the
    engine sees the same folded name (the matching has nothing left to do about fonts)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UBND XÃ TÂN THÀNH"])
    ws.append(["DANH SÁCH NGƯỜI CAO TUỔI"])
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn/bản"])
    names = ["Hoàng Thị Nhung", "Nông Văn Thắng", "Lương Thị Nguyệt", "Hà Quang Thuỷ"]
    for i, name in enumerate(names, 1):
        ws.append([i, name, "01/02/1950", "Nữ", "", "Bản Nà Pàn"])
    for i, name in enumerate(names, len(names) + 1):
        ws.append([i, unicode_to_tcvn3(name), "01/02/1950", "Nữ", "", unicode_to_tcvn3("Bản Nà Pàn")])
    wb.save(tmp_path / "x.xlsx")
    rows, _ = records_from_files([tmp_path / "x.xlsx"])
    k = len(names)
    assert [fold(r["full_name"]) for r in rows[k:]] == [fold(r["full_name"]) for r in rows[:k]]
    assert {fold(r["village"]) for r in rows} == {"BAN NA PAN"}


def test_no_level_is_left_on_splinks_untrained_prior(cases):
    """A level no EM session observed gets m = 1 / (N + 2) from the pairs that trained its
    comparison, not Splink's default prior (0.95 for "middle name on one row only": +10 bits)."""
    n, res, pairs = cases
    for c in res.params["comparisons"]:
        levels = [lv for lv in c["comparison_levels"] if not lv.get("is_null_level")]
        if not any(lv.get("m_probability") is not None for lv in levels):
            continue  # left out (account/phone without pairs): m = u
        assert all(lv.get("m_probability") is not None for lv in levels), c["output_column_name"]
        assert abs(sum(lv["m_probability"] for lv in levels) - 1) < 1e-6, c["output_column_name"]
    middle = next(c for c in res.params["comparisons"] if c["output_column_name"] == "middle")
    dropped = next(lv for lv in middle["comparison_levels"] if "one row only" in (lv.get("label_for_charts") or ""))
    # the fixture's duplicates never drop a middle name: evidence against, not +10 bits
    assert dropped["m_probability"] < 0.05


def test_blocking_rules_keep_their_join_keys_on_both_engines():
    """Splink's parser rewrites a rule with a nested AND/OR into a filter without join keys (a full
    cross join at 1,000,000 records); every rule must keep its equi-join keys on DuckDB and Spark."""
    from splink.internals.blocking import BlockingRule

    from ansinh.matching import comparisons

    for dialect in ("duckdb", "spark"):
        for rule in comparisons.blocking_rules():
            br = rule.get_blocking_rule(dialect) if not isinstance(rule, str) else BlockingRule(rule, dialect)
            assert br._equi_join_conditions, (dialect, br.blocking_rule_sql)


@pytest.mark.parametrize("a,b,want", [("THI", "THI NGOC", True), ("VAN MINH", "MINH", True),
                                      ("THI", "THIJ", False), ("THI", "THI", False), ("VAN", "THI", False),
                                      ("THI NGOC", "NGOC THI", False)])
def test_middle_word_dropped(a, b, want):
    from ansinh.matching.comparisons import middle_word_dropped

    got = duckdb.connect().execute(f"SELECT {middle_word_dropped('a', 'b')} FROM (SELECT ? AS a, ? AS b)",
                                   [a, b]).fetchone()[0]
    assert bool(got) is want


def test_cmnd_beside_cccd_is_trained_but_never_a_veto():
    """Where a registry holds both kinds and its duplicates keep their number, a CMND beside a
    CCCD is trained as evidence against (namesakes), floored at 1 / (N + 2): not a veto."""
    rows = _population(1500, 7)
    rng = random.Random(3)
    for r in rows:
        if r["id_number"] and rng.random() < 0.4:
            r["id_number"] = f"08{rng.randrange(10 ** 7):07d}"  # a CMND
    n = len(rows)
    for r in rows[1500:]:  # the duplicates keep the original's number
        orig = rows[next(i for i, o in enumerate(rows[:1500]) if o["full_name"] == r["full_name"]
                         and o["dob"] == r["dob"])]
        if r["id_number"]:
            r["id_number"] = orig["id_number"]
    res = engine.dedupe(rows)
    idc = next(c for c in res.params["comparisons"] if c["output_column_name"] == "id_number")
    lv = next(lv for lv in idc["comparison_levels"] if lv.get("label_for_charts") == "a CMND beside a CCCD")
    assert lv["u_probability"] > 0.1
    assert lv["m_probability"] < lv["u_probability"] / 8   # evidence against: below -3 bits
    # floored at 1 / (N + 2), N = the ~150 pairs sharing an ID that trained it: ~7e-3, not 1e-6
    assert lv["m_probability"] >= 1 / (n - 1500 + 2) - 1e-12
    assert abs(sum(x["m_probability"] for x in idc["comparison_levels"] if not x.get("is_null_level")) - 1) < 1e-6
