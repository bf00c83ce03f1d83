"""TOTP before approving money (ansinh.core.twofactor, ansinh.web.twofactor): enrolment with a QR,
the step on the web and the API, the reset command, the demo's published keys."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.test import Client

from ansinh.audit.models import Action, AuditEntry
from ansinh.cli import main
from ansinh.core import twofactor
from ansinh.core.services import current_unit, upsert_user

pytestmark = pytest.mark.django_db
PASSWORD = "Mk-thu-nghiem-2024"


def pending_account():
    from ansinh.registry.models import PaymentAccount, Person

    unit = current_unit("05977")
    p = Person.objects.create(full_name="Hoàng Văn A", name_key="HOANG VAN A", dob=dt.date(1950, 1, 1), commune=unit,
                              residence_unit=unit, scope_commune=unit, province_code="20")
    return PaymentAccount.objects.create(person=p, provider="970405", account_number="1002003001",
                                         holder_name="HOANG VAN A")


def approver_client(username="pd_totp"):
    user = upsert_user(username, PASSWORD, roles=["approver"], unit_codes=["20"])
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return user, c


def next_code(key_hex):
    """A code valid now that the device has not used yet (the next 30-second step if needed)."""
    return twofactor.current_code(key_hex)


def test_approval_waits_for_enrolment_then_code(totp_on):
    acc = pending_account()
    user, c = approver_client()
    r = c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"},
               HTTP_REFERER="http://testserver/accounts/approvals/")
    assert r.status_code == 302 and r["Location"].startswith("/totp/?next=%2Faccounts%2Fapprovals%2F")
    acc.refresh_from_db()
    assert acc.approval == "pending"
    page = c.get(r["Location"]).content.decode()
    assert "data:image/svg+xml" in page and 'id="totp-secret"' in page  # the QR and the key
    device = twofactor.device_of(user, confirmed=False)
    assert c.post("/totp/", {"code": "000000", "next": "/accounts/approvals/"}).status_code == 400
    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp throttles after a wrong code; the test does not wait
    device.throttling_failure_timestamp = None
    device.save()
    r = c.post("/totp/", {"code": next_code(device.key), "next": "/accounts/approvals/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/approvals/"
    assert c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"}).status_code == 302
    acc.refresh_from_db()
    assert acc.approval == "approved"
    events = [json.loads(e.detail)["event"] for e in AuditEntry.objects.filter(action=Action.TOTP)]
    assert events == ["enrolled"]


def test_api_refuses_until_verified(totp_on):
    acc = pending_account()
    user, c = approver_client()
    r = c.post(f"/api/accounts/approvals/{acc.pk}/approve")
    assert r.status_code == 403 and "two-factor" in r.json()["detail"]
    device = twofactor.enrol_known_key(user, twofactor.demo_key("x"))
    assert c.post("/totp/", {"code": next_code(device.key)}).status_code == 302
    assert c.post(f"/api/accounts/approvals/{acc.pk}/approve").json()["approval"] == "approved"


def test_other_posts_and_reads_need_no_code(totp_on):
    pending_account()
    _, c = approver_client()
    assert c.get("/accounts/approvals/").status_code == 200


def test_reset_removes_devices_and_is_audited(capsys):
    user, _ = approver_client()
    twofactor.enrol_known_key(user, twofactor.demo_key("y"))
    assert main(["users", "totp-reset", "pd_totp"]) == 0
    assert "1 two-factor device(s) removed" in capsys.readouterr().out
    assert twofactor.device_of(user) is None
    e = AuditEntry.objects.filter(action=Action.TOTP).latest("seq")
    assert e.user_name == "operator" and json.loads(e.detail)["event"] == "reset"
    assert main(["users", "totp-reset", "nobody"]) == 2


def test_demo_users_have_published_keys(capsys, settings):
    from ansinh.core.demo import create_demo_users

    settings.ANSINH_DEMO = True
    rows = {r["username"]: r for r in create_demo_users()}
    assert rows["pheduyet"]["totp"] == twofactor.b32(twofactor.demo_key("pheduyet"))
    assert rows["kiemtoan"]["totp"] == "" and rows["baolangson"]["totp"] == ""
    assert main(["demo", "totp", "pheduyet", "--json"]) == 0
    code = json.loads(capsys.readouterr().out)["code"]
    now = time.time()
    assert code in {twofactor.current_code(twofactor.demo_key("pheduyet"), t) for t in (now, now - 30)}


def test_deploy_check_flags_the_step_switched_off(settings):
    from ansinh.core.deploycheck import ansinh_deploy_checks

    settings.ANSINH_TOTP_REQUIRED = False
    assert "ansinh.W008" in [m.id for m in ansinh_deploy_checks()]
    settings.ANSINH_TOTP_REQUIRED = True
    assert "ansinh.W008" not in [m.id for m in ansinh_deploy_checks()]
