"""The G2P Connect signature (pure): sign, verify, and every way a signature is refused."""
from __future__ import annotations

import pytest

from ansinh.interop import signing

H = {"message_id": "m1", "message_ts": "2024-07-18T09:00:00+07:00", "action": "on-disburse", "status": "succ"}
M = {"transaction_id": "t", "disbursements_status": [{"reference_id": "line-1", "status": "succ",
                                                      "timestamp": "2024-07-18T09:00:00+07:00"}]}


def test_sign_then_verify_and_tamper():
    key = signing.new_private_key()
    pub = signing.load_public(signing.public_b64(key))
    s = signing.sign(H, M, key, sender_id="bank", key_id="k1", now=1_700_000_000)
    assert s.startswith('Signature: namespace="g2p", kidId="bank|k1|ed25519", algorithm="ed25519"')
    assert 'headers="(created) (expires) digest"' in s
    p = signing.verify(s, H, M, pub, now=1_700_000_100)
    assert (p.sender_id, p.key_id, p.expires - p.created) == ("bank", "k1", 600)
    # key order does not matter (canonical JSON), any changed value does
    assert signing.verify(s, dict(reversed(list(H.items()))), M, pub, now=1_700_000_100)
    with pytest.raises(signing.SignatureError, match="does not verify"):
        signing.verify(s, H, {**M, "transaction_id": "u"}, pub, now=1_700_000_100)
    with pytest.raises(signing.SignatureError, match="does not verify"):
        signing.verify(s, H, M, signing.load_public(signing.public_b64(signing.new_private_key())), now=1_700_000_100)


def test_refusals():
    key = signing.new_private_key()
    pub = key.public_key()
    s = signing.sign(H, M, key, sender_id="bank", key_id="k1", now=1_700_000_000)
    with pytest.raises(signing.SignatureError, match="expired"):
        signing.verify(s, H, M, pub, now=1_700_000_601)
    with pytest.raises(signing.SignatureError, match="future"):
        signing.verify(s, H, M, pub, now=1_700_000_000 - 301)
    with pytest.raises(signing.SignatureError) as e:
        signing.verify("", H, M, pub)
    assert e.value.code == "err.signature.missing"
    long = signing.sign(H, M, key, sender_id="bank", key_id="k1", now=1_700_000_000, lifetime=7200)
    with pytest.raises(signing.SignatureError, match="lifetime"):
        signing.verify(long, H, M, pub, now=1_700_000_100)
    for bad in ('Signature: kidId="a|b|rsa", created="1", expires="2", signature="AA=="',
                'Signature: kidId="a|b", created="1", expires="2", signature="AA=="', "garbage"):
        with pytest.raises(signing.SignatureError):
            signing.verify(bad, H, M, pub, now=1)


def test_public_key_forms():
    key = signing.new_private_key()
    from cryptography.hazmat.primitives import serialization

    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert signing.public_b64(signing.load_public(pem)) == signing.public_b64(key)
    with pytest.raises(ValueError):
        signing.load_public("AAAA")
