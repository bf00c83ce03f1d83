"""/healthz (database, cache, worker heartbeat, disk: JSON, 200/503, no log-in, no personal data) and
structured logs with request ids (JSON lines, X-Request-ID passed through, no query strings)."""
from __future__ import annotations

import io
import json
import logging
import threading
import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from ansinh.core import health
from ansinh.core.logs import JsonFormatter, RequestIdFilter

FILE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}}


@pytest.fixture
def shared_cache(tmp_path):
    """A cache of its own (Django's setting_changed handler swaps the cache connections)."""
    with override_settings(CACHES={"default": {**FILE_CACHE["default"], "LOCATION": str(tmp_path / "cache")}}):
        yield cache


@pytest.mark.django_db
def test_healthz_503_without_a_worker_then_200_when_it_beats(shared_cache, tmp_path, settings):
    settings.ANSINH_HEALTH_MIN_FREE_MB = 1
    c = Client()
    r = c.get("/healthz")
    assert r.status_code == 503 and r["Content-Type"] == "application/json" and r["Cache-Control"] == "no-store"
    body = r.json()
    assert body["status"] == "fail" and body["checks"]["worker"] == {"ok": False, "seen": False,
                                                                      "ms": body["checks"]["worker"]["ms"]}
    assert body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"] and body["checks"]["disk"]["ok"]

    # the worker's heartbeat thread, as `ansinh worker` runs it
    stop = threading.Event()
    t = threading.Thread(target=health.worker_heartbeat, args=(stop, 0.05), daemon=True)
    t.start()
    try:
        time.sleep(0.2)
        r = c.get("/healthz")
        assert r.status_code == 200, r.content
        assert r.json()["status"] == "ok" and r.json()["checks"]["worker"]["age_s"] < 5
    finally:
        stop.set()
        t.join(2)
    # a heartbeat older than WORKER_STALE_AFTER: the worker is down
    cache.set(health.WORKER_KEY, time.time() - health.WORKER_STALE_AFTER - 5, 600)
    r = c.get("/healthz")
    assert r.status_code == 503 and r.json()["checks"]["worker"]["ok"] is False


@pytest.mark.django_db
def test_healthz_disk_floor_and_no_personal_data(shared_cache, settings):
    health.beat_worker()
    settings.ANSINH_HEALTH_MIN_FREE_MB = 10**12      # more than any disk
    r = Client().get("/healthz")
    assert r.status_code == 503 and r.json()["checks"]["disk"]["ok"] is False
    text = r.content.decode()
    assert str(settings.VAR_DIR) not in text and "@" not in text   # no paths, no addresses or names
    assert set(r.json()["checks"]) == {"database", "cache", "worker", "disk"}


@pytest.mark.django_db
def test_healthz_needs_no_login_and_refuses_post(shared_cache):
    health.beat_worker()
    assert Client().get("/healthz").status_code in (200, 503)
    assert Client().post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_reports_a_dead_database(shared_cache, monkeypatch):
    """A database that does not answer: 503 with the error's class, not its text."""
    from django.db import connection

    def refuse(*a, **kw):
        raise __import__("django.db").db.OperationalError("connection refused to 10.0.0.1 user=ansinh")

    health.beat_worker()
    monkeypatch.setattr(connection, "cursor", refuse)
    r = Client().get("/healthz")
    assert r.status_code == 503
    assert r.json()["checks"]["database"] == {"ok": False, "ms": r.json()["checks"]["database"]["ms"],
                                              "error": "OperationalError"}
    assert "10.0.0.1" not in r.content.decode()


def _capture_json(logger_names=("ansinh.request", "django.request")):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(n) for n in logger_names]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    return stream, handler, loggers, saved


def _release(handler, loggers, saved):
    for lg, (level, _) in zip(loggers, saved):
        lg.removeHandler(handler)
        lg.setLevel(level)


@pytest.mark.django_db
def test_request_id_passed_through_logged_and_no_query_string(django_user_model):
    from ansinh.core.roles import ensure_role_groups

    ensure_role_groups()
    stream, handler, loggers, saved = _capture_json()
    try:
        c = Client()
        rid = "0123456789abcdef0123456789abcdef"
        r = c.get("/registry/?q=020040001234&phone=0912345678", HTTP_X_REQUEST_ID=rid)
        assert r["X-Request-ID"] == rid
        r2 = c.get("/login/", HTTP_X_REQUEST_ID="bad id with spaces")
        new = r2["X-Request-ID"]
        assert new != "bad id with spaces" and len(new) == 32
        r3 = c.get("/no-such-page/?id=020040001234")
        assert r3.status_code in (302, 404)
    finally:
        _release(handler, loggers, saved)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [x for x in lines if x["logger"] == "ansinh.request"]
    assert [x["request_id"] for x in access][:2] == [rid, new]
    first = access[0]
    assert first["path"] == "/registry/" and first["method"] == "GET" and first["status"] == 302
    assert first["user_id"] is None and first["duration_ms"] >= 0 and first["level"] == "INFO"
    assert "020040001234" not in stream.getvalue() and "0912345678" not in stream.getvalue()


def test_json_formatter_one_line_with_exception_and_extra():
    from ansinh.core.logs import request_id_var

    rec = logging.LogRecord("ansinh.x", logging.ERROR, __file__, 1, "job %s: %s", ("j1", "lỗi"), None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        rec.exc_info = sys.exc_info()
    rec.job = "j1"
    token = request_id_var.set("rid-12345678")
    try:
        RequestIdFilter().filter(rec)
        out = JsonFormatter().format(rec)
    finally:
        request_id_var.reset(token)
    assert "\n" not in out
    data = json.loads(out)
    assert data["message"] == "job j1: lỗi" and data["request_id"] == "rid-12345678" and data["job"] == "j1"
    assert data["level"] == "ERROR" and "ValueError: boom" in data["exc"]


def test_settings_logging_switches_to_json(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import django, logging; django.setup(); "
            "logging.getLogger('ansinh.test').warning('hello %s', 'world')")
    env = {**os.environ, "ANSINH_LOG_FORMAT": "json", "ANSINH_VAR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "ansinh.settings"}
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    line = json.loads(r.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello world" and line["logger"] == "ansinh.test"
    env["ANSINH_LOG_FORMAT"] = "text"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.stderr.strip() == "hello world"
