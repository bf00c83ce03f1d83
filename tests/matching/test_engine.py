"""The matching engine on real files (openpyxl) and in-memory rows; no database."""
import csv
import json
import datetime as dt
import random

import duckdb
import openpyxl
import pytest

from ansinh.matching import engine
from ansinh.matching.evaluation import evaluate
from ansinh.matching.listfiles import records_from_files
from ansinh.matching.prepare import prepare_sql, to_arrow
from ansinh.text import fold

FAMILY = ["Nguyễn", "Trần", "Lê", "Hoàng", "Vi", "Lộc", "Hà", "Nông", "Lương", "Đinh", "Triệu", "Mã"]
MIDDLE = ["Văn", "Thị", "Đức", "Thị Ngọc", "Minh", ""]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hoa", "Hoan", "Lan", "Mai", "Nam", "Sơn", "Tâm", "Yến", "Hùng", "Thủy",
         "Phương", "Quân", "Khánh", "Linh", "Trang", "Đào", "Hiền", "Hương", "Tuấn", "Vinh", "Xuân", "Oanh"]


def _people(n, seed=7):
    rng = random.Random(seed)
    out = []
    for i in range(n):
        g = rng.choice("MF")
        dob = dt.date(rng.randint(1930, 2015), rng.randint(1, 12), rng.randint(1, 28))
        name = " ".join(x for x in [rng.choice(FAMILY), rng.choice(MIDDLE), rng.choice(GIVEN)] if x)
        idn = f"020{(0 if g == 'M' else 1) + (2 if dob.year >= 2000 else 0)}{dob.year % 100:02d}{rng.randint(0, 999999):06d}"
        out.append({"key": i, "full_name": name, "dob": dob, "gender": g, "id_number": idn,
                    "village": f"Thôn {rng.randint(1, 9)}"})
    return out


def _variant(p, rng):
    v = dict(p)
    k = rng.randrange(4)
    if k == 0:  # transposed ID digits
        s = list(v["id_number"])
        s[7], s[8] = s[8], s[7]
        v["id_number"] = "".join(s)
    elif k == 1:  # no diacritics, upper case
        v["full_name"] = fold(v["full_name"])
    elif k == 2:  # missing ID, day/month swap
        v["id_number"] = None
        if v["dob"].day <= 12:
            v["dob"] = dt.date(v["dob"].year, v["dob"].day, v["dob"].month)
    else:  # year only
        v["dob_year_only"] = True
    return v


@pytest.fixture(scope="module")
def two_files(tmp_path_factory):
    rng = random.Random(3)
    people = _people(700)
    a, b = people[:400], people[400:]
    dups_b = [_variant(p, rng) for p in rng.sample(a, 40)]   # listed again in the other commune
    dups_a = [_variant(p, rng) for p in rng.sample(a, 20)]   # twice in one commune
    d = tmp_path_factory.mktemp("lists")
    truth = {}
    for fname, commune, rows in (("xa_a.xlsx", "Xã Hồng Phong", a + dups_a), ("xa_b.xlsx", "Phường Đông Kinh", b + dups_b)):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append([f"DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI {commune.upper()}"])
        ws.append([])
        ws.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn"])
        for i, p in enumerate(rows, 1):
            dob = str(p["dob"].year) if p.get("dob_year_only") else p["dob"].strftime("%d/%m/%Y")
            ws.append([i, p["full_name"], dob, "Nam" if p["gender"] == "M" else "Nữ", p["id_number"] or "",
                       p["village"]])
            truth[(fname, ws.max_row)] = p["key"]
        wb.save(d / fname)
    return d, truth


def test_fold_sql_splits_names_like_python():
    con = duckdb.connect()
    t = to_arrow([{"unique_id": 1, "full_name": "Nguyễn  Thị Ngọc Hoà"}, {"unique_id": 2, "full_name": "Lê Đức"},
                         {"unique_id": 3, "given": "Mitchell", "family": "Green"}])
    con.register("raw", t)
    rows = con.execute(f"SELECT unique_id, family, middle, given FROM ({prepare_sql('raw')}) ORDER BY 1").fetchall()
    assert rows == [(1, "NGUYEN", "THI NGOC", "HOA"), (2, "LE", None, "DUC"), (3, "GREEN", None, "MITCHELL")]
    assert fold("Nguyễn Thị Ngọc Hoà").split()[-1] == "HOA"


def test_evaluate_pairwise_and_b3():
    truth = {1: "a", 2: "a", 3: "b", 4: "c"}
    assert evaluate({1: 1, 2: 1, 3: 3, 4: 4}, truth)["f1"] == 1.0
    m = evaluate({1: 1, 2: 1, 3: 1, 4: 4}, truth)
    assert m["precision"] == pytest.approx(1 / 3, abs=1e-4) and m["recall"] == 1.0
    assert m["b3_recall"] == 1.0 and m["b3_precision"] < 1.0


def test_block_cap_refuses_skewed_blocks(two_files):
    d, _ = two_files
    rows, _ = records_from_files(sorted(d.iterdir()))
    with pytest.raises(engine.BlockTooLarge, match="exceed the cap"):
        engine.dedupe(rows, max_block_rows=3)


def test_dedupe_files_finds_duplicates(two_files, tmp_path, capfd):
    from ansinh.cli import main

    d, truth = two_files
    out = tmp_path / "clusters.csv"
    assert main(["dedupe", str(d / "xa_a.xlsx"), str(d / "xa_b.xlsx"), "--out", str(out), "--json"]) in (0, None)
    printed = capfd.readouterr()
    json.loads(printed.out)  # --json: standard output is one JSON document
    assert "Estimating u" not in printed.err and "Completed iteration" not in printed.err  # no Splink chatter
    got = list(csv.DictReader(open(out, encoding="utf-8")))
    assert len(got) == len(truth) == 760
    assert set(got[0]) == {"source", "row", "cluster", "match_probability"}
    pred = {(r["source"], int(r["row"])): r["cluster"] for r in got}
    m = evaluate(pred, truth)
    assert m["precision"] >= 0.95 and m["recall"] >= 0.9, m
    sizes = {}
    for r in got:
        sizes[r["cluster"]] = sizes.get(r["cluster"], 0) + 1
    for r in got:  # probability only for members of a multi-row cluster
        assert (r["match_probability"] == "") == (sizes[r["cluster"]] == 1)
        if r["match_probability"]:
            assert 0.9 <= float(r["match_probability"]) <= 1.0


def test_dedupe_unknown_engine_is_a_one_line_error(two_files, tmp_path, capsys):
    from ansinh.cli import main

    d, _ = two_files
    rc = main(["matching", "dedupe", str(d / "xa_a.xlsx"), "--out", str(tmp_path / "c.csv"), "--engine", "hadoop"])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert "--engine hadoop" in err and "duckdb, spark" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "c.csv").exists()
