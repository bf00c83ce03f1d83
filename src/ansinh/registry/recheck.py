"""A review queue that stays true: the one home of "re-evaluate these persons' open issues".

An open QualityIssue whose condition no longer holds (an account was recorded, the ID number was
corrected, the person was placed in a current commune, the duplicate record stopped receiving
anything, ...) closes itself: status fixed, who (the user whose change made it so), when and why,
and one ChangeLog row through ansinh.registry.history. Every path that changes a person's data
calls ``recheck_persons`` with the persons it touched, in its own transaction: the importer,
bank lists (ansinh.accounts.bank_lists), review fixes (ansinh.registry.review), match decisions
and population verification (ansinh.matching.services), account approval and stages, the demo;
``ansinh registry recheck`` runs it over the whole registry.

``holds`` is the rule, pure (``PersonFacts`` in, a yes/no out); ``stale_issues`` is the same rule
as set-based SQL over a set of person ids (one query per rule; the ID-number rules select their open issues
in SQL and read the encrypted number in Python, ``ID_RULES``); tests/registry_db/test_recheck.py
checks they agree. Only closing: new issues are opened by the checks that find them (import,
fixes). Rules that cannot be re-read from the stored data (DUPLICATE_LISTED, DOB_PLAUSIBLE's age
against a category, HOLDER_MISMATCH, CELL_UNREADABLE, the routed ID_TAKEN/LISTED_ELSEWHERE) stay
open until fixed or waived, unless the person no longer receives anything.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from ansinh.core.services import recorded_user
from ansinh.registry import rules
from ansinh.registry.history import Change, log_changes
from ansinh.registry.models import (
    AccountApproval,
    AccountStatus,
    Enrolment,
    EnrolmentStatus,
    IssueStatus,
    PaymentAccount,
    QualityIssue,
    usable_account_q,
)

BATCH = 5000

#: Why an issue closed itself (stored as the issue's reason, in Vietnamese like any recorded fact).
REASONS = {
    "ENDED": "Tự đóng: đối tượng không còn hưởng chế độ nào",
    "ACCOUNT_MISSING": "Tự đóng: đã có số tài khoản",
    "ACCOUNT_FIELDS": "Tự đóng: đã đủ thông tin để mở tài khoản",
    "RESIDENCE": "Tự đóng: đã xác định xã/phường hiện hành",
    "ID_SHAPE": "Tự đóng: số định danh đã đúng định dạng",
    "ID_GENDER": "Tự đóng: số định danh đã khớp giới tính",
    "ID_BIRTH_YEAR": "Tự đóng: số định danh đã khớp năm sinh",
    "PHONE": "Tự đóng: đã có số điện thoại hợp lệ",
    "CATEGORY_UNMAPPED": "Tự đóng: diện đối tượng đã được xác định",
    "CATEGORY_INCOMPLETE": "Tự đóng: diện đối tượng đã ghi rõ điểm/mức độ",
    "ACCOUNT_FAILED": "Tự đóng: tài khoản đã được sửa và phê duyệt lại (hoặc đã đóng)",
}
#: The rules this module re-reads from the stored data (besides "no longer receives anything").
RECHECKED = tuple(r for r in REASONS if r != "ENDED")


# --------------------------------------------------------------------------- the rule (pure)

@dataclass
class PersonFacts:
    """What the rule reads of a person (as stored now)."""

    full_name: str = ""
    dob: dt.date | None = None
    id_number: str | None = None
    legacy_cmnd: str | None = None
    gender: str | None = None
    phone: str = ""
    commune_id: int | None = None
    residence_unit_id: int | None = None
    has_account: bool = False  # an account recorded, neither rejected nor closed
    live_categories: list[str] = field(default_factory=list)  # categories of enrolments not terminated
    enrolments: int = 0  # enrolments of any status
    # an account refused in payment, not approved again since nor closed, and no other usable account
    blocked_account: bool = False


def ended(p: PersonFacts) -> bool:
    """The person had enrolments and every one is terminated (e.g. the duplicate record of a
    confirmed pair): nothing of theirs is paid, so nothing of theirs is queued."""
    return p.enrolments > 0 and not p.live_categories


def holds(rule: str, details: dict | None, p: PersonFacts) -> bool:
    """Whether an open issue of `rule` (with its stored `details`) still holds for the person."""
    if rule not in rules.ROUTED_RULES and ended(p):
        return False
    details = details or {}
    if rule == "ACCOUNT_MISSING":
        return not p.has_account
    if rule == "ACCOUNT_FIELDS":
        return bool([f for f in rules.check_account_fields(
            full_name=p.full_name, dob=p.dob, id_number=p.id_number or p.legacy_cmnd,
            residence_known=bool(p.commune_id or p.residence_unit_id), account_number="-")
                     if f.rule == "ACCOUNT_FIELDS"])
    if rule == "RESIDENCE":
        return p.commune_id is None
    if rule == "ID_SHAPE":
        if p.id_number:
            return bool(rules.classify_id(p.id_number)[2])
        return not p.legacy_cmnd
    if rule == "ID_GENDER":
        return bool(rules.check_id_gender(p.id_number, p.gender))
    if rule == "ID_BIRTH_YEAR":
        return bool(rules.check_id_birth_year(p.id_number, p.dob))
    if rule == "PHONE":
        return not p.phone
    if rule == "CATEGORY_UNMAPPED":
        return "" in p.live_categories
    if rule == "ACCOUNT_FAILED":
        return p.blocked_account
    if rule == "CATEGORY_INCOMPLETE":
        code = details.get("code")
        return code in p.live_categories if code else True
    return True


# --------------------------------------------------------------------------- the same rule, set-based

def has_account_q(prefix: str = "") -> Q:
    """An account recorded for the person (``prefix`` names it from another model): not rejected
    by the approver and not closed. Pending accounts count: the number is known."""
    p = prefix
    return (~Q(**{f"{p}approval": AccountApproval.REJECTED}) & ~Q(**{f"{p}status": AccountStatus.CLOSED})
            & Q(**{f"{p}closed_on__isnull": True}))


def blocked_account_q() -> Q:
    """An account blocked by a refused payment (``PaymentAccount.failed_at``) and neither approved
    again since nor closed: the negation of the last term of ``usable_account_q``, on an open account."""
    return (Q(failed_at__isnull=False) & ~Q(approved_at__gt=F("failed_at")) & ~Q(status=AccountStatus.CLOSED)
            & Q(closed_on__isnull=True))


def _still_q(rule: str) -> Q:
    """The SQL form of `holds` for one rule, on open QualityIssue rows annotated by `stale_issues`."""
    if rule == "ACCOUNT_MISSING":
        return Q(has_account=False)
    if rule == "ACCOUNT_FIELDS":
        return (Q(person__full_name="") | Q(person__dob__isnull=True)
                | Q(person__id_number__isnull=True, person__legacy_cmnd__isnull=True)
                | Q(person__id_number__isnull=True, person__legacy_cmnd="")
                | Q(person__commune__isnull=True, person__residence_unit__isnull=True))
    if rule == "RESIDENCE":
        return Q(person__commune__isnull=True)
    if rule == "PHONE":
        return Q(person__phone="")
    if rule == "CATEGORY_UNMAPPED":
        return Q(unmapped=True)
    if rule == "ACCOUNT_FAILED":
        return Q(blocked=True, usable_account=False)
    if rule == "CATEGORY_INCOMPLETE":
        return Q(code_live=True) | Q(code__isnull=True)
    raise ValueError(rule)


#: Rules that read the digits of the ID number. The number is encrypted at rest (decision 0025), so SQL cannot
#: read them: the open issues of these rules (few: one per person with a malformed or inconsistent number) are
#: selected set-based, then decided by ``holds`` itself on the decrypted numbers (``_id_rule_still``).
ID_RULES = ("ID_SHAPE", "ID_GENDER", "ID_BIRTH_YEAR")


def _id_rule_still(rule: str, id_number, legacy_cmnd, gender, dob) -> bool:
    return holds(rule, None, PersonFacts(id_number=id_number, legacy_cmnd=legacy_cmnd, gender=gender, dob=dob,
                                         live_categories=[""]))


def _annotated(qs):
    person = OuterRef("person_id")
    live = Enrolment.objects.filter(person=person).exclude(status=EnrolmentStatus.TERMINATED)
    return qs.annotate(
        has_account=Exists(PaymentAccount.objects.filter(has_account_q(), person=person)),
        blocked=Exists(PaymentAccount.objects.filter(blocked_account_q(), person=person)),
        usable_account=Exists(PaymentAccount.objects.filter(usable_account_q(), person=person)),
        any_enrolment=Exists(Enrolment.objects.filter(person=person)),
        live=Exists(live),
        unmapped=Exists(live.filter(category="")),
        code=KT("details__code"),
        code_live=Exists(live.filter(category=OuterRef("code"))),
    )


def stale_issues(person_ids=None) -> list[tuple]:
    """(issue id, person id, rule, reason key, scope commune, province) of the open issues of these
    persons (None: everyone) that no longer hold: one query for "no longer receives anything",
    one per re-read rule, each over the whole set."""
    base = QualityIssue.objects.filter(status=IssueStatus.OPEN)
    chunks = [None] if person_ids is None else [
        list(person_ids)[i:i + BATCH] for i in range(0, len(list(person_ids)), BATCH)]
    out: dict[int, tuple] = {}
    cols = ("pk", "person_id", "rule", "scope_commune_id", "province_code")
    for ids in chunks:
        qs = base if ids is None else base.filter(person_id__in=ids)
        ended_qs = _annotated(qs.exclude(rule__in=rules.ROUTED_RULES)).filter(any_enrolment=True, live=False)
        for pk, pid, rule, sc, pc in ended_qs.values_list(*cols):
            out[pk] = (pk, pid, rule, "ENDED", sc, pc)
        for rule in RECHECKED:
            candidates = _annotated(qs.filter(rule=rule)).filter(Q(live=True) | Q(any_enrolment=False))
            if rule in ID_RULES:
                for pk, pid, r, sc, pc, idn, cmnd, gender, dob in candidates.values_list(
                        *cols, "person__id_number", "person__legacy_cmnd", "person__gender", "person__dob"):
                    if not _id_rule_still(rule, idn, cmnd, gender, dob):
                        out.setdefault(pk, (pk, pid, r, rule, sc, pc))
                continue
            for pk, pid, r, sc, pc in candidates.exclude(_still_q(rule)).values_list(*cols):
                out.setdefault(pk, (pk, pid, r, rule, sc, pc))
    return sorted(out.values())


def recheck_persons(person_ids=None, *, user, source: str, at=None, insert=None) -> int:
    """Close the open issues of these persons (None: the whole registry) that no longer hold:
    status fixed by `user`, the reason, and one ChangeLog row each (``insert``: the importer's
    set-based writer, see history.log_changes). Returns how many closed. Call it in the same
    transaction as the change that made them stale."""
    if person_ids is not None:
        person_ids = sorted({int(p) for p in person_ids if p is not None})
        if not person_ids:
            return 0
    at = at or timezone.now()
    who = recorded_user(user)
    with transaction.atomic():
        stale = stale_issues(person_ids)
        if not stale:
            return 0
        by_reason: dict[str, list[int]] = {}
        for pk, _pid, _rule, key, _sc, _pc in stale:
            by_reason.setdefault(key, []).append(pk)
        for key, pks in by_reason.items():
            for i in range(0, len(pks), BATCH):
                QualityIssue.objects.filter(pk__in=pks[i:i + BATCH], status=IssueStatus.OPEN).update(
                    status=IssueStatus.FIXED, resolved_by=who, resolved_at=at, reason=REASONS[key])
        log_changes([Change("registry.qualityissue", pk, pid, "status", IssueStatus.OPEN, IssueStatus.FIXED, sc, pc)
                     for pk, pid, _rule, _key, sc, pc in stale], user=user, source=source, at=at, insert=insert)
    return len(stale)


def person_facts(person_ids) -> dict[int, PersonFacts]:
    """The stored facts `holds` reads, for these persons (tests and the command's report)."""
    from ansinh.registry.models import Person

    ids = list(person_ids)
    out = {}
    for i in range(0, len(ids), BATCH):
        chunk = ids[i:i + BATCH]
        for p in Person.objects.filter(pk__in=chunk):
            out[p.pk] = PersonFacts(p.full_name, p.dob, p.id_number, p.legacy_cmnd, p.gender, p.phone, p.commune_id,
                                    p.residence_unit_id)
        for pid in PaymentAccount.objects.filter(has_account_q(), person_id__in=chunk).values_list("person_id",
                                                                                                  flat=True):
            out[pid].has_account = True
        usable = set(PaymentAccount.objects.filter(usable_account_q(), person_id__in=chunk).values_list(
            "person_id", flat=True))
        for pid in PaymentAccount.objects.filter(blocked_account_q(), person_id__in=chunk).values_list(
                "person_id", flat=True):
            out[pid].blocked_account = pid not in usable
        for pid, cat, st in Enrolment.objects.filter(person_id__in=chunk).values_list("person_id", "category",
                                                                                      "status"):
            out[pid].enrolments += 1
            if st != EnrolmentStatus.TERMINATED:
                out[pid].live_categories.append(cat)
    return out
