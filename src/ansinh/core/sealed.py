"""Stored files encrypted at rest (issue 13, decision 0025): uploaded lists hold ID and account numbers,
so ansinh.core.uploads.store_upload keeps every upload sealed with the identifiers' keys
(ansinh.core.crypto: AES-256-GCM with the current data key; every key in ANSINH_DATA_KEYS reads, so
`ansinh keys rotate` leaves old files readable). A background job reads a decrypted copy that lives
only while it runs (ansinh.core.jobs, `opened_upload`); a download decrypts (`read_stored`).

No dependency on the rest of core (jobs and uploads both use it)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

# A sealed file is SEALED_MAGIC, the key id, a newline, the 12-byte nonce, then ciphertext + tag.
SEALED_MAGIC = b"ANSINH-SEALED-1:"


def seal(data: bytes) -> bytes:
    """`data` encrypted for storage (unchanged when ANSINH_ENCRYPT_AT_REST is off: the benchmark's floor)."""
    from ansinh.core.crypto import keyring

    ring = keyring()
    if not ring.encrypt_at_rest:
        return data
    nonce = os.urandom(12)
    return SEALED_MAGIC + ring.current.encode() + b"\n" + nonce + ring.ciphers[ring.current].encrypt(nonce, data, None)


def is_sealed(data: bytes) -> bool:
    return data.startswith(SEALED_MAGIC)


def unseal(data: bytes) -> bytes:
    """The stored bytes decrypted (bytes that were not sealed come back as they are)."""
    from cryptography.exceptions import InvalidTag

    from ansinh.core.crypto import DecryptionError, keyring

    if not is_sealed(data):
        return data
    kid, sep, rest = data[len(SEALED_MAGIC):].partition(b"\n")
    cipher = keyring().ciphers.get(kid.decode("ascii", "replace"))
    if cipher is None or not sep:
        raise DecryptionError(f"no data key {kid.decode('ascii', 'replace')!r} to read a stored file")
    try:
        return cipher.decrypt(rest[:12], rest[12:], None)
    except InvalidTag:
        raise DecryptionError("a stored file does not decrypt (changed, or written with another key)") from None


def read_stored(path) -> bytes:
    """The content of a stored upload, decrypted."""
    return unseal(Path(path).read_bytes())


@contextmanager
def opened_upload(path):
    """A path to read a stored upload from: a sealed file is decrypted into a private temporary
    folder under the same name (readers look at the extension), removed when the block ends; any other
    file (a path given on the command line) is read where it is."""
    import shutil
    import tempfile

    p = Path(path)
    with open(p, "rb") as fh:
        sealed = is_sealed(fh.read(len(SEALED_MAGIC)))
    if not sealed:
        yield p
        return
    folder = Path(tempfile.mkdtemp(prefix="ansinh-upload-"))  # mode 0700
    try:
        plain = folder / p.name
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(read_stored(p))
        yield plain
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _uploads_root() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "uploads"


def file_key_ids() -> dict[str, int]:
    """How many stored uploads each data key id sealed ("": not sealed), for `ansinh keys status`."""
    counts: dict[str, int] = {}
    for p in sorted(_uploads_root().rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:
                head = fh.read(len(SEALED_MAGIC) + 20)
            kid = head[len(SEALED_MAGIC):].partition(b"\n")[0].decode("ascii", "replace") if is_sealed(head) else ""
            counts[kid] = counts.get(kid, 0) + 1
    return counts


def rotate_files() -> int:
    """Seal again with the current key every stored upload sealed with another key (or not sealed), as
    `ansinh keys rotate` does for the columns; each file replaced atomically, its modification time kept
    (the retention purge reads it). Returns the number of files rewritten."""
    from ansinh.core.crypto import keyring

    ring = keyring()
    if not ring.encrypt_at_rest:
        return 0
    current = SEALED_MAGIC + ring.current.encode() + b"\n"
    n = 0
    for p in sorted(_uploads_root().rglob("*")):
        if not p.is_file() or p.name.endswith(".rotating"):
            continue
        data = p.read_bytes()
        if data.startswith(current):
            continue
        st = p.stat()
        tmp = p.with_name(p.name + ".rotating")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(seal(unseal(data)))
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, p)
        n += 1
    return n
