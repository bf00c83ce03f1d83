"""The G2P Connect schemas (src/ansinh/interop/spec, extracted from G2P-Connect/specs draft
f8dd3d5) as jsonschema validators, with the spec's own defects corrected here, each named
(docs/decisions/0024 lists them)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from jsonschema import Draft202012Validator

RAW = json.loads((Path(__file__).resolve().parents[2] / "src/ansinh/interop/spec/g2p_disburse_v1.0.0.json")
                 .read_text())


def corrected() -> dict:
    doc = copy.deepcopy(RAW)
    s = doc["components"]["schemas"]
    # 1. DisburseRequest requires "disburemsents" (typo): every correct request would fail.
    assert s["DisburseRequest"]["required"] == ["transaction_id", "disburemsents"]
    s["DisburseRequest"]["required"] = ["transaction_id", "disbursements"]
    # 2. TxnStatusRequest.attribute_value is oneOf TransactionId | ReferenceIdList | correlation_id:
    #    a transaction id (a string) matches two of them, so oneOf refuses every string.
    av = s["TxnStatusRequest"]["properties"]["txnstatus_request"]["properties"]["attribute_value"]
    av["anyOf"] = av.pop("oneOf")
    return doc


DOC = corrected()
PATHS = ("/disburse", "/on-disburse", "/disburse/txn/status", "/disburse/txn/on-status")


def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref, "requests": DOC["requests"], "ack": DOC["ack"],
                                 "components": DOC["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER)


VALIDATORS = {p: _validator("#/requests/" + p.replace("~", "~0").replace("/", "~1")) for p in PATHS}
ACK = _validator("#/ack")


def errors(path: str, body: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in VALIDATORS[path].iter_errors(body)]


def ack_errors(body: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in ACK.iter_errors(body)]
