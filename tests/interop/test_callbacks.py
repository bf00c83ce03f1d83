"""/on-disburse and /disburse/txn/on-status received in-process: authentication, signature,
replay, duplicates and conflicts, scope (a provider reaches only the lines sent to it), and the
results recorded through the payroll reconciliation."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from ansinh.interop import clients, sender
from ansinh.interop.models import ApiCall, ReceivedMessage
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun, RunStatus
from tests.interop.conftest import OTHER, make_client, make_run
from tests.interop.helpers import envelope, item, post, token


@pytest.fixture
def sent(maker_checker):
    """A run of 6 lines of the provider, 2 of another provider and 1 cash line, prepared for the provider."""
    maker, checker = maker_checker
    run = make_run(6, maker, others=2, cash=1)
    creds = make_client()
    client = clients.get_client(creds["client_id"])
    batches = sender.prepare(run, client, user=checker, batch_size=4)
    return run, creds, client, batches


def _lines(run, provider="970405"):
    return list(PayrollLine.objects.filter(run=run, provider=provider).order_by("pk"))


def test_prepare_builds_batches_once(sent):
    run, creds, client, batches = sent
    assert [b.lines for b in batches] == [4, 2]
    assert sum(b.total_vnd for b in batches) == sum(ln.amount for ln in _lines(run))
    assert batches[0].message["transaction_id"] == f"ansinh-run-{run.pk}-2024-07"
    assert all(d["payee_fa"].endswith("@970405") for b in batches for d in b.message["disbursements"])
    from django.contrib.auth import get_user_model

    again = sender.prepare(run, client, user=get_user_model().objects.get(username="ic-checker"))
    assert [(b.pk, b.message_id, b.message) for b in again] == [(b.pk, b.message_id, b.message) for b in batches]


def test_callbacks_mark_lines_and_reconcile(sent):
    run, creds, client, _ = sent
    c = Client()
    tok = token(c, creds)
    tx = f"ansinh-run-{run.pk}-2024-07"
    lines = _lines(run)
    # pdng changes nothing
    r = post(c, "/api/g2p/on-disburse", envelope(creds, tx, [item(lines[0].pk, "pdng")], status="pdng"), tok)
    assert r.status_code == 200 and r.json()["message"]["ack_status"] == "ACK", r.content
    assert PayrollLine.objects.get(pk=lines[0].pk).result == LineResult.PENDING
    # results, with amounts
    env = envelope(creds, tx, [item(ln.pk, "succ", ln.amount) for ln in lines[:3]]
                   + [item(lines[3].pk, "rjct", lines[3].amount, status_reason_code="rjct.payee_fa.invalid")])
    r = post(c, "/api/g2p/on-disburse", env, tok)
    assert r.status_code == 200, r.content
    first_ack = r.json()
    assert PayrollLine.objects.get(pk=lines[0].pk).result == LineResult.PAID
    assert str(PayrollLine.objects.get(pk=lines[0].pk).paid_on) == "2024-07-18"
    l3 = PayrollLine.objects.get(pk=lines[3].pk)
    assert l3.result == LineResult.UNPAID and not l3.active and l3.result_reason == "rjct.payee_fa.invalid"
    # the same message again (a replay / a retry): the same answer, nothing applied twice
    r = post(c, "/api/g2p/on-disburse", env, tok)
    assert r.status_code == 200 and r.json() == first_ack
    assert ReceivedMessage.objects.filter(client=client).count() == 2
    # the same message_id with other content: refused
    forged = envelope(creds, tx, [item(lines[4].pk, "succ")], message_id=env["header"]["message_id"])
    r = post(c, "/api/g2p/on-disburse", forged, tok)
    assert r.status_code == 409 and r.json()["message"]["ack_status"] == "ERR"
    assert PayrollLine.objects.get(pk=lines[4].pk).result == LineResult.PENDING
    # a new message repeating results: duplicates; a contradicting one: a conflict, not applied
    r = post(c, "/api/g2p/on-disburse", envelope(creds, tx, [item(lines[0].pk, "succ"), item(lines[1].pk, "rjct")]), tok)
    assert r.status_code == 200
    rec = ReceivedMessage.objects.filter(client=client).first()
    assert (rec.marked, rec.duplicates, rec.conflicts) == (0, 1, [lines[1].pk])
    assert PayrollLine.objects.get(pk=lines[1].pk).result == LineResult.PAID
    # the rest through the status fallback (txn/on-status) -> the run is reconciled
    r = post(c, "/api/g2p/disburse/txn/on-status",
             envelope(creds, tx, [item(ln.pk, "succ", ln.amount) for ln in lines], on_status=True), tok)
    assert r.status_code == 200, r.content
    run = PayrollRun.objects.get(pk=run.pk)
    assert run.status == RunStatus.EXPORTED  # the other provider's and the cash lines are pending
    rep = run.reconciliation
    assert rep["paid"]["lines"] == 5 and rep["unpaid"]["lines"] == 1
    assert rep["paid"]["total_vnd"] == sum(ln.amount for ln in lines) - lines[3].amount
    assert ApiCall.objects.filter(client=client, direction="in", operation="on-disburse").count() >= 5


def test_refusals_change_nothing(sent):
    run, creds, client, _ = sent
    c = Client()
    tok = token(c, creds)
    tx = f"ansinh-run-{run.pk}-2024-07"
    lines = _lines(run)
    other_line = _lines(run, OTHER)[0]
    cash = PayrollLine.objects.get(run=run, channel="cash")

    def refused(env, code, status, path="/api/g2p/on-disburse", auth=tok):
        r = post(c, path, env, auth)
        assert r.status_code == status, r.content
        assert r.json()["message"]["ack_status"] == "ERR" and r.json()["message"]["error"]["code"] == code
        return r

    # no token, a forged token, a token of a revoked key
    r = c.post("/api/g2p/on-disburse", json.dumps(envelope(creds, tx, [item(lines[0].pk, "succ")])),
               content_type="application/json")
    assert r.status_code == 401
    refused(envelope(creds, tx, [item(lines[0].pk, "succ")]), "err.request.unauthorized", 401, auth=tok[:-3] + "AAA")
    # another provider's line, a cash line, a line of another run
    for ln in (other_line, cash):
        refused(envelope(creds, tx, [item(lines[0].pk, "succ"), item(ln.pk, "succ")]), "err.request.bad", 400)
    # a transaction not sent to this client
    refused(envelope(creds, "ansinh-run-999999-2024-07", [item(lines[0].pk, "succ")]), "err.request.not_found", 404)
    # an amount that is not the line's
    refused(envelope(creds, tx, [item(lines[0].pk, "succ", lines[0].amount + 1)]), "err.request.bad", 400)
    # a signature by another key, a missing signature, another sender in the header
    env = envelope(creds, tx, [item(lines[0].pk, "succ")])
    other = make_client("bank-other", provider=OTHER)
    env_other = envelope({**other, "client_id": creds["client_id"]}, tx, [item(lines[0].pk, "succ")])
    refused(env_other, "err.signature.invalid", 401)
    refused({**env, "signature": None}, "err.signature.missing", 401)
    refused(envelope(creds, tx, [item(lines[0].pk, "succ")], header={"sender_id": "bank-other"}),
            "err.sender_id.invalid", 401)
    # two different results for one line in one message
    refused(envelope(creds, tx, [item(lines[0].pk, "succ"), item(lines[0].pk, "rjct")]), "err.request.bad", 400)
    assert PayrollLine.objects.filter(run=run).exclude(result=LineResult.PENDING).count() == 0
    assert ReceivedMessage.objects.count() == 0
    assert ApiCall.objects.filter(status_code__gte=400).count() >= 10


def test_rotation_and_runs_seen(sent):
    run, creds, client, _ = sent
    c = Client()
    tok = token(c, creds)
    r = c.get("/api/g2p/runs", HTTP_AUTHORIZATION=f"Bearer {tok}")
    assert r.status_code == 200 and [x["run"] for x in r.json()] == [run.pk]
    assert r.json()[0]["lines"] == 6
    # another provider's client sees nothing of this run; a client of another province neither
    other = make_client("bank-other", provider=OTHER)
    r = c.get("/api/g2p/runs", HTTP_AUTHORIZATION=f"Bearer {token(c, other)}")
    assert r.status_code == 200 and r.json() == []
    # rotation with no grace: the old secret and its tokens stop at once; the new ones work
    new = clients.rotate(creds["client_id"], grace_hours=0)
    assert c.get("/api/g2p/runs", HTTP_AUTHORIZATION=f"Bearer {tok}").status_code == 401
    r = c.post("/api/g2p/oauth/token", {"grant_type": "client_credentials", "client_id": creds["client_id"],
                                        "client_secret": creds["client_secret"]})
    assert r.status_code == 401
    tok2 = token(c, {**creds, **new})
    assert c.get("/api/g2p/runs", HTTP_AUTHORIZATION=f"Bearer {tok2}").status_code == 200
    # an envelope signed with the retired key is refused, with the new key accepted
    tx = f"ansinh-run-{run.pk}-2024-07"
    ln = _lines(run)[0]
    assert post(c, "/api/g2p/on-disburse", envelope(creds, tx, [item(ln.pk, "succ")]), tok2).status_code == 401
    assert post(c, "/api/g2p/on-disburse", envelope({**creds, **new}, tx, [item(ln.pk, "succ")]), tok2).status_code == 200
    # rotation with grace: both generations work until the grace ends
    newer = clients.rotate(creds["client_id"], grace_hours=1)
    assert token(c, {**creds, **new}) and token(c, {**creds, **newer})


def test_scope_of_a_client_of_another_province(maker_checker):
    maker, checker = maker_checker
    run = make_run(3, maker)
    creds = make_client("bank-qn", scope=("22",))
    client = clients.get_client(creds["client_id"])
    from ansinh.core.jobs import BadInput

    with pytest.raises(BadInput, match="outside the scope"):
        sender.prepare(run, client, user=checker)
