"""Unrecognised categories never pay silently (issue 14 item 7).

An enrolment whose category the importer could not map (``Enrolment.category == ""``, the list's
words kept in ``category_label``) is left out of every run — monthly (``generate.UNMAPPED_HELD_SQL``,
and the pure ``entitlement.month_dues``) and campaign (``campaign_rules.campaign_due``) — until an
officer maps it in the review queue. A run says how many persons it held back and why (its
summary's ``held_unmapped``, shown on the run page with a link to the queue), and each of them has an
open ``CATEGORY_UNMAPPED`` review item (opened here if the import did not). Mapping the category
closes the item (``registry.recheck``) and the next run pays the person, arrears included (the
months were never claimed).
"""
from __future__ import annotations

from django.db import connection

from ansinh.payroll.models import PayrollRun
from ansinh.registry.models import IssueStatus, QualityIssue, active_in_sql

RULE = "CATEGORY_UNMAPPED"
MESSAGE = ("Diện đối tượng chưa được xác định: chưa chi trả cho đến khi cán bộ xác định diện "
           "(bảng chi #{run})")


def held_persons(run: PayrollRun) -> list[tuple[int, int | None, str]]:
    """(person id, scope commune, province) of the persons of `run`'s scope with an enrolment in
    force in its month whose category is unmapped (none for a follow-up: it copies lines)."""
    if run.followup_of_id is not None:
        return []
    from ansinh.payroll.access import run_scope_sql

    scope_sql, params = run_scope_sql(run)
    month = run.campaign.period if run.campaign_id else run.period
    sql = (f"SELECT DISTINCT p.id, p.scope_commune_id, p.province_code FROM registry_enrolment e"
           f" JOIN registry_person p ON p.id = e.person_id"
           f" WHERE e.category = '' AND e.status = 'active' AND {active_in_sql('%s')}"
           f" AND p.status = 'alive' AND {scope_sql} ORDER BY p.id")
    with connection.cursor() as cur:
        cur.execute(sql, [month, month, *params])
        return [(r[0], r[1], r[2]) for r in cur.fetchall()]


def hold_unmapped(run: PayrollRun) -> dict:
    """Open the missing review items of the persons `run` held back; the summary's entry."""
    held = held_persons(run)
    if not held:
        return {"held_unmapped": {"persons": 0}}
    ids = [p for p, _sc, _pc in held]
    have: set[int] = set()
    for i in range(0, len(ids), 5000):
        have |= set(QualityIssue.objects.filter(rule=RULE, status=IssueStatus.OPEN, person_id__in=ids[i:i + 5000])
                    .values_list("person_id", flat=True))
    QualityIssue.objects.bulk_create([
        QualityIssue(person_id=pid, rule=RULE, severity="error", field="category",
                     message=MESSAGE.format(run=run.pk), details={"held_by_run": run.pk},
                     scope_commune_id=sc, province_code=pc or "")
        for pid, sc, pc in held if pid not in have], batch_size=2000)
    return {"held_unmapped": {"persons": len(held)}}
