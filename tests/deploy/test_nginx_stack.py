"""docs/deploy.md on this machine: nginx with TLS in front of the application server, and the
worker, each started with the command line of its deploy/ file (systemd's ExecStart, expanded
from deploy/ansinh.env.example with the test's names and ports); then a log-in, a commune list
import and its background job to completion, through nginx over HTTPS, a certificate checked.

Needs Debian's nginx (`.ci/run` installs it). Without it the test fails, saying so; only a
non-root run (which could not install it) is skipped, and `make test` says it did not run.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ansinh

from .client import SiteClient
from .stack import DEPLOY, env_file, real_data_keys, exec_start, nginx_binary, nginx_main_conf, render_nginx_site

pytestmark = pytest.mark.deploy

SRC = str(Path(ansinh.__file__).resolve().parents[1])
HOST = "ansinh.test"
HTTP_PORT, APP_PORT, HTTPS_PORT = int(os.environ.get("ANSINH_TEST_HTTP_PORT", 8775)), \
    int(os.environ.get("ANSINH_TEST_APP_PORT", 8777)), int(os.environ.get("ANSINH_TEST_HTTPS_PORT", 8443))
PASSWORD = "Mk-thu-nghiem-2024"
ID_NUMBER = "020040001234"


def _need_nginx() -> str:
    nginx = nginx_binary()
    if nginx:
        return nginx
    msg = "nginx is not installed: apt-get install nginx (.ci/run installs it); the deployment test cannot run"
    if os.geteuid() != 0:
        pytest.skip(msg + " (not root: cannot install it here)")
    pytest.fail(msg)


def _database_url(tmp_path: Path) -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'site.sqlite3'}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _run(env, *args, timeout=600) -> subprocess.CompletedProcess:
    out = subprocess.run([str(Path(sys.executable).parent / "ansinh"), *args], env=env, capture_output=True,
                         text=True, timeout=timeout, cwd=env["ANSINH_VAR"])
    assert out.returncode == 0, f"ansinh {' '.join(args)}: {out.stderr[-3000:]}"
    return out


def _start(argv, env, log: Path) -> subprocess.Popen:
    fh = open(log, "wb")
    return subprocess.Popen(argv, env=env, cwd=env["ANSINH_VAR"], stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _wait_for(fn, what: str, timeout: float, procs=()):
    t0 = time.monotonic()
    last = None
    while time.monotonic() - t0 < timeout:
        for name, p, log in procs:
            assert p.poll() is None, f"{name} exited ({p.returncode}): {log.read_text(errors='replace')[-3000:]}"
        try:
            last = fn()
            if last:
                return last
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise AssertionError(f"{what}: not after {timeout:.0f} s (last: {last!r})")


def _commune_list(path: Path) -> Path:
    from tests.registry_db.conftest import person_row, write_list

    return write_list(path, [person_row(id_number=ID_NUMBER),
                             person_row(name="Lý Thị Ba", dob="02/02/1938", gender="Nữ", id_number="020138000111"),
                             person_row(name="Hoàng Văn Cường", dob="10/10/1941", id_number="020041000222")])


@pytest.mark.django_db(transaction=True)
def test_site_through_nginx_https_login_import_job(tmp_path):
    nginx = _need_nginx()
    import socket

    for port in (HTTP_PORT, APP_PORT, HTTPS_PORT):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, (
                f"port {port} is in use by another program (set ANSINH_TEST_HTTP_PORT / _APP_PORT / _HTTPS_PORT)")
    var = tmp_path / "var"
    var.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    env_vars = env_file(SECRET_KEY=secrets.token_urlsafe(64), **real_data_keys(), ALLOWED_HOSTS=HOST,
                        CSRF_TRUSTED_ORIGINS=f"https://{HOST}:{HTTPS_PORT}", DATABASE_URL=_database_url(tmp_path),
                        ANSINH_VAR=str(var), ANSINH_BIND=f"127.0.0.1:{APP_PORT}", ANSINH_HEALTH_MIN_FREE_MB="1")
    # Only what systemd would give (the environment file) plus what finds this checkout's code.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")]), **env_vars}
    for key in ("DEBUG", "ANSINH_DEMO"):
        assert env.get(key, "0") == "0"

    # docs/deploy.md, step 5: the database, the check, a user.
    _run(env, "init")
    check = subprocess.run([str(Path(sys.executable).parent / "ansinh"), "check", "--deploy", "--json"], env=env,
                           capture_output=True, text=True, cwd=var, timeout=120)
    report = json.loads(check.stdout)
    serious = [m for m in report["messages"] if m["serious"]]
    if env["DATABASE_URL"].startswith("sqlite"):   # the embedded database is not for production: said so, only that
        assert [m["id"] for m in serious] == ["ansinh.W002"] and check.returncode == 1, check.stdout
    else:
        assert check.returncode == 0 and not serious, check.stdout
    _run(env, "users", "create", "xa_dongkinh", "--password", PASSWORD, "--role", "commune_officer",
         "--unit", "05977", "--name", "Cán bộ Đông Kinh")

    # certificate (docs/deploy.md step 7 uses a real one; the test makes its own)
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}",
                    "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    site = tmp_path / "ansinh.conf"
    site.write_text(render_nginx_site(host=HOST, http_port=HTTP_PORT, https_port=HTTPS_PORT,
                                      upstream=f"127.0.0.1:{APP_PORT}", cert=cert, key=key, logs=logs))
    prefix = tmp_path / "nginx"
    for d in ("logs", "tmp"):
        (prefix / d).mkdir(parents=True)
    main_conf = prefix / "nginx.conf"
    main_conf.write_text(nginx_main_conf(site, prefix, as_root=os.geteuid() == 0))
    t = subprocess.run([nginx, "-t", "-c", str(main_conf), "-p", str(prefix)], capture_output=True, text=True)
    assert t.returncode == 0, t.stderr

    web_argv = exec_start(DEPLOY / "systemd" / "ansinh-web.service", env)
    worker_argv = exec_start(DEPLOY / "systemd" / "ansinh-worker.service", env)
    assert Path(web_argv[0]).name == "gunicorn" and worker_argv[1:] == ["worker"]
    web = worker = proxy = None
    web_log, worker_log, proxy_log = tmp_path / "web.log", tmp_path / "worker.log", tmp_path / "nginx.out"
    try:
        web = _start(web_argv, env, web_log)
        worker = _start(worker_argv, env, worker_log)
        proxy = _start([nginx, "-c", str(main_conf), "-p", str(prefix), "-g", "daemon off;"], env, proxy_log)
        procs = [("gunicorn", web, web_log), ("worker", worker, worker_log), ("nginx", proxy, proxy_log)]
        c = SiteClient(HOST, HTTPS_PORT, str(cert))

        # plain http goes to https
        import http.client

        plain = http.client.HTTPConnection("127.0.0.1", HTTP_PORT, timeout=10)
        _wait_for(lambda: plain.connect() or True, "nginx listening", 30, procs)
        plain.request("GET", "/login/?x=1", headers={"Host": HOST})
        r = plain.getresponse()
        r.read()
        assert r.status == 301 and r.getheader("Location") == f"https://{HOST}/login/?x=1"

        # health: every check green once the worker has beaten
        def healthy():
            r, body = c.get("/healthz")
            return r.status == 200 and json.loads(body)
        health = _wait_for(healthy, "/healthz 200", 90, procs)
        assert health["status"] == "ok" and set(health["checks"]) == {"database", "cache", "worker", "disk"}

        r, page = c.get("/login/")
        assert r.status == 200
        assert r.getheader("Strict-Transport-Security") == "max-age=31536000; includeSubDomains; preload"
        assert len(r.msg.get_all("X-Frame-Options")) == 1 and r.getheader("Content-Security-Policy")
        rid = r.getheader("X-Request-ID")
        assert rid and re.fullmatch(r"[0-9a-f]{32}", rid), rid          # nginx's $request_id, passed through

        r, _ = c.login("xa_dongkinh", PASSWORD)
        assert r.status == 302 and r.getheader("Location") == "/", (r.status, r.getheader("Location"))
        assert "Secure" in next(v for k, v in r.getheaders() if k.lower() == "set-cookie" and "sessionid" in v)

        # a search with an ID number in the query string: never in any log
        # (an old link with a number in it: redirected to the keyed token, ansinh.registry.selectors.search_token)
        r, _ = c.get(f"/registry/?q={ID_NUMBER}")
        assert r.status == 302 and ID_NUMBER not in r.getheader("Location"), r.getheader("Location")
        r, _ = c.get(r.getheader("Location"))
        assert r.status == 200

        r, page = c.get("/registry/import/")
        assert r.status == 200
        content = _commune_list(tmp_path / "ds-dong-kinh.xlsx").read_bytes()
        r, body = c.post_form("/registry/import/", {"csrfmiddlewaretoken": SiteClient.csrf_token(page)},
                              {"file": ("ds-dong-kinh.xlsx", content,
                                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
        assert r.status == 302, body[-2000:]
        m = re.fullmatch(r"/jobs/([0-9a-f-]+)/", r.getheader("Location"))
        assert m, r.getheader("Location")

        def done():
            r, body = c.get(f"/api/jobs/{m.group(1)}")
            assert r.status == 200, body[:500]
            job = json.loads(body)
            return job if job["status"] in ("succeeded", "failed") else None
        job = _wait_for(done, "the import job finished", 180, procs)
        assert job["status"] == "succeeded", job
        assert job["result"]["rows"] == 3 and job["result"]["imported"] == 3, job["result"]
        r, page = c.get(f"/jobs/{m.group(1)}/")
        assert r.status == 200

        # too big for nginx: refused there (413), before the application
        r, _ = c.request("POST", "/registry/import/", body=b"x" * (111 * 1024 * 1024),
                         headers={"Content-Type": "application/octet-stream"})
        assert r.status == 413
    finally:
        for p in (proxy, web, worker):
            _stop(p)

    # logs: JSON lines with request ids, the nginx id among them; no identifier anywhere
    # every line gunicorn and the application wrote is a JSON object (gunicorn's own records and
    # Python warnings included)
    app_lines = [json.loads(line) for line in web_log.read_text().splitlines() if line.strip()]
    assert any(x["logger"] == "gunicorn.error" for x in app_lines)
    access = [x for x in app_lines if x["logger"] == "ansinh.request"]
    assert access and all(x.get("request_id") for x in access)
    assert rid in {x["request_id"] for x in access}
    assert any(x["path"] == "/registry/" and x["status"] == 200 for x in access)
    worker_lines = [line for line in worker_log.read_text().splitlines() if line.strip()]
    assert worker_lines and all(json.loads(line)["logger"] for line in worker_lines), worker_lines[:5]
    for f in (web_log, worker_log, logs / "ansinh.access.log", logs / "ansinh.error.log"):
        if f.exists():
            assert ID_NUMBER not in f.read_text(errors="replace"), f"{f.name} carries an ID number"
    assert "rid=" + rid in (logs / "ansinh.access.log").read_text()
