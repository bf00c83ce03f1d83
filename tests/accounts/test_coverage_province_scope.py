"""Issue 11 (scope matrix): the coverage API asked for a province outside the caller's scope
listed that province's units with the targets of its communes (rows of another scope)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from ansinh.accounts import kpi
from ansinh.accounts.models import Target
from ansinh.core.services import upsert_user

from .conftest import new_commune

pytestmark = pytest.mark.django_db


def test_coverage_of_a_province_outside_the_scope_is_empty():
    kl = new_commune("06187")  # Phường Kỳ Lừa, Lạng Sơn (20)
    Target.objects.create(commune=kl, province_code="20", due=dt.date(2030, 1, 1), low=41, high=59, label="KL")
    kpi.clear_caches()
    user = upsert_user("qn_officer", "pw-qn-officer-123", roles=["province_officer"], unit_codes=["22"])
    c = Client()
    c.force_login(user)
    r = c.get("/api/accounts/coverage?province=20")
    assert r.status_code == 200
    assert r.json() == []  # was every commune of Lạng Sơn, Kỳ Lừa with target 41-59
    assert kpi.coverage(user, dt.date.today(), "commune", "new", province="20") == []
    # the caller's own province still lists its units
    assert c.get("/api/accounts/coverage?province=22").json()
