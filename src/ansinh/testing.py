"""pytest plugin, loaded by pyproject's `addopts = -p ansinh.testing` before pytest-django reads the
settings: the test process (and the CLI subprocesses it starts) gets a random SECRET_KEY of its own,
so the settings need no fixed public default key. An environment that sets SECRET_KEY keeps it.
ALLOWED_HOSTS likewise (the settings refuse to start without it when DEBUG is off)."""
from __future__ import annotations

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# Identifier encryption keys (ansinh.core.crypto): random ones per test process, like the secret key.
if "ANSINH_DATA_KEYS" not in os.environ and "ANSINH_LOOKUP_KEY" not in os.environ:
    import base64

    os.environ["ANSINH_DATA_KEYS"] = "t1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["ANSINH_LOOKUP_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
