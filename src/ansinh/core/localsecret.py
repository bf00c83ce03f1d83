"""A demo or development installation's own secret, made once in a file only its owner reads (mode 0600):
the site's secret key (settings.py) and the data keys of identifiers at rest (core/crypto.local_keys). No
Django import: settings.py reads it before Django is set up."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def read_or_make(path: Path, make: Callable[[], str]) -> str:
    """The text of `path`, written first with `make()` if the file does not exist (created exclusively,
    0600, so two processes starting at once agree on one secret)."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(make())
    return path.read_text()
