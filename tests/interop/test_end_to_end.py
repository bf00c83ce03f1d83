"""End to end over HTTP: a 10,000-line run sent to the provider simulator in signed /disburse
batches (the first deliveries refused with 503: retried with the same messages), the simulator
calling back late, in a shuffled order, some results twice, some `pdng` after the result, some
chunks lost until ansinh polls /disburse/txn/status; the run reconciled to the đồng against the
simulator's own ledger. Every message sent and received, and every acknowledgement, is validated
against the spec's JSON Schemas."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from ansinh.interop import clients, sender
from ansinh.interop.models import ApiCall, Disbursement, ReceivedMessage
from ansinh.interop.provider_sim import ProviderSim
from ansinh.payroll.models import LineResult, PayrollLine, PayrollRun, RunStatus
from tests.interop import spec
from tests.interop.conftest import make_client, make_run

N = 10_000


@pytest.mark.django_db(transaction=True)
def test_ten_thousand_lines_through_the_simulator(transactional_db_with_units, live_server, monkeypatch):
    from ansinh.core.services import upsert_user

    maker = upsert_user("e2e-maker", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    checker = upsert_user("e2e-checker", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"])
    run = make_run(N, maker)
    api = f"{live_server.url}/api/g2p"
    monkeypatch.setenv("ANSINH_G2P_CALLBACK_BASE", api)
    creds = make_client("bank-sim")
    sim = ProviderSim(ansinh_api=api, client_id=creds["client_id"], client_secret=creds["client_secret"],
                      private_key_pem=creds["private_key_pem"], key_id=creds["key_id"], chunk=400,
                      duplicate_rate=0.3, late_pending_rate=0.3, lose=2, fail_first=2, hold=True)
    url = sim.start()
    try:
        from ansinh.interop.models import MachineClient

        MachineClient.objects.filter(client_id="bank-sim").update(base_url=url)
        client = clients.get_client("bank-sim")
        out = sender.send_run(run, client, user=checker, batch_size=1000, backoff=0.01)
        assert (out["batches"], out["lines"], out["acked"], out["queued"]) == (10, N, 10, 0), out
        assert out["attempts"] == 12  # two 503s retried with the same message
        assert out["total_vnd"] == sum(PayrollLine.objects.filter(run=run).values_list("amount", flat=True))
        # sending again sends nothing: every batch is acknowledged
        again = sender.send_run(run, client, user=checker)
        assert again["attempts"] == 0 and again["acked"] == 10
        ids = [e["header"]["message_id"] for e in sim.received]
        assert len(ids) == 12 and len(set(ids)) == 10  # retries kept their message_id
        assert len(sim.ledger) == N  # paid once each

        sim.release()
        assert sim.wait_idle(600), "the simulator's callbacks did not finish"
        lost = sum(len(x["items"]) for x in sim.lost)
        assert len(sim.lost) == 2 and 0 < lost <= 800
        assert PayrollLine.objects.filter(run=run, result=LineResult.PENDING).count() == lost
        assert PayrollRun.objects.get(pk=run.pk).status == RunStatus.EXPORTED

        st = sender.request_status(run, client, user=checker)
        assert st["ack_status"] == "ACK"
        assert sim.wait_idle(600)
        assert sim.errors == []

        run = PayrollRun.objects.get(pk=run.pk)
        assert run.status == RunStatus.RECONCILED
        rep = run.reconciliation
        paid = sum(int(e["amount"][:-3]) for e in sim.ledger.values() if e["status"] == "succ")
        rejected = sum(int(e["amount"][:-3]) for e in sim.ledger.values() if e["status"] == "rjct")
        assert rep["paid"]["total_vnd"] == paid and rep["unpaid"]["total_vnd"] == rejected
        assert rep["paid"]["lines"] + rep["unpaid"]["lines"] == N and rep["pending"]["lines"] == 0
        assert rep["balanced"] and rep["total"]["total_vnd"] == paid + rejected == out["total_vnd"]
        # each line's result is the simulator's
        got = dict(PayrollLine.objects.filter(run=run).values_list("pk", "result"))
        assert all(got[int(ref[5:])] == ("paid" if e["status"] == "succ" else "unpaid") for ref, e in sim.ledger.items())

        recs = ReceivedMessage.objects.filter(client=client)
        assert sum(r.marked for r in recs) == N
        assert sum(r.duplicates for r in recs) > 0 and all(r.conflicts == [] for r in recs)
        assert all(code == 200 and a["message"]["ack_status"] == "ACK" for _, _, code, a in sim.sent)
        assert ApiCall.objects.filter(client=client, direction="out").count() == 13
        assert Disbursement.objects.filter(run=run, status="acked").count() == 10

        # conformance: everything sent and received, and every acknowledgement
        problems = []
        for env in sim.received:
            path = "/disburse" if env["header"]["action"] == "disburse" else "/disburse/txn/status"
            problems += [f"sent {path}: {e}" for e in spec.errors(path, env)]
        for uri, env, _, answer in sim.sent:
            path = "/disburse/txn/on-status" if uri.endswith("/txn/on-status") else "/on-disburse"
            problems += [f"received {path}: {e}" for e in spec.errors(path, env)]
            problems += [f"ack of {path}: {e}" for e in spec.ack_errors(answer)]
        assert not problems, problems[:10]
        assert {e["header"]["status"] for _, e, _, _ in sim.sent} >= {"rcvd", "pdng", "succ"}
    finally:
        sim.stop()
    assert get_user_model().objects.filter(username="client:bank-sim", password__startswith="!").exists()
