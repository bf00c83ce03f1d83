"""API of the campaign: coverage per unit on a day (the CLI's JSON shape), scoped."""
from __future__ import annotations

import datetime as dt

from ninja import Router
from ninja.errors import HttpError

from ansinh.accounts import selectors

router = Router(tags=["accounts"])


@router.get("/coverage")
def coverage(request, as_of: dt.date | None = None, level: str = "commune", map: str = "",  # noqa: A002
             province: str = ""):
    """One object per unit: code, name, beneficiaries, with_account, confirmed, paid_noncash, share,
    target_low, target_high (the units the user may see)."""
    day = as_of or dt.date.today()
    if level not in selectors.LEVELS or (map and map not in selectors.MAPS):
        raise HttpError(422, "level: commune|district|province; map: old|new")
    try:
        units = selectors.coverage(request.user, day, level, map or None, province=province or None)
    except selectors.CoverageError as exc:
        raise HttpError(422, str(exc)) from None
    return [u.as_dict() for u in units]
