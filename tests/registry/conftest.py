"""The registry reader tests are pure (no database): they must also run with
``pytest tests/registry -p no:django``.  The root conftest's autouse fixture asks
for pytest-django's ``django_db_blocker``; this same-named fixture overrides it here."""
import pytest


@pytest.fixture(autouse=True)
def _reference_data_present():
    yield
