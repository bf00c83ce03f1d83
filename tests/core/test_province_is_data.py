"""The province is data, never a default: no module outside the demo names Lạng Sơn's code, and a
payroll run without a commune or a province is refused rather than made for Lạng Sơn."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "ansinh"
# The demo's own province lives in core/demo.py; dates.py compares a century prefix ("18", "19", "20").
ALLOWED = {SRC / "core" / "demo.py", SRC / "text" / "dates.py"}


def test_no_module_defaults_to_a_province_code():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts or path in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value == "20":
                found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert not found, found


@pytest.mark.django_db
def test_a_run_needs_a_commune_or_a_province(capsys):
    from ansinh.cli import main
    from ansinh.core.jobs import BadInput
    from ansinh.core.services import upsert_user
    from ansinh.payroll import generate

    with pytest.raises(BadInput, match="commune or a province"):
        generate.generate("2024-07")
    upsert_user("lap_tinh", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    assert main(["payroll", "generate", "--period", "2024-07", "--as", "lap_tinh"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "commune or a province" in err[0]
