import csv
import json

import pytest
from django.db import connection

from ansinh.cli import main

pytestmark = pytest.mark.django_db

ON = ["--on", "2025-08-01"]


def run(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(rc, err, *parts):
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ansinh: "), err
    for p in parts:
        assert p in lines[0], (p, lines[0])


def test_resolve_json(capsys):
    rc, out, _ = run(capsys, "units", "resolve", "P. Vĩnh Trại, TP. Lạng Sơn", *ON, "--json")
    assert rc == 0
    data = json.loads(out)
    assert set(data) == {"input", "status", "old", "new", "candidates"}
    assert data["status"] == "converted"
    assert data["old"] == {"code": "05977", "name": "Phường Vĩnh Trại", "district": "Thành phố Lạng Sơn",
                           "province": "Tỉnh Lạng Sơn"}
    assert data["new"] == {"code": "05977", "name": "Phường Đông Kinh", "province": "Tỉnh Lạng Sơn"}


def test_resolve_json_ambiguous_and_not_found(capsys):
    rc, out, _ = run(capsys, "units", "resolve", "X. Hồng Phong, H. Bình Gia, Lạng Sơn", *ON, "--json")
    data = json.loads(out)
    assert rc == 0 and data["status"] == "ambiguous"
    assert [c["code"] for c in data["candidates"]] == ["06079", "06184"]
    rc, out, _ = run(capsys, "units", "resolve", "Xã Không Có Thật", *ON, "--json")
    data = json.loads(out)
    assert rc == 0 and data["status"] == "not_found" and data["reason"]


def test_resolve_human(capsys):
    rc, out, _ = run(capsys, "units", "resolve", "TT. Cao Lộc", *ON)
    assert rc == 0
    assert "converted" in out and "06187 Thị trấn Cao Lộc" in out and "06187 Phường Kỳ Lừa" in out


def test_resolve_old_date(capsys):
    rc, out, _ = run(capsys, "units", "resolve", "Phường Vĩnh Trại, Lạng Sơn", "--on", "2025-06-30", "--json")
    data = json.loads(out)
    assert (data["status"], data["old"]["code"], data["new"]) == ("exact", "05977", None)


@pytest.mark.parametrize("bad", ["2025-13-01", "01/08/2025", "yesterday"])
def test_bad_date(capsys, bad):
    rc, _, err = run(capsys, "units", "resolve", "TT. Cao Lộc", "--on", bad)
    assert_one_line_error(rc, err, "--on", bad)


def test_csv_mode(capsys, tmp_path):
    src = tmp_path / "ds.csv"
    rows = [
        ["stt", "ho_ten", "dia_chi"],
        ["1", "Nguyễn Văn A", "Thôn Nà Pàn, Xã Hồng Phong, Huyện Bình Gia, Lạng Sơn"],
        ["2", "Hoàng Thị B", "P. Vĩnh Trại, TP. Lạng Sơn"],
        ["3", "Lý Văn C", "Phường Kỳ Lừa, Lạng Sơn"],
        ["4", "Vi Thị D", "không rõ"],
        ["5", "Lộc Văn E", "thon ban lan, xa hoang dong, tp lang son"],
    ]
    with open(src, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    out = tmp_path / "out.csv"
    rc, stdout, err = run(capsys, "units", "resolve", "--file", str(src), "--column", "dia_chi", "--out", str(out),
                          *ON)
    assert rc == 0, err
    assert stdout.count("\n") == 1
    assert "5 dòng" in stdout and "exact 1" in stdout and "converted 2" in stdout
    assert "ambiguous 1" in stdout and "not_found 1" in stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    with open(out, encoding="utf-8-sig", newline="") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0]) == ["stt", "ho_ten", "dia_chi", "status", "old_code", "old_name", "new_code", "new_name",
                            "candidates"]
    assert [g["stt"] for g in got] == ["1", "2", "3", "4", "5"]
    assert got[0]["ho_ten"] == "Nguyễn Văn A" and got[0]["dia_chi"] == rows[1][2]
    assert got[0]["status"] == "ambiguous" and got[0]["old_code"] == "06079"
    assert got[0]["candidates"] == "06079 Xã Hồng Phong; 06184 Xã Đồng Đăng"
    assert (got[1]["status"], got[1]["old_code"], got[1]["new_code"], got[1]["new_name"]) == (
        "converted", "05977", "05977", "Phường Đông Kinh")
    assert (got[2]["status"], got[2]["old_code"], got[2]["new_code"]) == ("exact", "", "06187")
    assert got[3]["status"] == "not_found" and got[3]["candidates"]  # the reason
    assert got[4]["status"] == "converted" and got[4]["new_name"] == "Phường Tam Thanh"


def test_csv_semicolon_and_json_summary(capsys, tmp_path):
    src = tmp_path / "ds.csv"
    src.write_text("ma;dia chi\n1;Xã Hồng Phong, Huyện Bình Gia, Lạng Sơn\n", encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    rc, stdout, _ = run(capsys, "units", "resolve", "--file", str(src), "--column", "dia chi", "--out", str(out),
                        "--on", "2025-06-01", "--json")
    assert rc == 0
    assert json.loads(stdout)["statuses"]["exact"] == 1
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "ma;dia chi;status;old_code;old_name;new_code;new_name;candidates"


def test_csv_missing_file(capsys, tmp_path):
    missing = tmp_path / "khong_co.csv"
    rc, _, err = run(capsys, "units", "resolve", "--file", str(missing), "--column", "dia_chi", "--out",
                     str(tmp_path / "o.csv"))
    assert_one_line_error(rc, err, "khong_co.csv")


def test_csv_missing_column(capsys, tmp_path):
    src = tmp_path / "ds.csv"
    src.write_text("stt,dia_chi\n1,TT. Cao Lộc\n", encoding="utf-8")
    rc, _, err = run(capsys, "units", "resolve", "--file", str(src), "--column", "địa chỉ", "--out",
                     str(tmp_path / "o.csv"))
    assert_one_line_error(rc, err, "địa chỉ", "ds.csv")
    assert not (tmp_path / "o.csv").exists()


def test_csv_not_utf8(capsys, tmp_path):
    src = tmp_path / "ds.csv"
    src.write_bytes("dia_chi\nXã Hồng Phong\n".encode("utf-16"))
    rc, _, err = run(capsys, "units", "resolve", "--file", str(src), "--column", "dia_chi", "--out",
                     str(tmp_path / "o.csv"))
    assert_one_line_error(rc, err, "ds.csv")


def test_show_reused_code(capsys):
    rc, out, _ = run(capsys, "units", "show", "05977", "--json")
    assert rc == 0
    data = json.loads(out)
    assert [(d["name"], d["valid_from"], d["valid_to"]) for d in data] == [
        ("Phường Vĩnh Trại", None, "2025-06-30"), ("Phường Đông Kinh", "2025-07-01", None)]
    assert [(s["code"], s["name"], s["kind"]) for s in data[0]["successors"]] == [
        ("05977", "Phường Đông Kinh", "whole")]
    assert "Phường Vĩnh Trại" in {p["name"] for p in data[1]["predecessors"]}
    rc, out, _ = run(capsys, "units", "show", "05977", "--on", "2025-06-30", "--json")
    assert [d["name"] for d in json.loads(out)] == ["Phường Vĩnh Trại"]
    rc, out, _ = run(capsys, "units", "show", "05977")
    assert rc == 0 and "Phường Vĩnh Trại" in out and "→ 05977 Phường Đông Kinh" in out


def test_show_unknown_and_bad_date(capsys):
    rc, _, err = run(capsys, "units", "show", "99999")
    assert_one_line_error(rc, err, "99999")
    rc, _, err = run(capsys, "units", "show", "05977", "--on", "30/06/2025")
    assert_one_line_error(rc, err, "--on")


def test_load_again_changes_nothing(capsys):
    rc, out, _ = run(capsys, "units", "load", "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["changed"] is False and data["communes_old"] == 10035
    rc, out, _ = run(capsys, "units", "load")
    assert rc == 0 and "không thay đổi" in out


def test_units_not_loaded(capsys):
    with connection.cursor() as cur:
        cur.execute("DELETE FROM units_unitsuccession")
        cur.execute("DELETE FROM units_adminunit")
    rc, _, err = run(capsys, "units", "resolve", "TT. Cao Lộc")
    assert_one_line_error(rc, err, "administrative units are not loaded: run `ansinh init`")
    rc, _, err = run(capsys, "units", "show", "05977")
    assert_one_line_error(rc, err, "not loaded")


def test_csv_legacy_font_column(capsys, tmp_path):
    from ansinh.text.legacy import unicode_to_tcvn3

    addresses = ["Thôn Nà Pàn, Xã Hồng Phong, Huyện Bình Gia, Tỉnh Lạng Sơn", "Phường Vĩnh Trại, Thành phố Lạng Sơn",
                 "Thị trấn Cao Lộc, Huyện Cao Lộc", "Xã Tân Liên, Huyện Cao Lộc, Lạng Sơn"]
    src = tmp_path / "tcvn3.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["dia_chi"])
        for a in addresses:
            w.writerow([unicode_to_tcvn3(a)])
        w.writerow([])
    out = tmp_path / "out.csv"
    rc, stdout, _ = run(capsys, "units", "resolve", "--file", str(src), "--column", "dia_chi", "--out", str(out),
                        *ON)
    assert rc == 0 and "TCVN3" in stdout
    with open(out, encoding="utf-8-sig", newline="") as fh:
        got = list(csv.reader(fh))
    assert [g[1] for g in got[1:5]] == ["ambiguous", "converted", "converted", "converted"]
    assert got[1][0] == unicode_to_tcvn3(addresses[0])  # the input cell is kept as it was
    assert got[5] == []
