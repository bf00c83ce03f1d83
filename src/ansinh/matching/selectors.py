"""Matching reads; every read goes through ansinh.core.scope.scoped.

A pair is in a user's scope only when both of its persons are (MatchPair.ScopeMeta): lists,
counts, the detail page and the API all read through `pairs` / `pair`."""
from __future__ import annotations

from ansinh.core.scope import scoped
from ansinh.matching.models import IdProposal, MatchPair, PairStatus, ProposalStatus


#: The queue's filter for decided pairs a later run's model disagrees with (MatchPair.model_disagrees).
DISAGREES = "disagrees"


def pairs(user, status: str | None = PairStatus.OPEN):
    """Pairs in the user's scope by status, or (:data:`DISAGREES`) the decided pairs the latest
    run's model disagrees with."""
    qs = scoped(MatchPair, user).select_related("person_a", "person_b", "person_a__residence_unit",
                                                  "person_b__residence_unit")
    if status == DISAGREES:
        qs = qs.exclude(status=PairStatus.OPEN).filter(model_disagrees=True)
    elif status:
        qs = qs.filter(status=status)
    return qs.order_by("-match_probability", "id")


def pair(user, pk: int) -> MatchPair:
    """A pair in the user's scope (raises MatchPair.DoesNotExist otherwise)."""
    return scoped(MatchPair, user).select_related("person_a", "person_b").get(pk=pk)


def pair_enrolments(user, pk: int) -> dict[str, list]:
    """Enrolments of both sides of a pair the user may see (through `pair`, which is scoped
    on both persons: a user who may see the pair may see both records)."""
    from ansinh.registry.models import Enrolment

    p = pair(user, pk)
    return {side: list(Enrolment.objects.filter(person_id=pid))
            for side, pid in (("a", p.person_a_id), ("b", p.person_b_id))}


def pair_accounts(user, pk: int) -> dict[str, list[str]]:
    """Account numbers of both sides of a pair the user may see (through `pair`)."""
    return {side: [n for n, _bank in got] for side, got in pair_account_banks(user, pk).items()}


def pair_account_banks(user, pk: int) -> dict[str, list[tuple[str, str]]]:
    """(account number, the bank's short name or as written) of both sides of a pair the user
    may see (through `pair`)."""
    from ansinh.core import providers
    from ansinh.registry.models import PaymentAccount

    p = pair(user, pk)
    out = {}
    for side, pid in (("a", p.person_a_id), ("b", p.person_b_id)):
        got = []
        for number, code, name in PaymentAccount.objects.filter(person_id=pid).order_by("pk").values_list(
                "account_number", "provider", "provider_name"):
            prov = providers.get(code)
            got.append((number, prov.short_name if prov else (name or "")))
        out[side] = got
    return out


def proposals(user, status: str | None = ProposalStatus.OPEN):
    """ID proposals from population-data verification, in the user's scope."""
    qs = scoped(IdProposal, user).select_related("person", "person__residence_unit", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-probability", "id")


def proposal(user, pk: int) -> IdProposal:
    """A proposal in the user's scope (raises IdProposal.DoesNotExist otherwise)."""
    return scoped(IdProposal, user).select_related("person").get(pk=pk)
