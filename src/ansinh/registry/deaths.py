"""Deaths stop payment: the one place a person is recorded deceased — from the population-data
check (ansinh.matching.services.verify_population) or by an officer (the person page, `ansinh
registry death`). Payment stops from the month after the death (the death month is paid:
payroll reads ``deceased_on``, and the open enrolments end with the death month); the next
payroll run of the person's commune makes the funeral support (Decree 20/2021 Art. 11,
ansinh.payroll.entitlement.funeral_due / payroll.generate._fill_funeral)."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.core.roles import can_edit
from ansinh.core.scope import scope_for
from ansinh.registry.history import Change, log_changes
from ansinh.registry.models import Enrolment, EnrolmentStatus, Person, PersonStatus
from ansinh.registry.recheck import recheck_persons
from ansinh.registry.routing import OutsideScope


def record_death(person_ids_dates: dict, user=None, source: str = "matching.verify") -> int:
    """Mark persons deceased (status, deceased_on) and end their open enrolments in the month
    of death, so the payroll stops from the month after; the registry records one ChangeLog row
    per change. Set-based per distinct date.  Returns how many persons changed."""
    now = timezone.now()
    people = list(Person.objects.filter(pk__in=list(person_ids_dates)).exclude(status="deceased")
                  .values_list("pk", "status", "deceased_on", "scope_commune_id", "province_code"))
    if not people:
        return 0
    changes = []
    by_date: dict = {}
    for pk, st, old_on, sc, pc in people:
        on = person_ids_dates[pk]
        by_date.setdefault(on, []).append(pk)
        changes.append(Change("registry.person", pk, pk, "status", st, "deceased", sc, pc))
        changes.append(Change("registry.person", pk, pk, "deceased_on", old_on, on, sc, pc))
    for on, pks in by_date.items():
        Person.objects.filter(pk__in=pks).update(status="deceased", deceased_on=on, updated=now)
        if on:
            month = f"{on:%Y-%m}"
            enr = list(Enrolment.objects.filter(person_id__in=pks).exclude(status=EnrolmentStatus.TERMINATED)
                       .filter(Q(end_month="") | Q(end_month__gt=month))
                       .values_list("pk", "person_id", "end_month", "scope_commune_id", "province_code"))
            changes.extend(Change("registry.enrolment", epk, pid, "end_month", old_end, month, sc, pc)
                           for epk, pid, old_end, sc, pc in enr)
            Enrolment.objects.filter(pk__in=[e[0] for e in enr]).update(end_month=month, updated=now)
    log_changes(changes, user=user, source=source, at=now)
    recheck_persons([p[0] for p in people], user=user, source=source, at=now)
    return len(people)


def record_death_by_officer(person: Person, died_on: dt.date, user, source: str = "web") -> None:
    """An officer records a death (the death certificate, the family's report): refused outside
    the officer's scope, for a date in the future or before the person was born, or twice."""
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền sửa dữ liệu")
    if not scope_for(user).covers(person.scope_commune_id, person.province_code):
        raise OutsideScope("đối tượng ngoài phạm vi của bạn")
    if died_on is None:
        raise BadInput("chưa nhập ngày mất")
    if died_on > timezone.localdate():
        raise BadInput("ngày mất ở tương lai")
    if person.dob and died_on < person.dob:
        raise BadInput("ngày mất trước ngày sinh")
    if person.status == PersonStatus.DECEASED:
        raise BadInput("đối tượng đã được ghi nhận đã mất")
    with transaction.atomic():
        record_death({person.pk: died_on}, user=user, source=source)
