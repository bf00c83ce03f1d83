"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): the interop app's
scoped model (a /disburse batch of a run of commune `b`), its texts carrying the MARKER."""
from __future__ import annotations

MARKER = "Zqxmarkerb"


def _disbursement(b, i):
    from ansinh.core.models import Organisation
    from ansinh.core.services import upsert_user
    from ansinh.interop.models import Disbursement, MachineClient
    from ansinh.payroll.models import PayrollRun

    run = PayrollRun.objects.create(period=f"20{10 + (i + 40) % 80:02d}-02", scope_commune=b,
                                    province_code=b.province_code, status="exported", summary={"note": MARKER})
    org, _ = Organisation.objects.get_or_create(name=f"{MARKER} bank", defaults={"kind": "payment_provider"})
    client = MachineClient.objects.filter(client_id=f"matrix-bank-{b.code}").first()
    if client is None:
        user = upsert_user(f"client:matrix-bank-{b.code}", None, roles=["provider_client"], unit_codes=[b.code])
        client = MachineClient.objects.create(client_id=f"matrix-bank-{b.code}", name=f"{MARKER} bank",
                                              organisation=org, kind="provider", operations=["disburse"],
                                              provider_code="970405", user=user)
    tx = f"ansinh-run-{run.pk}-{run.period}"
    return Disbursement.objects.create(
        run=run, client=client, batch=1, transaction_id=tx, message_id=f"{tx}-{client.client_id}-{i}",
        header={"message_id": tx, "note": MARKER}, message={"transaction_id": tx, "disbursements": [
            {"reference_id": "line-1", "payee_fa": "account:1@970405", "amount": "1.00", "payee_name": MARKER}]},
        first_line_id=1, last_line_id=1, lines=1, total_vnd=1)


FACTORIES = {"interop.Disbursement": _disbursement}
