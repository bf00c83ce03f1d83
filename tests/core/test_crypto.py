"""ansinh.core.crypto: identifiers encrypted at rest, keyed lookup hashes, keys (decision 0025)."""
from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest

from ansinh.core import crypto


def key(kid: str) -> str:
    return crypto.new_key_text(kid)


LOOKUP = base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def keys_a(settings):
    settings.ANSINH_DATA_KEYS = key("a")
    settings.ANSINH_LOOKUP_KEY = LOOKUP
    settings.ANSINH_ENCRYPT_AT_REST = True
    return settings


def test_round_trip_and_format(keys_a):
    for text in ["001085012345", "0912 345 678", "Nguyễn Văn A — 12", "x" * 500]:
        enc = crypto.encrypt(text)
        assert enc.startswith("e1:a:") and text not in enc
        assert crypto.decrypt(enc) == text
    assert crypto.encrypt("001085012345") != crypto.encrypt("001085012345")  # a random nonce each time
    assert crypto.encrypt(None) is None and crypto.encrypt("") == ""
    assert crypto.decrypt(None) is None and crypto.decrypt("") == ""
    assert crypto.decrypt("001085012345") == "001085012345"  # cleartext (not migrated, switch off) reads as is
    enc = crypto.encrypt("001085012345")
    assert crypto.encrypt(enc) == enc  # never twice
    assert crypto.key_id(enc) == "a" and crypto.key_id("001085012345") is None


def test_decrypt_many_equals_decrypt(keys_a):
    values = [crypto.encrypt(f"0010850{i:05d}") for i in range(50)] + [None, "", "clear"]
    assert crypto.decrypt_many(values) == [crypto.decrypt(v) for v in values]
    assert crypto.encrypt_many(["1", None, ""])[1:] == [None, ""]


def test_tamper_is_an_error(keys_a):
    enc = crypto.encrypt("001085012345")
    kid, body = enc[3:].split(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    tampered = f"e1:{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(crypto.DecryptionError) as err:
        crypto.decrypt(tampered)
    assert "001085012345" not in str(err.value)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(enc[:-4])  # truncated


def test_wrong_key_is_an_error(keys_a, settings):
    enc = crypto.encrypt("001085012345")
    settings.ANSINH_DATA_KEYS = key("a")  # same id, other bytes
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(enc)
    settings.ANSINH_DATA_KEYS = key("b")  # the key is gone
    with pytest.raises(crypto.DecryptionError, match="no data key 'a'"):
        crypto.decrypt(enc)


def test_old_keys_still_decrypt(keys_a, settings):
    a = settings.ANSINH_DATA_KEYS
    enc = crypto.encrypt("001085012345")
    settings.ANSINH_DATA_KEYS = f"{key('b')},{a}"
    assert crypto.decrypt(enc) == "001085012345"
    assert crypto.encrypt("001085012345").startswith("e1:b:")


def test_lookup_hash_equal_across_formatting(keys_a, settings):
    h = crypto.lookup_hash("001085012345")
    assert len(h) == crypto.HASH_LENGTH and "001085012345" not in h
    assert crypto.lookup_hash(" 001 085.012-345 ") == h
    assert crypto.lookup_hash("001085012346") != h
    assert crypto.lookup_hash(None) is None and crypto.lookup_hash("") == "" and crypto.lookup_hash(" . ") == ""
    assert crypto.lookup_hash_many(["001.085.012.345", None, ""]) == [h, None, ""]
    settings.ANSINH_LOOKUP_KEY = base64.b64encode(os.urandom(32)).decode()
    assert crypto.lookup_hash("001085012345") != h  # keyed: no key, no dictionary of IDs


def test_switch_off_stores_cleartext(keys_a, settings):
    settings.ANSINH_ENCRYPT_AT_REST = False
    assert crypto.encrypt("001085012345") == "001085012345"
    assert crypto.encrypt("001085012345", force=True).startswith("e1:")
    assert crypto.lookup_hash("001085012345")  # lookups keep their hash column


@pytest.mark.parametrize("text, reason", [
    ("", "no data key"), ("k1", "kid:base64"), ("k 1:AAAA", "kid:base64"), ("k1:@@", "not base64"),
    ("k1:" + base64.b64encode(b"x" * 16).decode(), "32 bytes"),
])
def test_bad_data_keys(text, reason):
    with pytest.raises(ValueError, match=reason):
        crypto.parse_data_keys(text)
    with pytest.raises(ValueError, match="twice"):
        crypto.parse_data_keys(f"{key('a')},{key('a')}")


def test_local_keys_made_once_owner_only(tmp_path):
    d1 = crypto.local_keys(tmp_path)
    assert crypto.local_keys(tmp_path) == d1
    assert (tmp_path / "data_keys").stat().st_mode & 0o777 == 0o600
    crypto.parse_data_keys(d1[0]), crypto.parse_lookup_key(d1[1])


def _settings_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in {"ANSINH_DATA_KEYS", "ANSINH_LOOKUP_KEY", "ANSINH_DEMO",
                                                               "DEBUG", "ANSINH_ENCRYPT_AT_REST"}}
    env.update(extra)
    return env


def test_production_refuses_without_keys(tmp_path):
    code = "import ansinh.settings"
    env = _settings_env(ANSINH_VAR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "ANSINH_DATA_KEYS" in r.stderr
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**env, "ANSINH_DATA_KEYS": "k1:n@pe", "ANSINH_LOOKUP_KEY": LOOKUP})
    assert r.returncode != 0 and "not base64" in r.stderr
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**env, "ANSINH_DATA_KEYS": key("k1"), "ANSINH_LOOKUP_KEY": LOOKUP,
                            "ANSINH_ENCRYPT_AT_REST": "0"})
    assert r.returncode != 0 and "ANSINH_ENCRYPT_AT_REST" in r.stderr
    r = subprocess.run([sys.executable, "-c", code], env={**env, "ANSINH_DATA_KEYS": key("k1"),
                                                           "ANSINH_LOOKUP_KEY": LOOKUP},
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "data_keys").exists()
    r = subprocess.run([sys.executable, "-c", code], env={**env, "ANSINH_DEMO": "1"}, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "data_keys").stat().st_mode & 0o777 == 0o600
