"""Deadline rules of complaints, denunciations and feedback: worked examples, no database
(weekends, public holidays and Tết, remote areas, complex cases, second level)."""
import datetime as dt

import pytest

from ansinh.complaints import deadlines as D
from ansinh.complaints import rules

d = dt.date


def test_complaint_accept_ten_calendar_days():
    # received Friday 09/01/2026: the 10th day is Monday 19/01/2026
    assert D.due_accept(D.COMPLAINT, d(2026, 1, 9)) == d(2026, 1, 19)
    # received Wednesday 11/02/2026: the 10th day (21/02) falls in Tết (14–22/02): Monday 23/02
    assert D.due_accept(D.COMPLAINT, d(2026, 2, 11)) == d(2026, 2, 23)


@pytest.mark.parametrize("complex_case, remote, due", [
    (False, False, d(2026, 2, 23)),  # 30 days -> Saturday 14/02 in Tết -> Monday 23/02
    (True, False, d(2026, 3, 2)),    # 45 days -> Sunday 01/03 -> Monday 02/03
    (False, True, d(2026, 3, 2)),    # remote area: 45 days
    (True, True, d(2026, 3, 16)),    # remote and complex: 60 days -> Monday 16/03
])
def test_complaint_decide_from_acceptance(complex_case, remote, due):
    assert D.due_decide(D.COMPLAINT, d(2026, 1, 12), d(2026, 1, 15), complex_case=complex_case, remote=remote) == due


def test_before_acceptance_the_clock_starts_at_the_last_day_to_accept():
    assert D.due_decide(D.COMPLAINT, d(2026, 1, 9)) == d(2026, 2, 23)  # 19/01 + 30 -> 18/02 (Tết) -> 23/02


@pytest.mark.parametrize("complex_case, remote, due", [
    (False, False, d(2026, 4, 16)),  # 45 days
    (True, False, d(2026, 5, 4)),    # 60 days -> Friday 01/05 (holiday) -> Monday 04/05
    (False, True, d(2026, 5, 4)),    # remote: 60 days
    (True, True, d(2026, 5, 11)),    # remote and complex: 70 days
])
def test_second_level_complaint(complex_case, remote, due):
    assert D.due_decide(D.COMPLAINT, d(2026, 2, 25), d(2026, 3, 2), level=2, complex_case=complex_case,
                        remote=remote) == due


def test_denunciation_accept_seven_working_days_over_hung_kings_and_30_4():
    # Thursday 23/04/2026: 24/04 (1), 27/04 off (Hùng Kings on Sunday, compensated), 28 (2), 29 (3),
    # 30/04 and 01/05 off, 04/05 (4), 05 (5), 06 (6), 07 (7)
    assert D.due_accept(D.DENUNCIATION, d(2026, 4, 23)) == d(2026, 5, 7)


def test_denunciation_decide_and_extension():
    assert D.due_decide(D.DENUNCIATION, d(2026, 4, 23), d(2026, 5, 7)) == d(2026, 6, 8)  # 06/06 Saturday
    # complex: extended once by 30 days; no remote-area rule for denunciations
    assert D.due_decide(D.DENUNCIATION, d(2026, 4, 23), d(2026, 5, 7), complex_case=True, remote=True) \
        == d(2026, 7, 6)


def test_feedback_ten_working_days_with_a_swapped_saturday():
    # Friday 25/04/2025: Saturday 26/04 is worked (1), 28 (2), 29 (3), 30/04–02/05 off, 05..09/05 (4..8),
    # 12 (9), 13 (10)
    assert D.due_accept(D.FEEDBACK, d(2025, 4, 25)) == d(2025, 5, 13)


def test_states():
    due = d(2026, 3, 5)  # Thursday
    assert D.state(due, d(2026, 2, 26)) == D.ON_TRACK   # 5 working days left
    assert D.state(due, d(2026, 3, 2)) == D.AT_RISK     # 3 left
    assert D.state(due, due) == D.AT_RISK
    assert D.state(due, d(2026, 3, 6)) == D.BREACHED
    assert D.state(due, d(2026, 3, 9), done_on=due) == D.MET
    assert D.state(due, d(2026, 3, 9), done_on=d(2026, 3, 6)) == D.LATE
    assert D.escalates(due, d(2026, 3, 6)) and not D.escalates(due, d(2026, 3, 5))


def test_rules_are_dated():
    with pytest.raises(D.NoRule):
        D.due_accept(D.COMPLAINT, d(2012, 6, 30))  # before the Law on Complaints 2011 was in force
    r = D.rule_for(D.COMPLAINT, 1, D.DECIDE, d(2026, 1, 1))
    assert "Điều 28" in r.basis and r.normal == D.Period(30, D.CALENDAR)
    assert D.rule_for(D.DENUNCIATION, 1, D.ACCEPT, d(2026, 1, 1)).normal.unit == D.WORKING
    # a new law is a new row: a replacement rule from a date wins for cases received from then on
    new = D.Rule(D.COMPLAINT, 1, D.ACCEPT, D.Period(5, D.WORKING), None, None, None, "test", d(2027, 1, 1))
    old = D.Rule(D.COMPLAINT, 1, D.ACCEPT, D.Period(10, D.CALENDAR), None, None, None, "old", d(2012, 7, 1),
                 d(2026, 12, 31))
    assert D.rule_for(D.COMPLAINT, 1, D.ACCEPT, d(2027, 3, 1), (old, new)) is new
    assert D.rule_for(D.COMPLAINT, 1, D.ACCEPT, d(2026, 3, 1), (old, new)) is old


def test_posting_period_two_working_days():
    assert rules.posting_period(d(2026, 2, 12)) == (d(2026, 2, 12), d(2026, 2, 13))  # Thu, Fri
    assert rules.posting_period(d(2026, 2, 13)) == (d(2026, 2, 13), d(2026, 2, 23))  # Fri, then after Tết
    assert rules.posting_period(d(2026, 2, 14)) == (d(2026, 2, 23), d(2026, 2, 24))  # starts after Tết


def test_posted_category_never_says_hiv_or_disability_degree():
    assert rules.posted_category("5.3") == rules.GENERIC
    assert rules.posted_category("5.8") == rules.GENERIC
    assert rules.posted_category("5.6-very-severe") == "Người khuyết tật"
    assert rules.posted_category("5.4+5.6-severe") == "Người đơn thân nghèo đang nuôi con + Người khuyết tật"
    for code in ("5.3", "5.8", "5.6-severe", "5.6-very-severe", "5.4+5.8"):
        assert "HIV" not in rules.posted_category(code) and "nặng" not in rules.posted_category(code)


def test_sensitive_visibility():
    assert rules.may_see_sensitive({"commune_officer"}, is_handler=True)
    assert not rules.may_see_sensitive({"commune_officer"}, is_handler=False)
    assert rules.may_see_sensitive({"province_officer"}, is_handler=False)
    for role in ("auditor", "approver", "outreach"):
        assert not rules.may_see_sensitive({role}, is_handler=False)
