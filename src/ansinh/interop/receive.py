"""ansinh receiving a provider's G2P Connect callbacks (/on-disburse, /disburse/txn/on-status):
signature checked with the client's live key, message_id taken once (replays answered as the
first time, never applied twice), statuses mapped onto the run's lines and recorded through the
payroll reconciliation service (payroll/reconcile.apply_results, as a result file is)."""
from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.scope import scope_for
from ansinh.interop import clients, signing
from ansinh.interop.models import Disbursement, MachineClient, Operation, ReceivedMessage
from ansinh.payroll import access, reconcile
from ansinh.payroll.models import Channel, LineResult, PayrollLine
from ansinh.text.dates import parse_iso

REF = re.compile(r"line-(\d{1,18})")
AMOUNT = re.compile(r"(\d{1,13})\.(\d{1,2})")
FINAL = {"succ": LineResult.PAID, "rjct": LineResult.UNPAID}
STATUSES = ("rcvd", "pdng", "succ", "rjct")
CHUNK = 5000


class Refused(Exception):
    """An ERR acknowledgement: `code` from the spec's Error enum, HTTP `status`."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.status = code, status


def ack(correlation_id: str) -> dict:
    return {"message": {"ack_status": "ACK", "timestamp": _now(), "correlation_id": correlation_id}}


def err(code: str, message: str) -> dict:
    return {"message": {"ack_status": "ERR", "timestamp": _now(), "error": {"code": code, "message": message[:999]},
                        "correlation_id": ""}}


def _now() -> str:
    return timezone.now().astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def verify_signature(client: MachineClient, signature, header: dict, message) -> None:
    try:
        parsed = signing.parse(signature if isinstance(signature, str) else "")
    except signing.SignatureError as exc:
        raise Refused(exc.code, str(exc), 401) from None
    if parsed.sender_id != client.client_id:
        raise Refused("err.sender_id.invalid", "signature: kidId names another sender", 401)
    key = clients.live_keys(client).filter(key_id=parsed.key_id).first()
    if key is None:
        raise Refused("err.signature.invalid", "signature: unknown or retired key id", 401)
    try:
        signing.verify(signature, header, message, signing.load_public(key.public_key))
    except signing.SignatureError as exc:
        raise Refused(exc.code, str(exc), 401) from None


def statuses_of(action: str, message: dict) -> tuple[str, list]:
    """(transaction_id, disbursements_status) of an on-disburse or txn/on-status message."""
    if not isinstance(message, dict):
        raise Refused("err.request.bad", "message: an object is required")
    if action == "on-status":
        resp = message.get("txnstatus_response")
        inner = resp.get("txn_status") if isinstance(resp, dict) else None
        if not isinstance(inner, dict) or resp.get("txn_type") != "on-disburse":
            raise Refused("err.request.bad", "message.txnstatus_response: txn_type on-disburse with a txn_status")
        message = inner
    tx, items = message.get("transaction_id"), message.get("disbursements_status")
    if not isinstance(tx, str) or not tx or not isinstance(items, list):
        raise Refused("err.request.bad", "message: transaction_id and disbursements_status are required")
    return tx, items


def handle(client: MachineClient, body: dict, action: str) -> tuple[int, dict]:
    """Process one callback envelope from `client`: (HTTP status, acknowledgement)."""
    operation = Operation.DISBURSE if action == "on-disburse" else Operation.TXN_STATUS
    if not client.allows(operation):
        raise Refused("err.request.forbidden", f"client may not call {action}", 403)
    header, message, signature = body.get("header"), body.get("message"), body.get("signature")
    if not isinstance(header, dict) or message is None:
        raise Refused("err.request.bad", "header and message are required")
    expected = ("on-disburse",) if action == "on-disburse" else ("on-disburse", "on-search")
    if header.get("action") not in expected:
        raise Refused("err.request.bad", f"header.action must be {expected[0]}")
    if header.get("sender_id", client.client_id) != client.client_id:
        raise Refused("err.sender_id.invalid", "header.sender_id is not the authenticated client", 401)
    message_id = header.get("message_id")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 100:
        raise Refused("err.request.bad", "header.message_id: a string of at most 100 characters")
    if header.get("is_msg_encrypted"):
        raise Refused("err.encryption.invalid", "encrypted messages are not accepted; send the message signed")
    if header.get("status") not in STATUSES:
        raise Refused("err.request.bad", "header.status must be one of rcvd, pdng, succ, rjct")
    verify_signature(client, signature, header, message)
    digest = signing.digest(header, message)
    seen = ReceivedMessage.objects.filter(client=client, message_id=message_id).first()
    if seen is not None:
        return _replay(seen, digest)
    tx, items = statuses_of(action, message)
    batch = Disbursement.objects.filter(client=client, transaction_id=tx).select_related("run").first()
    if batch is None:
        raise Refused("err.request.not_found", "transaction_id: no transaction sent to this client", 404)
    run = batch.run
    user = clients.service_user(client)
    if not scope_for(user).covers(run.scope_commune_id, run.province_code):
        raise Refused("err.request.not_found", "transaction_id: no transaction sent to this client", 404)
    wanted = _parse_items(items, run.pk)
    try:
        with transaction.atomic():
            access.lock(run)
            rows, dups, conflicts = _against_lines(run, client, wanted)
            if rows:
                reconcile.apply_results(run, rows, source=f"G2P {action} {message_id}", user=user)
            rec = ReceivedMessage.objects.create(client=client, message_id=message_id, action=action, digest=digest,
                                                 run=run, items=len(items), marked=len(rows), duplicates=dups,
                                                 conflicts=conflicts[:1000])
            rec.ack = ack(f"ansinh-{rec.pk}")
            rec.save(update_fields=["ack"])
    except IntegrityError:  # the same message_id recorded meanwhile by a concurrent delivery
        seen = ReceivedMessage.objects.filter(client=client, message_id=message_id).first()
        if seen is None:
            raise
        return _replay(seen, digest)
    except access.NotAllowed as exc:
        raise Refused("err.request.forbidden", str(exc), 403) from None
    except BadInput as exc:
        raise Refused("err.request.bad", str(exc)) from None
    return 200, rec.ack


def _replay(seen: ReceivedMessage, digest: str) -> tuple[int, dict]:
    if seen.digest != digest:
        raise Refused("err.request.bad", "header.message_id was used before for another message", 409)
    return 200, seen.ack


def _parse_items(items: list, run_id: int) -> dict[int, dict]:
    """line id -> {status, reason, paid_date, amount, n}: one entry per line (the same status
    twice in a message is one; two different final statuses refuse the message)."""
    out: dict[int, dict] = {}
    for n, s in enumerate(items):
        if not isinstance(s, dict):
            raise Refused("err.request.bad", f"disbursements_status[{n}]: an object is required")
        ref, status = s.get("reference_id"), s.get("status")
        m = REF.fullmatch(ref) if isinstance(ref, str) else None
        if not m:
            raise Refused("err.request.bad", f"disbursements_status[{n}].reference_id: not a reference ansinh sent")
        if status not in STATUSES:
            raise Refused("err.request.bad", f"disbursements_status[{n}].status: one of rcvd, pdng, succ, rjct")
        amount = None
        if s.get("amount") is not None:
            a = AMOUNT.fullmatch(str(s["amount"]))
            if not a or int(a.group(2)) != 0:
                raise Refused("err.request.bad", f"disbursements_status[{n}].amount: whole đồng as 123000.00")
            amount = int(a.group(1))
        ts = s.get("timestamp")
        try:
            paid = parse_iso(ts[:10]) if status == "succ" and isinstance(ts, str) and ts else None
        except ValueError:
            raise Refused("err.request.bad", f"disbursements_status[{n}].timestamp: not an ISO date-time") from None
        line_id = int(m.group(1))
        entry = {"status": status, "reason": str(s.get("status_reason_code") or "")[:200], "paid_date": paid,
                 "amount": amount, "n": n}
        prev = out.get(line_id)
        if prev is None or prev["status"] not in FINAL:
            out[line_id] = entry
        elif status in FINAL and status != prev["status"]:
            raise Refused("err.request.bad", f"disbursements_status[{n}]: line {ref} is given two results")
    return out


def _against_lines(run, client: MachineClient, wanted: dict[int, dict]) -> tuple[list[dict], int, list[int]]:
    """Rows for apply_results: final statuses of the run's lines of this provider that are still
    pending; a final status already recorded the same way is a duplicate (counted), another way a
    conflict (listed by line id: a correction decides it, payroll/corrections.py)."""
    ids = list(wanted)
    found: dict[int, str] = {}
    for start in range(0, len(ids), CHUNK):
        found.update(PayrollLine.objects.filter(
            run=run, pk__in=ids[start:start + CHUNK], provider=client.provider_code,
            channel__in=[Channel.BANK, Channel.EWALLET]).values_list("pk", "result"))
    missing = [i for i in ids if i not in found]
    if missing:
        raise Refused("err.request.bad", f"disbursements_status[{wanted[missing[0]]['n']}].reference_id: "
                                         f"line-{missing[0]} was not sent to this client in this transaction")
    rows, dups, conflicts = [], 0, []
    for line_id, w in wanted.items():
        result = FINAL.get(w["status"])
        if result is None:
            continue
        have = found[line_id]
        if have == LineResult.PENDING:
            rows.append({"row": w["n"], "line_id": line_id, "status": result, "reason": w["reason"],
                         "paid_date": w["paid_date"], "amount": w["amount"]})
        elif have == result:
            dups += 1
        else:
            conflicts.append(line_id)
    return rows, dups, conflicts
