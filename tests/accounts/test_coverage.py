"""Coverage on a day, per unit, on the old and the new map; scope; snapshot = live."""
from __future__ import annotations

import datetime as dt

import pytest

from ansinh.accounts import kpi, lists
from ansinh.accounts.snapshots import refresh_snapshots
from ansinh.core.roles import OPERATOR

from .conftest import D, PROVINCE

pytestmark = pytest.mark.django_db


def by_code(units):
    return {u.unit.code: u.as_dict() for u in units if u.counts.beneficiaries}


def test_new_map_communes_on_a_day(town):
    rows = by_code(kpi.coverage(OPERATOR, D(2024, 3, 25), "commune", "new"))
    # p1 (account registered 1/3, confirmed 20/3), p2 (none), p3 (registered 1/2, alive); p5 not yet enrolled
    assert rows["05977"]["beneficiaries"] == 3
    assert rows["05977"]["with_account"] == 2 and rows["05977"]["confirmed"] == 1
    assert rows["05977"]["share"] == 66.7
    assert rows["06187"]["beneficiaries"] == 1 and rows["06187"]["with_account"] == 0
    assert rows["05977"]["target_low"] == 30 and rows["05977"]["target_high"] == 40


def test_deaths_enrolment_start_and_closed_accounts_follow_the_day(town):
    rows = by_code(kpi.coverage(OPERATOR, D(2024, 9, 1), "commune", "new"))
    assert rows["05977"]["beneficiaries"] == 3  # p3 died 1/5, p5 enrolled from 07/2024
    assert rows["05977"]["with_account"] == 1
    assert rows["06187"]["with_account"] == 1  # registered 1/8, closed 1/10
    rows = by_code(kpi.coverage(OPERATOR, D(2024, 10, 1), "commune", "new"))
    assert rows["06187"]["with_account"] == 0
    assert rows["05977"]["target_low"] == 70


def test_old_map_communes_districts_and_province(town):
    old = by_code(kpi.coverage(OPERATOR, D(2024, 3, 25), "commune", "old"))
    assert old["05977"]["name"] == "Phường Vĩnh Trại" and old["05977"]["beneficiaries"] == 2
    assert old["05980"]["beneficiaries"] == 1 and old["05980"]["with_account"] == 0
    districts = kpi.coverage(OPERATOR, D(2024, 3, 25), "district", "old")
    assert len(districts) == 11  # the 11 old districts of Lạng Sơn
    assert sum(u.counts.beneficiaries for u in districts) == 4
    prov = kpi.coverage(OPERATOR, D(2024, 3, 25), "province", "old")
    assert [(u.unit.code, u.counts.beneficiaries, u.counts.with_account) for u in prov] == [("20", 4, 2)]
    new = kpi.coverage(OPERATOR, D(2025, 8, 1), "commune", "new")
    assert len(new) == 65  # the 65 communes of Lạng Sơn from 2025-07-01
    with pytest.raises(kpi.CoverageError):
        kpi.coverage(OPERATOR, D(2025, 8, 1), "district", "new")


def test_scope_commune_officer_sees_only_their_commune(town, officer):
    a = officer("dk_officer", "05977")
    units = kpi.coverage(a, D(2024, 3, 25), "commune", "new")
    assert {u.unit.code for u in units} == {"05977"}
    b = officer("kl_officer", "06187")
    units = kpi.coverage(b, D(2024, 3, 25), "commune", "new")
    assert [(u.unit.code, u.counts.beneficiaries) for u in units] == [("06187", 1)]
    prov = kpi.coverage(b, D(2024, 3, 25), "province", "new")
    assert sum(u.counts.beneficiaries for u in prov) == 1  # a province total of what B may see only


@pytest.mark.parametrize("method", ["scan", "sql", "bits"])
def test_snapshot_gives_the_live_figures(town, method):
    from django.db import connection

    from ansinh.registry.models import Enrolment

    if method == "bits" and connection.vendor != "postgresql":
        with pytest.raises(ValueError, match="PostgreSQL"):
            refresh_snapshots([D(2024, 1, 31)], method="bits")
        return

    # edge cases: died on a snapshot day, account closed on a snapshot day, enrolment ended with an end month
    town["p3"].deceased_on = D(2024, 3, 31)
    town["p3"].save()
    town["p4"].accounts.update(closed_on=D(2024, 9, 30))
    Enrolment.objects.filter(person=town["p2"]).update(status="terminated", end_month="2024-09")
    days = [D(2024, 1, 31), D(2024, 3, 31), D(2024, 8, 31), D(2024, 9, 30), D(2024, 10, 31), D(2024, 12, 31)]
    rep = refresh_snapshots(days, method=method)
    assert rep["days"] == 6 and rep["rows"] > 0 and rep["method"] == method
    for d in days:
        for level, map_ in (("commune", "old"), ("district", "old"), ("commune", "new"), ("province", "new")):
            live = [u.as_dict() for u in kpi.coverage(OPERATOR, d, level, map_)]
            snap = [u.as_dict() for u in kpi.coverage(OPERATOR, d, level, map_, use_snapshot=True)]
            assert live == snap, (d, level, map_)
    series = kpi.series(OPERATOR, days, "province", "new", province=PROVINCE)
    assert [p["with_account"] for p in series] == [0, 1, 2, 1, 1, 1]
    assert [p["beneficiaries"] for p in series] == [4, 3, 4, 4, 3, 3]


def test_people_without_an_account_by_village(town):
    from ansinh.registry.models import QualityIssue

    QualityIssue.objects.create(person=town["p1"], rule="HOLDER_MISMATCH", severity="warning", message="x",
                                scope_commune=town["dong_kinh"], province_code=PROVINCE)
    QualityIssue.objects.create(person=town["p5"], rule="ID_SHAPE", severity="error", message="x",
                                scope_commune=town["dong_kinh"], province_code=PROVINCE)
    rows = lists.people_without(OPERATOR, town["dong_kinh"], D(2024, 8, 1))
    got = {r["person"].full_name: r["missing"] for r in rows}
    assert got == {"Hoàng Văn Ba": ["no_account"], "Vi Văn Năm": ["no_account", "id_problem"],
                   "Nguyễn Thị Đào": ["holder_mismatch"]}
    villages = [v for v, _ in lists.group_by_village(rows)]
    assert villages == ["Khối 1", "Khối 2"]
    assert "Căn cước" in next(r for r in rows if r["missing"] == ["no_account"])["bring"]
    town["p1"].accounts.update(confirmed_on=None, activated_on=None)
    rows = lists.people_without(OPERATOR, town["dong_kinh"], D(2024, 8, 1))
    assert {r["person"].full_name: r["missing"] for r in rows}["Nguyễn Thị Đào"] == ["unconfirmed", "holder_mismatch"]


def test_account_status_on_past_days(town):
    acc = town["p1"].accounts.get()
    assert acc.status_on(D(2024, 2, 1)) is None
    assert acc.status_on(D(2024, 3, 5)) == "registered"
    assert acc.status_on(D(2024, 3, 25)) == "confirmed"
    assert acc.status_on(dt.date.today()) == "active"


def test_set_stage_keeps_history(town):
    from ansinh.accounts.stages import set_stage
    from ansinh.core.jobs import BadInput
    from ansinh.registry.models import ChangeLog

    acc = town["p3"].accounts.get()
    set_stage(acc, "confirmed", D(2024, 2, 10), OPERATOR)
    acc.refresh_from_db()
    assert acc.status == "confirmed" and acc.confirmed_on == D(2024, 2, 10)
    assert ChangeLog.objects.filter(model="registry.paymentaccount", object_id=acc.pk, field="confirmed_on").exists()
    with pytest.raises(BadInput):
        set_stage(acc, "active", D(2024, 1, 1), OPERATOR)


def test_snapshot_methods_agree_on_varied_histories(db):
    """60 persons with random enrolments (ended, terminated, not started), deaths, several
    accounts (closed, confirmed late, activated only, no registration date): every method
    the database offers writes the same snapshot rows."""
    import random

    from django.db import connection

    from ansinh.accounts.models import CoverageSnapshot
    from ansinh.registry.models import Enrolment

    from .conftest import make_account, make_person, new_commune, old_commune

    rnd = random.Random(6)
    units = [(old_commune("05977"), new_commune("05977")), (old_commune("05980"), new_commune("05977")),
             (new_commune("06187"), new_commune("06187"))]
    months = [f"{y}-{m:02d}" for y in (2023, 2024, 2025) for m in range(1, 13)]
    days = [D(2024, 1, 31), D(2024, 2, 29), D(2024, 6, 30), D(2024, 9, 30), D(2024, 12, 31), D(2025, 3, 14),
            D(2025, 7, 31)]
    for i in range(60):
        res, com = rnd.choice(units)
        start = rnd.choice(["", *months])
        end = rnd.choice(["", "", *months])
        died = rnd.choice([None, None, D(2024, 1, 1) + dt.timedelta(days=rnd.randrange(600))])
        p = make_person(100 + i, res, com, start=start, end=end, status=rnd.choice(["active", "active", "terminated"]),
                        village=rnd.choice(["Khối 1", "Khối 2", "Thôn Nà Pàn", ""]),
                        deceased_on=died)
        if rnd.random() < 0.3:
            Enrolment.objects.create(person=p, category="6.2", start_month=rnd.choice(months), end_month="",
                                     status="active", scope_commune=p.scope_commune, province_code=PROVINCE)
        for k in range(rnd.choice([0, 1, 1, 2])):
            reg = D(2023, 12, 1) + dt.timedelta(days=rnd.randrange(600))
            pick = lambda: rnd.choice([None, reg + dt.timedelta(days=rnd.randrange(-3, 90))])  # noqa: E731
            a = make_account(p, reg, pick(), pick(), pick(), number=f"83001234{i:03d}{k:02d}")
            if rnd.random() < 0.1:
                a.registered_on = None
                a.save()

    def rows():
        return sorted(CoverageSnapshot.objects.values_list("day", "residence_unit_id", "commune_id",
                                                           "scope_commune_id", "province_code", "beneficiaries",
                                                           "with_account", "confirmed"))

    methods = ["scan", "sql"] + (["bits"] if connection.vendor == "postgresql" else [])
    got = {}
    for m in methods:
        refresh_snapshots(days, method=m)
        got[m] = rows()
    assert got["scan"] and any(r[6] for r in got["scan"]) and any(r[7] for r in got["scan"])
    for m in methods[1:]:
        assert got[m] == got["scan"], m
    # the village table of the drill-down: from the village snapshot (bits) = counted live (scan)
    from ansinh.accounts.models import CoverageVillage
    from ansinh.accounts.lists import village_table

    communes = [u for pair in units for u in pair]
    refresh_snapshots(days, method="scan")
    assert not CoverageVillage.objects.exists()
    live = {(u.pk, d): village_table(OPERATOR, u, d) for u in communes for d in days}
    assert any(live.values())
    if connection.vendor == "postgresql":
        refresh_snapshots(days, method="bits")
        assert CoverageVillage.objects.filter(day=days[0]).exists()
        assert {(u.pk, d): village_table(OPERATOR, u, d) for u in communes for d in days} == live


def test_series_has_paid_noncash_from_reconciled_payroll(town):
    """Paid without cash per month in the unit time series: persons paid by bank/e-wallet in
    reconciled runs of that month (a draft run or a cash line does not count)."""
    from ansinh.payroll.models import PayrollLine, PayrollRun

    dk = town["dong_kinh"]
    days = [D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31)]
    refresh_snapshots(days)

    def run(period, status, lines):
        r = PayrollRun.objects.create(period=period, status=status, province_code=PROVINCE, scope_commune=dk)
        for p, channel in lines:
            PayrollLine.objects.create(run=r, person=p, programme="tcxh", period_month=period, amount=500_000,
                                       channel=channel, result="paid", scope_commune=p.scope_commune,
                                       province_code=PROVINCE)

    run("2024-04", "reconciled", [(town["p1"], "bank"), (town["p3"], "ewallet"), (town["p2"], "cash")])
    run("2024-05", "reconciled", [(town["p1"], "bank")])
    run("2024-03", "draft", [(town["p1"], "bank")])
    series = kpi.series(OPERATOR, days, "commune", "new", unit_id=dk.pk, province=PROVINCE)
    assert [p["paid_noncash"] for p in series] == [0, 2, 1]
    prov = kpi.series(OPERATOR, days, "province", "new", province=PROVINCE)
    assert [p["paid_noncash"] for p in prov] == [0, 2, 1]
