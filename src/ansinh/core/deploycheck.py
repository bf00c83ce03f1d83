"""`ansinh check --deploy`: Django's deployment checks plus ours; any warning makes it exit 1.

Our checks (ids ansinh.W0xx) cover what Django cannot know about this application:
the demo switch, the database engine, a cache the worker cannot share, log format, a wildcard host,
folders the processes must write, the two-factor step switched off. docs/deploy.md lists the environment under which the command is clean.
"""
from __future__ import annotations

import os

from django.conf import settings
from django.core import checks


def ansinh_deploy_checks(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    out: list[checks.CheckMessage] = []
    if getattr(settings, "ANSINH_DEMO", False):
        out.append(checks.Warning("ANSINH_DEMO is on: demo helpers (published demo passwords, fabricated result "
                                  "files) must never run on a site with real data", id="ansinh.W001"))
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        out.append(checks.Warning("the database is not PostgreSQL: production uses PostgreSQL (DATABASE_URL="
                                  "postgres://…); the embedded SQLite database is for demos and tests",
                                  id="ansinh.W002"))
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend.endswith(("LocMemCache", "DummyCache")):
        out.append(checks.Warning("the cache is private to each process: the web and the worker must share it "
                                  "(job progress, heartbeats); use the file cache or Redis", id="ansinh.W003"))
    if getattr(settings, "LOG_FORMAT", "text") != "json":
        out.append(checks.Warning("logs are not structured: set ANSINH_LOG_FORMAT=json (one JSON line per "
                                  "record, with request ids)", id="ansinh.W004"))
    if "*" in settings.ALLOWED_HOSTS:
        out.append(checks.Warning("ALLOWED_HOSTS contains '*': list the site's host names", id="ansinh.W005"))
    if not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        out.append(checks.Warning("ANSINH_BEHIND_TLS_PROXY is not set: the site must be served over HTTPS by "
                                  "nginx (deploy/nginx/ansinh.conf), which sets X-Forwarded-Proto",
                                  id="ansinh.W006"))
    if not getattr(settings, "ANSINH_TOTP_REQUIRED", True):
        out.append(checks.Warning("ANSINH_TOTP_REQUIRED is off: approving money must need a TOTP code "
                                  "(ansinh.core.twofactor)", id="ansinh.W008"))
    for name, folder in (("ANSINH_VAR", settings.VAR_DIR), ("MEDIA_ROOT", settings.MEDIA_ROOT)):
        probe = folder
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not os.access(probe, os.W_OK):
            out.append(checks.Warning(f"{name} ({folder}) is not writable by this user", id="ansinh.W007"))
    return out


def run_deploy_checks() -> list[dict]:
    """Every message of Django's checks (with the deployment ones) and ours, as dicts."""
    from django.core.checks.registry import registry

    if ansinh_deploy_checks not in registry.get_checks(include_deployment_checks=True):
        registry.register(ansinh_deploy_checks, checks.Tags.security, deploy=True)
    messages = checks.run_checks(include_deployment_checks=True)
    silenced = set(settings.SILENCED_SYSTEM_CHECKS)
    return [{"id": m.id, "level": {checks.DEBUG: "debug", checks.INFO: "info", checks.WARNING: "warning",
                                  checks.ERROR: "error", checks.CRITICAL: "critical"}.get(m.level, str(m.level)),
             "message": m.msg, "hint": m.hint or "", "serious": m.level >= checks.WARNING}
            for m in messages if m.id not in silenced]


def check_command(deploy: bool, json_out: bool) -> int:
    """The body of `ansinh check`; returns the exit code (1 when any warning or error)."""
    import json
    import sys

    if deploy:
        messages = run_deploy_checks()
    else:
        messages = [{"id": m.id, "level": "warning" if m.level == checks.WARNING else "error" if m.level >= checks.ERROR
                     else "info", "message": m.msg, "hint": m.hint or "", "serious": m.level >= checks.WARNING}
                    for m in checks.run_checks() if m.id not in set(settings.SILENCED_SYSTEM_CHECKS)]
    bad = [m for m in messages if m["serious"]]
    if json_out:
        sys.stdout.write(json.dumps({"ok": not bad, "deploy": deploy, "messages": messages}, ensure_ascii=False) + "\n")
    else:
        for m in messages:
            line = f"{m['level'].upper()} {m['id']}: {m['message']}"
            if m["hint"]:
                line += f" (hint: {m['hint']})"
            print(line)
        print(f"ansinh check{' --deploy' if deploy else ''}: "
              + ("no problems" if not bad else f"{len(bad)} problem{'s' if len(bad) > 1 else ''}"))
    return 1 if bad else 0
