"""`ansinh init` leaves var/ (0700) and the embedded database file (0600) to their owner only."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path


def test_var_and_database_are_owner_only(tmp_path: Path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"ANSINH_VAR": str(var), "ANSINH_DEMO": "1"})
    r = subprocess.run([sys.executable, "-m", "ansinh", "init", "--json"], env=env, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for f in var.glob("ansinh.sqlite3*"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert (var / "ansinh.sqlite3").exists()
