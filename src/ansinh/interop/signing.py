"""G2P Connect message signatures (pure; decision 0024).

The spec's `MsgSignature` is an HTTP-Signature-style string over header + message:

    Signature: namespace="g2p", kidId="{sender_id}|{key_id}|ed25519", algorithm="ed25519",
    created="1606970629", expires="1607030629", headers="(created) (expires) digest",
    signature="Base64(ed25519 signature of the signing string)"

The spec names the parts but not the bytes; ansinh fixes them (as the Beckn protocol the string
comes from does):

    digest         = base64(BLAKE2b-512(canonical JSON of {"header": header, "message": message}))
    signing string = "(created): {created}\\n(expires): {expires}\\ndigest: BLAKE-512={digest}"
    canonical JSON = keys sorted, no spaces (separators "," ":"), UTF-8, non-ASCII kept as is
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALGORITHM = "ed25519"
MAX_LIFETIME = 3600  # seconds a signature may claim to be valid for
CLOCK_SKEW = 300  # seconds a `created` may lie in the future


class SignatureError(ValueError):
    """The signature is missing, malformed, expired, from an unknown key, or does not verify.
    `code` is the spec's error code (err.signature.missing / err.signature.invalid)."""

    def __init__(self, message: str, code: str = "err.signature.invalid"):
        super().__init__(message)
        self.code = code


def canonical(header: dict, message) -> bytes:
    return json.dumps({"header": header, "message": message}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def digest(header: dict, message) -> str:
    return base64.b64encode(hashlib.blake2b(canonical(header, message), digest_size=64).digest()).decode()


def signing_string(created: int, expires: int, body_digest: str) -> bytes:
    return f"(created): {created}\n(expires): {expires}\ndigest: BLAKE-512={body_digest}".encode()


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return base64.b64encode(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_private(pem: str | bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an ed25519 private key")
    return key


def load_public(b64_or_pem: str) -> Ed25519PublicKey:
    """A public key as raw base64 (32 bytes) or PEM (SubjectPublicKeyInfo)."""
    text = (b64_or_pem or "").strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise ValueError("public key: not base64") from None
    if len(raw) != 32:
        raise ValueError("public key: an ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(header: dict, message, key: Ed25519PrivateKey, *, sender_id: str, key_id: str,
         now: int | None = None, lifetime: int = 600) -> str:
    created = int(time.time() if now is None else now)
    expires = created + lifetime
    sig = key.sign(signing_string(created, expires, digest(header, message)))
    return (f'Signature: namespace="g2p", kidId="{sender_id}|{key_id}|{ALGORITHM}", algorithm="{ALGORITHM}", '
            f'created="{created}", expires="{expires}", headers="(created) (expires) digest", '
            f'signature="{base64.b64encode(sig).decode()}"')


@dataclass(frozen=True)
class Parsed:
    sender_id: str
    key_id: str
    created: int
    expires: int
    signature: bytes


_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse(text: str) -> Parsed:
    if not text or not text.strip():
        raise SignatureError("signature: missing", "err.signature.missing")
    body = text.strip()
    if body.lower().startswith("signature:"):
        body = body[len("signature:"):]
    params = dict(_PARAM.findall(body[:4000]))
    try:
        sender_id, key_id, alg = params["kidId"].split("|")
        created, expires = int(params["created"]), int(params["expires"])
        sig = base64.b64decode(params["signature"], validate=True)
    except (KeyError, ValueError):
        raise SignatureError("signature: not kidId/created/expires/signature as the spec writes them") from None
    if alg != ALGORITHM or params.get("algorithm", ALGORITHM) != ALGORITHM:
        raise SignatureError(f"signature: algorithm must be {ALGORITHM}")
    if params.get("headers", "(created) (expires) digest") != "(created) (expires) digest":
        raise SignatureError('signature: headers must be "(created) (expires) digest"')
    return Parsed(sender_id, key_id, created, expires, sig)


def verify(text: str, header: dict, message, public_key: Ed25519PublicKey, *, now: int | None = None) -> Parsed:
    """Check a signature string against header + message. SignatureError when it does not hold."""
    p = parse(text)
    t = int(time.time() if now is None else now)
    if p.created > t + CLOCK_SKEW:
        raise SignatureError("signature: created in the future")
    if p.expires < t:
        raise SignatureError("signature: expired")
    if p.expires <= p.created or p.expires - p.created > MAX_LIFETIME:
        raise SignatureError(f"signature: lifetime must be between 1 and {MAX_LIFETIME} seconds")
    try:
        public_key.verify(p.signature, signing_string(p.created, p.expires, digest(header, message)))
    except InvalidSignature:
        raise SignatureError("signature: does not verify with the sender's key") from None
    return p
