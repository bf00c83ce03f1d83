"""A payment provider simulator (the provider side of G2P Connect disbursement), for tests and
the demo (`ansinh interop provider-sim`). A small threaded HTTP server on 127.0.0.1 that:

* accepts signed /disburse envelopes (verifying ansinh's signature with the key ansinh publishes
  at /api/g2p/keys), answers ACK at once, and pays or rejects each item by a rule (default: an
  account number ending in 7 is rejected, rjct.payee_fa.invalid); the same message twice is
  acknowledged again and paid once;
* calls back later on header.sender_uri (/on-disburse), authenticated as a machine client
  (OAuth2 client credentials → bearer JWT) and signed with its own ed25519 key: first `rcvd`,
  then the results in chunks, in a shuffled order, some chunks twice, some `pdng` after the
  result (out of order), some chunks lost (`lose`) until ansinh asks /disburse/txn/status;
* can refuse the first N deliveries with 503 (`fail_first`) so that ansinh retries.

Everything it sent and received is kept (`received`, `sent`) for the conformance tests. No
Django import: it is a separate party that talks HTTP only.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import queue
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ansinh.interop import signing

VN = dt.timezone(dt.timedelta(hours=7))


def reject_account_ending_in_7(item: dict) -> str | None:
    account = item["payee_fa"].split(":", 1)[-1].rsplit("@", 1)[0]
    return "rjct.payee_fa.invalid" if account.endswith("7") else None


class ProviderSim:
    def __init__(self, *, ansinh_api: str, client_id: str, client_secret: str, private_key_pem: str, key_id: str,
                 rule=reject_account_ending_in_7, seed: int = 18, chunk: int = 400, delay: float = 0.01,
                 duplicate_rate: float = 0.25, late_pending_rate: float = 0.25, lose: int = 0, fail_first: int = 0,
                 hold: bool = False):
        self.api = ansinh_api.rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.key, self.key_id = signing.load_private(private_key_pem), key_id
        self.rule, self.rand = rule, random.Random(seed)
        self.chunk, self.delay = chunk, delay
        self.duplicate_rate, self.late_pending_rate = duplicate_rate, late_pending_rate
        self.lose, self.fail_first = lose, fail_first
        self.released = threading.Event()  # callbacks wait for it (hold=True: until release())
        if not hold:
            self.released.set()
        self.ledger: dict[str, dict] = {}  # reference_id -> {status, amount, reason, transaction_id, item}
        self.messages: dict[str, dict] = {}  # message_id -> ack (idempotent /disburse)
        self.received: list[dict] = []  # envelopes ansinh sent (disburse, txn/status)
        self.sent: list[tuple[str, dict, int, dict]] = []  # (path, envelope, http status, answer)
        self.lost: list[dict] = []
        self.errors: list[str] = []
        self._jobs: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None
        self._ansinh_keys: dict[str, object] | None = None
        self._pending = 0
        self.server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ server
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 50_000_000))
                status, answer = sim.handle(self.path, raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        threading.Thread(target=self._worker, daemon=True).start()
        return f"http://{host}:{self.server.server_address[1]}"

    def stop(self) -> None:
        self._jobs.put(None)
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def release(self) -> None:
        """Start calling back (a simulator made with hold=True keeps its callbacks until then)."""
        self.released.set()

    def wait_idle(self, timeout: float = 120) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self._pending == 0:
                    return True
            time.sleep(0.05)
        return False

    # ------------------------------------------------------------------ receiving from ansinh
    def handle(self, path: str, raw: bytes) -> tuple[int, dict]:
        try:
            env = json.loads(raw)
            header, message = env["header"], env["message"]
        except (ValueError, KeyError, TypeError):
            return 400, self._err("err.request.bad", "not a G2P Connect envelope")
        try:
            parsed = signing.parse(env.get("signature") or "")
            signing.verify(env["signature"], header, message, self._ansinh_key(parsed.key_id))
        except (signing.SignatureError, KeyError) as exc:
            return 401, self._err("err.signature.invalid", str(exc))
        with self._lock:
            self.received.append(env)
            if path == "/disburse" and self.fail_first > 0:
                self.fail_first -= 1
                return 503, self._err("err.service.unavailable", "try again")
            seen = self.messages.get(header["message_id"])
            if seen is not None:
                return 200, seen
        if path == "/disburse":
            answer = self._disburse(header, message)
        elif path == "/disburse/txn/status":
            answer = self._status(header, message)
        else:
            return 404, self._err("err.request.not_found", path)
        with self._lock:
            self.messages[header["message_id"]] = answer
        return 200, answer

    def _ansinh_key(self, key_id: str):
        if self._ansinh_keys is None or key_id not in self._ansinh_keys:
            with urllib.request.urlopen(f"{self.api}/keys", timeout=30) as r:  # noqa: S310 - local ansinh
                doc = json.loads(r.read())
            self._ansinh_keys = {k["key_id"]: signing.load_public(k["public_key"]) for k in doc["keys"]}
        return self._ansinh_keys[key_id]

    def _disburse(self, header: dict, message: dict) -> dict:
        tx = message["transaction_id"]
        results = []
        with self._lock:
            for item in message["disbursements"]:
                ref = item["reference_id"]
                if ref not in self.ledger:  # paid once, whatever the retries
                    reason = self.rule(item)
                    self.ledger[ref] = {"status": "rjct" if reason else "succ", "reason": reason,
                                        "amount": item["amount"], "transaction_id": tx, "item": item,
                                        "at": dt.datetime.now(VN).isoformat(timespec="seconds")}
                results.append(ref)
        uri = header.get("sender_uri") or f"{self.api}/on-disburse"
        refs = list(results)
        self._enqueue(uri, "rcvd", tx, [self._status_item(r, "rcvd") for r in self.rand.sample(refs, min(5, len(refs)))])
        chunks = [refs[i:i + self.chunk] for i in range(0, len(refs), self.chunk)]
        self.rand.shuffle(chunks)
        for c in chunks:
            items = [self._final_item(r) for r in c]
            self.rand.shuffle(items)
            if self.lose > 0:  # this chunk's callback never arrives
                self.lose -= 1
                self.lost.append({"transaction_id": tx, "items": items})
                continue
            self._enqueue(uri, "succ", tx, items)
            if self.rand.random() < self.duplicate_rate:
                self._enqueue(uri, "succ", tx, items)  # the same results again, as a new message
            if self.rand.random() < self.late_pending_rate:
                self._enqueue(uri, "pdng", tx, [self._status_item(r, "pdng") for r in c[:20]])  # late, out of order
        return {"message": {"ack_status": "ACK", "timestamp": self._ts(), "correlation_id": uuid.uuid4().hex[:20]}}

    def _status(self, header: dict, message: dict) -> dict:
        tx = message["txnstatus_request"]["attribute_value"]
        with self._lock:
            items = [self._final_item(r) for r, v in self.ledger.items() if v["transaction_id"] == tx]
        uri = header.get("sender_uri") or f"{self.api}/disburse/txn/on-status"
        for i in range(0, len(items), 1000):  # ansinh takes bodies up to 2.5 MB: 1,000 items a message
            self._enqueue(uri, "succ", tx, items[i:i + 1000], on_status=message["transaction_id"])
        return {"message": {"ack_status": "ACK", "timestamp": self._ts(), "correlation_id": uuid.uuid4().hex[:20]}}

    def _status_item(self, ref: str, status: str) -> dict:
        return {"reference_id": ref, "timestamp": self._ts(), "status": status}

    def _final_item(self, ref: str) -> dict:
        e = self.ledger[ref]
        out = {"reference_id": ref, "timestamp": e["at"], "status": e["status"], "amount": e["amount"],
               "payer_fa": e["item"]["payer_fa"], "payee_fa": e["item"]["payee_fa"], "currency_code": "VND"}
        if e["reason"]:
            out["status_reason_code"] = e["reason"]
            out["status_reason_message"] = "Tài khoản người nhận không hợp lệ"
        return out

    @staticmethod
    def _ts() -> str:
        return dt.datetime.now(VN).isoformat(timespec="seconds")

    @staticmethod
    def _err(code: str, message: str) -> dict:
        return {"message": {"ack_status": "ERR", "timestamp": ProviderSim._ts(), "correlation_id": "",
                            "error": {"code": code, "message": message}}}

    # ------------------------------------------------------------------ calling ansinh back
    def _enqueue(self, uri: str, status: str, tx: str, items: list[dict], on_status: str | None = None) -> None:
        with self._lock:
            self._pending += 1
        self._jobs.put((uri, status, tx, items, on_status))

    def _worker(self) -> None:
        backlog: list = []
        while True:
            try:
                job = self._jobs.get(timeout=0.05)
                if job is None:
                    return
                backlog.append(job)
                continue  # gather what is queued, then send in a scrambled order
            except queue.Empty:
                pass
            if not backlog or not self.released.is_set():
                continue
            self.rand.shuffle(backlog)
            job, backlog = backlog[0], backlog[1:]
            time.sleep(self.delay)
            try:
                self._callback(*job)
            except Exception as exc:  # noqa: BLE001 - a simulator keeps going; the test reads `errors`
                self.errors.append(f"{type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._pending -= 1

    def _callback(self, uri: str, status: str, tx: str, items: list[dict], on_status: str | None) -> None:
        completed = sum(1 for i in items if i["status"] in ("succ", "rjct"))
        header = {"version": "1.0.0", "message_id": f"sim-{uuid.uuid4().hex}", "message_ts": self._ts(),
                  "action": "on-disburse", "status": status, "total_count": len(items),
                  "completed_count": completed, "sender_id": self.client_id, "receiver_id": "ansinh",
                  "is_msg_encrypted": False}
        response = {"transaction_id": tx, "disbursements_status": items}
        message = response if on_status is None else {
            "transaction_id": on_status, "correlation_id": uuid.uuid4().hex[:20],
            "txnstatus_response": {"txn_type": "on-disburse", "txn_status": response}}
        for attempt in range(4):
            env = {"signature": signing.sign(header, message, self.key, sender_id=self.client_id, key_id=self.key_id),
                   "header": header, "message": message}
            code, answer = self._post(uri, env, self._bearer(force=attempt > 0))
            self.sent.append((uri, env, code, answer))
            if code < 500 and code != 401:
                return
            time.sleep(0.2 * (attempt + 1))  # the same message_id again: ansinh must apply it once

    def _bearer(self, force: bool = False) -> str:
        if force or self._token is None or self._token[1] < time.monotonic():
            form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
            basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            req = urllib.request.Request(f"{self.api}/oauth/token", data=form, method="POST", headers={
                "Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"})
            with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - local ansinh
                tok = json.loads(r.read())
            self._token = (tok["access_token"], time.monotonic() + tok["expires_in"] - 30)
        return self._token[0]

    @staticmethod
    def _post(url: str, env: dict, token: str) -> tuple[int, dict]:
        req = urllib.request.Request(url, data=json.dumps(env, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310 - local ansinh
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, json.loads(exc.read() or b"{}")
            except ValueError:
                return exc.code, {}
        except OSError as exc:
            return 599, {"error": type(exc).__name__}
