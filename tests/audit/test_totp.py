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
    # enrolled: the recovery codes are shown once, then back to the page
    assert r.status_code == 302 and r["Location"] == "/totp/recovery/?next=%2Faccounts%2Fapprovals%2F"
    page = c.get(r["Location"]).content.decode()
    assert page.count("class=\"recovery-code\"") == twofactor.RECOVERY_CODES and 'href="/accounts/approvals/"' in page
    assert c.get(r["Location"])["Location"] == "/accounts/approvals/"  # not a second time
    assert c.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"}).status_code == 302
    acc.refresh_from_db()
    assert acc.approval == "approved"
    events = [json.loads(e.detail)["event"] for e in AuditEntry.objects.order_by("seq").filter(action=Action.TOTP)]
    assert events == ["enrolled", "recovery codes made"]


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


def test_recovery_codes_once_each_at_the_totp_step_and_reset(totp_on):
    """Codes are made at enrolment, kept only as keyed hashes, each accepted once in place of a TOTP
    code; `ansinh users totp-reset` removes them with the phone."""
    import re

    from django_otp.plugins.otp_static.models import StaticToken

    acc = pending_account()
    user, c = approver_client("pd_recovery")
    c.get("/totp/")
    device = twofactor.device_of(user, confirmed=False)
    r = c.post("/totp/", {"code": next_code(device.key), "next": "/accounts/approvals/"})
    codes = re.findall(r"<li class=\"recovery-code\">([a-z0-9]{5}-[a-z0-9]{5})</li>", c.get(r["Location"]).content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert not stored & {x.replace("-", "") for x in codes} and not stored & set(codes)  # hashes only
    # a new session (the phone is lost): a recovery code passes the step, typed in capitals with a space
    c2 = Client()
    assert c2.login(username="pd_recovery", password=PASSWORD)
    r = c2.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"},
                HTTP_REFERER="http://testserver/accounts/approvals/")
    assert r["Location"].startswith("/totp/")
    page = c2.get(r["Location"]).content.decode()
    assert "data:image/svg+xml" not in page  # asks for a code, does not enrol again
    r = c2.post("/totp/", {"code": codes[0].upper().replace("-", " "), "next": "/accounts/approvals/"})
    assert r.status_code == 302 and r["Location"] == "/accounts/approvals/"
    assert twofactor.recovery_left(user) == 9
    assert c2.post("/accounts/approvals/", {"account": acc.pk, "action": "approve"}).status_code == 302
    acc.refresh_from_db()
    assert acc.approval == "approved"
    # the same code a second time: refused
    c3 = Client()
    assert c3.login(username="pd_recovery", password=PASSWORD)
    assert c3.post("/totp/", {"code": codes[0], "next": "/"}).status_code == 400
    assert twofactor.recovery_left(user) == 9
    events = [json.loads(e.detail) for e in AuditEntry.objects.order_by("seq").filter(action=Action.TOTP)]
    assert {"event": "recovery code used", "left": 9} in events
    # reset: the phone and the codes go
    assert main(["users", "totp-reset", "pd_recovery"]) == 0
    assert twofactor.recovery_left(user) == 0 and twofactor.device_of(user) is None
    c4 = Client()
    assert c4.login(username="pd_recovery", password=PASSWORD)
    r = c4.post("/totp/", {"code": codes[1], "next": "/"})  # an old code: refused, the enrolment page again
    assert r.status_code == 400 and "data:image/svg+xml" in r.content.decode()
    last = json.loads(AuditEntry.objects.filter(action=Action.TOTP).order_by("-seq")[0].detail)
    assert last == {"event": "reset", "devices": 1, "recovery_codes": 9}
