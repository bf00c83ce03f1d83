"""Production settings refuse to start without a key or host names; `ansinh check --deploy` is clean
under the documented environment (deploy/ansinh.env.example with real values) and fails otherwise.
Real processes: the settings are read at start-up, so each case is a fresh `ansinh` / worker."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

import ansinh

from .stack import DEPLOY, env_file, exec_start, real_data_keys

SRC = str(Path(ansinh.__file__).resolve().parents[1])
ANSINH = str(Path(sys.executable).parent / "ansinh")


def _pg_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """deploy/ansinh.env.example with a real key and this machine's database, nothing else."""
    values = {"SECRET_KEY": secrets.token_urlsafe(64), **real_data_keys(), "ANSINH_VAR": str(tmp_path / "var"),
              "DATABASE_URL": _pg_url() or f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    values.update(overrides)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "PYTHONPATH": SRC, **env_file(**values)}
    (tmp_path / "var").mkdir(exist_ok=True)
    return {k: v for k, v in env.items() if v is not None}


def run(env, *args, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([ANSINH, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=env["ANSINH_VAR"])


def test_the_env_template_keeps_a_refused_placeholder_key(tmp_path):
    env = production_env(tmp_path, SECRET_KEY="replace-me")
    r = run(env, "check", "--deploy")
    assert r.returncode == 2 and r.stderr.startswith("ansinh: SECRET_KEY is too weak"), r.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_site_and_worker_refuse_to_start_without(tmp_path, missing):
    env = production_env(tmp_path)
    del env[missing]
    r = run(env, "check", "--deploy")
    assert r.returncode == 2 and r.stderr.startswith(f"ansinh: {missing} is not set"), r.stderr
    assert r.stderr.count("\n") == 1
    # the worker, exactly as its unit starts it
    env.setdefault("ANSINH_BIND", "127.0.0.1:8778")
    worker = subprocess.run(exec_start(DEPLOY / "systemd" / "ansinh-worker.service", env), env=env,
                            capture_output=True, text=True, timeout=120, cwd=env["ANSINH_VAR"])
    assert worker.returncode == 2 and f"{missing} is not set" in worker.stderr
    # the web site: the WSGI application cannot load
    web = subprocess.run([sys.executable, "-c", "import ansinh.wsgi"], env=env, capture_output=True, text=True,
                         timeout=120, cwd=env["ANSINH_VAR"])
    assert web.returncode != 0 and f"{missing} is not set" in web.stderr


def test_demo_and_debug_keep_their_local_defaults(tmp_path):
    env = production_env(tmp_path, ANSINH_DEMO="1")
    del env["SECRET_KEY"], env["ALLOWED_HOSTS"]
    r = subprocess.run([sys.executable, "-c", "from django.conf import settings; import django; django.setup(); "
                        "print(settings.ALLOWED_HOSTS)"], env={**env, "DJANGO_SETTINGS_MODULE": "ansinh.settings"},
                       capture_output=True, text=True, timeout=60, cwd=env["ANSINH_VAR"])
    assert r.returncode == 0 and "127.0.0.1" in r.stdout, r.stderr


@pytest.mark.skipif(not _pg_url(), reason="the documented production database is PostgreSQL (run with DATABASE_URL)")
def test_check_deploy_is_clean_under_the_documented_environment(tmp_path):
    r = run(production_env(tmp_path), "check", "--deploy", "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["ok"] and not [m for m in data["messages"] if m["serious"]], r.stdout


def test_check_deploy_on_sqlite_says_only_that(tmp_path):
    env = production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    r = run(env, "check", "--deploy", "--json")
    assert r.returncode == 1
    assert [m["id"] for m in json.loads(r.stdout)["messages"] if m["serious"]] == ["ansinh.W002"]


@pytest.mark.parametrize("change, expected", [
    ({"DEBUG": "1"}, "security.W018"),
    ({"ANSINH_BEHIND_TLS_PROXY": "0"}, "security.W008"),
    ({"ANSINH_LOG_FORMAT": "text"}, "ansinh.W004"),
    ({"ANSINH_DEMO": "1"}, "ansinh.W001"),
    ({"ALLOWED_HOSTS": "*"}, "ansinh.W005"),
    ({"ANSINH_CACHE_BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "ansinh.W003"),
])
def test_check_deploy_fails_on_each_departure(tmp_path, change, expected):
    r = run(production_env(tmp_path, **change), "check", "--deploy")
    assert r.returncode == 1 and expected in r.stdout, r.stdout + r.stderr
    assert "problem" in r.stdout.splitlines()[-1]


def test_check_without_deploy_is_clean(tmp_path):
    r = run(production_env(tmp_path), "check")
    assert r.returncode == 0 and r.stdout.strip().endswith("no problems"), r.stdout + r.stderr


def test_nginx_upload_limit_follows_ansinh_limit():
    """One home for the upload limit (ansinh.core.limits.MAX_FILE_BYTES): nginx lets through that
    much plus a form's overhead, and not far more."""
    import re

    from ansinh.core.limits import MAX_FILE_BYTES

    conf = (DEPLOY / "nginx" / "ansinh.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\d+)m;", conf, re.M)
    assert len(sizes) == 1
    limit = int(sizes[0]) * 1024 * 1024
    assert MAX_FILE_BYTES < limit <= MAX_FILE_BYTES * 1.2


def test_units_use_only_what_the_env_template_sets(tmp_path):
    env = production_env(tmp_path)
    for unit in ("ansinh-web.service", "ansinh-worker.service"):
        argv = exec_start(DEPLOY / "systemd" / unit, env)   # fails on a ${VAR} the template lacks
        assert Path(argv[0]).exists(), argv[0]
