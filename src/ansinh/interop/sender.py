"""ansinh as the G2P Connect *sender*: a run's lines for one provider go out as signed /disburse
envelopes in batches; a failed delivery is retried with the same message (same message_id,
transaction_id and items: only the signature is new); /disburse/txn/status asks the provider to
call back with the status of a transaction when its callbacks did not all arrive."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.scope import scope_for
from ansinh.interop import calls, signing
from ansinh.interop.models import BatchStatus, Disbursement, MachineClient, Operation
from ansinh.payroll import access, files
from ansinh.payroll.models import PayrollRun, RunStatus

VERSION = "1.0.0"
BATCH_SIZE = 1000
SENDABLE = (RunStatus.EXPORTED, RunStatus.RECONCILED)


# --------------------------------------------------------------------------- ansinh's own identity

def sender_id() -> str:
    return getattr(settings, "ANSINH_G2P_SENDER_ID", "") or os.environ.get("ANSINH_G2P_SENDER_ID", "ansinh")


def callback_base() -> str:
    """Where providers call back (header.sender_uri): ANSINH_G2P_CALLBACK_BASE, e.g.
    https://ansinh.example.gov.vn/api/g2p (default: the local server)."""
    return (getattr(settings, "ANSINH_G2P_CALLBACK_BASE", "") or os.environ.get("ANSINH_G2P_CALLBACK_BASE", "")
            or "http://127.0.0.1:8000/api/g2p").rstrip("/")


def key_path() -> Path:
    return Path(os.environ.get("ANSINH_G2P_SIGNING_KEY") or settings.VAR_DIR / "interop" / "sender-ed25519.pem")


def sender_key():
    """ansinh's ed25519 signing key (made once, mode 0600) and its key id (from the public key)."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = signing.private_pem(signing.new_private_key())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(pem)
    key = signing.load_private(path.read_bytes())
    return "s" + hashlib.sha256(signing.public_b64(key).encode()).hexdigest()[:12], key


def public_keys() -> list[dict]:
    kid, key = sender_key()
    return [{"key_id": kid, "algorithm": signing.ALGORITHM, "public_key": signing.public_b64(key)}]


def _now_iso() -> str:
    return timezone.now().astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def envelope(header: dict, message: dict) -> bytes:
    kid, key = sender_key()
    sig = signing.sign(header, message, key, sender_id=header["sender_id"], key_id=kid)
    return json.dumps({"signature": sig, "header": header, "message": message}, ensure_ascii=False).encode()


# --------------------------------------------------------------------------- building the batches

def _check(run: PayrollRun, client: MachineClient, user) -> None:
    access.require_run(user, run, access.EXPORTERS, "send to a provider")
    if run.status not in SENDABLE:
        raise BadInput(f"run {run.pk}: status {run.status}; export it before sending it to a provider")
    if not client.allows(Operation.DISBURSE) or not client.provider_code or not client.base_url:
        raise BadInput(f"client {client.client_id}: not a payment provider with a URL that takes /disburse")
    if not scope_for(client.user).covers(run.scope_commune_id, run.province_code):
        raise BadInput(f"run {run.pk} is outside the scope of client {client.client_id}")


def prepare(run: PayrollRun, client: MachineClient, *, user, batch_size: int = BATCH_SIZE) -> list[Disbursement]:
    """The run's /disburse batches for this provider, built once: the request of
    payroll/files.g2p_request (the one home of a disbursement item) restricted to the lines of the
    provider's code, cut into messages of `batch_size` items. Asking again returns the same batches."""
    _check(run, client, user)
    with transaction.atomic():
        access.lock(run)
        have = list(Disbursement.objects.filter(run=run, client=client).order_by("batch"))
        if have:
            return have
        req = files.g2p_request(run)
        suffix = f"@{client.provider_code}"
        items = [d for d in req["disbursements"] if d["payee_fa"].endswith(suffix)]
        if not items:
            raise BadInput(f"run {run.pk} has no account lines of provider {client.provider_code}")
        tx = req["transaction_id"]
        out = []
        for n, start in enumerate(range(0, len(items), batch_size), 1):
            chunk = items[start:start + batch_size]
            message_id = f"{tx}-{client.client_id}-{n:04d}"
            header = {"version": VERSION, "message_id": message_id, "message_ts": _now_iso(), "action": "disburse",
                      "sender_id": sender_id(), "sender_uri": f"{callback_base()}/on-disburse",
                      "receiver_id": client.client_id, "total_count": len(chunk), "is_msg_encrypted": False}
            ids = [int(d["reference_id"][5:]) for d in chunk]
            out.append(Disbursement(
                run=run, client=client, batch=n, transaction_id=tx, message_id=message_id, header=header,
                message={"transaction_id": tx, "disbursements": chunk}, first_line_id=min(ids),
                last_line_id=max(ids), lines=len(chunk), total_vnd=sum(int(d["amount"][:-3]) for d in chunk)))
        Disbursement.objects.bulk_create(out)
        return list(Disbursement.objects.filter(run=run, client=client).order_by("batch"))


# --------------------------------------------------------------------------- delivering

def _post(url: str, body: bytes, timeout: float) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - the registered provider URL
            status, raw = resp.status, resp.read(1_000_000)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(1_000_000)
    try:
        return status, json.loads(raw or b"{}")
    except ValueError:
        return status, {}


def _log(client, path, status, message_id, outcome, operation):
    calls.record(client, direction="out", method="POST", path=path, operation=operation, status=status,
                 message_id=message_id, outcome=outcome)


def deliver(batches: list[Disbursement], *, attempts: int = 3, timeout: float = 30.0, backoff: float = 0.5) -> dict:
    """POST each batch not yet acknowledged. A transport failure or a 5xx is retried (up to
    `attempts` times, waiting backoff·2^i) with the same message; an ERR/NACK answer is a refusal
    and is not retried. Returns counts; a batch still queued can be sent again later."""
    done = {"acked": 0, "refused": 0, "queued": 0, "attempts": 0}
    for b in batches:
        if b.status == BatchStatus.ACKED:
            done["acked"] += 1
            continue
        url = f"{b.client.base_url}/disburse"
        for i in range(attempts):
            b.attempts += 1
            done["attempts"] += 1
            try:
                status, answer = _post(url, envelope(b.header, b.message), timeout)
            except (OSError, urllib.error.URLError) as exc:
                status, answer, err = 0, {}, f"transport: {type(exc).__name__}"
            else:
                err = ""
            msg = answer.get("message") if isinstance(answer, dict) else None
            ack = msg.get("ack_status") if isinstance(msg, dict) else None
            if status == 200 and ack == "ACK":
                b.status, b.sent_at, b.last_error = BatchStatus.ACKED, timezone.now(), ""
                b.correlation_id = str(msg.get("correlation_id") or "")[:99]
                _log(b.client, url, status, b.message_id, "ACK", "disburse")
                break
            if status and status < 500 and ack in ("ERR", "NACK"):
                code = (msg.get("error") or {}).get("code", "") if isinstance(msg.get("error"), dict) else ""
                b.status, b.last_error = BatchStatus.REFUSED, f"{ack} {code}".strip()
                _log(b.client, url, status, b.message_id, b.last_error, "disburse")
                break
            b.last_error = err or f"HTTP {status} {ack or ''}".strip()
            _log(b.client, url, status, b.message_id, b.last_error, "disburse")
            if i + 1 < attempts:
                time.sleep(backoff * 2 ** i)
        b.save(update_fields=["status", "attempts", "last_error", "correlation_id", "sent_at"])
        done[b.status] += 1
    return done


def send_run(run: PayrollRun, client: MachineClient, *, user, batch_size: int = BATCH_SIZE, **kw) -> dict:
    batches = prepare(run, client, user=user, batch_size=batch_size)
    report = deliver(batches, **kw)
    return {"run": run.pk, "client": client.client_id, "transaction_id": batches[0].transaction_id,
            "batches": len(batches), "lines": sum(b.lines for b in batches),
            "total_vnd": sum(b.total_vnd for b in batches), **report}


def request_status(run: PayrollRun, client: MachineClient, *, user, timeout: float = 30.0) -> dict:
    """Fallback when callbacks are missing: POST /disburse/txn/status for the run's transaction;
    the provider answers ACK and calls back /disburse/txn/on-status with every item's status."""
    _check(run, client, user)
    batch = Disbursement.objects.filter(run=run, client=client).order_by("batch").first()
    if batch is None:
        raise BadInput(f"run {run.pk} was not sent to client {client.client_id}")
    tx = batch.transaction_id
    message_id = f"{tx}-{client.client_id}-status-{int(time.time() * 1000)}"
    header = {"version": VERSION, "message_id": message_id, "message_ts": _now_iso(), "action": "on-disburse",
              "sender_id": sender_id(), "sender_uri": f"{callback_base()}/disburse/txn/on-status",
              "receiver_id": client.client_id, "total_count": 1, "is_msg_encrypted": False}
    message = {"transaction_id": tx, "txnstatus_request": {
        "reference_id": message_id, "txn_type": "disburse", "attribute_type": "transaction_id",
        "attribute_value": tx}}
    url = f"{client.base_url}/disburse/txn/status"
    try:
        status, answer = _post(url, envelope(header, message), timeout)
    except (OSError, urllib.error.URLError) as exc:
        _log(client, url, 0, message_id, f"transport: {type(exc).__name__}", "txn_status")
        raise BadInput(f"client {client.client_id}: {url} did not answer ({type(exc).__name__})") from None
    msg = answer.get("message") if isinstance(answer, dict) else None
    ack = msg.get("ack_status") if isinstance(msg, dict) else None
    _log(client, url, status, message_id, str(ack or f"HTTP {status}"), "txn_status")
    return {"run": run.pk, "client": client.client_id, "transaction_id": tx, "message_id": message_id,
            "http_status": status, "ack_status": ack}
