from __future__ import annotations

import json

from ansinh.cli import main


def test_cli_generate_approve_export_reconcile(make_person, users, tmp_path, capsys, settings):
    settings.ANSINH_DEMO = True
    e = [("tcxh", "5.6-severe", "2024-07")]
    make_person(enrolments=e, account=("970405", "123456789"))
    make_person(enrolments=e)
    assert main(["payroll", "generate", "--period", "2024-07", "--commune", "05977", "--as", "maker1",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"] == "2024-07" and out["lines"] == 2 and out["total_vnd"] == 2 * 750_000
    assert out["by_channel"]["bank"]["lines"] == 1 and out["by_channel"]["cash"]["lines"] == 1
    assert out["by_category"]["5.6-severe"]["total_vnd"] == 1_500_000
    run = out["run"]
    assert main(["payroll", "approve", str(run), "--as", "maker1"]) == 2
    assert "does not have the role" in capsys.readouterr().err
    assert main(["payroll", "approve", str(run), "--as", "checker1"]) == 0
    capsys.readouterr()
    assert main(["payroll", "export", str(run), "--out", str(tmp_path / "f"), "--no-pdf", "--json", "--as", "checker1"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert any(f.endswith("Agribank.csv") for f in files) and any(f.endswith("VNPost.xlsx") for f in files)
    assert main(["demo", "result", str(run), "--out", str(tmp_path / "r.csv")]) == 0
    capsys.readouterr()
    assert main(["payroll", "reconcile", str(run), str(tmp_path / "r.csv"), "--json", "--as", "checker1"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["balanced"] and rep["paid"]["total_vnd"] + rep["unpaid"]["total_vnd"] == 1_500_000


def test_cli_bad_period(capsys, users):
    assert main(["payroll", "generate", "--period", "07/2024", "--json", "--as", "maker1"]) == 2
    assert "YYYY-MM" in capsys.readouterr().err


def test_cli_demo_result_into_a_missing_folder_is_one_line(make_person, users, tmp_path, capsys, settings):
    """Bad input, not a traceback: the folder of --out must exist (as for `registry export persons`)."""
    settings.ANSINH_DEMO = True
    make_person(enrolments=[("tcxh", "5.6-severe", "2024-07")])
    assert main(["payroll", "generate", "--period", "2024-07", "--commune", "05977", "--as", "maker1",
                 "--json"]) == 0
    run = json.loads(capsys.readouterr().out)["run"]
    assert main(["demo", "result", str(run), "--out", str(tmp_path / "nowhere" / "r.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0], err
