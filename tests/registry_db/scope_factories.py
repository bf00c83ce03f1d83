"""Factories for the generic scope matrix (tests/core/test_scope_matrix.py): one per scoped
registry model, each making a row of commune `b` whose texts carry the matrix MARKER."""
from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

MARKER = "Zqxmarkerb"


def _person(b, i):
    from ansinh.registry.models import Person

    return Person.objects.create(full_name=f"{MARKER} Person {i}", name_key=f"{MARKER.upper()} PERSON {i}",
                                 dob=dt.date(1940, 1, 1) + dt.timedelta(days=i), id_number=f"020040{900000 + i:06d}",
                                 commune=b, residence_unit=b, scope_commune=b, province_code=b.province_code,
                                 village=f"{MARKER} village")


def _enrolment(b, i):
    from ansinh.registry.models import Enrolment

    p = _person(b, 100 + i)
    return Enrolment.objects.create(person=p, category="5.5c", category_label=f"{MARKER} label",
                                    scope_commune=b, province_code=b.province_code)


def _authorised(b, i):
    from ansinh.registry.models import AuthorisedPerson

    return AuthorisedPerson.objects.create(person=_person(b, 200 + i), full_name=f"{MARKER} Authorised {i}")


def _account(b, i):
    from ansinh.registry.models import PaymentAccount

    return PaymentAccount.objects.create(person=_person(b, 300 + i), account_number=f"{MARKER}{i}",
                                         provider_name=f"{MARKER} bank", holder_name=f"{MARKER} holder")


def _change(b, i):
    from ansinh.registry.models import ChangeLog

    p = _person(b, 400 + i)
    return ChangeLog.objects.create(model="registry.person", object_id=p.pk, person=p, field="phone",
                                    old=f"{MARKER} old", new=f"{MARKER} new", at=timezone.now(), source="web",
                                    scope_commune=b, province_code=b.province_code)


def _batch(b, i):
    from ansinh.registry.models import ImportBatch

    return ImportBatch.objects.create(file_name=f"{MARKER}-{i}.xlsx",
                                      sha256=hashlib.sha256(f"{MARKER}{b.pk}{i}".encode()).hexdigest(),
                                      rows=1, rejected=1, scope_commune=b, province_code=b.province_code,
                                      report={"file": f"{MARKER}-{i}.xlsx"}, title_lines=[MARKER])


def _row(b, i):
    from ansinh.registry.models import ImportRow

    return ImportRow.objects.create(batch=_batch(b, 500 + i), row=5, outcome="rejected",
                                    reasons=[f"{MARKER} reason"], raw=["1", f"{MARKER} row"])


def _issue(b, i):
    from ansinh.registry.models import QualityIssue

    return QualityIssue.objects.create(person=_person(b, 600 + i), rule="ID_SHAPE", severity="error",
                                       message=f"{MARKER} issue", field="id_number", scope_commune=b,
                                       province_code=b.province_code)


def _transfer(b, i, base=700):
    """A move of a person of commune `b` within `b`'s side (both ends `b`: A sees neither)."""
    from ansinh.registry.models import Transfer

    return Transfer.objects.create(person=_person(b, base + i), moved_on=dt.date(2025, 8, 1), last_old_month="2025-08",
                                   from_commune=b, from_province=b.province_code, to_commune=b,
                                   to_province=b.province_code, stop_number=f"{MARKER} {i}/QĐ",
                                   stop_date=dt.date(2025, 8, 2))


def _incoming(b, i):
    from ansinh.registry.models import IncomingTransfer

    return IncomingTransfer.objects.get(pk=_transfer(b, i, base=800).pk)


FACTORIES = {
    "registry.Transfer": _transfer,
    "registry.IncomingTransfer": _incoming,
    "registry.Person": _person,
    "registry.Enrolment": _enrolment,
    "registry.AuthorisedPerson": _authorised,
    "registry.PaymentAccount": _account,
    "registry.ChangeLog": _change,
    "registry.ImportBatch": _batch,
    "registry.ImportRow": _row,
    "registry.QualityIssue": _issue,
}
