"""The extracted schemas are the spec's (source, licence noted), its defects are real, and the
corrected validators refuse what the spec refuses."""
from __future__ import annotations

from tests.interop import spec


def test_extract_names_source_and_licence():
    assert "f8dd3d5" in spec.RAW["source"] and "disburse_core_api_v1.0.0.yaml" in spec.RAW["source"]
    assert "Apache-2.0" in spec.RAW["license"] and "CC BY-SA 4.0" in spec.RAW["license"]
    assert set(spec.RAW["requests"]) == set(spec.PATHS)


def test_validators_refuse_bad_messages():
    good = {"header": {"message_id": "1", "message_ts": "2024-07-18T09:00:00+07:00", "action": "disburse",
                       "sender_id": "ansinh", "total_count": 1},
            "message": {"transaction_id": "t", "disbursements": [
                {"reference_id": "line-1", "payer_fa": "account:1@VN", "payee_fa": "account:2@970405",
                 "amount": "500000.00"}]}}
    assert spec.errors("/disburse", good) == []
    bad = {**good, "message": {"transaction_id": "t", "disbursements": [
        {"reference_id": "line-1", "payer_fa": "a@b", "payee_fa": "c@d", "amount": "500000"}]}}
    assert spec.errors("/disburse", bad)  # amount must be 500000.00
    assert spec.errors("/disburse", {"header": {**good["header"], "action": "on-disburse"}, "message": good["message"]})
    # the spec as published refuses the correct request (the typo), the corrected one accepts it
    raw = spec.Draft202012Validator({"$ref": "#/requests/~1disburse", **{k: spec.RAW[k] for k in ("requests", "components")}})
    assert any("disburemsents" in sub.message for e in raw.iter_errors(good) for sub in e.context)
    assert spec.ack_errors({"message": {"ack_status": "ACK", "timestamp": "2024-07-18T09:00:00Z",
                                        "correlation_id": "1"}}) == []
    assert spec.ack_errors({"message": {"ack_status": "OK", "timestamp": "x", "correlation_id": "1"}})
