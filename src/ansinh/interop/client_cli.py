"""`ansinh client create|rotate|list`: machine clients (a payment provider, another agency) that
call the machine API (/api/g2p/) without a browser. Secrets and generated private keys are
printed once, never stored (only a hash / the public key)."""
from __future__ import annotations

from pathlib import Path

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="Machine clients of the G2P Connect API: create, rotate keys, list.")


def _public_key(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"--public-key: cannot read {path.name} ({exc.strerror or type(exc).__name__})")
    return None


def _print_creds(d: dict) -> None:
    print(f"Máy khách {d['client_id']} ({d['name']}, {d['organisation']})")
    print(f"  client_id     {d['client_id']}")
    print(f"  client_secret {d['client_secret']}   (chỉ hiện một lần)")
    print(f"  key_id        {d['key_id']}")
    if d.get("private_key_pem"):
        print("  khóa ký riêng (ed25519, chỉ hiện một lần):")
        print(d["private_key_pem"].rstrip())


@app.command("create")
def create_cmd(
    client_id: str = typer.Argument(..., help="Client id = its G2P Connect sender_id (a-z 0-9 . -)."),
    name: str = typer.Option(..., "--name"),
    organisation: str = typer.Option(..., "--organisation", help="Its organisation (made when new)."),
    kind: str = typer.Option("provider", "--kind", help="provider | agency"),
    operations: str = typer.Option("", "--operations",
                                   help="Comma-separated: disburse, txn_status, runs_read (provider); search "
                                        "(agency). Default: all of its kind's."),
    fields: str = typer.Option("", "--fields", help="Comma-separated fields a search answer may carry: "
                                                    "name, birth_year, birth_date, sex, commune, address, alive, "
                                                    "beneficiary (agency clients)."),
    scope: str = typer.Option(..., "--scope", help="Comma-separated province or commune codes it may reach."),
    provider: str = typer.Option("", "--provider", help="Provider code (NAPAS BIN) of the lines it pays."),
    url: str = typer.Option("", "--url", help="Base URL of its G2P Connect API (ansinh POSTs <url>/disburse)."),
    public_key: Path = typer.Option(None, "--public-key", help="Its ed25519 public key (PEM or raw base64); "
                                                               "default: ansinh makes a pair and prints the private key once."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Register a machine client (an administrator's act; the CLI runs as the operator)."""
    from ansinh.interop import clients

    ops = [o.strip() for o in operations.split(",") if o.strip()] or list(clients.KIND_OPERATIONS.get(kind, ()))
    out = clients.create_client(client_id, name=name, organisation=organisation, kind=kind, operations=ops,
                                fields=[f.strip() for f in fields.split(",") if f.strip()],
                                scope=[s.strip() for s in scope.split(",") if s.strip()], provider_code=provider,
                                base_url=url, public_key=_public_key(public_key), created_by="cli")
    emit(out, json_out, _print_creds)


@app.command("rotate")
def rotate_cmd(
    client_id: str = typer.Argument(...),
    public_key: Path = typer.Option(None, "--public-key", help="The new public key (default: a new pair)."),
    grace_hours: float = typer.Option(24.0, "--grace-hours", help="How long the old keys keep working (0: now)."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """New credentials (secret and signing key); the old ones stop after --grace-hours."""
    from ansinh.interop import clients

    if grace_hours < 0:
        fail("--grace-hours: 0 or more")
    emit(clients.rotate(client_id, public_key=_public_key(public_key), grace_hours=grace_hours), json_out,
         _print_creds)


@app.command("revoke")
def revoke_cmd(client_id: str = typer.Argument(...), json_out: bool = typer.Option(False, "--json")) -> None:
    """Revoke a client at once: every key, every token; its calls stay in the audit log."""
    from ansinh.interop import clients

    emit(clients.revoke(client_id), json_out, lambda d: print(f"Máy khách {d['client_id']} đã bị thu hồi."))


@app.command("list")
def list_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """The machine clients, their operations, scope and keys (never a secret)."""
    from ansinh.interop import clients

    def human(rows):
        if not rows:
            print("Chưa có máy khách nào.")
        for d in rows:
            live = sum(1 for k in d["keys"] if k["live"])
            print(f"{d['client_id']:<24} {d['name']:<36} {','.join(d['operations']):<32} "
                  f"phạm vi {','.join(d['scope'])}  khóa còn hiệu lực {live}{'' if d['active'] else '  (đã khóa)'}")

    emit(clients.list_clients(), json_out, human)
