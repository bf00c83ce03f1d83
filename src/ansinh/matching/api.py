"""Matching API (mounted at /api/matching/): the duplicate queue, scoped."""
from __future__ import annotations

from ninja import Router, Schema

from ansinh.matching import selectors

router = Router(tags=["matching"])


class PairOut(Schema):
    id: int
    person_a: int
    person_b: int
    cluster: int
    match_probability: float
    match_weight: float
    contributions: dict
    status: str


@router.get("/pairs", response=list[PairOut])
def pairs(request, status: str = "open", limit: int = 100, offset: int = 0):
    qs = selectors.pairs(request.user, None if status == "all" else status)
    limit = max(1, min(limit, 1000))
    return [{"id": p.pk, "person_a": p.person_a_id, "person_b": p.person_b_id, "cluster": p.cluster,
             "match_probability": p.match_probability, "match_weight": p.match_weight,
             "contributions": p.contributions, "status": p.status} for p in qs[offset:offset + limit]]
