"""`ansinh demo setup` runs the registry of demo steps (ansinh.core.cli.DEMO_STEPS): organisations
and users, then registry first and each app's `ansinh.<app>.demo.demo_setup(**kwargs)`, with a step
line each and the demo logins printed last."""
from __future__ import annotations

import json
import re

import pytest

from ansinh.cli import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_installation(settings, tmp_path):
    settings.ANSINH_DEMO = True
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()


def test_a_missing_demo_step_stops_setup_before_anything_runs(demo_installation, monkeypatch, capsys):
    from django.contrib.auth import get_user_model

    from ansinh.core import cli as core_cli

    monkeypatch.setattr(core_cli, "DEMO_STEPS", (*core_cli.DEMO_STEPS, ("nosuchapp", "Không có")))
    assert main(["demo", "setup", "--people", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ansinh.nosuchapp.demo.demo_setup" in err[0], err
    assert not get_user_model().objects.exists()  # no step ran, not even the users


def test_demo_setup_runs_every_step_in_order_and_prints_the_logins_last(demo_installation, capsys):
    from ansinh.core.cli import DEMO_STEPS
    from ansinh.registry.models import Person

    assert [label for label, _ in DEMO_STEPS][0] == "registry"
    assert main(["demo", "setup", "--people", "300", "--seed", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    steps = [ln for ln in lines if re.match(r"\[\d+/\d+\] ", ln)]
    assert steps == [f"[{i}/{len(DEMO_STEPS) + 1}] {text}"
                     for i, text in enumerate(["Tổ chức và người dùng demo", *(t for _, t in DEMO_STEPS)], 1)]
    logins = lines.index(next(ln for ln in lines if ln.startswith("Tài khoản dùng thử")))
    assert logins > lines.index(steps[-1]) and all(ln.startswith("  ") for ln in lines[logins + 1:])
    assert re.search(r"^\s+pheduyet\s+ansinh-demo\s", "\n".join(lines[logins:]), flags=re.M)
    assert Person.objects.count() >= 300
    # --json: one document, every step's result under its app label
    assert main(["demo", "setup", "--people", "300", "--seed", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data["data"]) == [label for label, _ in DEMO_STEPS]
    assert {r["username"] for r in data["logins"]} >= {"tinh", "pheduyet", "dongkinh"}


@pytest.mark.parametrize("args", [["demo", "accounts"], ["accounts", "demo"],
                                  ["demo", "data", "--province", "20", "--people", "5", "--out", "{tmp}/d"]])
def test_every_demo_command_refuses_outside_a_demo_installation(args, settings, tmp_path, capsys):
    """`demo accounts` used to write made-up account history into any database: now every `ansinh
    demo` command (and its old name) is refused outside ANSINH_DEMO=1, one line, exit 2."""
    from ansinh.registry.models import PaymentAccount

    settings.ANSINH_DEMO = False
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if "deprecated" not in ln]
    assert len(err) == 1 and "ANSINH_DEMO" in err[0], err
    assert not PaymentAccount.objects.exists() and not (tmp_path / "d").exists()


def test_serve_prints_the_logins_once_the_site_answers(capsys):
    """`make demo` runs `ansinh serve --logins`: the logins come after the server's banner (when
    its port accepts connections), the last lines on the screen."""
    import socket

    from ansinh.core.cli import _print_logins_when_up

    rows = [{"username": "pheduyet", "password": "ansinh-demo", "role_label": "Người phê duyệt", "scope": "Tỉnh"}]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    thread = _print_logins_when_up(f"127.0.0.1:{port}", rows, timeout=10)
    thread.join(0.5)
    assert thread.is_alive() and capsys.readouterr().out == ""  # nothing before the server listens
    print("Starting development server at …")  # the banner
    srv.listen()
    thread.join(10)
    srv.close()
    out = capsys.readouterr().out.splitlines()
    head = next(i for i, ln in enumerate(out) if ln.startswith("Tài khoản dùng thử — mở http://127.0.0.1:"))
    assert out[0].startswith("Starting") and head > 0
    assert any(ln.startswith("  pheduyet ") for ln in out[head:]) and out[-1].startswith("Dừng máy chủ")
