"""Deadlines of complaints, denunciations and feedback, from the law, as dated data and pure
functions (no database). Decision record: docs/decisions/0021-complaint-deadlines.md.

How a period counts (``Period.unit``):
* ``working``: the text says "ngày làm việc": working days of state offices
  (``ansinh.core.workdays``), the day of the event not counted.
* ``calendar``: the text says "ngày": calendar days counted as the Civil Code 2015 counts a
  period (Art. 147: from the day after the event; Art. 148.5: a period whose last day is a day
  off ends on the next working day).

Each rule has the article it comes from and the dates it applies between; a new law is a new
row with ``valid_from``, never an edit of an old one. The rule in force on the day of receipt
applies to the whole case.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ansinh.core import workdays

COMPLAINT, DENUNCIATION, FEEDBACK = "complaint", "denunciation", "feedback"
ACCEPT, DECIDE = "accept", "decide"
WORKING, CALENDAR = "working", "calendar"

# A deadline is at risk from this many working days before it.
AT_RISK_WORKING_DAYS = 3
ON_TRACK, AT_RISK, BREACHED, MET, LATE = "on_track", "at_risk", "breached", "met", "late"


@dataclass(frozen=True)
class Period:
    days: int
    unit: str  # WORKING | CALENDAR


@dataclass(frozen=True)
class Rule:
    kind: str  # COMPLAINT | DENUNCIATION | FEEDBACK
    level: int  # 1 = first complaint, 2 = second-level complaint
    step: str  # ACCEPT (from receipt) | DECIDE (from acceptance)
    normal: Period
    complex: Period | None  # a complex case (vụ việc phức tạp); None = same as normal
    remote: Period | None  # remote and extremely difficult area (vùng sâu, vùng xa đi lại khó khăn)
    remote_complex: Period | None
    basis: str
    valid_from: dt.date
    valid_to: dt.date | None = None


def _c(n: int) -> Period:
    return Period(n, CALENDAR)


def _w(n: int) -> Period:
    return Period(n, WORKING)


LAW_COMPLAINTS = dt.date(2012, 7, 1)  # Law on Complaints 02/2011/QH13 in force
LAW_DENUNCIATION = dt.date(2019, 1, 1)  # Law on Denunciation 25/2018/QH14 in force
CIRCULAR_05_2021 = dt.date(2021, 10, 15)  # Circular 05/2021/TT-TTCP (handling of petitions) in force

RULES: tuple[Rule, ...] = (
    # Law on Complaints 2011 Art. 27: accept (thụ lý) within 10 days of receipt — "ngày".
    Rule(COMPLAINT, 1, ACCEPT, _c(10), None, None, None,
         "Luật Khiếu nại 2011, Điều 27", LAW_COMPLAINTS),
    # Art. 28: decide within 30 days of acceptance, 45 if complex; remote areas 45, 60 if complex.
    Rule(COMPLAINT, 1, DECIDE, _c(30), _c(45), _c(45), _c(60),
         "Luật Khiếu nại 2011, Điều 28", LAW_COMPLAINTS),
    # Art. 36: second level, accept within 10 days of receipt.
    Rule(COMPLAINT, 2, ACCEPT, _c(10), None, None, None,
         "Luật Khiếu nại 2011, Điều 36", LAW_COMPLAINTS),
    # Art. 37: second level, decide within 45 days (60 if complex); remote areas 60 (70 if complex).
    Rule(COMPLAINT, 2, DECIDE, _c(45), _c(60), _c(60), _c(70),
         "Luật Khiếu nại 2011, Điều 37", LAW_COMPLAINTS),
    # Law on Denunciation 2018 Art. 24/29: accept or refuse within 7 working days of receipt.
    Rule(DENUNCIATION, 1, ACCEPT, _w(7), None, None, None,
         "Luật Tố cáo 2018, Điều 24 và 29", LAW_DENUNCIATION),
    # Art. 30: decide within 30 days of acceptance; a complex case may be extended once by 30 days
    # (an especially complex one twice: that extension is recorded on the case, not assumed).
    Rule(DENUNCIATION, 1, DECIDE, _c(30), _c(60), None, None,
         "Luật Tố cáo 2018, Điều 30", LAW_DENUNCIATION),
    # Petitions and feedback (kiến nghị, phản ánh): processed within 10 working days of receipt
    # (Circular 05/2021/TT-TTCP on receiving and handling petitions).
    Rule(FEEDBACK, 1, ACCEPT, _w(10), None, None, None,
         "Thông tư 05/2021/TT-TTCP (xử lý đơn)", CIRCULAR_05_2021),
    # No statutory period to answer feedback was found: the installation's own target, the same
    # as a first complaint's (30 days), written as such.
    Rule(FEEDBACK, 1, DECIDE, _c(30), _c(45), _c(45), _c(60),
         "Chỉ tiêu của hệ thống (không có thời hạn luật định; theo Luật Khiếu nại Điều 28)", CIRCULAR_05_2021),
)


class NoRule(ValueError):
    pass


def rule_for(kind: str, level: int, step: str, received: dt.date, rules: tuple[Rule, ...] = RULES) -> Rule:
    for r in rules:
        if (r.kind, r.level, r.step) == (kind, level, step) and r.valid_from <= received \
                and (r.valid_to is None or received <= r.valid_to):
            return r
    raise NoRule(f"no deadline rule for {kind} level {level} {step} on {received.isoformat()}")


def period_for(rule: Rule, *, complex_case: bool = False, remote: bool = False) -> Period:
    if remote and complex_case and rule.remote_complex:
        return rule.remote_complex
    if remote and rule.remote:
        return rule.remote
    if complex_case and rule.complex:
        return rule.complex
    return rule.normal


def add_period(start: dt.date, period: Period) -> dt.date:
    if period.unit == WORKING:
        return workdays.add_working_days(start, period.days)
    return workdays.add_calendar_days(start, period.days)


def due_accept(kind: str, received: dt.date, *, level: int = 1) -> dt.date:
    """Last day to accept (thụ lý) or refuse, from the day of receipt."""
    return add_period(received, period_for(rule_for(kind, level, ACCEPT, received)))


def due_decide(kind: str, received: dt.date, accepted: dt.date | None = None, *, level: int = 1,
               complex_case: bool = False, remote: bool = False) -> dt.date:
    """Last day to decide, from the day of acceptance (before acceptance: from the last day to
    accept, the latest the clock can start)."""
    start = accepted or due_accept(kind, received, level=level)
    rule = rule_for(kind, level, DECIDE, received)
    return add_period(start, period_for(rule, complex_case=complex_case, remote=remote))


def state(due: dt.date, today: dt.date, done_on: dt.date | None = None) -> str:
    """on_track / at_risk / breached for an open step; met / late once done."""
    if done_on is not None:
        return MET if done_on <= due else LATE
    if today > due:
        return BREACHED
    if workdays.working_days_between(today, due) <= AT_RISK_WORKING_DAYS:
        return AT_RISK
    return ON_TRACK


def escalates(due: dt.date, today: dt.date, done_on: dt.date | None = None) -> bool:
    """A commune that misses a deadline hands the case to the province (shown on its list)."""
    return state(due, today, done_on) in (BREACHED, LATE)


# --------------------------------------------------------------------------- second-level complaint, court

# Law on Complaints 2011 Art. 33: a complainant who disagrees with the first decision, or whose
# complaint was not decided within Art. 28's period, may complain to the next level within 30 days
# ("ngày": calendar) of receiving the decision or of the end of that period; remote and extremely
# difficult areas up to 45. Late filing is accepted for an objective obstacle (Art. 9), written down.
APPEAL_RULES: tuple[Rule, ...] = (
    Rule(COMPLAINT, 2, "file", _c(30), None, _c(45), _c(45),
         "Luật Khiếu nại 2011, Điều 33 (và Điều 9: trở ngại khách quan)", LAW_COMPLAINTS),
)


def may_appeal(decided_on: dt.date | None, due_decide: dt.date, day: dt.date) -> bool:
    """Art. 33: after a first decision, or once the first period has passed without one."""
    return decided_on is not None or day > due_decide


def due_appeal(decided_on: dt.date | None, due_decide: dt.date, *, received: dt.date, remote: bool = False) -> dt.date:
    """Last day to file a second-level complaint (Art. 33): 30 days (remote 45) from the first
    decision (the day it was received is not recorded: the decision's day, the earliest) or, never
    decided, from the last day of the first period; counted as the Civil Code counts (from the day
    after). `received`: the first complaint's day of receipt (the rule in force then)."""
    rule = rule_for(COMPLAINT, 2, "file", received, APPEAL_RULES)
    return add_period(decided_on or due_decide, period_for(rule, remote=remote))


# --------------------------------------------------------------------------- who decides (dated data)

@dataclass(frozen=True)
class Decider:
    level: int
    unit_level: str  # the level of government whose chairman decides: "commune" | "district" | "province"
    title: str  # "Chủ tịch Ủy ban nhân dân" + the unit's name
    basis: str
    valid_from: dt.date
    valid_to: dt.date | None = None


TWO_LEVEL_GOVERNMENT = dt.date(2025, 7, 1)  # districts abolished: local government of two levels

# Who decides a complaint about social assistance (the allowance decisions of Decree 20/2021). Until
# 30/06/2025 the district chairman decided the allowance, so heard the first complaint (Law on
# Complaints Art. 18) and the province chairman the second (Art. 21). From 01/07/2025 (two-level local
# government) the commune chairman decides the allowance and the first complaint (Art. 17), the
# province chairman the second (Art. 21). A new assignment is a new row with valid_from.
DECIDERS: tuple[Decider, ...] = (
    Decider(1, "district", "Chủ tịch Ủy ban nhân dân", "Luật Khiếu nại 2011, Điều 18", LAW_COMPLAINTS,
            TWO_LEVEL_GOVERNMENT - dt.timedelta(days=1)),
    Decider(2, "province", "Chủ tịch Ủy ban nhân dân", "Luật Khiếu nại 2011, Điều 21", LAW_COMPLAINTS,
            TWO_LEVEL_GOVERNMENT - dt.timedelta(days=1)),
    Decider(1, "commune", "Chủ tịch Ủy ban nhân dân", "Luật Khiếu nại 2011, Điều 17; chính quyền địa phương hai cấp",
            TWO_LEVEL_GOVERNMENT),
    Decider(2, "province", "Chủ tịch Ủy ban nhân dân", "Luật Khiếu nại 2011, Điều 21; chính quyền địa phương hai cấp",
            TWO_LEVEL_GOVERNMENT),
)


def decider_for(level: int, received: dt.date) -> Decider:
    for d in DECIDERS:
        if d.level == level and d.valid_from <= received and (d.valid_to is None or received <= d.valid_to):
            return d
    raise NoRule(f"no decider for level {level} on {received.isoformat()}")
