"""`ansinh init` creates or migrates the database named by DATABASE_URL; a second run changes nothing."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path


def run_cli(args, env):
    return subprocess.run([sys.executable, "-m", "ansinh", *args], env=env, capture_output=True, text=True,
                          timeout=600)


def test_init_twice_on_a_fresh_sqlite_file(tmp_path: Path):
    db = tmp_path / "fresh.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "ANSINH_VAR": str(tmp_path / "var")}
    first = run_cli(["init", "--json"], env)
    assert first.returncode == 0, first.stderr
    out1 = json.loads(first.stdout)
    assert out1["database"] == "sqlite" and out1["units"]["changed"] is True

    def counts():
        with sqlite3.connect(db) as c:
            return [c.execute(f"select count(*) from {t}").fetchone()[0]
                    for t in ("units_adminunit", "units_unitsuccession", "auth_group", "django_migrations")]

    before = counts()
    assert before[0] > 13000
    second = run_cli(["init", "--json"], env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["units"]["changed"] is False
    assert counts() == before
    with sqlite3.connect(db) as c:
        assert c.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_bad_arguments_exit_2_with_one_line(tmp_path: Path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    r = run_cli(["users", "create", "u1", "--password", "abcdefgh", "--role", "wizard"], env)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = run_cli(["no-such-command"], env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1


def test_demo_users_and_data_only_in_a_demo_installation(tmp_path: Path):
    """Demo users have a published password: outside ANSINH_DEMO=1 the demo commands refuse (exit 2,
    one line) and create no user."""
    db = tmp_path / "prod.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "ANSINH_DEMO"}
    env.update({"DATABASE_URL": f"sqlite:///{db}", "ANSINH_VAR": str(tmp_path / "var")})
    assert run_cli(["init", "--json"], env).returncode == 0
    for args in (["demo", "users"], ["demo", "setup", "--people", "0"]):
        r = run_cli(args, env)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "ANSINH_DEMO" in r.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("select count(*) from auth_user").fetchone()[0] == 0
