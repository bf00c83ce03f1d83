"""`ansinh keys`: the keys that encrypt identifiers at rest (ansinh.core.crypto, decision 0025)."""
from __future__ import annotations

import typer

from ansinh.cli import emit, fail

app = typer.Typer(no_args_is_help=True, help="Encryption keys of identifiers at rest: status, new key, rotation.")


@app.command("status")
def status(json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """How many stored values each key id holds, per encrypted column ("clear": not encrypted)."""
    from ansinh.core import crypto, sealed

    ring = crypto.keyring()
    data = {"current": ring.current, "keys": sorted(ring.ciphers), "encrypt_at_rest": ring.encrypt_at_rest,
            "columns": crypto.status(), "files": sealed.file_key_ids()}

    def human(d):
        print(f"ansinh keys: current key {d['current']}; keys that decrypt: {', '.join(d['keys'])}")
        for c in d["columns"]:
            counts = ", ".join(f"{k or 'clear'} {n}" for k, n in sorted(c["counts"].items())) or "empty"
            print(f"  {c['column']}: {counts}")
        files = ", ".join(f"{k or 'clear'} {n}" for k, n in sorted(d["files"].items())) or "none"
        print(f"  stored uploads: {files}")

    emit(data, json_out, human)


@app.command("new")
def new(kid: str = typer.Argument(..., help="The new key's id (letters, digits, _; at most 16)."),
        json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Print a new random data key "kid:base64": put it FIRST in ANSINH_DATA_KEYS, keep the old ones after it,
    restart, then `ansinh keys rotate`."""
    from ansinh.core import crypto

    try:
        crypto.parse_data_keys(crypto.new_key_text(kid))
    except ValueError as exc:
        fail(str(exc))
    text = crypto.new_key_text(kid)
    emit({"key": text}, json_out, lambda d: print(d["key"]))


@app.command("rotate")
def rotate(chunk: int = typer.Option(5000, "--chunk", help="Values re-encrypted per transaction."),
           json_out: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Re-encrypt every stored identifier and every stored upload (lists, evidence) with the current key (the
    first of ANSINH_DATA_KEYS). Safe to stop and run again; afterwards the old key can be removed."""
    from ansinh.core import crypto, sealed

    if chunk < 1:
        fail("--chunk must be at least 1")
    ring = crypto.keyring()
    if not ring.encrypt_at_rest:
        fail("ANSINH_ENCRYPT_AT_REST is off: nothing to rotate")
    try:
        done = crypto.rotate(chunk=chunk)
    except crypto.DecryptionError as exc:
        fail(str(exc))
    try:
        files = sealed.rotate_files()
    except crypto.DecryptionError as exc:
        fail(str(exc))
    data = {"current": ring.current, "reencrypted": done, "total": sum(done.values()), "files": files}
    emit(data, json_out, lambda d: print(f"ansinh keys: {d['total']} value(s) and {d['files']} stored file(s)"
                                         f" re-encrypted with key {d['current']}"))
