"""The old top-level verbs (`ansinh import`, `ansinh dedupe`, …) are aliases for one release: each
prints one deprecation line on stderr and does exactly the new command. Every alias in
ansinh.cli.ALIASES is run beside its new command on the same input and database state (each run
rolled back), and their exit codes, output, files written and the rest of stderr are compared."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from django.db import transaction

from ansinh.cli import ALIASES, main

from .conftest import PROVINCE, person_row, write_list

pytestmark = pytest.mark.django_db

PASSWORD = "Mk-thu-nghiem-2024"
VOLATILE = {"seconds", "batch", "timings"}  # wall-clock times; import batch ids come from a sequence


@pytest.fixture
def world(demo_lists, tmp_path, capsys, settings):
    """Six generated commune lists imported, a province officer, a draft payroll run, a new list
    not yet imported, a population extract of the imported persons."""
    from ansinh.core.services import upsert_user
    from ansinh.registry.models import Person

    settings.ANSINH_DEMO = True
    lists = tmp_path / "lists"
    lists.mkdir()
    for f in sorted(p for p in demo_lists.iterdir() if p.suffix == ".xlsx")[:6]:
        shutil.copy(f, lists / f.name)
    assert main(["registry", "import", str(lists), "--province", PROVINCE, "--json"]) == 0
    upsert_user("lap_tinh", PASSWORD, roles=["province_officer"], unit_codes=[PROVINCE])
    assert main(["payroll", "generate", "--period", "2024-07", "--province", PROVINCE, "--as", "lap_tinh",
                 "--json"]) == 0
    run_id = json.loads(capsys.readouterr().out.splitlines()[-1])["run"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    write_list(fresh / "moi.xlsx", [person_row(), person_row(name="Lý Thị Ba", id_number="020138000111")])
    from ansinh.core.demo import create_demo_orgs
    from ansinh.outreach.services import create_directive

    create_directive(create_demo_orgs()["so_tttt"], symbol="STTTT-TTBCXB", subject="tuyên truyền chi trả không dùng tiền mặt")
    population = tmp_path / "dan_cu.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["STT", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi thường trú",
               "Tình trạng", "Ngày mất"])
    for i, p in enumerate(Person.objects.exclude(id_number=None).exclude(dob=None).order_by("pk")[:40], 1):
        ws.append([i, p.id_number, p.full_name, p.dob.strftime("%d/%m/%Y"), "Nam" if p.gender == "M" else "Nữ",
                   "Lạng Sơn", "Đã mất" if i == 1 else "Còn sống", "15/03/2025" if i == 1 else ""])
    wb.save(population)
    return {"lists": lists, "demo_lists": demo_lists, "fresh": fresh, "population": population, "run": run_id, "out": tmp_path / "out"}


# old command (as in ALIASES) → the arguments after it, on the world above; {x} are the world's paths.
CASES = {
    ("import",): ["{fresh}", "--province", PROVINCE, "--json"],
    ("export",): ["persons", "--out", "{out}/persons.csv", "--json"],
    ("quality",): ["list", "--json"],
    ("demo-data",): ["--province", PROVINCE, "--people", "40", "--seed", "3", "--out", "{out}/demo", "--json"],
    ("dedupe",): ["{demo_lists}", "--out", "{out}/clusters.csv", "--json"],
    ("verify",): ["{population}", "--dry-run", "--json"],
    ("coverage",): ["--as-of", "2024-12-31", "--level", "district", "--json"],
    ("accounts", "demo"): ["--json"],
    ("payroll", "demo-result"): ["{run}", "--out", "{out}/result.csv"],
    ("directive",): ["list", "--json"],
    ("bulletin",): ["--commune", "05977", "--as-of", "2024-12-31", "--json"],
}


def test_every_alias_has_a_case():
    assert set(CASES) == set(ALIASES)


def _stable(data):
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def _files(out: Path) -> dict:
    """Every file written under `out` (the .xlsx lists of demo data by name only: they carry a timestamp)."""
    if not out.exists():
        return {}
    return {str(p.relative_to(out)): (None if p.suffix == ".xlsx" else p.read_bytes())
            for p in sorted(out.rglob("*")) if p.is_file()}


def _run(capsys, argv: list[str], out: Path):
    """Run argv on the current database state, then roll its changes back and remove its files."""
    out.mkdir()
    with transaction.atomic():
        rc = main(argv)
        transaction.set_rollback(True)
    printed = capsys.readouterr()
    files = _files(out)
    shutil.rmtree(out, ignore_errors=True)
    text = printed.out
    try:
        stdout = _stable(json.loads(text))
    except ValueError:
        stdout = text
    return rc, stdout, printed.err, files


@pytest.mark.parametrize("old", sorted(CASES), ids=" ".join)
def test_alias_does_exactly_the_new_command(old, world, capsys):
    args = [a.format(**{k: str(v) for k, v in world.items()}) for a in CASES[old]]
    new = ALIASES[old]
    rc_old, out_old, err_old, files_old = _run(capsys, [*old, *args], world["out"])
    rc_new, out_new, err_new, files_new = _run(capsys, [*new, *args], world["out"])
    note, *rest = err_old.splitlines(keepends=True)
    assert re.fullmatch(rf"ansinh: `ansinh {' '.join(old)}` is deprecated .*; use `ansinh {' '.join(new)}`\n",
                        note), note
    assert "deprecated" not in err_new
    assert (rc_old, out_old, "".join(rest), files_old) == (rc_new, out_new, err_new, files_new)
    assert rc_new == 0, err_new  # each case runs the command's real work, not an error path
    assert out_new or files_new


def test_aliases_are_hidden_from_the_help(capsys):
    assert main(["--help"]) == 0
    listed = set(re.findall(r"^│ (\S+) ", capsys.readouterr().out, flags=re.M))
    assert {"registry", "matching", "accounts", "payroll", "outreach", "units", "users", "demo",
            "init", "serve", "worker"} <= listed
    assert not listed & {old[0] for old in ALIASES if len(old) == 1}
    assert main(["payroll", "--help"]) == 0
    assert "demo-result" not in capsys.readouterr().out
    assert main(["accounts", "--help"]) == 0
    assert not re.search(r"^│ demo ", capsys.readouterr().out, flags=re.M)
