"""Pure rules of the non-cash campaign (no database): providers and account-number
plausibility, the status of an account on a day, the bank holder-name check, the target in
force, coverage shares.

Account-number checks are PLAUSIBILITY checks only: digits, length ranges that the
providers' published account numbers fall in. No bank publishes a check-digit algorithm
we could rely on, so a number that passes may still be wrong; a number that fails is
certainly mistyped (or belongs to another provider). The ranges are data, with the rest of
what is known about each provider, in ansinh.core.providers.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ansinh.core import providers
from ansinh.text import fold


# Re-exported for callers of this module's earlier API (tests/accounts/test_rules.py); the
# table and the recogniser live in ansinh.core.providers.
PROVIDERS = providers.ACCOUNT_PROVIDERS
provider_of = providers.provider_of

_PHONE = re.compile(r"^0\d{9}$")


def clean_account_number(value: str | None) -> str:
    """Spaces, dots and dashes that people type are dropped: '1234 5678-90' -> '1234567890'."""
    return re.sub(r"[\s.\-]", "", value or "")


def check_account_number(provider: str | None, number: str | None) -> str | None:
    """None when the number is plausible for the provider, else a Vietnamese message."""
    n = clean_account_number(number)
    if not n:
        return "Thiếu số tài khoản"
    if not n.isdigit():
        return "Số tài khoản chỉ gồm chữ số"
    p = providers.ACCOUNT_PROVIDERS.get(provider or "")
    if p is None:
        return None if 6 <= len(n) <= 19 else "Số tài khoản phải có từ 6 đến 19 chữ số"
    if p.phone_ok and _PHONE.match(n):
        return None
    lo, hi = p.lengths
    if not lo <= len(n) <= hi:
        span = f"{lo}" if lo == hi else f"{lo}–{hi}"
        return f"Số tài khoản {p.short_name} thường có {span} chữ số (có {len(n)})"
    return None


# ----------------------------------------------------------------------------- status

STAGES = ("registered", "confirmed", "active", "closed")


def status_on(day: dt.date, registered_on: dt.date | None, confirmed_on: dt.date | None = None,
              activated_on: dt.date | None = None, closed_on: dt.date | None = None) -> str | None:
    """The account's status on `day`: the last stage reached by then (None = not registered yet)."""
    if closed_on and closed_on <= day:
        return "closed"
    if registered_on is None or registered_on > day:
        return None
    if activated_on and activated_on <= day:
        return "active"
    if confirmed_on and confirmed_on <= day:
        return "confirmed"
    return "registered"


def check_stage_dates(registered_on, confirmed_on=None, activated_on=None, closed_on=None) -> str | None:
    """Stage dates must not go backwards."""
    seq = [d for d in (registered_on, confirmed_on, activated_on) if d]
    if seq != sorted(seq):
        return "Ngày xác nhận/kích hoạt không được trước ngày đăng ký"
    if closed_on and registered_on and closed_on < registered_on:
        return "Ngày đóng tài khoản không được trước ngày đăng ký"
    return None


# ----------------------------------------------------------------------------- holder name

def name_tokens(name: str | None) -> list[str]:
    return fold(name or "").split()


def holder_matches(bank_name: str | None, person_name: str | None) -> bool:
    """Bank lists write the holder in upper case without diacritics ("NGUYEN THI DAO").
    A match needs the same family name, the same given name and the same middle names
    (folded; middle names may be missing on one side)."""
    a, b = name_tokens(bank_name), name_tokens(person_name)
    if not a or not b:
        return False
    if a == b:
        return True
    if len(a) < 2 or len(b) < 2 or a[0] != b[0] or a[-1] != b[-1]:
        return False
    mid_a, mid_b = a[1:-1], b[1:-1]
    return not mid_a or not mid_b or mid_a == mid_b


# ----------------------------------------------------------------------------- targets and shares

@dataclass(frozen=True)
class TargetPoint:
    due: dt.date
    low: float | None    # per cent
    high: float | None
    baseline: float | None = None


def target_in_force(day: dt.date, points: list[TargetPoint]) -> TargetPoint | None:
    """The target to reach next: the earliest due date on or after `day`; after the last
    one, the last one stays in force. Baseline points (no low/high) are not targets."""
    goals = sorted((p for p in points if p.low is not None), key=lambda p: p.due)
    if not goals:
        return None
    for p in goals:
        if p.due >= day:
            return p
    return goals[-1]


def check_target(low: float | None, high: float | None, baseline: float | None = None) -> str | None:
    """A target is a range low..high per cent (both, low <= high), or a baseline alone."""
    for name, v in (("low", low), ("high", high), ("baseline", baseline)):
        if v is not None and not 0 <= v <= 100:
            return f"{name}: must be between 0 and 100 per cent"
    if (low is None) != (high is None):
        return "low/high: give both ends of the range"
    if low is not None and low > high:
        return "low/high: the low end is above the high end"
    if low is None and baseline is None:
        return "low/high: give a range or a baseline"
    return None


def share(part: int, whole: int) -> float:
    """Per cent, one decimal (0 when there is no one to cover)."""
    return round(100.0 * part / whole, 1) if whole else 0.0


def band(share_pct: float, low: float | None, high: float | None) -> str:
    """"below" / "within" / "above" the target band; "none" without a target."""
    if low is None:
        return "none"
    if share_pct < low:
        return "below"
    if high is not None and share_pct > high:
        return "above"
    return "within"


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """Last day of each month from start's month to end's month; the last point is `end`
    itself when end is inside its month (the series stops at today)."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        out.append(min(nxt - dt.timedelta(days=1), end))
        y, m = nxt.year, nxt.month
    return out
