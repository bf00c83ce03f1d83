"""Who may produce which report: a commune officer their commune only (selector, page, file, CLI);
the province officer and the auditor the province; kept reports follow the scope."""
from __future__ import annotations

import pytest
from django.test import Client

from ansinh.reports import selectors as S
from ansinh.reports.periods import parse_period

JUNE = parse_period("2024-06")
PW = "Mk-thu-nghiem-2024"


def _client(user):
    c = Client()
    assert c.login(username=user.username, password=PW)
    return c


def test_commune_officer_gets_their_commune_only(town, users):
    officer = users["dongkinh"]
    r = S.build("progress", officer, JUNE, None, "new")  # no unit: their commune
    assert r.unit_label == "Phường Đông Kinh" and r.figures["total"]["beneficiaries"] == 2
    assert [row["name"] for row in r.tables[1].rows] == ["Phường Đông Kinh"]
    old = S.build("progress", officer, JUNE, None, "old")  # the old communes that became it
    assert old.figures["total"]["beneficiaries"] == 2
    assert {row["name"] for row in old.tables[1].rows} >= {"Phường Vĩnh Trại", "Phường Đông Kinh"}
    for code, map_ in (("06187", "new"), ("20", "new"), ("20", "old")):
        with pytest.raises(S.OutOfScope):
            S.build("progress", officer, JUNE, code, map_)
    for code in ("payroll", "cleaning"):
        with pytest.raises(S.OutOfScope):
            S.build(code, officer, JUNE, "06187", "new")
    # the other commune's officer sees Kỳ Lừa's cash payment, not Đông Kinh's figures
    other = S.build("payroll", users["kyluatv"], JUNE, None, "new")
    assert other.figures["total"]["lines"] == 1 and other.figures["total"]["paid_amount"] == 1_000_000


def test_pages_and_files(town, users):
    c = _client(users["dongkinh"])
    r = c.get("/reports/", {"report": "progress", "period": "2024-06", "map": "new"})
    assert r.status_code == 200 and "Phường Đông Kinh" in r.content.decode()
    assert c.get("/reports/", {"report": "progress", "period": "2024-06", "map": "new", "unit": "06187"}).status_code == 403
    assert c.get("/reports/file.xlsx", {"report": "progress", "period": "2024-06", "map": "new",
                                        "unit": "06187"}).status_code == 403
    assert c.get("/reports/file.docx", {"report": "progress", "period": "2024-06", "map": "new",
                                        "unit": "20"}).status_code == 403
    f = c.get("/reports/file.xlsx", {"report": "progress", "period": "2024-06", "map": "new"})
    assert f.status_code == 200 and f["Content-Disposition"].startswith("attachment")
    assert f["X-Content-Type-Options"] == "nosniff"
    for who in ("tinh", "kiemtoan"):
        page = _client(users[who]).get("/reports/", {"report": "progress", "period": "2024-06", "map": "old",
                                                     "rows": "district"})
        assert page.status_code == 200 and "Thành phố Lạng Sơn" in page.content.decode()
    assert c.get("/reports/", {"report": "progress", "period": "2024-13"}).status_code == 200  # says so
    assert Client().get("/reports/").status_code == 302  # not signed in


def test_cli(town, users, tmp_path, capsys):
    import json

    from ansinh.cli import main
    from ansinh.core.services import set_served_provinces

    assert main(["report", "progress", "--period", "2024-06"]) == 2  # which province? asked, never guessed
    assert "tỉnh" in capsys.readouterr().err
    set_served_provinces(["20"])
    out = tmp_path / "r.xlsx"
    assert main(["report", "progress", "--period", "2024-06", "--map", "new", "--format", "xlsx", "-o", str(out),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["figures"]["total"]["beneficiaries"] == 3 and out.read_bytes()[:2] == b"PK"
    assert main(["report", "progress", "--period", "2024-06", "--unit", "06187", "--map", "new",
                 "--as", "r_dongkinh"]) == 2
    assert "phạm vi" in capsys.readouterr().err
    assert main(["report", "progress", "--period", "2024-13"]) == 2
    assert main(["report", "payroll", "--period", "2024-06", "--format", "odt", "-o", str(out)]) == 2
    assert main(["report", "cleaning", "--period", "2024", "--map", "new", "--rows", "district"]) == 2


def test_kept_reports_follow_the_scope(town, users):
    from ansinh.reports import outputs, services

    r = S.build("progress", users["dongkinh"], JUNE, None, "new")
    data = outputs.render(r, "xlsx")
    k = services.keep(r, "xlsx", data, user=users["dongkinh"])
    assert k.sha256 == services.sha256(data) and k.scope_commune == town["dk"]
    assert _client(users["dongkinh"]).get(f"/reports/kept/{k.pk}/").content == data
    assert _client(users["tinh"]).get(f"/reports/kept/{k.pk}/").status_code == 200
    assert _client(users["kyluatv"]).get(f"/reports/kept/{k.pk}/").status_code == 404
