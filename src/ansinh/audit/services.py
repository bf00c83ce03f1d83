"""The one writer of the audit log: `append` adds an entry at the end of the chain, serialised
(PostgreSQL: a transaction-scoped advisory lock; SQLite: its write lock, taken at BEGIN IMMEDIATE by
settings' transaction_mode), in the caller's transaction when there is one, so a change and its
entry commit or roll back together. `record_changes` mirrors what ansinh.registry.history writes.

Where an entry comes from (the screen or the command) is the request's view name, set by
ansinh.audit.middleware.AuditSourceMiddleware, or the command line, set by ansinh.cli.main.
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from ansinh.audit import chain
from ansinh.audit.models import Action, AuditEntry, AuditSubject

# pg_advisory_xact_lock key of the chain's head ("ansinh audit" in ASCII, folded into a bigint).
LOCK_KEY = 0x616E73696E6821
BATCH = 5000

_source: contextvars.ContextVar[str] = contextvars.ContextVar("ansinh_audit_source", default="")


def set_source(source: str):
    """Name the screen or command the next entries come from; returns a token for reset_source."""
    return _source.set(source[:120])


def reset_source(token) -> None:
    _source.reset(token)


def current_source() -> str:
    return _source.get()


def _who(user) -> tuple[int | None, str]:
    pk = getattr(user, "pk", None)
    if user is None:
        return None, ""
    if pk is None:  # the command line's operator (ansinh.core.roles.OPERATOR)
        return None, "operator"
    return pk, user.get_username()


def append(action: str, *, user, persons: Iterable[int] = (), object: str = "", sha256: str = "",  # noqa: A002
           detail: dict | None = None, source: str | None = None, at=None) -> AuditEntry:
    """Add one entry naming `persons` (ids) at the end of the chain; returns it."""
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    ids = sorted(set(int(p) for p in persons))
    uid, uname = _who(user)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first() or (0, chain.GENESIS)
        fields = {
            "seq": head[0] + 1, "at": at or timezone.now(), "user_id": uid, "user_name": uname,
            "action": action, "subjects": len(ids), "subjects_digest": chain.ids_digest(ids),
            "object": object[:300], "sha256": sha256,
            "source": (source if source is not None else current_source())[:120],
            "detail": chain.canonical_json(detail) if detail else "",
        }
        entry = AuditEntry.objects.create(prev_hash=head[1], hash=chain.entry_hash(head[1], fields), **fields)
        for i in range(0, len(ids), BATCH):
            AuditSubject.objects.bulk_create([AuditSubject(entry=entry, person_id=p) for p in ids[i:i + BATCH]])
    return entry


# --------------------------------------------------------------------------- registry history mirror

# The ChangeLog columns a change entry's rows digest covers, in this order (ansinh.registry.history writes them).
CHANGELOG_FIELDS = ("pk", "model", "object_id", "person_id", "field", "old", "new", "user_id", "at", "source")


def changelog_rows(qs):
    """The rows of ChangeLog `qs` as the digest reads them (by id)."""
    return qs.order_by("pk").values_list(*CHANGELOG_FIELDS)


def record_changes(*, first: int, last: int, at, source: str, user) -> AuditEntry | None:
    """One entry for the ChangeLog rows just written by one ansinh.registry.history.log_changes call
    (ids first..last, all with this `at` and `source`): their number, the people they are about and
    the digest of their content, so `ansinh audit verify` sees a history row changed or removed. The
    rows themselves stay in ChangeLog (not copied)."""
    from ansinh.registry.models import ChangeLog

    rows = list(changelog_rows(ChangeLog.objects.filter(pk__range=(first, last), at=at, source=source)))
    if not rows:
        return None
    models = sorted({r[1] for r in rows})
    return append(Action.CHANGE, user=user, persons=[r[3] for r in rows if r[3] is not None],
                  object=", ".join(models)[:300], at=at,
                  detail={"history": source, "rows": len(rows), "first": first, "last": last,
                          "rows_digest": chain.rows_digest(rows)})


# --------------------------------------------------------------------------- checkpoints

def checkpoint(*, user, day=None) -> dict:
    """The day's checkpoint: the last entry of `day` (default: today) and its hash, appended to the
    chain as an entry of its own. The line it prints is what the province keeps elsewhere."""
    import datetime as dt

    day = day or timezone.localdate()
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    last = AuditEntry.objects.filter(at__lt=end).order_by("-seq").values_list("seq", "hash").first()
    seq, digest = last or (0, chain.GENESIS)
    e = append(Action.CHECKPOINT, user=user, object=day.isoformat(),
               detail={"day": day.isoformat(), "upto": seq, "upto_hash": digest})
    return {"day": day.isoformat(), "upto": seq, "hash": digest, "entry": e.seq,
            "line": f"ansinh audit checkpoint {day.isoformat()}: entry {seq} hash {digest}"}
