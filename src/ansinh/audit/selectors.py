"""Reads of the audit log: the chain check behind `ansinh audit verify`, the auditor's search and a
person's "who saw my data" list. Only the auditor and the administrator open the log
(ansinh.core.roles.AUDIT_ROLES); a person's list is also open to whoever may see that person."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone

from ansinh.audit import chain
from ansinh.audit.models import Action, AuditEntry, AuditSubject
from ansinh.audit.services import changelog_rows

CHUNK = 2000


def _subject_digests() -> dict[int, str]:
    """entry id → digest of the person ids stored with it (chain.ids_digest, computed streaming)."""
    out: dict[int, str] = {}
    cur_entry, h, n = None, None, 0
    qs = AuditSubject.objects.order_by("entry_id", "person_id").values_list("entry_id", "person_id")
    for entry_id, pid in qs.iterator(chunk_size=CHUNK):
        if entry_id != cur_entry:
            if cur_entry is not None:
                out[cur_entry] = h.hexdigest()
            cur_entry, h, n = entry_id, hashlib.sha256(), 0
        h.update((("\n" if n else "") + str(pid)).encode())
        n += 1
    if cur_entry is not None:
        out[cur_entry] = h.hexdigest()
    return out


def history_digest(e: AuditEntry) -> str | None:
    """The digest of the registry-history rows a change entry covers, as they are now (None: none)."""
    from ansinh.registry.models import ChangeLog

    d = json.loads(e.detail or "{}")
    if "rows_digest" not in d:
        return None
    qs = ChangeLog.objects.filter(pk__range=(d["first"], d["last"]), at=e.at, source=d["history"])
    return chain.rows_digest(changelog_rows(qs).iterator(chunk_size=CHUNK))


def _redactions() -> dict[int, tuple[int, str]]:
    """change entry seq → (the retention entry that emptied some of its rows, their digest since):
    the history rows the retention rule anonymised (ansinh.audit.retention), the latest run wins."""
    out: dict[int, tuple[int, str]] = {}
    for seq, detail in AuditEntry.objects.filter(action=Action.RETENTION).order_by("seq").values_list("seq", "detail"):
        for change_seq, digest in json.loads(detail or "{}").get("redacted", {}).items():
            out[int(change_seq)] = (seq, digest)
    return out


def _entries() -> Iterator[dict]:
    digests = _subject_digests()
    redacted = _redactions()
    for e in AuditEntry.objects.order_by("seq").iterator(chunk_size=CHUNK):
        f = e.fields()
        f["actual_subjects_digest"] = digests.get(e.pk, "")
        if e.action == Action.CHANGE:
            f["actual_rows_digest"] = history_digest(e)
            if e.seq in redacted:
                f["redacted_by"], f["expected_rows_digest"] = redacted[e.seq]
        yield f


def verify(expect: tuple[int, str] | None = None) -> dict:
    """{"ok", "entries", "first_bad", "reason"}: the first break of the chain, if any; with `expect`
    (seq, hash) from a checkpoint kept elsewhere, also that entry `seq` still has that hash."""
    count = AuditEntry.objects.count()
    brk = chain.first_break(_entries())
    if brk is None and expect is not None:
        seq, digest = expect
        got = AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if got != digest:
            brk = chain.Break(seq, "differs from the checkpoint kept elsewhere" if got else
                              "missing: the checkpoint kept elsewhere names it")
    return {"ok": brk is None, "entries": count, "first_bad": brk.seq if brk else None,
            "reason": str(brk) if brk else ""}


def visible(viewer, qs=None):
    """The entries `viewer` may read: those naming at least one person in their scope
    (ansinh.core.scope), and those naming nobody (role changes, two-factor events, checkpoints)."""
    from django.db.models import Exists, OuterRef

    from ansinh.core.scope import scoped
    from ansinh.registry.models import Person

    qs = AuditEntry.objects.all() if qs is None else qs
    persons = scoped(Person.objects.all(), viewer).values("pk")
    return qs.filter(Q(subjects=0) | Exists(AuditSubject.objects.filter(entry=OuterRef("pk"),
                                                                       person_id__in=persons)))


def search(viewer, *, person: int | None = None, user: str = "", action: str = "",
           day_from: dt.date | None = None, day_to: dt.date | None = None):
    """Entries `viewer` may read, newest first, filtered by a person (id), a user (login, part of it),
    an action and days."""
    qs = visible(viewer)
    if person:
        qs = qs.filter(pk__in=AuditSubject.objects.filter(person_id=person).values("entry_id"))
    if user:
        qs = qs.filter(Q(user_name__icontains=user))
    if action:
        qs = qs.filter(action=action)
    if day_from:
        qs = qs.filter(at__gte=timezone.make_aware(dt.datetime.combine(day_from, dt.time.min)))
    if day_to:
        qs = qs.filter(at__lt=timezone.make_aware(dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min)))
    return qs.order_by("-seq")


def who_saw(viewer, person_id: int):
    """A person's data-subject list: every entry naming them (views, exports, changes), newest first."""
    return search(viewer, person=person_id)
