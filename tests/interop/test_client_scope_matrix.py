"""Scope matrix of the machine API: every operation of /api/g2p/openapi.json, called by every kind
of client, answers only what that client may see or do. A provider client sees and acts on the
runs sent to it only (not another provider's, not a run of its province not sent to it); an
agency client only searches, within its scope; a client of another province sees nothing.
The web pages' matrix (tests/core/test_scope_matrix.py) covers the session routes; machine
clients' service users open no page (test_dci_search.test_service_users_have_their_machine_role)."""
from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from ansinh.interop import api as machine_api
from ansinh.interop import clients, sender
from ansinh.payroll.models import LineResult, PayrollLine
from tests.interop.conftest import OTHER, PROVIDER, make_client, make_run
from tests.interop.helpers import envelope, item, post, token

# Every operation of the machine API must be in this matrix (test_every_operation_is_in_the_matrix).
OPERATIONS = {("post", "/oauth/token"), ("post", "/on-disburse"), ("post", "/disburse/txn/on-status"),
              ("get", "/runs"), ("get", "/keys"), ("post", "/registry/sync/search")}
PUBLIC = {("post", "/oauth/token"), ("get", "/keys")}  # no client data: the token grant and ansinh's public keys


def test_every_operation_is_in_the_matrix():
    doc = machine_api.api.get_openapi_schema()
    ops = {(m, p.removeprefix("/api/g2p")) for p, item_ in doc["paths"].items() for m in item_}
    assert ops == OPERATIONS


def _agency(client_id, scope):
    return clients.create_client(client_id, name=client_id, organisation=client_id, kind="agency",
                                 operations=["search"], scope=list(scope), fields=["name", "birth_year"],
                                 created_by="test")


@pytest.fixture
def world(maker_checker):
    maker, checker = maker_checker
    run = make_run(4, maker, others=2, commune_code="05977")  # people of Phường Đông Kinh
    other_run = make_run(3, maker, period="2024-08", commune_code="06187")  # Phường Kỳ Lừa, sent to nobody
    creds = {"sent": make_client("bank-sent"), "same-code": make_client("bank-same-code"),
             "other-code": make_client("bank-other-code", provider=OTHER),
             "other-province": make_client("bank-qn", scope=("22",)),
             "agency": _agency("police-dong-kinh", ("05977",)), "agency-other": _agency("police-qn", ("22",))}
    sender.prepare(run, clients.get_client("bank-sent"), user=checker)
    sender.prepare(run, clients.get_client("bank-other-code"), user=checker)
    c = Client()
    toks = {k: token(c, v) for k, v in creds.items()}
    return run, other_run, creds, toks


def _runs(c, tok):
    r = c.get("/api/g2p/runs", HTTP_AUTHORIZATION=f"Bearer {tok}")
    return r.status_code, (r.json() if r.status_code == 200 else None)


def test_runs(world):
    run, other_run, creds, toks = world
    c = Client()
    seen = {k: _runs(c, t) for k, t in toks.items()}
    assert seen["sent"][0] == 200 and [(x["run"], x["lines"]) for x in seen["sent"][1]] == [(run.pk, 4)]
    assert seen["other-code"][0] == 200 and [(x["run"], x["lines"]) for x in seen["other-code"][1]] == [(run.pk, 2)]
    assert seen["same-code"] == (200, []) and seen["other-province"] == (200, [])
    assert seen["agency"][0] == 403 and seen["agency-other"][0] == 403


def test_results_only_for_runs_sent_to_the_client(world):
    run, other_run, creds, toks = world
    c = Client()
    tx = f"ansinh-run-{run.pk}-{run.period}"
    mine = list(PayrollLine.objects.filter(run=run, provider=PROVIDER).order_by("pk"))
    theirs = list(PayrollLine.objects.filter(run=run, provider=OTHER).order_by("pk"))
    other_tx = f"ansinh-run-{other_run.pk}-{other_run.period}"
    other_line = PayrollLine.objects.filter(run=other_run).first()
    for action, path in (("on-disburse", "/api/g2p/on-disburse"), ("on-status", "/api/g2p/disburse/txn/on-status")):
        on_status = action == "on-status"
        cases = [  # (client, transaction, line) -> expected status
            ("same-code", tx, mine[0], 404), ("other-province", tx, mine[0], 404),
            ("other-code", tx, mine[0], 400), ("sent", tx, theirs[0], 400),
            ("sent", other_tx, other_line, 404), ("agency", tx, mine[0], 403), ("agency-other", tx, mine[0], 403)]
        for who, t, line, expected in cases:
            env = envelope(creds[who], t, [item(line.pk, "succ", line.amount)], on_status=on_status)
            r = post(c, path, env, toks[who])
            assert r.status_code == expected, (action, who, r.content)
        assert PayrollLine.objects.filter(run__in=[run, other_run]).exclude(result=LineResult.PENDING).count() == 0
    # the client the run was sent to: accepted
    ok = envelope(creds["sent"], tx, [item(mine[0].pk, "succ", mine[0].amount)])
    assert post(c, "/api/g2p/on-disburse", ok, toks["sent"]).status_code == 200
    assert PayrollLine.objects.get(pk=mine[0].pk).result == LineResult.PAID


def test_search_only_by_agencies_within_their_scope(world):
    from ansinh.registry.models import Person

    run, other_run, creds, toks = world
    c = Client()
    here = PayrollLine.objects.filter(run=run).first().person
    there = PayrollLine.objects.filter(run=other_run).first().person
    assert here.commune.code == "05977" and there.commune.code == "06187"

    def search(who):
        env = {"header": {"version": "1.0.0", "message_id": uuid.uuid4().hex, "message_ts": "2024-07-18T09:00:00Z",
                          "action": "search", "sender_id": creds[who]["client_id"], "total_count": 2},
               "message": {"transaction_id": "t1", "search_request": [
                   {"reference_id": f"r{n}", "timestamp": "2024-07-18T09:00:00Z",
                    "search_criteria": {"query_type": "idtype-value",
                                        "query": {"type": "UIN", "value": Person.objects.get(pk=p.pk).id_number}}}
                   for n, p in enumerate((here, there))]}}
        r = c.post("/api/g2p/registry/sync/search", json.dumps(env), content_type="application/json",
                   HTTP_AUTHORIZATION=f"Bearer {toks[who]}")
        if r.status_code != 200:
            return r.status_code, None
        return 200, [x["pagination"]["total_count"] for x in r.json()["message"]["search_response"]]

    assert search("agency") == (200, [1, 0])
    assert search("agency-other") == (200, [0, 0])
    for who in ("sent", "same-code", "other-code", "other-province"):
        assert search(who) == (403, None)


def test_public_operations_carry_no_client_data(world):
    c = Client()
    keys = c.get("/api/g2p/keys").json()
    assert set(keys) == {"sender_id", "keys"} and all(set(k) == {"key_id", "algorithm", "public_key"}
                                                      for k in keys["keys"])
    assert PUBLIC <= OPERATIONS
