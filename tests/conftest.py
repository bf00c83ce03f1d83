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


@pytest.fixture
def transactional_db_with_units(transactional_db):
    """A real-transaction database (for code that opens its own transactions, e.g. the task worker).
    The flush at the end removes the reference data, so it is loaded again for the tests after."""
    from ansinh.core.roles import ensure_role_groups
    from ansinh.units.loader import load_units

    load_units()
    yield
    # transactional_db flushes after this fixture ends; reload lazily in the next session-level user.


@pytest.fixture(autouse=True)
def _reference_data_present(request, django_db_blocker):
    """Re-load reference data (units, role groups, the seed coverage targets of accounts migration
    0002) if a transactional test flushed it."""
    yield
    marker = request.node.get_closest_marker("django_db")
    flushed = ("transactional_db" in request.fixturenames or "transactional_db_with_units" in request.fixturenames
               or bool(marker and marker.kwargs.get("transaction")))
    if flushed:
        with django_db_blocker.unblock():
            from ansinh.accounts.targets import ensure_targets
            from ansinh.core.roles import ensure_role_groups
            from ansinh.units.loader import load_units

            load_units()
            ensure_role_groups()
            ensure_targets()


@pytest.fixture(autouse=True)
def _totp_step_up(request, settings):
    """Approving money needs a TOTP code on every site (ansinh.core.twofactor); tests of other rules
    approve without one, and the tests of the step itself ask for it with the `totp_on` fixture."""
    settings.ANSINH_TOTP_REQUIRED = "totp_on" in request.fixturenames


@pytest.fixture
def totp_on():
    """The TOTP step is enforced in this test (as on every real site)."""
    return True
