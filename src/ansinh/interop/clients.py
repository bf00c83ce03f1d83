"""Machine clients: register, rotate keys, list; the OAuth2 client-credentials grant and the
short-lived JWT access tokens it issues (PyJWT, HS256 under a key derived from SECRET_KEY)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.models import Organisation, OrgKind, Role
from ansinh.core.services import upsert_user
from ansinh.interop import signing
from ansinh.interop.models import ClientKey, ClientKind, MachineClient, Operation, SearchField, active_key_q

TOKEN_SECONDS = 300  # an access token lives five minutes
ISSUER, AUDIENCE = "ansinh", "ansinh-g2p"
# The role of a client's service user, by kind (ansinh.core.roles.MACHINE_ROLES): a provider's
# system records the results of the runs sent to it (payroll/access.RECONCILERS); an agency's
# system only searches (dci.py). The user has no usable password, so it never logs in.
SERVICE_ROLES = {ClientKind.PROVIDER: Role.PROVIDER_CLIENT, ClientKind.AGENCY: Role.AGENCY_CLIENT}
# What each kind may be allowed to do.
KIND_OPERATIONS = {ClientKind.PROVIDER: (Operation.DISBURSE, Operation.TXN_STATUS, Operation.RUNS_READ),
                   ClientKind.AGENCY: (Operation.SEARCH,)}
CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9.-]{1,62}")


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _jwt_key() -> bytes:
    return hashlib.sha256(b"ansinh.interop.jwt\x00" + settings.SECRET_KEY.encode()).digest()


def _new_key(client: MachineClient, public_key: str | None, *, secret: str | None = None,
             key_id: str | None = None) -> tuple[ClientKey, dict]:
    """A new credential generation: a client secret, and the signing key (the given public key,
    or a new pair whose private half is handed out once). `secret`/`key_id` given: the demo's
    published ones (interop/demo.py, ANSINH_DEMO only)."""
    secret = secret or secrets.token_urlsafe(32)
    out = {"client_secret": secret}
    if public_key:
        try:
            pub = signing.public_b64(signing.load_public(public_key))
        except ValueError as exc:
            raise BadInput(f"--public-key: {exc}") from None
    else:
        priv = signing.new_private_key()
        pub, out["private_key_pem"] = signing.public_b64(priv), signing.private_pem(priv)
    key = ClientKey.objects.create(client=client, key_id=key_id or f"k{uuid.uuid4().hex[:12]}", secret_sha256=_sha(secret),
                                   public_key=pub)
    out.update({"key_id": key.key_id, "public_key": pub})
    return key, out


@transaction.atomic
def create_client(client_id: str, *, name: str, organisation: str, kind: str, operations: list[str],
                  scope: list[str], provider_code: str = "", base_url: str = "", public_key: str | None = None,
                  fields: list[str] = (), created_by: str = "", by=None, _demo: dict | None = None) -> dict:
    """Register a client; returns its credentials (the secret, and a private key when ansinh made
    the pair) once: only their hashes / the public key are kept."""
    if not CLIENT_ID.fullmatch(client_id or ""):
        raise BadInput("client id: 2-63 characters a-z 0-9 . - (it is also the G2P Connect sender_id)")
    if MachineClient.objects.filter(client_id=client_id).exists():
        raise BadInput(f"client {client_id!r} exists; use `ansinh client rotate`")
    if kind not in ClientKind.values:
        raise BadInput(f"--kind: {kind!r} is not one of {', '.join(ClientKind.values)}")
    bad = [o for o in operations if o not in Operation.values]
    if bad or not operations:
        raise BadInput(f"--operations: {bad[0] if bad else '(none)'!r}; known: {', '.join(Operation.values)}")
    wrong = [o for o in operations if o not in KIND_OPERATIONS[kind]]
    if wrong:
        raise BadInput(f"--operations: {wrong[0]!r} is not for a client of kind {kind} "
                       f"(allowed: {', '.join(KIND_OPERATIONS[kind])})")
    bad = [f for f in fields if f not in SearchField.values]
    if bad:
        raise BadInput(f"--fields: {bad[0]!r}; known: {', '.join(SearchField.values)}")
    if fields and Operation.SEARCH not in operations:
        raise BadInput("--fields: only a client allowed to search is answered fields")
    if kind == ClientKind.PROVIDER and not provider_code:
        raise BadInput("--provider: a payment provider client needs its provider code (NAPAS BIN)")
    if base_url and not re.fullmatch(r"https?://[^\s]+", base_url):
        raise BadInput("--url: an http(s) URL")
    if not scope:
        raise BadInput("--scope: at least one province or commune code")
    org, _ = Organisation.objects.get_or_create(
        name=organisation, defaults={"kind": OrgKind.PAYMENT_PROVIDER if kind == ClientKind.PROVIDER else OrgKind.OTHER})
    try:
        user = upsert_user(f"client:{client_id}", None, roles=[SERVICE_ROLES[kind]], unit_codes=scope, organisation=org,
                           full_name=name)
    except Exception as exc:  # an unknown unit code (DoesNotExist / ValueError)
        raise BadInput(f"--scope: {exc}") from None
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client = MachineClient.objects.create(client_id=client_id, name=name, organisation=org, kind=kind,
                                          operations=sorted(set(operations)), provider_code=provider_code,
                                          base_url=base_url.rstrip("/"), user=user, created_by=created_by,
                                          fields=[f for f in SearchField.values if f in set(fields)])
    key, creds = _new_key(client, public_key, **(_demo or {}))
    _audit(by, client, "create", key=key.key_id, kind=kind, operations=client.operations, fields=client.fields,
           scope=sorted(scope))
    return {**describe(client), **creds}


@transaction.atomic
def rotate(client_id: str, *, public_key: str | None = None, grace_hours: float = 24, by=None) -> dict:
    """A new key generation; the older live keys keep working for `grace_hours` (0: revoked now)."""
    client = get_client(client_id)
    now = timezone.now()
    old = ClientKey.objects.filter(active_key_q(now), client=client)
    if grace_hours <= 0:
        old.update(revoked_at=now)
    else:
        until = now + dt.timedelta(hours=grace_hours)
        old.filter(expires_at__isnull=True).update(expires_at=until)
        old.filter(expires_at__gt=until).update(expires_at=until)
    key, creds = _new_key(client, public_key)
    _audit(by, client, "rotate", key=key.key_id, grace_hours=grace_hours)
    return {**describe(client), **creds}


@transaction.atomic
def revoke(client_id: str, *, by=None) -> dict:
    """Revoke a client: every key at once (its tokens stop), the client inactive. Its calls and
    messages stay (the audit log names them)."""
    client = get_client(client_id)
    now = timezone.now()
    ClientKey.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)
    client.active = False
    client.save(update_fields=["active"])
    _audit(by, client, "revoke")
    return describe(client)


def _audit(by, client: MachineClient, change: str, **detail) -> None:
    """A client registered, its keys rotated, it revoked: an entry of the audit log (never a secret)."""
    from ansinh.audit.models import Action
    from ansinh.audit.services import append
    from ansinh.core.roles import OPERATOR

    append(Action.CHANGE, user=by if by is not None else OPERATOR, object=f"interop.machineclient {client.pk}",
           detail={"client": client.client_id, "change": change, **detail})


def get_client(client_id: str) -> MachineClient:
    c = MachineClient.objects.filter(client_id=client_id).select_related("organisation").first()
    if c is None:
        raise BadInput(f"no client {client_id!r}")
    return c


def describe(client: MachineClient) -> dict:
    now = timezone.now()
    return {"client_id": client.client_id, "name": client.name, "organisation": client.organisation.name,
            "kind": client.kind, "operations": client.operations, "provider_code": client.provider_code,
            "base_url": client.base_url, "active": client.active, "fields": client.fields,
            "scope": sorted(client.user.profile.scope_units.values_list("code", flat=True)),
            "keys": [{"key_id": k.key_id, "created": k.created.isoformat(),
                      "expires_at": k.expires_at.isoformat() if k.expires_at else None,
                      "revoked": k.revoked_at is not None,
                      "live": k.revoked_at is None and (k.expires_at is None or k.expires_at > now)}
                     for k in client.keys.all()]}


def list_clients() -> list[dict]:
    return [describe(c) for c in MachineClient.objects.select_related("organisation", "user__profile")]


def live_keys(client: MachineClient):
    return ClientKey.objects.filter(active_key_q(timezone.now()), client=client)


# --------------------------------------------------------------------------- tokens

class AuthError(Exception):
    def __init__(self, message: str, code: str = "err.request.unauthorized"):
        super().__init__(message)
        self.code = code


def issue_token(client_id: str, client_secret: str) -> dict:
    """OAuth2 client credentials (RFC 6749 §4.4): a JWT valid TOKEN_SECONDS, bound to the key
    generation whose secret was given (rotating or revoking that key ends its tokens)."""
    client = MachineClient.objects.filter(client_id=client_id or "", active=True).first()
    key = None
    if client is not None and client_secret:
        sha = _sha(client_secret)
        key = next((k for k in live_keys(client) if hmac.compare_digest(k.secret_sha256, sha)), None)
    if key is None:
        raise AuthError("invalid_client")
    now = int(timezone.now().timestamp())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": client.client_id, "kid": key.key_id, "iat": now,
              "exp": now + TOKEN_SECONDS, "jti": uuid.uuid4().hex, "scope": " ".join(client.operations)}
    return {"access_token": jwt.encode(claims, _jwt_key(), algorithm="HS256"), "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS, "scope": claims["scope"]}


def authenticate(authorization: str) -> MachineClient:
    """The client of a `Authorization: Bearer <jwt>` header; AuthError when missing, expired,
    forged, or its key generation is no longer live."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("a bearer token is required (POST /api/g2p/oauth/token)")
    try:
        claims = jwt.decode(token.strip(), _jwt_key(), algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "kid"]}, leeway=5)
    except jwt.PyJWTError:
        raise AuthError("the access token is invalid or expired") from None
    client = (MachineClient.objects.filter(client_id=claims["sub"], active=True)
              .select_related("user").first())
    if client is None or not live_keys(client).filter(key_id=claims["kid"]).exists():
        raise AuthError("the access token's client or key is no longer valid")
    return client


def service_user(client: MachineClient):
    """The client's user, as the payroll services check it (role, scope)."""
    return get_user_model().objects.select_related("profile").get(pk=client.user_id)
