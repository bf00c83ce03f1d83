"""Fixtures of the interop tests: a payment-provider client, an exported run of N account lines
(made set-based: the payroll generation has its own tests), the spec's schemas."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

PROVIDER, OTHER = "970405", "970436"
SPEC = json.loads((Path(__file__).resolve().parents[2] / "src/ansinh/interop/spec/g2p_disburse_v1.0.0.json")
                  .read_text())


@pytest.fixture(autouse=True)
def _signing_key(tmp_path_factory, monkeypatch):
    """ansinh's own signing key in a temporary folder (never the worktree's var/)."""
    monkeypatch.setenv("ANSINH_G2P_SIGNING_KEY", str(tmp_path_factory.getbasetemp() / "sender-ed25519.pem"))


@pytest.fixture
def maker_checker(db):
    from ansinh.core.services import upsert_user

    maker = upsert_user("ic-maker", "Mk-thu-nghiem-2024", roles=["province_officer"], unit_codes=["20"])
    checker = upsert_user("ic-checker", "Mk-thu-nghiem-2024", roles=["approver"], unit_codes=["20"])
    return maker, checker


def make_client(client_id="vbsp-test", provider=PROVIDER, scope=("20",), base_url="http://127.0.0.1:9",
                operations=("disburse", "txn_status", "runs_read")):
    from ansinh.interop import clients

    return clients.create_client(client_id, name=f"Ngân hàng {client_id}", organisation=f"Ngân hàng {client_id}",
                                 kind="provider", operations=list(operations), scope=list(scope),
                                 provider_code=provider, base_url=base_url, created_by="test")


def make_run(n: int, maker, *, period="2024-07", others=0, cash=0, commune_code="05977"):
    """An exported province run (Lạng Sơn, 20) of `n` account lines of PROVIDER, `others` of
    OTHER and `cash` cash lines, amounts varying by line; persons made in bulk."""
    from django.utils import timezone

    from ansinh.core.services import current_unit
    from ansinh.payroll.models import PayrollLine, PayrollRun
    from ansinh.registry.models import Person

    unit = current_unit(commune_code)
    run = PayrollRun.objects.create(period=period, province_code=unit.province_code, status="exported",
                                    generated_by=maker, generated_at=timezone.now(), exported_at=timezone.now())
    total = n + others + cash
    base = Person.objects.count()
    people = Person.objects.bulk_create([
        Person(full_name=f"Người nhận {base + i}", name_key=f"NGUOI NHAN {base + i}", dob=dt.date(1950, 1, 1),
               id_number=f"0200{90000000 + base + i:08d}", commune=unit, residence_unit=unit, scope_commune=unit,
               province_code=unit.province_code) for i in range(total)], batch_size=2000)
    if not people[0].pk:
        people = list(Person.objects.order_by("-pk")[:total])[::-1]
    lines = []
    for i, p in enumerate(people):
        channel, provider = ("bank", PROVIDER) if i < n else ("bank", OTHER) if i < n + others else ("cash", "VNPOST")
        lines.append(PayrollLine(run=run, person=p, programme="tcxh", period_month=period, category="5.6-severe",
                                 amount=500_000 + (i % 9) * 135_000 + (i % 3) * 1_000, channel=channel,
                                 provider=provider, account_number="" if channel == "cash" else f"8{i:011d}",
                                 holder_name=p.full_name, scope_commune=unit, province_code=unit.province_code))
    PayrollLine.objects.bulk_create(lines, batch_size=2000)
    return run
