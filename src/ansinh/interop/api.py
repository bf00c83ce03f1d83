"""The machine API (django-ninja, its own OpenAPI at /api/g2p/openapi.json): the OAuth2 token
endpoint, the G2P Connect callbacks a provider sends (/on-disburse, /disburse/txn/on-status), the
runs sent to the calling client, and ansinh's public signing keys. No session, no CSRF: every
call is authenticated by a short-lived bearer JWT (clients.authenticate) and, for messages, by the
ed25519 signature; every call, refused ones too, is recorded (models.ApiCall)."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from ninja import Field, Form, NinjaAPI, Schema, Status

from ansinh.interop import calls, clients, dci, receive, selectors, sender
from ansinh.interop.models import Operation

api = NinjaAPI(title="ansinh G2P Connect API", version="1.0.0", urls_namespace="g2p", docs_url="/docs",
               description="Machine-to-machine API for payment providers (G2P Connect disbursement, "
                           "draft v1.0.0). See docs/api.md.")


def _record(request: HttpRequest, client, status: int, operation: str, message_id: str = "", outcome: str = "",
            persons=()):
    calls.record(client, direction="in", method=request.method, path=request.path, operation=operation,
                 status=status, message_id=message_id, outcome=outcome, persons=persons)


def _client(request: HttpRequest, operation: str):
    """The authenticated client, or the 401 answer (recorded)."""
    try:
        return clients.authenticate(request.headers.get("Authorization", "")), None
    except clients.AuthError as exc:
        _record(request, None, 401, operation, outcome=str(exc))
        resp = JsonResponse(receive.err(exc.code, str(exc)), status=401)
        resp["WWW-Authenticate"] = 'Bearer realm="ansinh-g2p"'
        return None, resp


class TokenOut(Schema):
    access_token: str
    token_type: str
    expires_in: int
    scope: str


class OAuthError(Schema):
    error: str
    error_description: str = ""


@api.post("/oauth/token", response={200: TokenOut, 400: OAuthError, 401: OAuthError}, tags=["auth"])
def token(request, grant_type: str = Form(...), client_id: str = Form(""), client_secret: str = Form("")):
    """OAuth2 client credentials grant (form-encoded; client_id/client_secret in the form or as HTTP Basic)."""
    import base64

    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic ") and not client_id:
        try:
            client_id, _, client_secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            client_id = client_secret = ""
    if grant_type != "client_credentials":
        _record(request, None, 400, "token", outcome="unsupported_grant_type")
        return Status(400, {"error": "unsupported_grant_type", "error_description": "client_credentials only"})
    try:
        out = clients.issue_token(client_id, client_secret)
    except clients.AuthError:
        _record(request, None, 401, "token", outcome=f"invalid_client {client_id[:60]}")
        return Status(401, {"error": "invalid_client", "error_description": "unknown client or wrong secret"})
    from ansinh.interop.models import MachineClient

    _record(request, MachineClient.objects.get(client_id=client_id), 200, "token", outcome="issued")
    return Status(200, out)


class Envelope(Schema):
    """A G2P Connect message: signature (MsgSignature), header (MsgCallbackHeader_V1.0.0), message."""
    signature: str | None = None
    header: dict
    message: dict | None = None


class AckMessage(Schema):
    ack_status: str
    timestamp: str
    correlation_id: str
    error: dict | None = None


class Ack(Schema):
    message: AckMessage


def _callback(request, body: Envelope, action: str):
    operation = "on-disburse" if action == "on-disburse" else "txn/on-status"
    client, refused = _client(request, operation)
    if refused:
        return refused
    message_id = str((body.header or {}).get("message_id") or "")
    try:
        status, answer = receive.handle(client, body.dict(), action)
    except receive.Refused as exc:
        _record(request, client, exc.status, operation, message_id, f"{exc.code}: {exc}")
        return JsonResponse(receive.err(exc.code, str(exc)), status=exc.status)
    _record(request, client, status, operation, message_id, answer["message"]["ack_status"])
    return Status(status, answer)


ACKS = {200: Ack, 400: Ack, 401: Ack, 403: Ack, 404: Ack, 409: Ack}


@api.post("/on-disburse", response=ACKS, tags=["G2P Connect"], exclude_none=True)
def on_disburse(request, body: Envelope):
    """G2P Connect /on-disburse: the provider's statuses (rcvd, pdng, succ, rjct) for the items of
    a transaction ansinh sent it. succ → line paid, rjct → unpaid (carried into the next run);
    a status already recorded is a duplicate; all or nothing otherwise."""
    return _callback(request, body, "on-disburse")


@api.post("/disburse/txn/on-status", response=ACKS, tags=["G2P Connect"], exclude_none=True)
def on_status(request, body: Envelope):
    """G2P Connect /disburse/txn/on-status: the answer to ansinh's /disburse/txn/status, with the
    transaction's statuses (txnstatus_response.txn_status, a DisburseResponse); applied as /on-disburse."""
    return _callback(request, body, "on-status")


class RunOut(Schema):
    run: int
    period: str
    run_status: str
    transaction_id: str
    batches: int
    batches_acked: int
    lines: int
    total_vnd: int
    first_sent: str | None = None


@api.get("/runs", response={200: list[RunOut], 401: Ack, 403: Ack}, tags=["runs"])
def runs(request):
    """The payroll runs sent to the calling client (and only those)."""
    client, refused = _client(request, "runs")
    if refused:
        return refused
    if not client.allows(Operation.RUNS_READ):
        _record(request, client, 403, "runs", outcome="operation not allowed")
        return Status(403, receive.err("err.request.forbidden", "client may not read runs"))
    out = selectors.runs_sent_to(client)
    _record(request, client, 200, "runs", outcome=f"{len(out)} runs")
    return Status(200, out)


class KeyOut(Schema):
    key_id: str
    algorithm: str
    public_key: str = Field(..., description="ed25519 raw public key, base64")


class KeysOut(Schema):
    sender_id: str
    keys: list[KeyOut]


@api.get("/keys", response=KeysOut, tags=["auth"])
def keys(request):
    """ansinh's public signing keys: verify the signature of every /disburse ansinh sends."""
    return {"sender_id": sender.sender_id(), "keys": sender.public_keys()}


# --------------------------------------------------------------------------- DCI social registry search

class HttpErrorItem(Schema):
    code: str
    message: str = ""


class HttpError(Schema):
    """The DCI HttpErrorResponse."""
    errors: list[HttpErrorItem]


class SearchEnvelope(Schema):
    """A DCI message: signature (optional: the bearer token authenticates; verified when given),
    header (MsgHeader_V1.0.0, action search), message (SearchRequest)."""
    signature: str | None = None
    header: dict
    message: dict


class SearchAnswer(Schema):
    signature: str
    header: dict
    message: dict


@api.post("/registry/sync/search", response={200: SearchAnswer, 400: HttpError, 401: HttpError, 403: HttpError},
          tags=["DCI social registry"])
def registry_sync_search(request, body: SearchEnvelope):
    """DCI social registry /registry/sync/search: is a person with this identifier (and name, birth
    year) in the registry, within the client's scope? Answered at once (on-search), with only the
    fields the client is allowed; every answer is recorded in the audit log with the people shown."""
    try:
        client = clients.authenticate(request.headers.get("Authorization", ""))
    except clients.AuthError as exc:
        _record(request, None, 401, "search", outcome=str(exc))
        resp = JsonResponse(dci.http_error(exc.code, str(exc)), status=401)
        resp["WWW-Authenticate"] = 'Bearer realm="ansinh-g2p"'
        return resp
    message_id = str((body.header or {}).get("message_id") or "")[:100]
    if not client.allows(Operation.SEARCH):
        _record(request, client, 403, "search", message_id, "operation not allowed")
        return Status(403, dci.http_error("err.request.forbidden", "client may not search the registry"))
    try:
        answer, shown = dci.search(client, body.dict())
    except dci.Refused as exc:
        _record(request, client, exc.status, "search", message_id, f"{exc.code}: {exc}")
        return Status(exc.status, dci.http_error(exc.code, str(exc)))
    items = answer["message"]["search_response"]
    found = sum(len(a.get("data", {}).get("reg_records", [])) for a in items)
    _record(request, client, 200, "search", message_id,
            f"{len(items)} requests, {found} records, {sum(a['status'] == 'rjct' for a in items)} rejected")
    return Status(200, answer)
