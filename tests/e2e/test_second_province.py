"""A second province end to end: a Cao Bằng installation (`ansinh init --province 04`) generates
Cao Bằng commune lists, imports them, pays a month under two pairs of eyes, reports coverage,
runs an outreach letter and shows its pages to its own officers, and nothing they see names
Lạng Sơn. No command is given a province: the installation serves one.

Runs on the test database (SQLite, or PostgreSQL with DATABASE_URL)."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db.models import Count, Sum

from ansinh.cli import main

pytestmark = pytest.mark.django_db

PASSWORD = "Mk-thu-nghiem-2024"
CAO_BANG = "04"
PEOPLE = 240
# How Lạng Sơn could show on a page: name in any case, with or without diacritics.
LANG_SON = re.compile(r"l[aạ]ng\s+s[oơ]n", re.IGNORECASE)


def _json_out(capsys) -> object:
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def _visible_text(html: str) -> str:
    """What a person sees: the page without scripts, styles and tags."""
    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def _page(client, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    text = r.content.decode()
    assert not LANG_SON.search(text), (url, LANG_SON.search(text).group(0))
    return _visible_text(text)


def test_cao_bang_installation_end_to_end(tmp_path, capsys, client, settings):
    from ansinh.accounts.kpi import coverage
    from ansinh.core.selectors import installation_province, province_for
    from ansinh.core.services import upsert_user
    from ansinh.payroll.models import PayrollLine, PayrollRun, RunStatus
    from ansinh.registry.models import Person
    from ansinh.units.models import AdminUnit, Level

    # -- the installation serves Cao Bằng
    assert main(["init", "--province", CAO_BANG, "--json"]) == 0
    assert _json_out(capsys)["provinces"] == [CAO_BANG]
    assert installation_province() == CAO_BANG and province_for(None) == CAO_BANG

    # -- Cao Bằng's lists (made-up data: a demo command), without naming the province
    settings.ANSINH_DEMO = True
    lists = tmp_path / "lists"
    assert main(["demo", "data", "--people", str(PEOPLE), "--seed", "4", "--out", str(lists), "--json"]) == 0
    summary = _json_out(capsys)
    assert summary["province_code"] == CAO_BANG and summary["people"] == PEOPLE
    (lists / "ground_truth.csv").rename(tmp_path / "ground_truth.csv")
    old_communes = set(AdminUnit.objects.filter(province_code=CAO_BANG, level=Level.COMMUNE,
                                                valid_to__isnull=False).values_list("code", flat=True))
    files = sorted(lists.iterdir())
    assert len(files) == summary["files"] > 100  # one list per pre-2025 commune of Cao Bằng (161)
    assert all(f.name.split("_")[1] in old_communes for f in files)

    # -- import (the province settling namesakes is the installation's)
    assert main(["registry", "import", str(lists), "--paid-through", "2024-10", "--json"]) == 0
    report = _json_out(capsys)
    assert not [f for f in report["files"] if f.get("error")], report
    persons = Person.objects.all()
    assert persons.count() >= PEOPLE * 0.95
    assert set(persons.values_list("province_code", flat=True)) == {CAO_BANG}
    assert not persons.exclude(scope_commune__province_code=CAO_BANG).exclude(scope_commune__isnull=True).exists()

    # -- the province's officers and a commune officer of its busiest current commune
    tinh = upsert_user("cb_tinh", PASSWORD, roles=["province_officer"], unit_codes=[CAO_BANG], full_name="Cán bộ tỉnh")
    duyet = upsert_user("cb_pheduyet", PASSWORD, roles=["approver"], unit_codes=[CAO_BANG])
    busiest = (persons.filter(scope_commune__valid_to__isnull=True).values("scope_commune")
               .annotate(n=Count("id")).order_by("-n").first())
    commune = AdminUnit.objects.get(pk=busiest["scope_commune"])
    xa = upsert_user("cb_xa", PASSWORD, roles=["commune_officer"], unit_codes=[commune.code])
    assert province_for(tinh) == CAO_BANG and province_for(xa) == CAO_BANG

    # -- payroll for November 2024: no --province; the maker cannot approve, another user does
    assert main(["payroll", "generate", "--period", "2024-11", "--as", "cb_tinh", "--json"]) == 0
    made = _json_out(capsys)
    run = PayrollRun.objects.get(pk=made["run"])
    assert run.province_code == CAO_BANG and run.scope_commune is None
    lines = PayrollLine.objects.filter(run=run)
    assert made["lines"] == lines.count() > PEOPLE * 0.8
    total = lines.aggregate(s=Sum("amount"))["s"]
    assert made["total_vnd"] == total > 0
    assert set(lines.values_list("province_code", flat=True)) == {CAO_BANG}
    assert main(["payroll", "approve", str(run.pk), "--as", "cb_tinh"]) == 2  # maker-checker
    capsys.readouterr()
    assert main(["payroll", "approve", str(run.pk), "--as", "cb_pheduyet", "--json"]) == 0
    assert _json_out(capsys)["status"] == "approved"
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED and run.approved_by == duyet

    # -- coverage: the installation's province only, its figures
    assert main(["coverage", "--level", "province", "--as-of", "2024-11-30", "--json"]) == 0
    cov = _json_out(capsys)
    assert [r["code"] for r in cov] == [CAO_BANG]
    prov_cov = coverage(tinh, dt.date(2024, 11, 30), "province", "old")
    assert [u.unit.province_code for u in prov_cov] == [CAO_BANG]
    assert cov[0]["beneficiaries"] == prov_cov[0].counts.beneficiaries > PEOPLE * 0.8

    # -- outreach: the province's department writes to the commune; the letter is dated in Cao Bằng
    from ansinh.core.models import Organisation, OrgKind
    from ansinh.outreach import services as outreach

    province_unit = AdminUnit.objects.get(code=CAO_BANG, level=Level.PROVINCE, valid_to__isnull=True)
    dept = Organisation.objects.create(name="Sở Y tế tỉnh Cao Bằng", short_name="Sở Y tế", symbol="SYT",
                                       kind=OrgKind.DEPARTMENT, unit=province_unit, province_code=CAO_BANG,
                                       functions=["social_protection"])
    ubnd = Organisation.objects.create(name=f"Ủy ban nhân dân {commune.name.lower()}", symbol="UBND",
                                       kind=OrgKind.PEOPLES_COMMITTEE, unit=commune, province_code=CAO_BANG,
                                       functions=["decides_allowance"])
    tinh.profile.organisation = dept
    tinh.profile.save()
    topics = list(outreach.ensure_topics().values())
    letter = outreach.create_directive(
        dept, symbol="SYT-BTXH", subject="tuyên truyền chi trả an sinh xã hội không dùng tiền mặt", user=tinh,
        date=dt.date(2024, 12, 2), recipients=[(ubnd, "")], topics=topics[:1],
        tasks=[{"recipient": ubnd, "description": "Tuyên truyền trên loa truyền thanh xã",
                "due_date": dt.date(2024, 12, 31)}])
    assert letter.place == "Cao Bằng" and letter.province_code == CAO_BANG

    # -- pages as the province officer: nothing names Lạng Sơn; the figures are Cao Bằng's
    client.force_login(tinh)
    home = _page(client, "/")
    assert "Cao Bằng" in home
    assert f"{persons.count():,}".replace(",", ".") in _page(client, "/registry/")
    run_page = _page(client, f"/payroll/runs/{run.pk}/")
    assert f"{total:,}".replace(",", ".") in run_page
    _page(client, "/payroll/")
    _page(client, "/accounts/?month=2024-11")
    _page(client, "/accounts/targets/")
    _page(client, "/outreach/")
    _page(client, f"/outreach/directives/{letter.pk}/")
    assert "Cao Bằng" in _page(client, "/outreach/directives/new/")  # the place of a new letter
    _page(client, "/outreach/effect/?start=01/01/2024&end=31/12/2024")
    _page(client, "/jobs/")

    # -- pages as the commune officer: their commune's people only
    client.force_login(xa)
    _page(client, "/")
    mine = persons.filter(scope_commune=commune).count()
    assert f"{mine:,}".replace(",", ".") in _page(client, "/registry/")
    _page(client, "/accounts/")
    _page(client, f"/accounts/units/{commune.pk}/")
    _page(client, "/payroll/")

    # -- the web payroll page takes the province from its officer (no field for it)
    client.force_login(tinh)
    r = client.post("/payroll/generate/", {"period": "2024-12"})
    assert r.status_code == 302 and "/jobs/" in r["Location"]
    from ansinh.core.models import Job

    assert Job.objects.filter(kind="payroll.generate").latest("created_at").province_code == CAO_BANG


def test_commands_ask_when_the_installation_serves_no_single_province(capsys, settings):
    """No province said, or two: a command that needs one asks (exit 2, one line), never guesses."""
    from ansinh.core.services import set_served_provinces, upsert_user

    settings.ANSINH_DEMO = True  # `demo data` writes made-up lists: a demo command
    upsert_user("op_tinh", PASSWORD, roles=["province_officer"], unit_codes=[CAO_BANG])
    set_served_provinces([])
    for args in (["demo", "data", "--people", "5", "--out", "/nonexistent"],
                 ["payroll", "generate", "--period", "2024-07", "--as", "op_tinh"]):
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "province" in err[0]
    set_served_provinces([CAO_BANG, "11"])  # Cao Bằng and Điện Biên
    assert main(["demo", "data", "--people", "5", "--out", "/nonexistent"]) == 2
    capsys.readouterr()
    assert main(["init", "--province", "99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "99" in err[0]
