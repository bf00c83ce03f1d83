"""Issue 11 items 10, 11 and 14 (web): safe defaults, log-in protection, headers, sessions, role gate.

Each test fails on 99e5316: DEBUG defaulted to on with a fixed public key, log-in had no lock-out and no
log, the CLI took password "1", `next` could leave the site, no CSP / no-store / idle timeout, and an
outreach unit could open every staff page.
"""
from __future__ import annotations

import logging
import os
import re
import stat
import subprocess
import sys
import time
import uuid

import pytest
from django.conf import settings as dj_settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from ansinh.core.demo import DEMO_PASSWORD, create_demo_users
from ansinh.core.services import upsert_user

pytestmark = pytest.mark.django_db
ID_NUMBER = "079123456789"
STRONG = "Mk-thu-nghiem-2024"


@pytest.fixture
def demo():
    create_demo_users()


def login(username: str, password: str = DEMO_PASSWORD) -> Client:
    c = Client()
    assert c.login(username=username, password=password)
    return c


# ---------------------------------------------------------------------------------------------- item 10

def _settings_in_subprocess(tmp_path, code: str, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "ANSINH_DEMO")}
    base.update({"ANSINH_VAR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "ansinh.settings"}, **env)
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                           + code], env=base, capture_output=True, text=True, timeout=120)


def test_debug_is_off_by_default_and_a_key_is_required(tmp_path):
    strong = "k" + uuid.uuid4().hex + uuid.uuid4().hex  # 65 characters
    r = _settings_in_subprocess(tmp_path, "print(settings.DEBUG)", SECRET_KEY=strong)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"
    # no key, no demo: refused (no fixed public default)
    r = _settings_in_subprocess(tmp_path, "print(settings.SECRET_KEY)")
    assert r.returncode != 0 and "SECRET_KEY is not set" in r.stderr
    # weak keys with DEBUG off: refused
    for weak in ("x", "a" * 60, "abcd" * 20, "django-insecure-" + "q1w2e3r4t5" * 5):
        r = _settings_in_subprocess(tmp_path, "print(settings.SECRET_KEY)", SECRET_KEY=weak, DEBUG="0")
        assert r.returncode != 0 and "SECRET_KEY is too weak" in r.stderr, weak


def test_a_demo_installation_makes_its_own_random_key_once(tmp_path):
    first = _settings_in_subprocess(tmp_path, "print(settings.SECRET_KEY); print(settings.DEBUG)", ANSINH_DEMO="1")
    assert first.returncode == 0, first.stderr
    key, debug = first.stdout.split()
    assert debug == "False" and len(key) >= 50 and len(set(key)) >= 5
    path = tmp_path / "var" / "secret_key"
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = _settings_in_subprocess(tmp_path, "print(settings.SECRET_KEY)", ANSINH_DEMO="1")
    assert again.stdout.strip() == key  # sessions survive a restart
    other = _settings_in_subprocess(tmp_path / "elsewhere", "print(settings.SECRET_KEY)", ANSINH_DEMO="1")
    assert other.stdout.strip() != key  # no shared, public key


def test_the_cli_refuses_a_weak_key_in_one_line(tmp_path):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "ANSINH_DEMO")}
    r = subprocess.run([sys.executable, "-m", "ansinh", "users", "list"], capture_output=True, text=True, timeout=120,
                       env={**base, "SECRET_KEY": "x", "DEBUG": "0", "ANSINH_VAR": str(tmp_path / "var")})
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("ansinh: SECRET_KEY is too weak"), r.stderr


def test_error_pages_are_vietnamese_and_show_no_request_data(demo, settings):
    settings.ROOT_URLCONF = "tests.web.urls_boom"
    c = login("tinh")
    r = c.get(f"/khong-co-trang/{ID_NUMBER}/?so={ID_NUMBER}")
    body = r.content.decode()
    assert r.status_code == 404 and "Không tìm thấy trang" in body and ID_NUMBER not in body
    c.raise_request_exception = False
    r = c.get(f"/boom/?so={ID_NUMBER}")
    body = r.content.decode()
    assert r.status_code == 500 and "Hệ thống gặp lỗi" in body
    assert ID_NUMBER not in body and "boom" not in body and "Traceback" not in body
    r = login("baolangson").get(reverse("registry:persons"))
    assert r.status_code == 403 and "Không có quyền truy cập" in r.content.decode()
    assert "Lỗi 400" in Client().get("/", HTTP_HOST="evil.example").content.decode()


# ---------------------------------------------------------------------------------------------- item 11

def _post_login(client: Client, username: str, password: str, ip: str = "127.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_wrong_passwords_lock_out_until_an_administrator_unlocks(demo):
    from ansinh.cli import main

    c = Client()
    for _ in range(5):  # N = 5 (settings.AXES_FAILURE_LIMIT)
        r = _post_login(c, "tinh", "wrong-password-x")
    r = _post_login(c, "tinh", DEMO_PASSWORD)  # the right one, too late
    assert r.status_code == 429 and 'data-testid="locked-out"' in r.content.decode()
    assert c.get("/").status_code == 302  # not logged in
    # one user name from one address: another machine still logs in, another user too
    assert _post_login(Client(), "tinh", DEMO_PASSWORD, ip="10.0.0.9").status_code == 302
    assert _post_login(Client(), "dongkinh", DEMO_PASSWORD).status_code == 302
    # the administrator lifts the lock-out
    assert main(["users", "unlock", "tinh"]) in (0, None)
    assert _post_login(c, "tinh", DEMO_PASSWORD).status_code == 302
    assert c.get("/").status_code == 200


def test_log_ins_are_logged_without_the_password(demo, caplog):
    caplog.set_level(logging.INFO)
    secret = "sai-mat-khau-" + uuid.uuid4().hex[:8]
    _post_login(Client(), "pheduyet", secret, ip="10.1.2.3")
    _post_login(Client(), "pheduyet", DEMO_PASSWORD, ip="10.1.2.3")
    lines = [r.getMessage() for r in caplog.records if r.name == "ansinh.auth"]
    assert "login failed: user=pheduyet ip=10.1.2.3" in lines
    assert "login: user=pheduyet ip=10.1.2.3" in lines
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in everything and DEMO_PASSWORD not in everything
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog  # axes' own records, without the password

    assert AccessAttempt.objects.exists() is False  # reset on the successful log-in (AXES_RESET_ON_SUCCESS)
    _post_login(Client(), "pheduyet", secret, ip="10.1.2.3")
    assert not any(secret in (a.post_data + a.get_data) for a in AccessAttempt.objects.all())
    assert AccessAttempt.objects.filter(username="pheduyet").exists()

    assert AccessFailureLog.objects.filter(username="pheduyet", ip_address="10.1.2.3").exists()
    assert AccessLog.objects.filter(username="pheduyet", ip_address="10.1.2.3").exists()


def test_weak_passwords_are_refused_by_the_cli_and_the_service(demo):
    from ansinh.cli import main

    User = get_user_model()
    for weak in ("1", "12345678901", "password123", "pheduyet2x", "ngan"):
        with pytest.raises(ValueError):
            upsert_user("pheduyet2x", weak, roles=["approver"], unit_codes=["20"])
        assert main(["users", "create", "pheduyet2x", "--password", weak, "--role", "approver", "--unit", "20"]) == 2
    assert not User.objects.filter(username="pheduyet2x").exists()
    # an existing approver cannot be given a weak one either
    with pytest.raises(ValueError):
        upsert_user("pheduyet", "1", roles=["approver"], unit_codes=["20"])
    assert User.objects.get(username="pheduyet").check_password(DEMO_PASSWORD)
    assert main(["users", "create", "pheduyet2x", "--password", STRONG, "--role", "approver", "--unit", "20"]) in (0, None)
    assert User.objects.get(username="pheduyet2x").check_password(STRONG)


# ---------------------------------------------------------------------------------------------- item 14

def test_fix_and_waive_never_redirect_off_site(demo):
    from tests.registry_db.scope_factories import FACTORIES

    from ansinh.units.models import AdminUnit, Level

    dk = AdminUnit.objects.get(code="05977", level=Level.COMMUNE, valid_to__isnull=True)
    c = login("dongkinh")
    for i, nxt in enumerate(["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]):
        issue = FACTORIES["registry.QualityIssue"](dk, i)
        r = c.post(reverse("registry:issue_waive", args=[issue.pk]), {"reason": "Nhận tiền mặt", "next": nxt})
        assert r.status_code == 302 and r["Location"] == reverse("registry:review"), nxt
    issue = FACTORIES["registry.QualityIssue"](dk, 9)
    r = c.post(reverse("registry:issue_waive", args=[issue.pk]), {"reason": "x", "next": "/registry/?page=2"})
    assert r["Location"] == "/registry/?page=2"  # a local page is kept


def test_pages_carry_csp_no_store_and_hsts(demo):
    c = login("tinh")
    r = c.get(reverse("accounts:dashboard"))
    csp = r["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    html = r.content.decode()
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)([^>]*)>", html)
    assert inline and all(f'nonce="{nonce}"' in attrs for attrs in inline)
    assert "no-store" in r["Cache-Control"]
    for url in ("/", reverse("jobs:list"), "/api/me", reverse("registry:export")):
        assert "no-store" in c.get(url)["Cache-Control"], url
    assert "Strict-Transport-Security" not in r  # plain http: browsers ignore it anyway
    assert c.get("/", secure=True)["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "no-store" not in c.get("/static/ansinh/ansinh.css").get("Cache-Control", "")


def test_no_template_has_inline_script_without_a_nonce_or_an_event_handler():
    from pathlib import Path

    import ansinh

    bad = []
    for path in Path(ansinh.__file__).parent.rglob("templates/**/*.html"):
        text = path.read_text()
        for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text):
            if "csp_nonce" not in attrs and "application/json" not in attrs:
                bad.append(f"{path.name}: <script{attrs}>")
        bad += [f"{path.name}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
    assert not bad, bad


def test_sessions_end_after_idle_time_and_eight_hours(demo):
    assert dj_settings.SESSION_COOKIE_AGE <= 8 * 3600
    from ansinh.web.middleware import SessionTimeoutMiddleware as T

    c = login("tinh")
    assert c.get("/").status_code == 200
    s = c.session
    s[T.SEEN_AT] = int(time.time()) - 31 * 60
    s.save()
    assert c.get("/").status_code == 302  # idle 31 minutes: logged out
    assert c.get("/").status_code == 302
    c = login("tinh")
    s = c.session
    s[T.LOGIN_AT] = int(time.time()) - 8 * 3600 - 60  # active all day, but 8 hours since log-in
    s.save()
    assert c.get("/").status_code == 302
    c = login("tinh")
    s = c.session
    s[T.SEEN_AT] = int(time.time()) - 10 * 60
    s.save()
    assert c.get("/").status_code == 200  # 10 minutes idle is fine


def _routes():
    def walk(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    conv = re.compile(r"<(?:(\w+):)?(\w+)>")
    fill = {"int": "1", "uuid": str(uuid.uuid4()), "str": "x", "path": "x", "slug": "x", None: "x"}
    for route in sorted(set(walk(get_resolver()))):
        route = route.lstrip("^").rstrip("$")
        if route.startswith(("static/", "media/")) or "(?P" in route:
            continue
        yield "/" + conv.sub(lambda m: fill.get(m.group(1), "x"), route)


# What an outreach unit may open (the spec, written here independently of ansinh.core.roles).
OUTREACH_OPEN = {"home", "login", "set_language", "healthz", "outreach:home", "outreach:task", "outreach:evidence",
                 "outreach:summary", "outreach:directives", "outreach:directive", "outreach:directive_file",
                 "outreach:attachment", "outreach:bulletin", "outreach:bulletin_audio"}


# Not staff pages: the public's (a signed-in user gets what anyone gets) and the machine clients' API
# (a bearer token, not a session: tests/interop).
NOT_STAFF = ("/public/", "/api/g2p/")


def outreach_may_open(view_name: str, url: str) -> bool:
    if url.startswith("/api/"):
        return url.startswith(("/api/me", "/api/outreach/", "/api/public/"))
    return view_name in OUTREACH_OPEN or view_name.startswith("outreach_public:")


def test_an_outreach_unit_is_refused_every_staff_page(demo):
    c = login("vhxh_dongkinh")
    refused, allowed = [], []
    for url in _routes():
        if "logout" in url or url.startswith(NOT_STAFF):
            continue
        match = resolve(url)
        may = outreach_may_open(match.view_name, url)
        for method in ("get", "post"):
            status = getattr(c, method)(url).status_code
            if may:
                assert status != 403, (url, method)
            else:
                assert status == 403, (url, method, status)
        (allowed if may else refused).append(url)
    assert len(refused) >= 27, refused
    assert "/" in allowed and "/outreach/" in allowed and "/outreach/tasks/1/" in allowed
    # staff keep their pages
    assert login("dongkinh").get(reverse("registry:persons")).status_code == 200
    assert login("kiemtoan").get(reverse("accounts:dashboard")).status_code == 200


def test_an_outreach_units_menu_shows_only_what_it_may_open(demo):
    """The menu does not offer an outreach unit the staff pages it would be refused."""
    page = login("vhxh_dongkinh").get("/").content.decode()
    for url in (reverse("registry:persons"), reverse("payroll:runs"), reverse("matching:queue"),
                reverse("accounts:dashboard"), reverse("jobs:list")):
        assert f'href="{url}"' not in page, url
    assert f'href="{reverse("outreach:home")}"' in page
    staff = login("dongkinh").get("/").content.decode()
    assert f'href="{reverse("payroll:runs")}"' in staff and f'href="{reverse("registry:persons")}"' in staff
