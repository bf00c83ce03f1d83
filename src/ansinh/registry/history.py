"""The registry's history: the one place that writes ChangeLog rows and changes enrolment status.

Every app that changes a person, an enrolment or an account (import, fixes, matching, payroll's
suspension, accounts) calls these functions, so who, when, why and old → new are recorded the same
way, set-based, in the caller's transaction. Each call is chained into the tamper-evident audit log as one
entry holding the digest of the rows it wrote (ansinh.audit.services.record_changes): the rows are not
copied, but `ansinh audit verify` sees one changed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from ansinh.core.crypto import encrypt
from ansinh.core.services import recorded_user
from ansinh.registry.models import SECRET_HISTORY_FIELDS, ChangeLog, Enrolment, EnrolmentStatus

BATCH = 5000


def as_text(value) -> str:
    """How a value is written in the history: ISO for dates, '' for None."""
    if value is None:
        return ""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def stored(field: str, value) -> str:
    """A value as the history stores it: ``as_text``, encrypted for identifier fields (decision 0025)."""
    text = as_text(value)
    return encrypt(text) if field in SECRET_HISTORY_FIELDS else text


@dataclass(frozen=True)
class Change:
    """One changed field of one object ("" field: the object was created or decided on)."""

    model: str  # "registry.person", "registry.enrolment", "registry.paymentaccount"
    object_id: int
    person_id: int | None
    field: str
    old: object
    new: object
    scope_commune_id: int | None
    province_code: str


# ChangeLog columns in the order of a set-based insert's rows (log_changes with `insert`).
LOG_COLUMNS = ("model", "object_id", "person", "field", "old", "new", "user", "at", "source", "scope_commune",
               "province_code")


def log_changes(changes, *, user, source: str, at=None, insert=None) -> int:
    """Write one ChangeLog row per Change (one bulk insert). Returns how many.

    `insert(model, columns, rows)`: a set-based writer to use instead of bulk_create for a large
    batch (the importer's COPY / multi-row INSERT, ansinh.registry.importing.writer), on the same
    connection and in the caller's transaction."""
    u = recorded_user(user)
    at = at or timezone.now()
    if insert is not None:
        uid = u.pk if u is not None else None
        rows = [(c.model, c.object_id, c.person_id, c.field, stored(c.field, c.old), stored(c.field, c.new), uid, at,
                 source,
                 c.scope_commune_id, c.province_code or "") for c in changes]
        before = ChangeLog.objects.aggregate(m=Max("pk"))["m"] or 0  # the id index's last entry
        insert(ChangeLog, LOG_COLUMNS, rows)
        if rows:
            span = ChangeLog.objects.filter(pk__gt=before, at=at, source=source, user_id=uid).aggregate(
                Min("pk"), Max("pk"))
            _audit(span["pk__min"], span["pk__max"], at, source, user)
        return len(rows)
    rows = [ChangeLog(model=c.model, object_id=c.object_id, person_id=c.person_id, field=c.field,
                      old=stored(c.field, c.old), new=stored(c.field, c.new), user=u, at=at, source=source,
                      scope_commune_id=c.scope_commune_id, province_code=c.province_code or "")
            for c in changes]
    ChangeLog.objects.bulk_create(rows, batch_size=BATCH)
    if rows:
        pks = [r.pk for r in rows if r.pk is not None]
        if len(pks) != len(rows):  # a backend that does not return ids from a bulk insert
            span = ChangeLog.objects.filter(at=at, source=source, user=u).aggregate(Min("pk"), Max("pk"))
            pks = [span["pk__min"], span["pk__max"]]
        _audit(min(pks), max(pks), at, source, user)
    return len(rows)


def _audit(first: int, last: int, at, source: str, user) -> None:
    """Chain the rows just written into the audit log: one entry with their digest (ansinh.audit)."""
    from ansinh.audit.services import record_changes

    record_changes(first=first, last=last, at=at, source=source, user=user)


def log_change(person, model: str, object_id: int, field: str, old, new, *, user, source: str = "web") -> None:
    """Record one change of `person` or of an object of theirs, filed under the person's scope keys."""
    log_changes([Change(model, object_id, person.pk, field, old, new, person.scope_commune_id,
                        person.province_code)], user=user, source=source)


def set_enrolment_status(enrolments, status: str, *, reason: str, user, source: str) -> int:
    """Set `status` (an EnrolmentStatus) and its reason on the enrolments (a queryset), skipping those
    already in that status; one UPDATE and one ChangeLog row per enrolment and changed field, in one
    transaction. Returns how many enrolments changed."""
    if status not in EnrolmentStatus.values:
        raise ValueError(f"unknown enrolment status {status!r}")
    now = timezone.now()
    with transaction.atomic():
        rows = list(enrolments.exclude(status=status)
                    .values_list("pk", "person_id", "status", "status_reason", "scope_commune_id", "province_code"))
        if not rows:
            return 0
        changes = []
        for pk, pid, old, old_reason, sc, pc in rows:
            changes.append(Change("registry.enrolment", pk, pid, "status", old, status, sc, pc))
            if old_reason != reason:
                changes.append(Change("registry.enrolment", pk, pid, "status_reason", old_reason, reason, sc, pc))
        pks = [r[0] for r in rows]
        for i in range(0, len(pks), BATCH):
            Enrolment.objects.filter(pk__in=pks[i:i + BATCH]).update(status=status, status_reason=reason,
                                                                     updated=now)
        log_changes(changes, user=user, source=source, at=now)
    return len(rows)
