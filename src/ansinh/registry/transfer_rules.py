"""Who pays which month when a beneficiary moves between communes (pure: no database).

Decree 20/2021 Art. 9 (since 07/2025 the commune chairman decides): the old commune stops from
the month after the move (it pays through the month of the move), the new commune pays from the
month after the stop. So every month is one commune's: no month unpaid, none paid twice.

``payers`` is the reference; payroll generation implements it set-based (a monthly line is filed
under the commune of the enrolment that pays it, and the old commune's enrolments end with
``last_old_month`` while the new commune's start the month after: ansinh.registry.transfers).
tests/payroll/test_transfers.py checks the SQL against it on random move dates.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


def ym(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def stop_and_start(moved_on: dt.date) -> tuple[str, str]:
    """(the last month the old commune pays, the first month the new commune pays)."""
    last = ym(moved_on)
    return last, next_month(last)


@dataclass(frozen=True)
class Move:
    moved_on: dt.date
    from_commune: object
    to_commune: object
    accepted: bool = True  # the new commune has decided (until then it pays nothing)


def paying_commune(month: str, moves: Sequence[Move], current=None):
    """The commune that pays `month`: the old commune of the first move whose stop month is on or
    after it; after the last move, its new commune once it has decided (None while it has not);
    without moves, `current`."""
    ordered = sorted(moves, key=lambda m: m.moved_on)
    for mv in ordered:
        if month <= stop_and_start(mv.moved_on)[0]:
            return mv.from_commune
        if not mv.accepted:
            return None
    return ordered[-1].to_commune if ordered else current


def payers(months: Iterable[str], moves: Sequence[Move], current=None,
           already_paid: Mapping[str, object] | None = None) -> dict[str, object]:
    """Month -> the commune that pays it. A month some commune already paid (a run made before
    the move was recorded, `already_paid`) stays that commune's: it is never paid again."""
    done = dict(already_paid or {})
    return {m: done[m] if m in done else paying_commune(m, moves, current) for m in months}
