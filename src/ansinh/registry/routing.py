"""Where registry rows are filed and where a case about two persons goes.

Every registry row carries scope keys (commune id, province code; ansinh.core.scope): a person's
rows follow the person when they move (:func:`follow_person_scope`); a case that concerns two
persons (an ID number or a listing claimed in two places) is filed under the narrowest unit
covering both (:func:`covering_keys`, :func:`route_id_taken`), so only a reviewer who sees both
sides sees it. The refusals of registry writes (:class:`OutsideScope`, :class:`IdNumberTaken`)."""
from __future__ import annotations

from ansinh.core.jobs import BadInput
from ansinh.registry import rules
from ansinh.registry.history import log_change
from ansinh.registry.models import ChangeLog, Enrolment, IssueStatus, Person, QualityIssue


class OutsideScope(BadInput):
    """The object or the file is outside the user's scope."""


class IdNumberTaken(BadInput):
    """The ID number is already registered to another person: said without naming them (see
    rules.ID_TAKEN_MESSAGE); the case has been routed (:func:`route_id_taken`)."""


def follow_person_scope(person_ids, scope_commune_id: int | None, province_code: str) -> None:
    """Move the rows filed under persons (their own scope keys) to the persons' new scope:
    one UPDATE per table. Accounts and authorised persons read the person's keys directly.
    Issues routed to a reviewer of two persons (rules.ROUTED_RULES) stay where they were routed."""
    for model in (Enrolment, QualityIssue, ChangeLog):
        qs = model.objects.filter(person_id__in=person_ids)
        if model is QualityIssue:
            qs = qs.exclude(rule__in=rules.ROUTED_RULES)
        qs.update(scope_commune_id=scope_commune_id, province_code=province_code)


def covering_keys(*keys: tuple[int | None, str | None]) -> tuple[int | None, str]:
    """The scope keys of the narrowest unit covering every (commune id, province code) given:
    their commune when they share one, else none; their province when they share one, else
    none (then only a user whose scope holds all of them, e.g. the national operator)."""
    communes = {c for c, _ in keys}
    provinces = {p or "" for _, p in keys}
    province = provinces.pop() if len(provinces) == 1 else ""
    commune = communes.pop() if len(communes) == 1 and province else None
    return commune, province


def route_id_taken(person: Person, other_keys: tuple[int | None, str | None], user, *, message: str,
                   details: dict, rule: str = "ID_TAKEN", batch=None, source: str = "web") -> QualityIssue:
    """File the case "`person`'s ID number (or listing) is claimed elsewhere too" for a
    reviewer whose scope covers both sides (the province when they are in two communes).

    The issue hangs on `person` (so it shows in their history) but is filed under
    :func:`covering_keys` of `person` and `other_keys` (the other side's commune id and
    province code), so the review queue shows it only to such a reviewer; its message names
    neither the other person, their commune nor the number. With ``details["other_person"]``
    there is one open issue per (person, other person, rule): a repeated attempt is counted
    on it, not filed again."""
    sc, pc = covering_keys((person.scope_commune_id, person.province_code), other_keys)
    other = details.get("other_person")
    if other is not None:
        for issue in QualityIssue.objects.select_for_update().filter(person=person, rule=rule,
                                                                     status=IssueStatus.OPEN):
            if (issue.details or {}).get("other_person") == other:
                issue.details = {**issue.details, "attempts": int(issue.details.get("attempts", 1)) + 1}
                issue.save(update_fields=["details"])
                return issue
    issue = QualityIssue.objects.create(
        person=person, batch=batch, rule=rule, severity=rules.WARNING,
        field="id_number" if rule == "ID_TAKEN" else "", message=message[:500],
        details={**details, "attempts": 1}, scope_commune_id=sc, province_code=pc)
    log_change(person, "registry.qualityissue", issue.pk, "status", None, IssueStatus.OPEN, user=user, source=source)
    return issue

