"""CLI: `ansinh registry import` JSON shape and exit codes, `registry export persons`, `registry quality list`."""
from __future__ import annotations

import csv
import json

import openpyxl
import pytest

from ansinh.cli import main
from ansinh.registry.models import ImportBatch, Person

from .conftest import PROVINCE, person_row, registry_counts, write_list

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc, err, *parts):
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ansinh: "), err
    for p in parts:
        assert p in lines[0], (p, lines[0])


@pytest.fixture
def lists(tmp_path):
    d = tmp_path / "lists"
    d.mkdir()
    write_list(d / "a.xlsx", [person_row(), person_row(name="", id_number="020040005555")])
    write_list(d / "b.xlsx", [person_row(name="Lý Thị Ba", dob="02/02/1938", gender="Nữ", id_number="020138000111",
                                         phone="01682345678")], commune="PHƯỜNG KỲ LỪA")
    (d / "readme.txt").write_text("not a list")
    return d


def test_import_directory_json(capsys, lists):
    rc, out, err = run(capsys, "registry", "import", lists, "--province", PROVINCE, "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert set(data) == {"files", "totals"}
    assert [f["file"].rsplit("/", 1)[-1] for f in data["files"]] == ["a.xlsx", "b.xlsx"]  # .txt ignored
    a, b = data["files"]
    assert set(a) == {"file", "rows", "imported", "updated", "rejected", "issues", "batch", "already_imported"}
    assert (a["rows"], a["imported"], a["updated"], a["rejected"]) == (2, 1, 0, 1)
    assert b["issues"]["PHONE"] == 1 and b["already_imported"] is False
    t = data["totals"]
    assert (t["files"], t["rows"], t["imported"], t["updated"], t["rejected"], t["failed"]) == (2, 3, 2, 0, 1, 0)
    assert t["rows"] == t["imported"] + t["updated"] + t["rejected"]
    assert t["issues"]["ACCOUNT_MISSING"] == 2
    # again: nothing changes, every file says already imported
    before = registry_counts()
    rc, out, _ = run(capsys, "registry", "import", lists, "--province", PROVINCE, "--json")
    again = json.loads(out)
    assert rc == 0 and all(f["already_imported"] for f in again["files"])
    assert again["totals"]["already_imported"] == 2 and again["totals"]["rows"] == 0
    assert registry_counts() == before


def test_bad_file_is_named_and_the_others_still_import(capsys, lists, tmp_path):
    bad = lists / "c.csv"
    bad.write_text("ghi chu;khac\n1;2\n", encoding="utf-8")
    rc, out, err = run(capsys, "registry", "import", lists, tmp_path / "missing.xlsx", "--province", PROVINCE, "--json")
    assert_one_line_error(rc, err, "2 of 4 file(s) could not be imported")
    data = json.loads(out)
    errors = {f["file"].rsplit("/", 1)[-1]: f["error"] for f in data["files"] if "error" in f}
    assert set(errors) == {"c.csv", "missing.xlsx"} and "c.csv" in errors["c.csv"]
    assert data["totals"]["failed"] == 2 and data["totals"]["imported"] == 2
    assert Person.objects.count() == 2 and ImportBatch.objects.count() == 2


def test_import_argument_errors(capsys, lists, tmp_path):
    rc, _, err = run(capsys, "registry", "import", lists, "--paid-through", "2024-13")
    assert_one_line_error(rc, err, "--paid-through")
    empty = tmp_path / "empty"
    empty.mkdir()
    rc, _, err = run(capsys, "registry", "import", empty)
    assert_one_line_error(rc, err, "no list files")
    assert Person.objects.count() == 0


def test_paid_through_option(capsys, lists):
    rc, out, _ = run(capsys, "registry", "import", lists / "a.xlsx", "--paid-through", "2023-12", "--province", PROVINCE, "--json")
    assert rc == 0
    assert Person.objects.get().paid_through == "2023-12"


def test_export_persons_csv_and_xlsx(capsys, lists, tmp_path):
    run(capsys, "registry", "import", lists, "--province", PROVINCE, "--json")
    out_csv = tmp_path / "p.csv"
    rc, out, err = run(capsys, "registry", "export", "persons", "--out", out_csv, "--json")
    assert rc == 0, err and json.loads(out) == {"out": str(out_csv), "rows": 2}
    with open(out_csv, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "full_name", "dob", "gender", "id_number", "commune_code", "category",
                             "status", "open_issues"]
    an = next(r for r in rows if r["full_name"] == "Nguyễn Văn An")
    assert (an["dob"], an["gender"], an["id_number"], an["commune_code"], an["category"], an["status"]) == (
        "1940-03-05", "M", "020040001234", "05977", "5.5c", "alive")
    assert an["open_issues"] == "ACCOUNT_MISSING"
    out_x = tmp_path / "p.xlsx"
    rc, out, _ = run(capsys, "registry", "export", "persons", "--out", out_x, "--commune", "06187", "--json")
    assert rc == 0 and json.loads(out)["rows"] == 1
    ws = openpyxl.load_workbook(out_x).active
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["Lý Thị Ba"]
    rc, _, err = run(capsys, "registry", "export", "persons", "--out", tmp_path / "p.txt")
    assert_one_line_error(rc, err, ".csv or .xlsx")
    rc, _, err = run(capsys, "registry", "export", "persons", "--out", out_csv, "--commune", "99999")
    assert_one_line_error(rc, err, "99999")


def test_quality_list(capsys, lists):
    run(capsys, "registry", "import", lists, "--province", PROVINCE, "--json")
    rc, out, _ = run(capsys, "registry", "quality", "list", "--json")
    data = json.loads(out)
    assert rc == 0 and set(data) == {"count", "by_rule", "issues"}
    assert data["by_rule"]["ACCOUNT_MISSING"] == 2 and data["count"] == sum(data["by_rule"].values())
    assert set(data["issues"][0]) == {"id", "person_id", "person", "commune", "rule", "severity", "field",
                                      "message", "status"}
    # an old phone prefix converted is a note on the person, not an open issue
    rc, out, _ = run(capsys, "registry", "quality", "list", "--rule", "PHONE", "--commune", "06187", "--json")
    assert json.loads(out)["count"] == 0
    rc, out, _ = run(capsys, "registry", "quality", "list", "--rule", "PHONE", "--commune", "06187", "--status",
                     "note", "--json")
    data = json.loads(out)
    assert data["count"] == 1 and data["issues"][0]["person"] == "Lý Thị Ba"
    rc, out, _ = run(capsys, "registry", "quality", "list", "--rule", "PHONE", "--commune", "05977", "--status",
                     "note", "--json")
    assert json.loads(out)["count"] == 0
    rc, _, err = run(capsys, "registry", "quality", "list", "--rule", "NOPE")
    assert_one_line_error(rc, err, "unknown rule")
    rc, out, _ = run(capsys, "registry", "quality", "list")
    assert rc == 0 and "vấn đề" in out


def test_import_progress_moves_by_rows(capsys, tmp_path, monkeypatch):
    """The bar follows each file's import Progress by rows (decision 0004), not once per file: at
    the end one bar reads 2/2 files and the other 4/4 rows (a.xlsx has 3 rows, b.xlsx 1)."""
    import re

    d = tmp_path / "rows"
    d.mkdir()
    write_list(d / "a.xlsx", [person_row(), person_row(name="Lý Thị Ba", id_number="020138000111"),
                              person_row(name="Hoàng Văn Cư", id_number="020040007777")])
    write_list(d / "b.xlsx", [person_row(name="Nông Thị Dự", id_number="020138000222")], commune="PHƯỜNG KỲ LỪA")
    monkeypatch.setenv("ANSINH_PROGRESS", "1")  # the bars on stderr, as on a terminal
    rc, out, err = run(capsys, "registry", "import", d, "--province", PROVINCE)
    assert rc == 0, err
    ends = re.findall(r"(\d+)/(\d+) \d+:\d\d:\d\d", err)
    assert ends == [("2", "2"), ("4", "4")], err
