"""Signing a provider's callback as a test, through the real token endpoint."""
from __future__ import annotations

import datetime as dt
import json
import uuid

from ansinh.interop import signing


def token(c, creds) -> str:
    r = c.post("/api/g2p/oauth/token", {"grant_type": "client_credentials", "client_id": creds["client_id"],
                                        "client_secret": creds["client_secret"]})
    assert r.status_code == 200, r.content
    return r.json()["access_token"]


def envelope(creds, tx: str, items: list[dict], *, status="succ", message_id=None, on_status=False, header=None):
    h = {"version": "1.0.0", "message_id": message_id or uuid.uuid4().hex, "message_ts": "2024-07-18T09:00:00+07:00",
         "action": "on-disburse", "status": status, "total_count": len(items), "sender_id": creds["client_id"],
         "is_msg_encrypted": False, **(header or {})}
    m = {"transaction_id": tx, "disbursements_status": items}
    if on_status:
        m = {"transaction_id": "q-" + tx, "correlation_id": "c1",
             "txnstatus_response": {"txn_type": "on-disburse", "txn_status": m}}
    key = signing.load_private(creds["private_key_pem"])
    return {"signature": signing.sign(h, m, key, sender_id=creds["client_id"], key_id=creds["key_id"]),
            "header": h, "message": m}


def item(line_id: int, status: str, amount: int | None = None, ts="2024-07-18T09:00:00+07:00", **kw) -> dict:
    d = {"reference_id": f"line-{line_id}", "timestamp": ts, "status": status, **kw}
    if amount is not None:
        d["amount"] = f"{amount}.00"
    return d


def post(c, path: str, env: dict, tok: str):
    return c.post(path, json.dumps(env, ensure_ascii=False), content_type="application/json",
                  HTTP_AUTHORIZATION=f"Bearer {tok}")


def today() -> str:
    return dt.date.today().isoformat()
