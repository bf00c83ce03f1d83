"""Shared fixtures: the administrative units are loaded once per test database."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from ansinh.core.roles import ensure_role_groups
        from ansinh.units.loader import load_units

        load_units()
        ensure_role_groups()
