"""`ansinh interop send|status|calls|provider-sim|sign`: G2P Connect disbursement to a provider
client, the status fallback, the call log, a provider simulator and a signing helper (for the
curl examples of docs/api.md)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="G2P Connect: send runs to providers, ask their status, simulate one.")

AS_USER = typer.Option("", "--as", help="Username of the user doing this (required).")


def _user(username: str):
    from ansinh.payroll.cli import _user as payroll_user

    return payroll_user(username)


def _run_and_client(run_id: int, client_id: str):
    from ansinh.interop import clients
    from ansinh.payroll.cli import _run

    return _run(run_id), clients.get_client(client_id)


@app.command("send")
def send_cmd(run_id: int = typer.Argument(...), client_id: str = typer.Option(..., "--client"),
             batch_size: int = typer.Option(1000, "--batch-size", min=1, max=10000), as_user: str = AS_USER,
             json_out: bool = typer.Option(False, "--json")) -> None:
    """Send an exported run's lines of the client's provider as signed /disburse batches (again:
    only the batches not yet acknowledged, with the same messages)."""
    from ansinh.interop import sender

    user = _user(as_user)
    run, client = _run_and_client(run_id, client_id)
    out = sender.send_run(run, client, user=user, batch_size=batch_size)
    from ansinh.formats import vn_number

    emit(out, json_out, lambda d: print(
        f"Bảng chi #{d['run']} → {d['client']}: {d['batches']} lô, {vn_number(d['lines'])} dòng, "
        f"{vn_number(d['total_vnd'])} đồng; tiếp nhận {d['acked']}, bị từ chối {d['refused']}, "
        f"chờ gửi lại {d['queued']}"))


@app.command("status")
def status_cmd(run_id: int = typer.Argument(...), client_id: str = typer.Option(..., "--client"),
               as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Ask the provider /disburse/txn/status for the run's transaction (it calls back on-status)."""
    from ansinh.interop import sender

    user = _user(as_user)
    run, client = _run_and_client(run_id, client_id)
    emit(sender.request_status(run, client, user=user), json_out)


@app.command("calls")
def calls_cmd(client_id: str = typer.Option("", "--client"), limit: int = typer.Option(50, "--limit", min=1, max=5000),
              json_out: bool = typer.Option(False, "--json")) -> None:
    """The recorded machine calls (newest first)."""
    from ansinh.interop import clients, selectors

    rows = [{"at": c.at.isoformat(), "client": c.client.client_id if c.client else None, "direction": c.direction,
             "method": c.method, "path": c.path, "operation": c.operation, "status": c.status_code,
             "message_id": c.message_id, "outcome": c.outcome}
            for c in selectors.calls(clients.get_client(client_id) if client_id else None, limit)]
    emit(rows, json_out, lambda rs: [print(f"{r['at'][:19]} {r['direction']:<3} {r['client'] or '-':<20} "
                                           f"{r['method']} {r['path']} {r['status']} {r['outcome']}") for r in rs])


@app.command("sign")
def sign_cmd(key: Path = typer.Option(..., "--key", help="The client's ed25519 private key (PEM)."),
             client_id: str = typer.Option(..., "--client"), key_id: str = typer.Option(..., "--key-id")) -> None:
    """Read {header, message} as JSON on stdin, print the envelope with its signature (stdout)."""
    from ansinh.interop import signing

    try:
        body = json.loads(sys.stdin.read())
        header, message = body["header"], body["message"]
        pk = signing.load_private(key.read_bytes())
    except (ValueError, KeyError, TypeError, OSError) as exc:
        fail(f"sign: {type(exc).__name__}: needs {{header, message}} on stdin and a PEM ed25519 key")
    sig = signing.sign(header, message, pk, sender_id=client_id, key_id=key_id)
    sys.stdout.write(json.dumps({"signature": sig, "header": header, "message": message}, ensure_ascii=False) + "\n")


@app.command("provider-sim")
def provider_sim_cmd(
    client_id: str = typer.Option(..., "--client"), secret: str = typer.Option(..., "--secret"),
    key: Path = typer.Option(..., "--key", help="The client's ed25519 private key (PEM)."),
    key_id: str = typer.Option(..., "--key-id"),
    ansinh_api: str = typer.Option("http://127.0.0.1:8000/api/g2p", "--ansinh"),
    port: int = typer.Option(8109, "--port", min=1024, max=65535),
    lose: int = typer.Option(0, "--lose", help="Result chunks never called back (until a status request)."),
) -> None:
    """A payment provider simulator on 127.0.0.1:PORT (Ctrl-C stops it): takes /disburse, rejects
    accounts ending in 7, calls back late, shuffled, sometimes twice."""
    from ansinh.interop.provider_sim import ProviderSim

    sim = ProviderSim(ansinh_api=ansinh_api, client_id=client_id, client_secret=secret,
                      private_key_pem=key.read_text(), key_id=key_id, lose=lose, delay=0.2)
    url = sim.start(port=port)
    print(f"provider simulator for {client_id} at {url} (ansinh: {ansinh_api})", flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()


@app.command("message")
def message_cmd(run_id: int = typer.Argument(...), client_id: str = typer.Option(..., "--client"),
                batch: int = typer.Option(1, "--batch", min=1), as_user: str = AS_USER) -> None:
    """Print a batch's /disburse envelope as the provider receives it (signed now), for checks
    and the examples of docs/api.md. The user --as must be allowed to send the run."""
    from ansinh.interop import sender
    from ansinh.interop.models import Disbursement
    from ansinh.payroll import access

    user = _user(as_user)
    run, client = _run_and_client(run_id, client_id)
    access.require_run(user, run, access.EXPORTERS, "show a provider message")
    b = Disbursement.objects.filter(run=run, client=client, batch=batch).first()
    if b is None:
        fail(f"run {run_id} has no batch {batch} for client {client_id} (ansinh interop send first)")
    sys.stdout.write(sender.envelope(b.header, b.message).decode() + "\n")
