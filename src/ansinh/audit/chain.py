"""The audit log's hash chain: pure functions, no Django.

Each entry's hash is sha256 over the previous entry's hash and the entry's canonical text (a JSON
object with sorted keys, no spaces, UTF-8). The first entry's previous hash is GENESIS. An entry that
names people (a person page, an export) also carries the digest of their ids, and an entry that
mirrors registry history carries the digest of the ChangeLog rows it covers, so changing or removing
one of those rows breaks the entry as surely as changing the entry itself.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

GENESIS = "0" * 64

# The fields of an entry that its hash covers, in the order the canonical text names them (sorted anyway).
HASHED = ("seq", "at", "user_id", "user_name", "action", "subjects", "subjects_digest", "object", "sha256",
          "source", "detail")


def canonical_json(value) -> str:
    """One text for one value whatever the database or dict order: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def at_text(at: dt.datetime) -> str:
    """A moment as hashed: UTC, ISO 8601 with microseconds (what both databases keep)."""
    if at.tzinfo is None:
        raise ValueError("audit times are aware datetimes")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_text(fields: dict) -> str:
    """The canonical text of an entry's hashed fields (`detail` is already canonical JSON text)."""
    missing = [k for k in HASHED if k not in fields]
    if missing:
        raise ValueError(f"audit entry lacks {', '.join(missing)}")
    record = {k: fields[k] for k in HASHED}
    if isinstance(record["at"], dt.datetime):
        record["at"] = at_text(record["at"])
    return canonical_json(record)


def entry_hash(prev_hash: str, fields: dict) -> str:
    return hashlib.sha256(f"{prev_hash}\n{entry_text(fields)}".encode()).hexdigest()


def ids_digest(ids: Iterable[int]) -> str:
    """Digest of a set of person ids (sorted, one a line); '' for none."""
    ordered = sorted(set(int(i) for i in ids))
    if not ordered:
        return ""
    return hashlib.sha256("\n".join(map(str, ordered)).encode()).hexdigest()


def rows_digest(rows: Iterable[Iterable]) -> str:
    """Digest of table rows in the given order (each row's values as canonical JSON, one a line)."""
    h = hashlib.sha256()
    for row in rows:
        h.update(canonical_json([at_text(v) if isinstance(v, dt.datetime) else v for v in row]).encode())
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True)
class Break:
    """The first bad entry: its sequence number and what is wrong with it."""

    seq: int
    reason: str

    def __str__(self) -> str:
        return f"entry {self.seq}: {self.reason}"


def check_chain(entries: Iterable[dict]) -> Iterator[Break]:
    """The breaks of a chain given its entries in sequence order. Each entry: the HASHED fields plus
    `prev_hash`, `hash` and, when recomputed from the rows, `actual_subjects_digest` (the digest of the
    person ids stored with it) and `actual_rows_digest` (of the history rows it covers; None: none
    to check) and, when a later retention entry emptied some of those rows, `expected_rows_digest`
    (their digest since, chained in that entry) and `redacted_by` (its seq). An entry that was
    removed shows as a gap in the sequence; the chain resumes after it."""
    expected_prev, expected_seq = GENESIS, 1
    for e in entries:
        if e["seq"] != expected_seq:
            if e["seq"] > expected_seq:
                yield Break(expected_seq, "missing (removed)" if e["seq"] == expected_seq + 1
                            else f"missing up to entry {e['seq'] - 1} (removed)")
            else:
                yield Break(e["seq"], "sequence number repeated")
        elif e["prev_hash"] != expected_prev:
            yield Break(e["seq"], "does not follow the previous entry (previous hash differs)")
        if entry_hash(e["prev_hash"], e) != e["hash"]:
            yield Break(e["seq"], "content changed (hash differs)")
        elif "actual_subjects_digest" in e and e["actual_subjects_digest"] != e["subjects_digest"]:
            yield Break(e["seq"], "the people it names were changed")
        elif e.get("actual_rows_digest") is not None and e["actual_rows_digest"] != _expected_rows(e):
            yield Break(e["seq"], "the registry history rows it covers were changed or removed"
                        + (f" (after their anonymisation by entry {e['redacted_by']})" if e.get("redacted_by") else ""))
        expected_prev, expected_seq = e["hash"], e["seq"] + 1


def _expected_rows(e: dict) -> str | None:
    """The digest an entry's history rows must have: the one written when they were anonymised by a
    later retention entry (`expected_rows_digest`, given by the reader), else the entry's own."""
    return e.get("expected_rows_digest") or _detail(e).get("rows_digest")


def _detail(e: dict) -> dict:
    d = e["detail"]
    return json.loads(d) if isinstance(d, str) else (d or {})


def first_break(entries: Iterable[dict]) -> Break | None:
    return next(iter(check_chain(entries)), None)
