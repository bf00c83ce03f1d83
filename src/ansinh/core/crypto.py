"""Identifiers encrypted at rest, with a keyed hash for lookups (issue 13, decision 0025).

The one home of:
- the keys: ``settings.ANSINH_DATA_KEYS`` ("kid:base64(32 bytes)", comma-separated; the first encrypts,
  every one decrypts: key rotation) and ``settings.ANSINH_LOOKUP_KEY`` (base64, the HMAC key), read from the
  environment by settings.py (a demo, DEBUG or test installation generates its own once into
  $ANSINH_VAR/data_keys, mode 0600; production refuses to start without them);
- ``encrypt`` / ``decrypt`` / ``decrypt_many``: AES-256-GCM, a random 96-bit nonce per value, text
  ``e1:<kid>:<base64url(nonce + ciphertext + tag)>``; a value without the ``e1:`` prefix is cleartext (the
  benchmark's switch ``ANSINH_ENCRYPT_AT_REST=0``, rows not migrated yet) and reads as itself;
- ``lookup_hash``: HMAC-SHA256 of the normalised value (spaces, dots, dashes removed), 32 hex characters
  (128 bits): equal identifiers have equal hashes, whatever the formatting, and nothing else is learnt;
- the model fields: ``EncryptedCharField`` (cleartext in Python, ciphertext in the column) and its
  companion ``LookupHashField`` (the indexed hash column, filled in ``pre_save`` so ``save()`` and
  ``bulk_create`` both fill it). ``filter(f=x)``, ``filter(f__in=[…])`` compare the hash column;
  ``f__isnull`` the column; every other lookup raises ``EncryptedLookupError``;
- ``EncryptedJSONField``: a JSON value (an import's raw row) stored as one encrypted text;
- the list of encrypted columns (``encrypted_columns``) and their re-encryption with the current key
  (``rotate``, ``status``: ``ansinh keys rotate|status``).
"""
from __future__ import annotations

import base64
import hmac
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django.db import models

PREFIX = "e1:"
HASH_LENGTH = 32  # hex characters of the HMAC kept (128 bits)
_NORMALISE = re.compile(r"[\s.\-]+")
_KID = re.compile(r"^[A-Za-z0-9_]{1,16}$")


class DecryptionError(ValueError):
    """A stored value that does not decrypt: changed in the database, or its key is gone.
    The message names the key id, never the value."""


class EncryptedLookupError(FieldError):
    """A lookup an encrypted column cannot answer (contains, startswith, ordering…)."""


# --- keys -----------------------------------------------------------------------------------------------

def parse_data_keys(text: str) -> list[tuple[str, bytes]]:
    """"k1:BASE64,k0:BASE64" -> [("k1", 32 bytes), ("k0", …)]; raises ValueError with a one-line reason."""
    out: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        kid, sep, b64 = part.partition(":")
        if not sep or not _KID.match(kid):
            raise ValueError("each data key is written kid:base64 (kid: letters, digits, _; at most 16)")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError:
            raise ValueError(f"data key {kid} is not base64") from None
        if len(raw) != 32:
            raise ValueError(f"data key {kid} is not 32 bytes (AES-256)")
        if any(k == kid for k, _ in out):
            raise ValueError(f"data key id {kid} appears twice")
        out.append((kid, raw))
    if not out:
        raise ValueError("no data key")
    return out


def parse_lookup_key(text: str) -> bytes:
    try:
        raw = base64.b64decode((text or "").strip(), validate=True)
    except ValueError:
        raise ValueError("the lookup key is not base64") from None
    if len(raw) < 32:
        raise ValueError("the lookup key must be at least 32 bytes")
    return raw


def new_key_text(kid: str) -> str:
    """A fresh "kid:base64" data key (``ansinh keys new``; the demo's generated keys)."""
    return f"{kid}:{base64.b64encode(os.urandom(32)).decode()}"


def local_keys(var_dir) -> tuple[str, str]:
    """A demo / development / test installation's own keys, made once in ``var_dir/data_keys`` (mode 0600),
    the same way settings.py makes its secret key. Returns (data keys text, lookup key text)."""
    from pathlib import Path

    from ansinh.core.localsecret import read_or_make

    stored = json.loads(read_or_make(Path(var_dir) / "data_keys", lambda: json.dumps(
        {"data_keys": new_key_text("k1"), "lookup_key": base64.b64encode(os.urandom(32)).decode()})))
    return stored["data_keys"], stored["lookup_key"]


@dataclass(frozen=True)
class Keyring:
    current: str
    ciphers: dict  # kid -> AESGCM
    lookup: bytes
    encrypt_at_rest: bool


@lru_cache(maxsize=8)
def _keyring(data_keys: str, lookup_key: str, encrypt_at_rest: bool) -> Keyring:
    keys = parse_data_keys(data_keys)
    return Keyring(current=keys[0][0], ciphers={kid: AESGCM(raw) for kid, raw in keys},
                   lookup=parse_lookup_key(lookup_key), encrypt_at_rest=encrypt_at_rest)


_last: list = [None, None]  # (the settings read, their Keyring): one comparison per value read, not a parse


def keyring() -> Keyring:
    data_keys = getattr(settings, "ANSINH_DATA_KEYS", "")
    lookup_key = getattr(settings, "ANSINH_LOOKUP_KEY", "")
    on = getattr(settings, "ANSINH_ENCRYPT_AT_REST", True)
    seen = _last[0]
    if seen is not None and seen[0] is data_keys and seen[1] is lookup_key and seen[2] is on:
        return _last[1]
    if not data_keys or not lookup_key:
        raise ImproperlyConfigured("ANSINH_DATA_KEYS and ANSINH_LOOKUP_KEY are not set")
    ring = _keyring(data_keys, lookup_key, bool(on))
    _last[0], _last[1] = (data_keys, lookup_key, on), ring
    return ring


# --- values -----------------------------------------------------------------------------------------------

def is_encrypted(text) -> bool:
    return isinstance(text, str) and text.startswith(PREFIX)


def key_id(text: str) -> str | None:
    """The key id an encrypted value was written with (None: cleartext)."""
    if not is_encrypted(text):
        return None
    return text[len(PREFIX):].partition(":")[0]


def _encrypt_with(ring: Keyring, text: str) -> str:
    nonce = os.urandom(12)
    blob = nonce + ring.ciphers[ring.current].encrypt(nonce, text.encode(), None)
    return f"{PREFIX}{ring.current}:{base64.urlsafe_b64encode(blob).decode()}"


def encrypt(text, *, force: bool = False):
    """Cleartext -> "e1:<kid>:…" with the current key. None and "" stay as they are (an empty field says
    nothing); an already encrypted value is returned unchanged. With ANSINH_ENCRYPT_AT_REST off (the
    benchmark's floor) the cleartext is returned, unless ``force``."""
    if text is None or text == "" or is_encrypted(text):
        return text
    ring = keyring()
    if not ring.encrypt_at_rest and not force:
        return text
    return _encrypt_with(ring, str(text))


def encrypt_many(values) -> list:
    ring = keyring()
    if not ring.encrypt_at_rest:
        return list(values)
    return [v if v is None or v == "" or is_encrypted(v) else _encrypt_with(ring, str(v)) for v in values]


def _decrypt_with(ciphers: dict, text: str) -> str:
    kid, sep, body = text[len(PREFIX):].partition(":")
    cipher = ciphers.get(kid)
    if cipher is None or not sep:
        raise DecryptionError(f"no data key {kid!r} to read a stored value (was the key removed too early?)")
    try:
        blob = base64.urlsafe_b64decode(body)
        return cipher.decrypt(blob[:12], blob[12:], None).decode()
    except (InvalidTag, ValueError):
        raise DecryptionError(f"a stored value does not decrypt with data key {kid!r}: changed in the "
                              "database, or written with another key") from None


def decrypt(text):
    """"e1:<kid>:…" -> cleartext; None, "" and cleartext (not encrypted) are returned as they are.
    Raises DecryptionError when the value was changed or its key is not in ANSINH_DATA_KEYS."""
    if not is_encrypted(text):
        return text
    return _decrypt_with(keyring().ciphers, text)


def decrypt_many(values) -> list:
    """``decrypt`` over a list (bulk loaders: matching's frame, exports): one key lookup, no per-value
    setting reads."""
    ciphers = keyring().ciphers
    return [_decrypt_with(ciphers, v) if isinstance(v, str) and v.startswith(PREFIX) else v for v in values]


def normalise(value) -> str:
    """What two writings of one identifier share: "001 085.012 345" and "001085012345" are equal."""
    return _NORMALISE.sub("", str(value)).upper()


def lookup_hash(value):
    """HMAC-SHA256 (ANSINH_LOOKUP_KEY) of the normalised value, 32 hex characters; None for None and ""
    for an empty value (so "no phone" is still findable as "")."""
    if value is None:
        return None
    norm = normalise(value)
    if not norm:
        return ""
    return hmac.digest(keyring().lookup, norm.encode(), "sha256").hex()[:HASH_LENGTH]


def lookup_hash_many(values) -> list:
    """``lookup_hash`` over a list (set-based writers): one key lookup, hmac's one-shot C path."""
    key = keyring().lookup
    sub, digest = _NORMALISE.sub, hmac.digest
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        norm = sub("", str(v)).upper()
        out.append(digest(key, norm.encode(), "sha256").hex()[:HASH_LENGTH] if norm else "")
    return out


# --- model fields -----------------------------------------------------------------------------------------

class EncryptedCharField(models.CharField):
    """A CharField whose column holds "e1:…" ciphertext (a text column: the ciphertext is longer than
    ``max_length``, which still limits the cleartext in forms and validation). ``hash_field`` names the
    companion ``LookupHashField`` that answers ``exact`` and ``in``."""

    def __init__(self, *args, hash_field: str | None = None, **kwargs):
        self.hash_field = hash_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.hash_field:
            kwargs["hash_field"] = self.hash_field
        return name, "ansinh.core.crypto.EncryptedCharField", args, kwargs

    def db_type(self, connection):
        return connection.data_types["TextField"] % {}

    def cast_db_type(self, connection):
        return self.db_type(connection)

    def rel_db_type(self, connection):
        return self.db_type(connection)

    def from_db_value(self, value, expression, connection):
        return decrypt(value)

    def to_python(self, value):
        return decrypt(super().to_python(value))

    def get_prep_value(self, value):
        return encrypt(super().get_prep_value(value))

    def get_lookup(self, lookup_name):
        found = _LOOKUPS.get(lookup_name)
        if found is None:
            raise EncryptedLookupError(
                f"{self.model.__name__}.{self.name} is encrypted: only exact, in and isnull lookups work "
                f"(through its keyed hash), not {lookup_name!r}")
        return found

    def get_transform(self, lookup_name):
        raise EncryptedLookupError(f"{self.model.__name__}.{self.name} is encrypted: no {lookup_name!r}")


class LookupHashField(models.CharField):
    """The keyed hash of another field (``source``), computed on every save (``save()`` and
    ``bulk_create`` both call ``pre_save``); ``HashedQuerySet.update``/``bulk_update`` compute it too.
    Raw SQL and another queryset's ``update`` do not: set ``f_hash`` too, with ``lookup_hash``."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", HASH_LENGTH)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if kwargs.get("max_length") == HASH_LENGTH:
            del kwargs["max_length"]
        kwargs.pop("editable", None)
        return name, "ansinh.core.crypto.LookupHashField", args, kwargs

    def pre_save(self, model_instance, add):
        value = lookup_hash(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def _hash_target(lhs):
    from django.db.models.expressions import Col

    field = getattr(lhs, "target", None)
    if not isinstance(lhs, Col) or not isinstance(field, EncryptedCharField) or not field.hash_field:
        raise EncryptedLookupError("an encrypted column is compared only directly, through its keyed hash")
    return Col(lhs.alias, field.model._meta.get_field(field.hash_field))


class _HashExact(models.lookups.Exact):
    def __init__(self, lhs, rhs):
        if hasattr(rhs, "resolve_expression"):
            raise EncryptedLookupError("an encrypted column is compared only with values, not expressions")
        super().__init__(_hash_target(lhs), lookup_hash(rhs))


class _HashIn(models.lookups.In):
    def __init__(self, lhs, rhs):
        if hasattr(rhs, "resolve_expression"):
            raise EncryptedLookupError("an encrypted column is compared only with values, not a subquery")
        super().__init__(_hash_target(lhs), [h for h in lookup_hash_many(rhs) if h is not None])


_LOOKUPS = {"exact": _HashExact, "in": _HashIn, "isnull": models.lookups.IsNull}


def encrypt_values(details: dict, keys=("value", "before", "after")) -> dict:
    """A JSON ``details`` dict with the identifier values under ``keys`` encrypted (a finding about an ID or
    phone number keeps the number as written, for review, but not in clear)."""
    if not details or not any(k in details for k in keys):
        return details
    return {k: (encrypt(str(v)) if k in keys and v not in (None, "") else v) for k, v in details.items()}


class HashedFieldsMixin:
    """For models with encrypted fields: ``save(update_fields=[…])`` naming an encrypted field also writes
    its hash column (``pre_save`` computes it, but only for the fields saved)."""

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        if fields:
            fields = list(fields)
            for name in list(fields):
                f = self._meta.get_field(name)
                if isinstance(f, EncryptedCharField) and f.hash_field and f.hash_field not in fields:
                    fields.append(f.hash_field)
            kwargs["update_fields"] = fields
        return super().save(*args, **kwargs)


class HashedQuerySet(models.QuerySet):
    """The manager of a model with encrypted fields (``objects = HashedQuerySet.as_manager()``):
    ``update(f=value)`` of an encrypted field also writes its keyed hash, and ``bulk_update`` recomputes
    the hashes of the encrypted fields it writes — so a number changed in bulk is still found by
    ``filter(f=value)``. An expression (``F``, ``Value``…) cannot be hashed here: name the hash too."""

    def update(self, **kwargs):
        return super().update(**update_with_hashes(self.model, kwargs))

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        return super().bulk_update(objs, with_hashes(objs, fields), batch_size=batch_size)


def update_with_hashes(model, kwargs: dict) -> dict:
    """``QuerySet.update`` keyword arguments with the hash of every encrypted field they set (unless the
    caller set it)."""
    out = dict(kwargs)
    for name, value in kwargs.items():
        try:
            f = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if not isinstance(f, EncryptedCharField) or not f.hash_field or f.hash_field in kwargs:
            continue
        if hasattr(value, "resolve_expression"):
            raise EncryptedLookupError(f"{model.__name__}.{name} is encrypted: update it with a value (its keyed "
                                       f"hash is computed from it) or set {f.hash_field} in the same update")
        out[f.hash_field] = lookup_hash(value)
    return out


def with_hashes(objs, fields) -> list[str]:
    """For ``bulk_update(objs, fields)`` (which calls no ``pre_save``): the hash of every encrypted field in
    ``fields`` recomputed on the objects, and the fields list with those hash fields added."""
    objs = list(objs)
    out = list(fields)
    if not objs:
        return out
    meta = objs[0]._meta
    for name in fields:
        f = meta.get_field(name)
        if isinstance(f, EncryptedCharField) and f.hash_field:
            hf = meta.get_field(f.hash_field)
            for o in objs:
                setattr(o, hf.attname, lookup_hash(getattr(o, f.attname)))
            if f.hash_field not in out:
                out.append(f.hash_field)
    return out


def prepare_rows(model, fields: tuple[str, ...], rows: list) -> tuple[tuple[str, ...], list]:
    """Rows for a set-based insert of ``model`` (bypassing the ORM's ``pre_save``/``get_prep_value``): the
    encrypted columns among ``fields`` encrypted column by column, and the hash column of each added when
    ``fields`` does not name it. Returns (fields, rows); unchanged when no column is encrypted."""
    meta = model._meta
    enc, jsn, hashes = [], [], []
    for i, name in enumerate(fields):
        f = meta.get_field(name)
        if isinstance(f, EncryptedCharField):
            enc.append(i)
            if f.hash_field and f.hash_field not in fields:
                hashes.append((f.hash_field, i))
        elif isinstance(f, EncryptedJSONField):
            jsn.append(i)
    if not (enc or jsn or hashes):
        return fields, rows
    cols = [list(c) for c in zip(*rows)] if rows else [[] for _ in fields]
    extra = [lookup_hash_many(cols[i]) for _, i in hashes]
    for i in enc:
        cols[i] = encrypt_many(cols[i])
    for i in jsn:
        cols[i] = encrypt_many([None if v is None else json.dumps(v, ensure_ascii=False) for v in cols[i]])
    return (tuple(fields) + tuple(h for h, _ in hashes)), [tuple(r) for r in zip(*cols, *extra)]


class EncryptedJSONField(models.TextField):
    """A JSON value (list, dict) kept as one encrypted text: an import's raw row."""

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "ansinh.core.crypto.EncryptedJSONField", args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return json.loads(decrypt(value))

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(decrypt(value)) if value else value
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return models.lookups.IsNull
        raise EncryptedLookupError(f"{self.model.__name__}.{self.name} is encrypted: no {lookup_name!r} lookup")

    def get_transform(self, lookup_name):
        raise EncryptedLookupError(f"{self.model.__name__}.{self.name} is encrypted: no {lookup_name!r}")


class DecryptedTextField(models.TextField):
    """A text column in which the writer encrypts some values ("e1:…": the registry history's old and new
    values of identifier fields); every read decrypts them, so readers (pages, the audit digest) see text."""

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, "ansinh.core.crypto.DecryptedTextField", args, kwargs

    def from_db_value(self, value, expression, connection):
        return decrypt(value)


# --- the encrypted columns, their key ids, rotation ----------------------------------------------------------

@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    column: str
    where: str = ""  # a SQL condition on the table's rows (e.g. only some ChangeLog fields)
    label: str = ""


# Columns holding "e1:" text that are not EncryptedCharField/EncryptedJSONField columns (values of several
# fields in one column), registered by the app that owns them (registry: ChangeLog old/new).
EXTRA_COLUMNS: list[EncryptedColumn] = []


def register_column(table: str, column: str, where: str = "", label: str = "") -> None:
    col = EncryptedColumn(table, column, where, label or f"{table}.{column}")
    if col not in EXTRA_COLUMNS:
        EXTRA_COLUMNS.append(col)


def encrypted_columns() -> list[EncryptedColumn]:
    from django.apps import apps

    out = []
    for model in apps.get_models():
        for f in model._meta.local_fields:
            if isinstance(f, (EncryptedCharField, EncryptedJSONField)):
                out.append(EncryptedColumn(model._meta.db_table, f.column, "",
                                           f"{model._meta.label_lower}.{f.name}"))
    return out + list(EXTRA_COLUMNS)


def _where(col: EncryptedColumn, extra: str) -> str:
    parts = [p for p in (col.where, extra) if p]
    return " AND ".join(f"({p})" for p in parts)


def status() -> list[dict]:
    """How many stored values each key id holds, per encrypted column ("" = cleartext)."""
    from django.db import connection

    qn = connection.ops.quote_name
    out = []
    with connection.cursor() as cur:
        for col in encrypted_columns():
            c = qn(col.column)
            kid = (f"CASE WHEN {c} LIKE 'e1:%' THEN substr({c}, 4, instr(substr({c}, 4), ':') - 1) ELSE '' END"
                   if connection.vendor == "sqlite" else
                   f"CASE WHEN {c} LIKE 'e1:%' THEN split_part({c}, ':', 2) ELSE '' END")
            where = _where(col, f"{c} IS NOT NULL AND {c} <> ''")
            cur.execute(f"SELECT {kid}, COUNT(*) FROM {qn(col.table)} WHERE {where} GROUP BY 1")
            counts = {k: n for k, n in cur.fetchall()}
            out.append({"column": col.label, "table": col.table, "counts": counts})
    return out


def _update_from(cur, table: str, columns: list[str], rows: list[tuple], guard: str = "") -> None:
    """UPDATE ``table`` SET columns FROM a temporary table of (id, *columns[, guard_old]) rows: one set-based
    statement per chunk (UPDATE … FROM: PostgreSQL, SQLite >= 3.33). ``guard``: a column that must still hold
    the value read (the last value of each row), so a concurrent edit is not overwritten."""
    from django.db import connection

    from ansinh.core.db import load_temp_table

    qn = connection.ops.quote_name
    names = [f"v{i}" for i in range(len(columns))] + (["g"] if guard else [])
    load_temp_table(cur, "crypto_values", ", ".join(["id bigint"] + [f"{n} text" for n in names]), rows,
                    index_on="id")
    sets = ", ".join(f"{qn(c)} = crypto_values.v{i}" for i, c in enumerate(columns))
    cond = f" AND {qn(table)}.{qn(guard)} = crypto_values.g" if guard else ""
    cur.execute(f"UPDATE {qn(table)} SET {sets} FROM crypto_values WHERE {qn(table)}.id = crypto_values.id{cond}")
    cur.execute("DROP TABLE crypto_values")


def convert_columns(connection, table: str, columns: list[tuple[str, str | None]], *, where: str = "",
                    reverse: bool = False, chunk: int = 5000) -> int:
    """A data migration's body: encrypt the cleartext of ``columns`` ([(column, its hash column or None)]) of
    ``table`` and fill the hash columns (``reverse``: decrypt back to cleartext; hashes left as they are, the
    schema reversal drops them). Chunk by chunk over the ids, each chunk one set-based UPDATE; idempotent
    (an encrypted value is not encrypted again). Returns the rows touched."""
    qn = connection.ops.quote_name
    cols = [c for c, _ in columns]
    targets = cols + ([h for _, h in columns if h] if not reverse else [])
    cond = f" AND ({where})" if where else ""
    last, n = 0, 0
    with connection.cursor() as cur:
        while True:
            cur.execute(f"SELECT id, {', '.join(qn(c) for c in cols)} FROM {qn(table)} WHERE id > %s{cond} "
                        f"ORDER BY id LIMIT {int(chunk)}", [last])
            rows = cur.fetchall()
            if not rows:
                return n
            last = rows[-1][0]
            values = list(zip(*rows))
            ids, olds = values[0], values[1:]
            if reverse:
                new_cols = [decrypt_many(v) for v in olds]
            else:
                plain = [decrypt_many(v) for v in olds]
                new_cols = [encrypt_many(p) for p in plain]
                new_cols += [lookup_hash_many(p) for p, (_, h) in zip(plain, columns) if h]
            _update_from(cur, table, targets, list(zip(ids, *new_cols)))
            n += len(rows)


def rotate(chunk: int = 5000, progress=None) -> dict:
    """Re-encrypt every stored value not written with the current key (cleartext included) with the current
    key, chunk by chunk (each chunk one transaction, its UPDATE set-based from a temporary table). Idempotent:
    a run stopped half-way is finished by running it again, and a value is replaced only if it is still the
    one read (a concurrent edit wins). Returns {column label: values re-encrypted}."""
    from django.db import connection, transaction

    ring = keyring()
    if not ring.encrypt_at_rest:
        raise ImproperlyConfigured("ANSINH_ENCRYPT_AT_REST is off: nothing is encrypted")
    qn = connection.ops.quote_name
    current = f"{PREFIX}{ring.current}:%"
    done: dict[str, int] = {}
    for col in encrypted_columns():
        t, c = qn(col.table), qn(col.column)
        where = _where(col, f"{c} IS NOT NULL AND {c} <> '' AND {c} NOT LIKE %s AND id > %s")
        n, last = 0, 0
        while True:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(f"SELECT id, {c} FROM {t} WHERE {where} ORDER BY id LIMIT {int(chunk)}", [current, last])
                rows = cur.fetchall()
                if not rows:
                    break
                last = rows[-1][0]
                plain = decrypt_many([v for _, v in rows])
                fresh = [_encrypt_with(ring, p) for p in plain]
                _update_from(cur, col.table, [col.column], [(r[0], f, r[1]) for r, f in zip(rows, fresh)],
                             guard=col.column)
                n += len(rows)
                if progress:
                    progress(col.label, n)
        done[col.label] = n
    return done
