"""Helpers of tests/deploy: read deploy/ as an operator would, swapping only names, paths and ports.

- ``env_file``: deploy/ansinh.env.example as a dict, with the test's overrides;
- ``exec_start``: a unit's ExecStart, its ${VAR}s expanded from that environment as systemd does,
  /opt/ansinh/venv/bin/ replaced by the venv running the tests;
- ``render_nginx_site``: deploy/nginx/ansinh.conf with the test's host, ports, certificate and logs.
"""
from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = "/opt/ansinh/venv/bin/"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/bin/nginx") if Path(p).exists()), None)


def real_data_keys() -> dict[str, str]:
    """Real identifier-encryption keys for the template's refused placeholders (decision 0025)."""
    import base64
    import secrets

    return {"ANSINH_DATA_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
            "ANSINH_LOOKUP_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}


def env_file(path: Path = DEPLOY / "ansinh.env.example", **overrides: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        env[key.strip()] = value.strip()
    env.update(overrides)
    return env


def unit_value(unit: Path, key: str) -> str:
    values = [line.split("=", 1)[1] for line in unit.read_text().splitlines() if line.startswith(f"{key}=")]
    assert len(values) == 1, f"{unit.name}: {len(values)} {key}= lines"
    return values[0].strip()


def exec_start(unit: Path, env: dict[str, str]) -> list[str]:
    """The unit's command line as systemd would run it with this environment file."""
    line = unit_value(unit, "ExecStart")

    def expand(m: re.Match) -> str:
        name = m.group(1) or m.group(2)
        assert name in env, f"{unit.name}: ExecStart uses ${name}, which the environment file does not set"
        return env[name]

    argv = shlex.split(re.sub(r"\$\{(\w+)\}|\$(\w+)", expand, line))
    assert argv[0].startswith(VENV_BIN), f"{unit.name}: ExecStart should run a program of {VENV_BIN}: {argv[0]}"
    argv[0] = str(Path(sys.executable).parent / argv[0][len(VENV_BIN):])
    return argv


def render_nginx_site(*, host: str, http_port: int, https_port: int, upstream: str, cert: Path, key: Path,
                      logs: Path) -> str:
    text = (DEPLOY / "nginx" / "ansinh.conf").read_text()
    swaps = [
        ("ansinh.example.gov.vn", host),
        ("server 127.0.0.1:8001;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/etc/ssl/ansinh/fullchain.pem", str(cert)),
        ("/etc/ssl/ansinh/privkey.pem", str(key)),
        ("/var/log/nginx/", f"{logs}/"),
    ]
    for old, new in swaps:
        assert old in text, f"deploy/nginx/ansinh.conf no longer has {old!r}: update tests/deploy/stack.py"
        text = text.replace(old, new)
    # the test binds to 127.0.0.1 only
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    return text


def nginx_main_conf(site: Path, prefix: Path, as_root: bool) -> str:
    """A minimal nginx.conf around the site (Debian's includes the site from sites-enabled the same way)."""
    mime = "/etc/nginx/mime.types"
    return f"""
{'user root;' if as_root else ''}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    {'include ' + mime + ';' if Path(mime).exists() else ''}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {site};
}}
"""
