"""A small demo installation for the role tests: `ansinh demo setup` (the same command `make demo`
runs, with few people), then a draft payroll run for December 2024 made by `tinh`, so the approver
has a run waiting for them. Built once per module and committed (the browser tests' live server
reads it from another thread); the database is emptied afterwards and the reference data reloaded.

Import the fixture into a test module: ``from tests.web.demo_site import demo_site  # noqa: F401``.
"""
from __future__ import annotations

import pytest

DEMO_PEOPLE = 240
PROVINCE = "20"  # the demo's province (Lạng Sơn): data of the demo, named in the test only
ROLES = ("admin", "tinh", "pheduyet", "kiemtoan", "dongkinh", "baolangson", "vhxh_dongkinh")


def _cli(*argv: str) -> None:
    from ansinh.cli import main

    code = main(list(argv))
    assert code in (0, None), f"ansinh {' '.join(argv)} exited with {code}"


def build_demo() -> None:
    """The demo data (settings must say ANSINH_DEMO and a VAR_DIR of the test's own)."""
    from ansinh.accounts.kpi import clear_caches

    clear_caches()
    _cli("demo", "setup", "--people", str(DEMO_PEOPLE))
    _cli("payroll", "generate", "--period", "2024-12", "--province", PROVINCE, "--as", "tinh")


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.core.management import call_command
    from django.test import override_settings

    var = tmp_path_factory.mktemp("demo-var")
    with override_settings(ANSINH_DEMO=True, VAR_DIR=var, MEDIA_ROOT=var / "media"), django_db_blocker.unblock():
        from ansinh.accounts.kpi import clear_caches

        try:
            build_demo()
            yield var
        finally:
            call_command("flush", interactive=False, verbosity=0)
            from ansinh.core.roles import ensure_role_groups
            from ansinh.units.loader import load_units

            load_units()
            ensure_role_groups()
            clear_caches()
