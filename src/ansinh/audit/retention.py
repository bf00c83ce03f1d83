"""The retention rule: a person whose allowance ended more than N full years ago is anonymised
(`ansinh privacy retention [--years N] [--dry-run] --json`; N = settings.ANSINH_RETENTION_YEARS).

Who: a person with at least one enrolment, every enrolment with an end month, the latest end month
before the cut-off month (today's month N years back: an allowance that ended in 11/2021 is over on
30/11/2021 and kept until 30/11/2026, so on 05/12/2026 with N = 5 it goes, one that ended in
12/2021 stays until January 2027); not anonymised already; no payroll line still pending; no
complaint still open about them or from them. An enrolment without an end month (active,
suspended, or terminated without one) keeps the person.

What: ansinh.registry.services.anonymise (names, identifiers, phone, address emptied, the date of
birth to its year; amounts, payroll lines, categories kept). Set-based: one INSERT … SELECT of the
people chosen, then one UPDATE per table. The run is one audit-log entry naming the people, with the
new digest of every registry-history write whose rows were emptied (`ansinh audit verify` checks
those rows against it, so an emptied row is not taken for tampering while any other change still
is)."""
from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from ansinh.audit.models import Action, Anonymisation, AuditEntry
from ansinh.audit.services import append


def default_years() -> int:
    return int(getattr(settings, "ANSINH_RETENTION_YEARS", 10))


def cutoff_month(today: dt.date, years: int) -> str:
    """The first end month still kept: an allowance that ended before it is past retention."""
    if years < 1:
        raise ValueError("the retention period is at least 1 year")
    return f"{today.year - years:04d}-{today.month:02d}"


def ended_before(ended_month: str, today: dt.date, years: int) -> bool:
    """The rule for one person (pure): is an allowance whose last month was `ended_month` past retention?"""
    return bool(ended_month) and ended_month < cutoff_month(today, years)


def eligible(today: dt.date, years: int):
    """The people past retention on `today` (a queryset of Person annotated with `ended`)."""
    from ansinh.complaints.models import Case, Status
    from ansinh.payroll.models import PayrollLine
    from ansinh.registry.models import Enrolment, Person

    cutoff = cutoff_month(today, years)
    last = (Enrolment.objects.filter(person=OuterRef("pk")).order_by().values("person")
            .annotate(m=Max("end_month")).values("m")[:1])
    open_case = Case.objects.filter(Q(person=OuterRef("pk")) | Q(complainant_person=OuterRef("pk")),
                                    status__in=[Status.RECEIVED, Status.ACCEPTED])
    return (Person.objects.annotate(ended=Subquery(last))
            .filter(ended__lt=cutoff, ended__gt="")
            .exclude(Exists(Enrolment.objects.filter(person=OuterRef("pk"), end_month="")))
            .exclude(Exists(Anonymisation.objects.filter(person_id=OuterRef("pk"))))
            .exclude(Exists(PayrollLine.objects.filter(person=OuterRef("pk"), result="pending")))
            .exclude(Exists(open_case)))


def _redigest(writes) -> dict[str, str]:
    """seq → the new digest of each registry-history write (moment, source) whose rows were emptied."""
    from ansinh.audit.selectors import history_digest

    out: dict[str, str] = {}
    for at, source in writes:
        for e in AuditEntry.objects.filter(action=Action.CHANGE, at=at).order_by("seq"):
            if json.loads(e.detail or "{}").get("history") == source:
                out[str(e.seq)] = history_digest(e)
    return out


def run(*, user, years: int | None = None, today: dt.date | None = None, dry_run: bool = False) -> dict:
    """Anonymise the people past retention (or only count them, `dry_run`). Returns the figures."""
    from ansinh.registry import history, services
    from ansinh.registry.models import Person

    years = default_years() if years is None else years
    today = today or timezone.localdate()
    cutoff = cutoff_month(today, years)
    qs = eligible(today, years)
    result = {"years": years, "today": today.isoformat(), "cutoff_month": cutoff, "dry_run": dry_run,
              "eligible": qs.count(), "anonymised": 0}
    if dry_run or not result["eligible"]:
        return result
    with transaction.atomic():
        at = timezone.now()
        sql, params = qs.values("pk", "ended").query.sql_with_params()
        table = connection.ops.quote_name(Anonymisation._meta.db_table)
        with connection.cursor() as cur:
            cur.execute(f"INSERT INTO {table} (person_id, ended_month, at, years) "
                        f"SELECT e.pk, e.ended, %s, %s FROM ({sql}) e",
                        [connection.ops.adapt_datetimefield_value(at), years, *params])
        chosen = Anonymisation.objects.filter(at=at)
        persons = Person.objects.filter(pk__in=chosen.values("person_id"))
        counts = services.anonymise(persons, user=user, at=at)
        redacted = _redigest(counts.pop("history_writes"))
        keys = list(persons.order_by("pk").values_list("pk", "scope_commune_id", "province_code"))
        history.log_changes([history.Change("registry.person", pk, pk, "anonymised", "", f"{years}", sc, pc)
                             for pk, sc, pc in keys], user=user, source="retention", at=at)
        entry = append(Action.RETENTION, user=user, persons=[k[0] for k in keys],
                       object=f"retention {years} years", at=at,
                       detail={"years": years, "today": today.isoformat(), "cutoff_month": cutoff,
                               "counts": counts, "redacted": redacted})
    result.update(anonymised=len(keys), counts=counts, history_writes_redigested=len(redacted), entry=entry.seq)
    return result


def anonymised_on(person_id: int):
    """When the person was anonymised (None: not anonymised)."""
    return Anonymisation.objects.filter(person_id=person_id).values_list("at", flat=True).first()
