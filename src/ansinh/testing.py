"""pytest plugin, loaded by pyproject's `addopts = -p ansinh.testing` before pytest-django reads the
settings: the test process (and the CLI subprocesses it starts) gets a random SECRET_KEY of its own,
so the settings need no fixed public default key. An environment that sets SECRET_KEY keeps it."""
from __future__ import annotations

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
