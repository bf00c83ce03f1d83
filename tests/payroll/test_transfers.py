"""Transfers between communes and deaths (issue 14 item 5), worked by hand.

The rule (Decree 20/2021 Art. 9; ansinh.registry.transfer_rules): the old commune pays through
the month of the move, the new commune from the month after; no month unpaid, none paid twice.
The pure ``payers`` is the reference; the payroll's set-based generation (lines filed under the
commune of the enrolment in force) is checked equal to it on random move dates (Hypothesis)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansinh.core.jobs import BadInput
from ansinh.registry import transfer_rules as R

D = dt.date
PW = "Mk-thu-nghiem-2024"


# --------------------------------------------------------------------------- the pure rule

def test_old_commune_pays_through_the_move_month_new_one_from_the_next():
    assert R.stop_and_start(D(2025, 8, 15)) == ("2025-08", "2025-09")
    assert R.stop_and_start(D(2025, 12, 31)) == ("2025-12", "2026-01")
    mv = R.Move(D(2025, 8, 15), "DK", "HP")
    months = ["2025-07", "2025-08", "2025-09", "2025-10"]
    assert R.payers(months, [mv]) == {"2025-07": "DK", "2025-08": "DK", "2025-09": "HP", "2025-10": "HP"}
    # before the new commune decides, nobody pays after the stop (the months are owed: arrears later)
    waiting = R.Move(D(2025, 8, 15), "DK", "HP", accepted=False)
    assert R.payers(months, [waiting])["2025-09"] is None
    # the old commune already paid September (its run came before the move was recorded): it stays its own
    assert R.payers(months, [mv], already_paid={"2025-09": "DK"})["2025-09"] == "DK"
    # two moves: DK -> HP in 08/2025, HP -> KL in 01/2026
    two = [mv, R.Move(D(2026, 1, 3), "HP", "KL")]
    assert R.payers(["2025-08", "2025-09", "2026-01", "2026-02"], two) == {
        "2025-08": "DK", "2025-09": "HP", "2026-01": "HP", "2026-02": "KL"}


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def people(db):
    from ansinh.core.models import Organisation, OrgKind
    from ansinh.core.services import current_unit, upsert_user
    from ansinh.payroll.rates import ensure_seed_data

    ensure_seed_data()
    dk, hp = current_unit("05977"), current_unit("06079")
    for unit, name, short in ((dk, "Ủy ban nhân dân phường Đông Kinh", "UBND phường Đông Kinh"),
                              (hp, "Ủy ban nhân dân xã Hồng Phong", "UBND xã Hồng Phong")):
        Organisation.objects.create(name=name, short_name=short, kind=OrgKind.PEOPLES_COMMITTEE, unit=unit,
                                    functions=["decides_allowance", "pays_allowance"],
                                    valid_from=D(2025, 7, 1), province_code=unit.province_code)
    return {"dk": dk, "hp": hp,
            "dk_officer": upsert_user("cb_dongkinh", PW, roles=["commune_officer"], unit_codes=["05977"]),
            "hp_officer": upsert_user("cb_hongphong", PW, roles=["commune_officer"], unit_codes=["06079"]),
            "province": upsert_user("cb_tinh", PW, roles=["province_officer"], unit_codes=["20"])}


def _run(period, commune=None, province=""):
    from ansinh.payroll import generate

    try:
        return generate.generate(period, commune=commune, province_code=province)
    except BadInput as exc:
        if "nobody is owed" not in str(exc) and "nothing is left" not in str(exc):
            raise
        return None


def _lines(person):
    from ansinh.payroll.models import PayrollLine

    return list(PayrollLine.objects.filter(person=person, active=True).order_by("period_month", "programme")
                .values_list("period_month", "programme", "amount", "scope_commune__code", "channel", "payee"))


# --------------------------------------------------------------------------- worked example: a transfer

def test_transfer_worked_example(people, make_person):
    from ansinh.core.scope import scoped
    from ansinh.registry import transfers
    from ansinh.registry.models import ChangeLog, Enrolment, Person
    from ansinh.registry.selectors import person_for

    dk, hp = people["dk"], people["hp"]
    # born 1980 (45 in 2025), severe disability: coefficient 1.5 × 500.000 đ = 750.000 đ a month
    p = make_person(dob=D(1980, 1, 1), enrolments=(("tcxh", "5.6-severe", "2025-06"),), paid_through="2025-05",
                    unit=dk)
    assert _run("2025-06", dk).summary["total_vnd"] == 750_000
    assert _run("2025-07", dk).summary["total_vnd"] == 750_000
    # moved to Hồng Phong on 15/08/2025; Đông Kinh's chairman stops the allowance on 20/08/2025
    t = transfers.record_stop(p, to_commune=hp, moved_on=D(2025, 8, 15), number="12/QĐ-UBND",
                              decided_on=D(2025, 8, 20), user=people["dk_officer"])
    assert (t.last_old_month, t.first_new_month) == ("2025-08", "2025-09")
    assert t.stop_decider.short_name == "UBND phường Đông Kinh"
    assert _run("2025-08", dk).summary["total_vnd"] == 750_000  # August: still Đông Kinh's
    assert _run("2025-09", dk) is None and _run("2025-09", hp) is None  # nobody pays before Hồng Phong decides
    # Hồng Phong's officer cannot stop or accept Đông Kinh's side, nor Đông Kinh accept Hồng Phong's
    with pytest.raises(BadInput):
        transfers.accept(t, number="45/QĐ-UBND", decided_on=D(2025, 10, 5), user=people["dk_officer"])
    assert transfers.transfer_for(people["hp_officer"], t.pk) is not None  # incoming: visible
    t = transfers.accept(t, number="45/QĐ-UBND", decided_on=D(2025, 10, 5), user=people["hp_officer"],
                         village="Thôn Pò Mạ")
    assert t.start_decider.short_name == "UBND xã Hồng Phong"
    run = _run("2025-10", hp)  # September (arrears) and October: 2 × 750.000 đ
    assert run.summary["total_vnd"] == 1_500_000 and run.summary["arrears_lines"] == 1
    assert _run("2025-10", dk) is None
    assert _lines(p) == [
        ("2025-06", "tcxh", 750_000, "05977", "cash", "beneficiary"),
        ("2025-07", "tcxh", 750_000, "05977", "cash", "beneficiary"),
        ("2025-08", "tcxh", 750_000, "05977", "cash", "beneficiary"),
        ("2025-09", "tcxh", 750_000, "06079", "cash", "beneficiary"),
        ("2025-10", "tcxh", 750_000, "06079", "cash", "beneficiary"),
    ]  # 3.750.000 đ: five months, each once; Đông Kinh 2.250.000 đ, Hồng Phong 1.500.000 đ
    p = Person.objects.get(pk=p.pk)
    assert (p.commune_id, p.scope_commune_id, p.village) == (hp.pk, hp.pk, "Thôn Pò Mạ")
    # the person is Hồng Phong's now; Đông Kinh keeps its ended enrolment and sees the transfer
    assert person_for(people["dk_officer"], p.pk) is None and person_for(people["hp_officer"], p.pk) is not None
    assert [t.pk for t in transfers.transfers(people["dk_officer"])] == [t.pk]
    enr = sorted(Enrolment.objects.filter(person=p).values_list("start_month", "end_month", "scope_commune_id",
                                                                 "decision_number"))
    assert enr == [("2025-06", "2025-08", dk.pk, ""), ("2025-09", "", hp.pk, "45/QĐ-UBND")]
    # the history shows both decisions, with who decided
    hist = dict(ChangeLog.objects.filter(person=p, model="registry.transfer").values_list("field", "new"))
    assert hist["stop_decision"] == "12/QĐ-UBND ngày 20/08/2025, Chủ tịch UBND phường Đông Kinh"
    assert hist["start_decision"] == "45/QĐ-UBND ngày 05/10/2025, Chủ tịch UBND xã Hồng Phong"
    assert scoped(ChangeLog.objects.filter(person=p), people["hp_officer"]).count() == ChangeLog.objects.filter(
        person=p).count()


def test_transfer_recorded_late_never_pays_a_month_twice(people, make_person):
    """The old commune paid September and October before it recorded a move of 15/08/2025: those
    months stay paid there; the new commune pays from November."""
    from ansinh.registry import transfers

    dk, hp = people["dk"], people["hp"]
    p = make_person(dob=D(1980, 1, 1), enrolments=(("tcxh", "5.6-severe", "2025-08"),), paid_through="2025-07",
                    unit=dk)
    for m in ("2025-08", "2025-09", "2025-10"):
        _run(m, dk)
    t = transfers.record_stop(p, to_commune=hp, moved_on=D(2025, 8, 15), number="30/QĐ-UBND",
                              decided_on=D(2025, 10, 28), user=people["province"])
    transfers.accept(t, number="31/QĐ-UBND", decided_on=D(2025, 11, 3), user=people["province"])
    assert _run("2025-11", hp).summary["total_vnd"] == 750_000
    assert [(m, c) for m, _p, _a, c, *_ in _lines(p)] == [
        ("2025-08", "05977"), ("2025-09", "05977"), ("2025-10", "05977"), ("2025-11", "06079")]


def test_transfer_refusals(people, make_person):
    from ansinh.registry import transfers

    dk, hp = people["dk"], people["hp"]
    p = make_person(unit=dk)
    with pytest.raises(BadInput):  # not Hồng Phong's person
        transfers.record_stop(p, to_commune=dk, moved_on=D(2025, 8, 1), number="1", decided_on=D(2025, 8, 2),
                              user=people["hp_officer"])
    with pytest.raises(BadInput):  # a decision before the move
        transfers.record_stop(p, to_commune=hp, moved_on=D(2025, 8, 10), number="1", decided_on=D(2025, 8, 2),
                              user=people["dk_officer"])
    with pytest.raises(BadInput):  # to where they are
        transfers.record_stop(p, to_commune=dk, moved_on=D(2025, 8, 1), number="1", decided_on=D(2025, 8, 2),
                              user=people["dk_officer"])
    transfers.record_stop(p, to_commune=hp, moved_on=D(2025, 8, 1), number="1", decided_on=D(2025, 8, 2),
                          user=people["dk_officer"])
    with pytest.raises(BadInput):  # one open transfer at a time
        transfers.record_stop(p, to_commune=hp, moved_on=D(2025, 9, 1), number="2", decided_on=D(2025, 9, 2),
                              user=people["dk_officer"])


# --------------------------------------------------------------------------- the SQL equals the rule

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(moved_on=st.dates(D(2024, 3, 1), D(2025, 10, 31)), start_before=st.integers(0, 4),
       late=st.integers(0, 3), wait=st.integers(0, 3), province_runs=st.booleans(),
       second=st.one_of(st.none(), st.integers(1, 5)))
def test_generation_pays_each_month_once_in_the_commune_the_rule_names(people, make_person, moved_on, start_before,
                                                                        late, wait, province_runs, second):
    """Random move dates: the old commune runs every month until the move is recorded `late`
    months after the move month, the new commune decides `wait` months later, both (or the
    province) run every month; optionally the person moves again, back to the old commune. Every
    month from the start to the end is paid exactly once, by the commune ``payers`` names."""
    from ansinh.payroll import entitlement as E
    from ansinh.payroll.models import PayrollLine
    from ansinh.registry import transfers

    dk, hp = people["dk"], people["hp"]
    with transaction.atomic():
        last_old = R.ym(moved_on)
        start = E.add_months(last_old, -start_before)
        p = make_person(dob=D(1980, 1, 1), enrolments=(("tcxh", "5.6-severe", start),),
                        paid_through=E.add_months(start, -1), unit=dk)
        record = E.add_months(last_old, late)
        accept = E.add_months(record, wait)
        again = E.add_months(accept, second) if second else None
        end = E.add_months(again or accept, 2)
        moves, paid_before, t = [], {}, None
        for month in E.months_between(start, end):
            if month == record:
                paid_before = {m: dk.pk for m in PayrollLine.objects.filter(person=p, active=True)
                               .values_list("period_month", flat=True)}
                day = max(moved_on, E.first_day(month))
                t = transfers.record_stop(p, to_commune=hp, moved_on=moved_on, number="1/QĐ", decided_on=day,
                                          user=people["province"])
            if month == accept:
                day = max(t.stop_date, E.first_day(month))
                transfers.accept(t, number="2/QĐ", decided_on=day, user=people["province"])
                p.refresh_from_db()
            if again and month == again:
                # a second move, back to Đông Kinh, on the first of this month (both decisions that day)
                back_on = E.first_day(month)
                t2 = transfers.record_stop(p, to_commune=dk, moved_on=back_on, number="3/QĐ", decided_on=back_on,
                                           user=people["province"])
                transfers.accept(t2, number="4/QĐ", decided_on=back_on, user=people["province"])
                moves.append(R.Move(back_on, hp.pk, dk.pk))
                p.refresh_from_db()
            if province_runs:
                _run(month, province=dk.province_code)
            else:
                _run(month, dk)
                _run(month, hp)
        moves.insert(0, R.Move(moved_on, dk.pk, hp.pk))
        got = {}
        for m, sc in PayrollLine.objects.filter(person=p, active=True).values_list("period_month", "scope_commune"):
            assert m not in got, f"{m} paid twice"
            got[m] = sc
        months = E.months_between(start, end)
        assert got == R.payers(months, moves, already_paid=paid_before)
        assert set(got) == set(months)  # no month unpaid
        transaction.set_rollback(True)


# --------------------------------------------------------------------------- deaths

def test_death_worked_example(people, make_person):
    """Died 15/03/2024, 84 years old (5.5c, coefficient 1.0; standard level 360.000 đ until
    06/2024): March is paid (360.000 đ), April is not; the funeral support is 20 × 360.000 đ =
    7.200.000 đ in cash to whoever organises the funeral, once."""
    from ansinh.registry.deaths import record_death_by_officer
    from ansinh.registry.models import Enrolment, Person

    dk = people["dk"]
    p = make_person(dob=D(1940, 1, 1), enrolments=(("tcxh", "5.5c", "2024-02"),), paid_through="2024-01", unit=dk)
    assert _run("2024-02", dk).summary["total_vnd"] == 360_000
    assert _run("2024-03", dk).summary["total_vnd"] == 360_000
    with pytest.raises(BadInput):
        record_death_by_officer(p, D(2024, 3, 15), people["hp_officer"])  # not Hồng Phong's person
    record_death_by_officer(p, D(2024, 3, 15), people["dk_officer"])
    p = Person.objects.get(pk=p.pk)
    assert (p.status, p.deceased_on) == ("deceased", D(2024, 3, 15))
    assert list(Enrolment.objects.filter(person=p).values_list("end_month", flat=True)) == ["2024-03"]
    run = _run("2024-04", dk)
    assert run.summary["total_vnd"] == 7_200_000
    assert _run("2024-05", dk) is None  # once
    assert _lines(p) == [("2024-02", "tcxh", 360_000, "05977", "cash", "beneficiary"),
                         ("2024-03", "funeral", 7_200_000, "05977", "cash", "organiser"),
                         ("2024-03", "tcxh", 360_000, "05977", "cash", "beneficiary")]
    with pytest.raises(BadInput):
        record_death_by_officer(p, D(2024, 3, 16), people["dk_officer"])  # twice


def test_death_recorded_before_the_month_is_paid(people, make_person):
    """Died 15/03/2024, recorded before March's run: April's run pays March (arrears, 360.000 đ)
    and the funeral support (7.200.000 đ), not April: 7.560.000 đ."""
    from ansinh.registry.deaths import record_death_by_officer

    dk = people["dk"]
    p = make_person(dob=D(1940, 1, 1), enrolments=(("tcxh", "5.5c", "2024-02"),), paid_through="2024-02", unit=dk)
    record_death_by_officer(p, D(2024, 3, 15), people["province"])
    assert _run("2024-04", dk).summary["total_vnd"] == 7_560_000
    assert [(m, prog, a) for m, prog, a, *_ in _lines(p)] == [("2024-03", "funeral", 7_200_000),
                                                               ("2024-03", "tcxh", 360_000)]


def test_dead_person_cannot_move(people, make_person):
    from ansinh.registry import transfers

    p = make_person(unit=people["dk"], deceased_on=D(2025, 1, 2))
    with pytest.raises(BadInput):
        transfers.record_stop(p, to_commune=people["hp"], moved_on=D(2025, 8, 1), number="1",
                              decided_on=D(2025, 8, 2), user=people["dk_officer"])


def test_demo_transfers_one_accepted_one_waiting(people, make_person):
    """`ansinh demo setup`'s two moves (registry.demo.demo_transfers): Hồng Phong → Đông Kinh decided on both
    sides, Đông Kinh → Hồng Phong waiting for Hồng Phong; each commune sees both, may accept only its own;
    a second call makes nothing."""
    from ansinh.registry import transfers
    from ansinh.registry.demo import demo_transfers
    from ansinh.registry.models import Person, TransferStatus

    dk, hp = people["dk"], people["hp"]
    for unit in (dk, hp):
        for _ in range(12):
            make_person(unit=unit, enrolments=(("tcxh", "5.6-severe", "2025-06"),))
    today = D(2026, 12, 5)
    assert demo_transfers(today=today) == 2
    seen = transfers.transfers(people["hp_officer"])
    assert [t.status for t in seen] == [TransferStatus.STOPPED, TransferStatus.ACCEPTED]  # newest first
    waiting, done = seen
    assert (waiting.from_commune_id, waiting.to_commune_id) == (dk.pk, hp.pk)
    assert (done.from_commune_id, done.to_commune_id) == (hp.pk, dk.pk)
    assert Person.objects.get(pk=done.person_id).scope_commune_id == dk.pk
    assert Person.objects.get(pk=waiting.person_id).scope_commune_id == dk.pk  # until Hồng Phong decides
    assert done.stop_decider.short_name == "UBND xã Hồng Phong"
    assert done.start_decider.short_name == "UBND phường Đông Kinh"
    assert all(t.moved_on < t.stop_date <= today for t in seen)
    assert transfers.may_accept(people["hp_officer"], waiting) and not transfers.may_accept(people["dk_officer"],
                                                                                            waiting)
    assert [t.pk for t in transfers.transfers(people["dk_officer"])] == [waiting.pk, done.pk]
    assert demo_transfers(today=today) == 0
