"""Demo data: generate a small province and read every file back against the ground truth."""
from __future__ import annotations

import csv
import shutil
import subprocess
from collections import Counter, defaultdict
from datetime import date

import pytest

from ansinh.registry.categories import map_category
from ansinh.registry.demo_lists import generate
from ansinh.registry.reader import read_list
from ansinh.text import normalize_name


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    summary = generate(province_code="20", people=2000, seed=1, out_dir=out)
    with open(out / "ground_truth.csv", encoding="utf-8") as fh:
        truth = list(csv.DictReader(fh))
    return out, summary, truth


def _expected_dob(t):
    w = t["written_dob"]
    if "dob_invalid" in t["faults"]:
        return "invalid"
    if len(w) == 4:
        return (date(int(w), 1, 1), "year")
    return (date.fromisoformat(w), "day")


def test_summary_and_files(demo):
    out, summary, truth = demo
    assert summary["files"] == 194                       # pre-2025 communes of Lạng Sơn
    assert summary["people"] == 2000
    assert summary["rows"] == len(truth)
    files = sorted(p.name for p in out.iterdir() if p.name != "ground_truth.csv")
    assert len(files) == 194
    assert set(summary["layouts"]) == {"merged", "simple", "sections", "csv", "tcvn3", "vni"}
    assert {t["file"] for t in truth} <= set(files)
    # every fault kind is present
    faults = Counter(f for t in truth for f in t["faults"].split(";") if f)
    for kind in ("duplicate_in_commune", "duplicate_other_commune", "id_missing", "id_transposed",
                 "id_bad_gender_digit", "id_bad_year", "dob_invalid", "deceased", "category_unmappable"):
        assert faults[kind] > 0, kind
    # duplicates share the person key
    keys = Counter(t["person_key"] for t in truth)
    assert sum(1 for k, n in keys.items() if n > 1) >= 60


def test_people_are_consistent(demo):
    _, _, truth = demo
    ref = date(2024, 1, 1)
    for t in truth:
        dob = date.fromisoformat(t["true_dob"])
        age = ref.year - dob.year - ((ref.month, ref.day) < (dob.month, dob.day))
        code = t["category_code"]
        if code == "5.5c":
            assert age >= 80
        elif code == "5.5b":
            assert 75 <= age < 80
        elif code in ("5.1", "5.3"):
            assert age < 16
        elif code == "5.7":
            assert age < 3
        idn = t["true_id_number"]
        assert idn.isdigit() and len(idn) in (9, 12)
        if len(idn) == 12:
            g = int(idn[3])
            assert g % 2 == (1 if t["true_gender"] == "F" else 0)
            assert 1900 + 100 * (g // 2) + int(idn[4:6]) == dob.year
        if "category_unmappable" in t["faults"]:
            assert map_category(t["category_label"]) is None
        else:
            assert map_category(t["category_label"]) == code


def test_every_generated_file_reads_back(demo):
    out, _, truth = demo
    by_file = defaultdict(dict)
    for t in truth:
        by_file[t["file"]][int(t["row"])] = t
    n_rows = 0
    for path in sorted(out.iterdir()):
        if path.name == "ground_truth.csv":
            continue
        pl = read_list(path)
        expect = by_file[path.name]
        assert {r.row for r in pl.rows} == set(expect), path.name
        n_rows += len(pl.rows)
        if path.suffix == ".xlsx" and expect and next(iter(expect.values()))["layout"] in ("tcvn3", "vni"):
            assert pl.legacy_encoding == next(iter(expect.values()))["layout"]
        after = set(range(pl.header_rows[-1] + 1, pl.last_row + 1))
        assert {r.row for r in pl.rows} | {s.row for s in pl.skipped} == after
        for r in pl.rows:
            t = expect[r.row]
            v = r.values
            assert v["full_name"] == normalize_name(t["written_full_name"]), (path.name, r.row)
            exp = _expected_dob(t)
            if exp == "invalid":
                assert v["dob"] is None and any(e.field == "dob" for e in r.errors)
            else:
                assert v["dob"] == exp, (path.name, r.row, r.raw)
            assert (v.get("id_number") or "") == t["written_id_number"], (path.name, r.row)
            assert v["gender"] == t["true_gender"]
            assert v["category"] == t["category_label"]
            assert not [e for e in r.errors if e.field != "dob"], (path.name, r.row, r.errors)
    assert n_rows == len(truth)


def test_deterministic(tmp_path):
    a = generate(province_code="20", people=300, seed=7, out_dir=tmp_path / "a", workers=1)
    b = generate(province_code="20", people=300, seed=7, out_dir=tmp_path / "b")
    assert a["rows"] == b["rows"]
    assert (tmp_path / "a" / "ground_truth.csv").read_bytes() == (tmp_path / "b" / "ground_truth.csv").read_bytes()
    c = generate(province_code="20", people=300, seed=8, out_dir=tmp_path / "c", workers=1)
    assert (tmp_path / "c" / "ground_truth.csv").read_bytes() != (tmp_path / "a" / "ground_truth.csv").read_bytes()


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("layout", ["merged", "tcvn3"])
def test_libreoffice_xls_and_ods(demo, tmp_path, layout):
    out, _, truth = demo
    name = next(t["file"] for t in truth if t["layout"] == layout and t["file"].endswith(".xlsx"))
    src = out / name
    ref = read_list(src)
    for fmt in ("xls", "ods"):
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                        "--convert-to", fmt, "--outdir", str(tmp_path), str(src)],
                       check=True, capture_output=True, timeout=180)
        conv = tmp_path / (src.stem + "." + fmt)
        pl = read_list(conv)
        assert pl.header_rows == ref.header_rows, fmt
        assert pl.columns == ref.columns, fmt
        assert pl.period == ref.period and pl.commune_hint == ref.commune_hint
        assert pl.legacy_encoding == ref.legacy_encoding
        assert [r.row for r in pl.rows] == [r.row for r in ref.rows], fmt
        for a, b in zip(pl.rows, ref.rows):
            assert a.values == b.values, (fmt, a.row)
        assert [(s.row, s.reason) for s in pl.skipped] == [(s.row, s.reason) for s in ref.skipped], fmt

