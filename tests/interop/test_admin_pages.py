"""The administrator's pages for machine clients: register (the secret shown once), list, keys and
recent calls, rotate, revoke; only the administrator, only the clients inside their scope."""
from __future__ import annotations

import hashlib

import pytest
from django.test import Client

from tests.interop.helpers import token

PASSWORD = "Mk-thu-nghiem-2024"


@pytest.fixture
def admins(db):
    from ansinh.core.services import upsert_user

    return (upsert_user("ic-admin", PASSWORD, roles=["admin"], unit_codes=["20"]),
            upsert_user("ic-admin-22", PASSWORD, roles=["admin"], unit_codes=["22"]),
            upsert_user("ic-officer", PASSWORD, roles=["province_officer"], unit_codes=["20"]))


def _login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


FORM = {"name": "Hệ thống tra cứu Công an phường Đông Kinh", "organisation": "Công an phường Đông Kinh",
        "client_id": "ca-dong-kinh", "kind": "agency", "operations": ["search"], "scope": ["05977"],
        "fields": ["name", "birth_year"]}


def test_register_show_once_rotate_revoke(admins):
    from ansinh.audit.models import AuditEntry
    from ansinh.interop.models import ClientKey, MachineClient

    admin, other, officer = admins
    c = _login(admin)
    r = c.get("/interop/clients/new/")
    assert r.status_code == 200 and "Phường Đông Kinh" in r.content.decode()
    r = c.post("/interop/clients/new/", FORM)
    assert r.status_code == 200, r.content.decode()[:2000]
    page = r.content.decode()
    client = MachineClient.objects.get(client_id="ca-dong-kinh")
    secret = r.context["creds"]["client_secret"]
    assert secret in page and "BEGIN PRIVATE KEY" in page and "chỉ hiện một lần" in page
    assert client.fields == ["name", "birth_year"] and client.operations == ["search"] and client.kind == "agency"
    assert ClientKey.objects.get(client=client).secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in c.get(f"/interop/clients/{client.pk}/").content.decode()
    tok = token(Client(), {"client_id": "ca-dong-kinh", "client_secret": secret})
    assert tok
    r = c.get("/interop/clients/")
    assert "Hệ thống tra cứu Công an phường Đông Kinh" in r.content.decode()
    detail = c.get(f"/interop/clients/{client.pk}/").content.decode()
    assert "token" in detail and "issued" in detail  # the recent calls
    # Rotate with no grace: the old secret stops at once; the new one works.
    r = c.post(f"/interop/clients/{client.pk}/rotate/", {"grace_hours": "0"})
    new = r.context["creds"]["client_secret"]
    assert r.status_code == 200 and new in r.content.decode() and new != secret
    assert Client().post("/api/g2p/oauth/token", {"grant_type": "client_credentials", "client_id": "ca-dong-kinh",
                                                 "client_secret": secret}).status_code == 401
    token(Client(), {"client_id": "ca-dong-kinh", "client_secret": new})
    # Revoke: every key, every token.
    r = c.post(f"/interop/clients/{client.pk}/revoke/", follow=True)
    assert "Đã thu hồi" in r.content.decode()
    assert Client().post("/api/g2p/oauth/token", {"grant_type": "client_credentials", "client_id": "ca-dong-kinh",
                                                 "client_secret": new}).status_code == 401
    changes = [e.detail for e in AuditEntry.objects.filter(object=f"interop.machineclient {client.pk}").order_by("seq")]
    assert [('"create"' in d, '"rotate"' in d, '"revoke"' in d) for d in changes] == [
        (True, False, False), (False, True, False), (False, False, True)]
    assert all(secret not in d and new not in d for d in changes)


def test_only_the_administrator_and_only_inside_their_scope(admins):
    from ansinh.interop.models import MachineClient

    admin, other, officer = admins
    _login(admin).post("/interop/clients/new/", FORM)
    pk = MachineClient.objects.get(client_id="ca-dong-kinh").pk
    for path in ("/interop/clients/", "/interop/clients/new/", f"/interop/clients/{pk}/"):
        assert _login(officer).get(path).status_code == 403
    assert _login(officer).post(f"/interop/clients/{pk}/revoke/").status_code == 403
    c = _login(other)
    assert "Đông Kinh" not in c.get("/interop/clients/").content.decode()
    assert c.get(f"/interop/clients/{pk}/").status_code == 404
    assert c.post(f"/interop/clients/{pk}/revoke/").status_code == 404
    assert c.post(f"/interop/clients/{pk}/rotate/", {"grace_hours": "0"}).status_code == 404
    # Another province's administrator cannot give a client a scope outside their own.
    r = c.post("/interop/clients/new/", {**FORM, "client_id": "ca-khac"})
    assert r.status_code == 400 and not MachineClient.objects.filter(client_id="ca-khac").exists()
    assert MachineClient.objects.get(pk=pk).active
    # Bad input is answered on the form, nothing made.
    r = _login(admin).post("/interop/clients/new/", {**FORM, "client_id": "ca-2", "kind": "provider"})
    assert r.status_code == 400 and "Không đăng ký được" in r.content.decode()
    assert not MachineClient.objects.filter(client_id="ca-2").exists()
