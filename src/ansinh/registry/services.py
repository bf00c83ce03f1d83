"""Registry writes that are neither an import nor a reviewer's fix: anonymising people whose
retention period is over (called by ansinh.audit.retention, which decides who).

Set-based: one UPDATE per table, whatever the number of people; no per-row loop. Identifier
columns (ID, CMND, phone, account numbers) are written through the ORM only, so their encryption
at rest and keyed-hash lookups stay in step."""
from __future__ import annotations

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, Trunc

from ansinh.registry.models import (
    AuthorisedPerson,
    ChangeLog,
    DobPrecision,
    ImportRow,
    PaymentAccount,
    Person,
    QualityIssue,
)
from ansinh.text import fold

ANONYMOUS = "Đã ẩn danh"

# Registry history fields whose old and new values name or identify the person (emptied; the
# history keeps that a change happened, when and by whom). "" is a row recording a creation.
IDENTIFYING_FIELDS = ("", "full_name", "name_key", "id_number", "legacy_cmnd", "phone", "dob", "village",
                      "address_text", "account_number", "holder_name", "approval_evidence", "approval_reason")


def anonymise(persons, *, user, at, source: str = "retention") -> dict:
    """Anonymise `persons` (a queryset of Person): the name becomes "Đã ẩn danh #id"; ID, CMND,
    phone, village and address are emptied; the date of birth keeps its year (age groups in the
    reports); authorised persons' names and IDs, account numbers and holders (the registry's and the
    payroll lines' snapshots), raw import rows, quality-issue messages, ID proposals from population
    data, complaint senders' names and contacts and the identifying values of the registry history
    are emptied. Kept: gender, ethnicity, commune, categories, enrolments, amounts, payroll lines
    and their results (the payment totals and counts), account providers and statuses.

    Returns the number of rows changed per table and the (moment, source) of the history writes
    whose rows were emptied (the audit log chains their new digest)."""
    from ansinh.complaints.models import Case
    from ansinh.matching.models import IdProposal
    from ansinh.payroll.models import PayrollLine

    ids = persons.order_by().values("pk")
    mine = Q(person__in=ids)
    out: dict = {}
    # QuerySet.update() calls no pre_save: each emptied identifier's keyed hash is emptied with it
    # (ansinh.core.crypto.LookupHashField), so a search by the old number no longer finds the person.
    with transaction.atomic():
        name = Concat(Value(f"{ANONYMOUS} #"), Cast("pk", CharField()))
        out["persons"] = Person.objects.filter(pk__in=ids).update(
            full_name=name, name_key=Concat(Value(f"{fold(ANONYMOUS)} #"), Cast("pk", CharField())),
            id_number=None, id_number_hash=None, legacy_cmnd=None, legacy_cmnd_hash=None, phone="", phone_hash="",
            village="", address_text="")
        Person.objects.filter(pk__in=ids, dob__isnull=False).update(dob=Trunc("dob", "year"),
                                                                   dob_precision=DobPrecision.YEAR)
        out["authorised"] = AuthorisedPerson.objects.filter(mine).update(full_name="", name_key="", id_number="",
                                                                                id_number_hash="")
        out["accounts"] = PaymentAccount.objects.filter(mine).update(account_number="", account_number_hash="",
                                                                     holder_name="", approval_evidence="")
        out["payroll_lines"] = PayrollLine.objects.filter(mine).update(account_number="", account_number_hash="",
                                                                       holder_name="")
        out["import_rows"] = ImportRow.objects.filter(mine).update(raw=[])
        out["issues"] = QualityIssue.objects.filter(mine).update(message="", details={})
        out["id_proposals"] = IdProposal.objects.filter(mine).update(current_id="", proposed_id="",
                                                                     population_name="", population_dob=None)
        out["complaints"] = Case.objects.filter(complainant_person__in=ids).update(complainant_name="",
                                                                                 complainant_contact="")
        history = ChangeLog.objects.filter(mine, field__in=IDENTIFYING_FIELDS).exclude(old="", new="")
        # the writes (moment, source) the emptied rows belong to: the audit log's change entries to re-digest
        out["history_writes"] = sorted(set(history.order_by().values_list("at", "source").distinct()))
        out["history"] = history.update(old="", new="")
    return out
