"""Issue 19: `user=None` has one meaning in the accounts reads and writes, nothing (the CLI passes
its operator); the demo story runs only in a demo installation."""
from __future__ import annotations

import pytest

from ansinh.accounts import kpi, lists, snapshots, targets
from ansinh.accounts.stages import set_stage
from ansinh.core.jobs import BadInput
from ansinh.registry.models import ChangeLog, Enrolment, PaymentAccount
from ansinh.core.roles import OPERATOR

from .conftest import D

pytestmark = pytest.mark.django_db


def test_reads_without_a_user_see_nothing(town):
    snapshots.refresh_snapshots([D(2024, 6, 30)])
    assert kpi.snapshot_days(OPERATOR) == [D(2024, 6, 30)] and kpi.snapshot_days(None) == []
    assert kpi.coverage(OPERATOR, D(2024, 6, 30), "commune", "new", province="20")
    assert kpi.coverage(None, D(2024, 6, 30), "commune", "new", province="20") == []
    assert kpi.coverage(None, D(2024, 6, 30), "province", "old", use_snapshot=True) == []
    assert lists.people_without(None, town["dong_kinh"], D(2024, 8, 1)) == []
    assert lists.pending_accounts(None) == ([], 0)


def test_writes_without_a_user_are_refused(town):
    assert targets.can_edit_targets(None, "20") is False
    with pytest.raises(BadInput):
        targets.save_target(None, due=D(2025, 12, 31), low=80, high=90, province_code="20")
    acc = town["p3"].accounts.get()
    with pytest.raises(BadInput, match="ngoài phạm vi"):
        set_stage(acc, "confirmed", D(2024, 2, 10), None)
    acc.refresh_from_db()
    assert acc.confirmed_on is None and not ChangeLog.objects.filter(object_id=acc.pk).exists()


def test_the_demo_story_needs_a_demo_installation(town, settings):
    from ansinh.accounts.demo import demo_setup

    settings.ANSINH_DEMO = False  # a production installation: enrolments and accounts are real
    before = (list(Enrolment.objects.values_list("start_month", flat=True).order_by("pk")),
              list(PaymentAccount.objects.values_list("registered_on", "status").order_by("pk")))
    assert demo_setup() == {"accounts": "skipped: demo helpers need ANSINH_DEMO=1"}
    assert before == (list(Enrolment.objects.values_list("start_month", flat=True).order_by("pk")),
                      list(PaymentAccount.objects.values_list("registered_on", "status").order_by("pk")))
