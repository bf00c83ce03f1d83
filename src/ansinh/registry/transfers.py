"""Transfers between communes: the writes (the old commune's stop, the new commune's start) and
their reads, scoped. The months each commune pays are ansinh.registry.transfer_rules.

Who does what (decision 0026): the **old commune initiates** — it knows the person is leaving
(the family tells it, the police's residence data shows the move), and it is its decision that
stops the payment, so it records the move date and its stop decision; its enrolments end with the
month of the move. The **new commune accepts** — it records its start decision (from the month
after the stop) once the file reaches it; the person, their open issues and their history then
follow to the new commune, while the old commune's ended enrolments (its decisions) and every
payroll line it made stay in its scope. A province officer may record both steps. The decider of
each decision is data: the organisation that decides allowances for the commune on the decision's
day (``core.Organisation.functions`` holding ``decides_allowance``; since 07/2025 the commune's
people's committee, its chairman signing).
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.models import Organisation
from ansinh.core.roles import can_edit
from ansinh.core.scope import scope_for, scoped, with_predecessors
from ansinh.core.services import recorded_user
from ansinh.registry.history import Change, log_changes
from ansinh.registry.models import (
    Enrolment,
    EnrolmentStatus,
    IncomingTransfer,
    Person,
    PersonStatus,
    Transfer,
    TransferStatus,
)
from ansinh.registry.routing import OutsideScope, follow_person_scope
from ansinh.registry.transfer_rules import stop_and_start
from ansinh.units.models import AdminUnit, Level

DECIDES = "decides_allowance"  # the Organisation function: decides social-assistance allowances
MODEL = "registry.transfer"


# --------------------------------------------------------------------------- deciders

def decider_for(commune: AdminUnit, day: dt.date) -> Organisation | None:
    """The organisation that decides allowances for `commune` on `day`: one with the function
    ``decides_allowance`` valid that day whose unit is the commune, a unit merged into it, or (the
    district level before 07/2025) its parent. None when the data names none."""
    units = set(with_predecessors([commune.pk]))
    if commune.parent_id:
        units.add(commune.parent_id)
    orgs = (Organisation.objects.filter(unit_id__in=units)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day)).order_by("-valid_from", "pk"))
    for org in orgs:  # a handful of rows; JSON containment is not portable to SQLite
        if DECIDES in (org.functions or []):
            return org
    return None


def decider_words(org: Organisation | None) -> str:
    """"Chủ tịch UBND phường Đông Kinh" (the chairman of the deciding committee signs)."""
    if org is None:
        return ""
    return f"Chủ tịch {org.short_name or org.name}"


def decision_words(number: str, day: dt.date | None, org: Organisation | None) -> str:
    """How a decision reads in the history: "12/QĐ-UBND ngày 20/03/2026, Chủ tịch UBND phường Đông Kinh"."""
    text = number + (f" ngày {day:%d/%m/%Y}" if day else "")
    who = decider_words(org)
    return f"{text}, {who}" if who else text


# --------------------------------------------------------------------------- checks

def _require_editor(user, commune_id: int | None, province: str, what: str) -> None:
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền sửa dữ liệu")
    if not scope_for(user).covers(commune_id, province):
        raise OutsideScope(what)


def _current_commune(unit) -> AdminUnit:
    if unit is None:
        raise BadInput("chưa chọn xã/phường nơi chuyển đến")
    if unit.level == Level.PROVINCE or unit.level == Level.DISTRICT or unit.valid_to is not None:
        raise BadInput("nơi chuyển đến phải là một xã/phường hiện hành")
    return unit


# --------------------------------------------------------------------------- writes

def record_stop(person: Person, *, to_commune: AdminUnit, moved_on: dt.date, number: str, decided_on: dt.date,
                user, source: str = "web") -> Transfer:
    """The old commune records the move and its stop decision: its enrolments of the person end
    with the month of the move (the payroll pays that month and no later one there)."""
    _require_editor(user, person.scope_commune_id, person.province_code, "đối tượng ngoài phạm vi của bạn")
    to_commune = _current_commune(to_commune)
    number = (number or "").strip()
    if not number:
        raise BadInput("chưa nhập số quyết định thôi hưởng")
    if person.commune_id is None:
        raise BadInput("đối tượng chưa có xã/phường hiện hành: chọn xã/phường trước khi chuyển")
    if person.status == PersonStatus.DECEASED:
        raise BadInput("đối tượng đã mất: không chuyển nơi cư trú")
    if to_commune.pk == person.commune_id:
        raise BadInput("nơi chuyển đến trùng nơi đang ở")
    if decided_on < moved_on:
        raise BadInput("quyết định thôi hưởng không thể ký trước ngày chuyển đi")
    if decided_on > timezone.localdate():
        raise BadInput("ngày quyết định ở tương lai")
    last_old, _first_new = stop_and_start(moved_on)
    old = person.commune
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()
        if Transfer.objects.filter(person=person, status=TransferStatus.STOPPED).exists():
            raise BadInput("đối tượng đang có một lần chuyển chờ nơi mới quyết định")
        later = Transfer.objects.filter(person=person, last_old_month__gte=last_old).first()
        if later is not None:
            raise BadInput("ngày chuyển phải sau lần chuyển trước")
        # the old commune's enrolments still paying after the move month end with it
        ending = list(Enrolment.objects.filter(person=person, status=EnrolmentStatus.ACTIVE)
                      .filter(Q(end_month="") | Q(end_month__gt=last_old))
                      .values("pk", "start_month", "end_month", "decision_date", "scope_commune_id",
                              "province_code"))
        t = Transfer.objects.create(
            person=person, moved_on=moved_on, last_old_month=last_old, from_commune=old,
            from_province=old.province_code, to_commune=to_commune, to_province=to_commune.province_code,
            stop_number=number, stop_date=decided_on, stop_decider=decider_for(old, decided_on),
            stopped_by=recorded_user(user), status=TransferStatus.STOPPED,
            enrolments=[{"id": e["pk"], "start_month": e["start_month"] or _start_of(e),
                         "end_month": e["end_month"]} for e in ending])
        now = timezone.now()
        Enrolment.objects.filter(pk__in=[e["pk"] for e in ending]).update(end_month=last_old, updated=now)
        sc, pc = person.scope_commune_id, person.province_code
        changes = [Change(MODEL, t.pk, person.pk, "stop_decision", "",
                          decision_words(number, decided_on, t.stop_decider), sc, pc),
                   Change(MODEL, t.pk, person.pk, "to_commune", "", f"{to_commune.code} {to_commune.name}", sc, pc)]
        changes += [Change("registry.enrolment", e["pk"], person.pk, "end_month", e["end_month"], last_old,
                           e["scope_commune_id"], e["province_code"]) for e in ending]
        log_changes(changes, user=user, source=source, at=now)
    return t


def _start_of(e: dict) -> str:
    """An enrolment's payable start as payroll reads a blank one: its decision's month, else ""."""
    d = e.get("decision_date")
    return f"{d:%Y-%m}" if d else ""


def accept(transfer: Transfer, *, number: str, decided_on: dt.date, user, village: str = "",
           source: str = "web") -> Transfer:
    """The new commune records its start decision: the person's enrolments start again there the
    month after the stop (arrears if the decision comes later), and the person, their open issues
    and their history follow to the new commune; the old commune's enrolments stay its own."""
    _require_editor(user, transfer.to_commune_id, transfer.to_province, "lần chuyển ngoài phạm vi của bạn")
    number = (number or "").strip()
    if not number:
        raise BadInput("chưa nhập số quyết định hưởng")
    if decided_on < transfer.stop_date:
        raise BadInput("quyết định hưởng không thể ký trước quyết định thôi hưởng")
    if decided_on > timezone.localdate():
        raise BadInput("ngày quyết định ở tương lai")
    first_new = transfer.first_new_month
    new = transfer.to_commune
    with transaction.atomic():
        t = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if t.status != TransferStatus.STOPPED:
            raise BadInput("lần chuyển này đã được nơi mới quyết định")
        person = Person.objects.select_for_update().get(pk=t.person_id)
        old_keys = (person.scope_commune_id, person.province_code)
        t.start_number, t.start_date = number, decided_on
        t.start_decider = decider_for(new, decided_on)
        t.accepted_by, t.accepted_at, t.status = recorded_user(user), timezone.now(), TransferStatus.ACCEPTED
        t.save(update_fields=["start_number", "start_date", "start_decider", "accepted_by", "accepted_at",
                              "status"])
        now = t.accepted_at
        old_rows = {e.pk: e for e in Enrolment.objects.filter(pk__in=[x["id"] for x in t.enrolments])}
        made = []
        for x in t.enrolments:
            e = old_rows.get(x["id"])
            if e is None or (x["end_month"] and x["end_month"] < first_new):
                continue
            start = max(first_new, x["start_month"] or first_new)
            made.append(Enrolment(person=person, programme=e.programme, category=e.category,
                                  category_label=e.category_label, sub_case=e.sub_case, coefficient=e.coefficient,
                                  amount=e.amount, decision_number=number, decision_date=decided_on,
                                  start_month=start, end_month=x["end_month"], status=EnrolmentStatus.ACTIVE,
                                  scope_commune=new, province_code=new.province_code))
        made = Enrolment.objects.bulk_create(made)  # (ids returned: PostgreSQL, SQLite >= 3.35)
        # the person moves; their rows follow them, except the old commune's own enrolments
        def words(unit):
            return f"{unit.code} {unit.name}" if unit else ""  # as review.resolve_residence writes a commune

        person_changes = [("commune", words(person.commune), words(new)),
                          ("residence_unit", words(person.residence_unit), words(new))]
        if village and village != person.village:
            person_changes.append(("village", person.village, village))
        Person.objects.filter(pk=person.pk).update(commune=new, residence_unit=new, scope_commune=new,
                                                   province_code=new.province_code, updated=now,
                                                   **({"village": village} if village and village != person.village else {}))
        kept = list(Enrolment.objects.filter(person=person).exclude(pk__in=[e.pk for e in made])
                    .filter(scope_commune_id=old_keys[0]).values_list("pk", flat=True))
        follow_person_scope([person.pk], new.pk, new.province_code)
        Enrolment.objects.filter(pk__in=kept).update(scope_commune_id=old_keys[0], province_code=old_keys[1])
        sc, pc = new.pk, new.province_code
        changes = [Change(MODEL, t.pk, person.pk, "start_decision", "",
                          decision_words(number, decided_on, t.start_decider), sc, pc)]
        changes += [Change("registry.person", person.pk, person.pk, f, o, n, sc, pc) for f, o, n in person_changes]
        changes += [Change("registry.enrolment", e.pk, person.pk, "start_month", "", e.start_month, sc, pc)
                    for e in made]
        log_changes(changes, user=user, source=source, at=now)
    return t


# --------------------------------------------------------------------------- reads

def transfers(user) -> list[Transfer]:
    """Transfers `user` may see: those out of a commune in their scope and those into one (the
    province sees both sides), newest first."""
    # one query: the two scoped sides as subqueries (not their ids read into Python)
    out_side = scoped(Transfer.objects.all(), user).values("pk")
    in_side = scoped(IncomingTransfer.objects.all(), user).values("pk")
    return list(Transfer.objects.filter(Q(pk__in=out_side) | Q(pk__in=in_side)).select_related(
        "person", "from_commune", "to_commune", "stop_decider", "start_decider").order_by("-moved_on", "-pk"))


def transfer_for(user, pk) -> Transfer | None:
    t = scoped(Transfer.objects.all(), user).filter(pk=pk).first()
    if t is None:
        t = scoped(IncomingTransfer.objects.all(), user).filter(pk=pk).first()
    return Transfer.objects.get(pk=t.pk) if t is not None else None


def may_accept(user, t: Transfer) -> bool:
    return (t.status == TransferStatus.STOPPED and can_edit(user)
            and scope_for(user).covers(t.to_commune_id, t.to_province))


def person_transfers(person: Person) -> list[Transfer]:
    """A person's transfers (the person page: both decisions of each), oldest first."""
    return list(person.transfers.select_related("from_commune", "to_commune", "stop_decider", "start_decider")
                .order_by("moved_on", "pk"))


def destination_choices(user, day: dt.date | None = None) -> list[AdminUnit]:
    """Current communes a person may move to: every current commune of the user's province(s)
    (a commune officer sends people out of their commune, to any commune of the province)."""
    scope = scope_for(user)
    qs = AdminUnit.objects.filter(level=Level.COMMUNE, valid_to__isnull=True)
    if not scope.everything:
        provinces = set(scope.province_codes) | set(
            AdminUnit.objects.filter(pk__in=scope.commune_ids).values_list("province_code", flat=True))
        qs = qs.filter(province_code__in=provinces)
    return list(qs.order_by("name"))


def transfer_context(user, person: Person) -> dict:
    """The person page's part: the person's transfers with both decisions in words, and for an
    editor the communes the person may move to (none while a transfer waits, or for the dead)."""
    rows = person_transfers(person)
    for t in rows:
        t.stop_words, t.start_words = decider_words(t.stop_decider), decider_words(t.start_decider)
    open_one = any(t.status == TransferStatus.STOPPED for t in rows)
    movable = can_edit(user) and person.commune_id and person.status != PersonStatus.DECEASED and not open_one
    return {"transfers": rows,
            "destinations": [u for u in destination_choices(user) if u.pk != person.commune_id] if movable else [],
            "may_record_death": can_edit(user) and person.status != PersonStatus.DECEASED}
