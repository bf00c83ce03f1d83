"""A small HTTPS client for tests/deploy: connects to 127.0.0.1, verifies the self-signed
certificate for the site's host name (SNI), keeps cookies, posts forms and files."""
from __future__ import annotations

import http.client
import re
import socket
import ssl
import uuid
from urllib.parse import urlencode


class SiteClient:
    def __init__(self, host: str, port: int, cafile: str):
        self.host, self.port = host, port
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.cookies: dict[str, str] = {}
        self.origin = f"https://{host}:{port}"

    def _conn(self) -> http.client.HTTPSConnection:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=60)
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        conn.sock = self.ctx.wrap_socket(raw, server_hostname=self.host)
        return conn

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        h = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = self._conn()
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
        finally:
            conn.close()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return r, data

    def get(self, path: str, **headers):
        return self.request("GET", path, headers=headers)

    @staticmethod
    def csrf_token(page: bytes) -> str:
        m = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert m, "no CSRF token in the form"
        return m.group(1).decode()

    def post_form(self, path: str, fields: dict, files: dict | None = None):
        headers = {"Referer": self.origin + path, "Origin": self.origin}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for k, v in fields.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
            for k, (name, content, ctype) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                             f"Content-Type: {ctype}\r\n\r\n".encode() + content + b"\r\n")
            parts.append(f"--{boundary}--\r\n".encode())
            body = b"".join(parts)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request("POST", path, body=body, headers=headers)

    def login(self, username: str, password: str):
        _, page = self.get("/login/")
        return self.post_form("/login/", {"username": username, "password": password,
                                          "csrfmiddlewaretoken": self.csrf_token(page)})
