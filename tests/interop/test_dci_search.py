"""DCI social registry search (/api/g2p/registry/sync/search): another agency's client finds a
person by identifier (and name, birth year) within its scope, is answered only the fields it is
allowed, and every answer is in the audit log. Every request and answer is validated against the
spec's JSON Schema (tests/interop/dci_spec.py)."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.test import Client

from ansinh.interop import signing
from tests.interop import dci_spec
from tests.interop.helpers import token

A, B = "05977", "06187"  # Phường Đông Kinh, Phường Kỳ Lừa (Lạng Sơn)
ID_A, ID_B, ID_OLD = "020190000001", "020190000002", "020190000003"


@pytest.fixture
def people(db):
    from ansinh.core.services import current_unit
    from ansinh.registry.models import Enrolment, Person

    ua, ub = current_unit(A), current_unit(B)

    def person(idn, name, dob, unit, **kw):
        from ansinh.text import fold

        return Person.objects.create(id_number=idn, full_name=name, name_key=fold(name), dob=dob, gender="F",
                                     commune=unit, residence_unit=unit, scope_commune=unit, village="Thôn Nà Lầu",
                                     province_code=unit.province_code, **kw)

    pa = person(ID_A, "Hoàng Thị Mai", dt.date(1950, 3, 4), ua)
    pb = person(ID_B, "Lộc Văn Tình", dt.date(1948, 1, 1), ub)
    old = person(ID_OLD, "Nông Văn Dũng", dt.date(1940, 6, 1), ua, status="deceased", deceased_on=dt.date(2024, 1, 5))
    Enrolment.objects.create(person=pa, programme="tcxh", category="5.6-severe", start_month="2024-01",
                             scope_commune=ua, province_code=ua.province_code)
    return pa, pb, old


def agency(client_id="cong-an-dong-kinh", scope=(A,), fields=("name", "birth_year", "commune")):
    from ansinh.interop import clients

    return clients.create_client(client_id, name="Công an phường Đông Kinh", organisation="Công an phường Đông Kinh",
                                 kind="agency", operations=["search"], scope=list(scope), fields=list(fields),
                                 created_by="test")


def request(creds, *items, sign=False, header=None) -> dict:
    h = {"version": "1.0.0", "message_id": uuid.uuid4().hex, "message_ts": "2024-07-18T09:00:00+07:00",
         "action": "search", "sender_id": creds["client_id"], "total_count": len(items), **(header or {})}
    m = {"transaction_id": "tx-" + uuid.uuid4().hex[:12], "search_request": [
        {"reference_id": f"r{n}", "timestamp": "2024-07-18T09:00:00+07:00", "search_criteria": crit}
        for n, crit in enumerate(items)]}
    env = {"header": h, "message": m}
    if sign:
        key = signing.load_private(creds["private_key_pem"])
        env["signature"] = signing.sign(h, m, key, sender_id=creds["client_id"], key_id=creds["key_id"])
    return env


def by_id(value, id_type="UIN"):
    return {"query_type": "idtype-value", "query": {"type": id_type, "value": value}}


def predicate(**terms):
    exprs = [{"attribute_name": k, "operator": "eq", "attribute_value": v} for k, v in terms.items()]
    return {"query_type": "predicate", "query": [
        {"seq_num": 1, "expression1": exprs[0], **({"condition": "and", "expression2": exprs[1]} if len(exprs) > 1 else {})},
        *[{"seq_num": i + 2, "expression1": e} for i, e in enumerate(exprs[2:])]]}


def search(c, env, tok, expect=200, *, spec_valid=True):
    """POST `env`; the request is valid per the spec unless said (`spec_valid`), the answer always."""
    assert not spec_valid or expect != 200 or dci_spec.request_errors(env) == [], dci_spec.request_errors(env)
    r = c.post("/api/g2p/registry/sync/search", json.dumps(env, ensure_ascii=False), content_type="application/json",
               **({"HTTP_AUTHORIZATION": f"Bearer {tok}"} if tok else {}))
    assert r.status_code == expect, r.content
    body = r.json()
    if expect == 200:
        assert dci_spec.answer_errors(body) == [], dci_spec.answer_errors(body)
    else:
        assert dci_spec.http_error_errors(body) == [] and body["errors"][0]["code"].startswith("err."), body
    return body


def test_search_answers_only_allowed_fields_within_scope(people):
    from ansinh.interop.sender import public_keys

    pa, pb, old = people
    c = Client()
    creds = agency()
    tok = token(c, creds)
    body = search(c, request(creds, by_id(ID_A), by_id(ID_B), predicate(UIN=ID_A, YOB="1950", name="HOANG THI MAI"),
                             predicate(UIN=ID_A, YOB=1951), predicate(NationalID=ID_A, name="Hoàng Thị Lan"),
                             by_id("020199999999")), tok)
    res = body["message"]["search_response"]
    assert [r["status"] for r in res] == ["succ"] * 6
    counts = [r["pagination"]["total_count"] for r in res]
    assert counts == [1, 0, 1, 0, 0, 0]  # B is outside the scope; a wrong birth year or name finds nobody
    rec = res[0]["data"]["reg_records"][0]
    assert rec["member_identifier"] == [{"@type": "Identifier", "identifier_type": "UIN", "identifier_value": ID_A}]
    info = rec["demographic_info"]
    assert info["name"] == {"@type": "Name", "surname": "Hoàng", "given_name": "Thị Mai"}
    assert info["birth_year"] == 1950 and "birth_date" not in info and "sex" not in info
    assert info["address"] == {"@type": "Address", "locality": pa.commune.name}  # commune, not the village
    assert set(rec) == {"@type", "member_identifier", "demographic_info"}  # no alive / beneficiary
    # The answer is signed by ansinh's published key.
    h = body["header"]
    assert h["action"] == "on-search" and h["receiver_id"] == creds["client_id"] and h["total_count"] == 6
    pub = signing.load_public(public_keys()[0]["public_key"])
    signing.verify(body["signature"], h, body["message"], pub)


def test_fields_allow_list(people):
    pa, pb, old = people
    c = Client()
    narrow = agency("ngan-hang-kiem-tra", fields=["name"])
    wide = agency("so-y-te", fields=["name", "birth_date", "sex", "commune", "address", "alive", "beneficiary"])
    rec = search(c, request(narrow, by_id(ID_A)), token(c, narrow))["message"]["search_response"][0]["data"]["reg_records"][0]
    assert set(rec["demographic_info"]) == {"@type", "name"} and set(rec) == {"@type", "member_identifier", "demographic_info"}
    tok = token(c, wide)
    res = search(c, request(wide, by_id(ID_A), by_id(ID_OLD)), tok)["message"]["search_response"]
    a, o = res[0]["data"]["reg_records"][0], res[1]["data"]["reg_records"][0]
    assert a["demographic_info"]["birth_date"] == "1950-03-04" and a["demographic_info"]["sex"] == "female"
    assert a["demographic_info"]["address"]["street_address"] == "Thôn Nà Lầu"
    assert a["is_deceased"] is False and a["additional_attributes"] == [{"services": "receives_subsidy"}]
    assert o["is_deceased"] is True and o["additional_attributes"] == []
    nobody = agency("khong-truong", fields=[])
    rec = search(c, request(nobody, by_id(ID_A)), token(c, nobody))["message"]["search_response"][0]["data"]["reg_records"][0]
    assert rec["demographic_info"] == {"@type": "SRPerson"}  # found, nothing more told


def test_refusals_and_rejected_items(people):
    from tests.interop.conftest import make_client

    c = Client()
    creds = agency()
    tok = token(c, creds)
    search(c, request(creds, by_id(ID_A)), None, expect=401)
    search(c, request(creds, by_id(ID_A)), "not-a-token", expect=401)
    provider = make_client("bank-no-search")
    search(c, request(provider, by_id(ID_A)), token(c, provider), expect=403)  # a provider may not search
    search(c, request(creds, by_id(ID_A), header={"sender_id": "someone-else"}), tok, expect=403)
    search(c, request(creds, by_id(ID_A), header={"action": "on-search"}), tok, expect=400)
    search(c, request(creds, *[by_id(ID_A)] * 101), tok, expect=400)
    env = request(creds, by_id(ID_A), sign=True)
    assert search(c, env, tok)["message"]["search_response"][0]["pagination"]["total_count"] == 1
    env["message"]["search_request"][0]["search_criteria"]["query"]["value"] = ID_B  # tampered after signing
    search(c, env, tok, expect=401)
    env = request(creds, by_id("123"), by_id(ID_A, "MOBILE"), predicate(YOB="1950"),
                  {"query_type": "expression", "query": {"type": "NoSql", "value": {}}}, predicate(UIN=ID_A, YOB="50"))
    env["message"]["search_request"].append(dict(env["message"]["search_request"][0]))  # reference r0 twice
    # (an `expression` query {type, value: {}} matches both object forms of the spec's oneOf: the
    # request is not valid per the spec; ansinh answers it item by item all the same)
    res = search(c, env, tok, spec_valid=False)["message"]["search_response"]
    assert [r["status"] for r in res] == ["rjct"] * 6
    assert {r["status_reason_code"] for r in res[:5]} == {"rjct.search_criteria.invalid"}
    assert res[5]["status_reason_code"] == "rjct.reference_id.duplicate"
    assert all(ID_A not in r["status_reason_message"] for r in res)


def test_every_call_and_answer_is_audited(people):
    from ansinh.audit.models import Action, AuditEntry, AuditSubject
    from ansinh.audit.selectors import verify
    from ansinh.interop.models import ApiCall

    pa, pb, old = people
    c = Client()
    creds = agency()
    tok = token(c, creds)
    search(c, request(creds, by_id(ID_A), by_id(ID_OLD), by_id(ID_B)), tok)
    search(c, request(creds, by_id(ID_A)), None, expect=401)
    seen = AuditEntry.objects.get(action=Action.PERSON_VIEW)
    assert seen.user_name == f"client:{creds['client_id']}" and seen.object.startswith("dci.search ")
    assert set(AuditSubject.objects.filter(entry=seen).values_list("person_id", flat=True)) == {pa.pk, old.pk}
    calls = list(ApiCall.objects.order_by("id"))
    assert [(x.operation, x.status_code) for x in calls] == [("token", 200), ("search", 200), ("search", 401)]
    entries = list(AuditEntry.objects.filter(action=Action.API_CALL).order_by("seq"))
    assert [e.object for e in entries] == [f"interop.apicall {x.pk}" for x in calls]
    assert json.loads(entries[1].detail)["outcome"] == calls[1].outcome == "3 requests, 2 records, 0 rejected"
    for e in entries + [seen]:  # no identifier in the log
        assert ID_A not in e.detail + e.object and ID_B not in e.detail + e.object
    assert verify()["ok"]


def test_service_users_have_their_machine_role(db):
    from ansinh.core.roles import may_open, roles_of
    from ansinh.interop.models import MachineClient
    from tests.interop.conftest import make_client

    make_client("bank-role")
    agency()
    for c in MachineClient.objects.select_related("user"):
        assert roles_of(c.user) == {"provider_client" if c.kind == "provider" else "agency_client"}
        assert not c.user.has_usable_password()
        assert not may_open(c.user, "home", "/")
