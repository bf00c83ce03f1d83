"""Bank lists in (real .xlsx/.csv files), the CLI, the pages and the outreach files, the demo story."""
from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.test import Client

from ansinh.accounts.bank_lists import import_bank_list
from ansinh.cli import main
from ansinh.registry.models import AuthorisedPerson, ChangeLog, PaymentAccount, QualityIssue
from ansinh.core.roles import OPERATOR

from .conftest import D, make_person, new_commune, old_commune

pytestmark = pytest.mark.django_db


def bank_xlsx(path, rows, header=("STT", "Họ tên chủ tài khoản", "Số CCCD", "Số tài khoản", "Ngày mở", "Ngân hàng")):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NGÂN HÀNG NÔNG NGHIỆP - DANH SÁCH TÀI KHOẢN ĐÃ MỞ"])
    ws.append(list(header))
    for i, r in enumerate(rows, 1):
        ws.append([i, *r])
    wb.save(path)
    return path


def test_bank_list_links_by_id_checks_holder_and_is_idempotent(town, tmp_path):
    AuthorisedPerson.objects.create(person=town["p2"], full_name="Hoàng Thị Con", name_key="HOANG THI CON")
    f = bank_xlsx(tmp_path / "agribank.xlsx", [
        ["NGUYEN THI DAO", town["p1"].id_number, "8300123456789", "05/03/2024", "Agribank"],   # known: confirm
        ["HOANG THI CON", town["p2"].id_number, "8300999988887", "2024-04-02", "Agribank"],    # authorised holder
        ["TRAN VAN KHAC", town["p5"].id_number, "8300555566667", "10/04/2024", "Agribank"],    # mismatch -> queue
        ["LY THI BON", "020999999999", "8300111122223", "10/04/2024", "Agribank"],             # unknown ID
        ["LY THI BON", town["p4"].id_number, "83001", "10/04/2024", "Agribank"],               # bad number
    ])
    rep = import_bank_list(f, user=OPERATOR)
    assert (rep["rows"], rep["created"], rep["confirmed"], rep["unmatched"], rep["rejected"], rep["holder_mismatch"]) \
        == (5, 2, 0, 1, 1, 1)
    a2 = PaymentAccount.objects.get(person=town["p2"])
    assert a2.holder == "authorised" and a2.registered_on == D(2024, 4, 2) and a2.status == "confirmed"
    assert a2.provider == "970405"
    issue = QualityIssue.objects.get(person=town["p5"], rule="HOLDER_MISMATCH")
    assert issue.status == "open" and issue.scope_commune_id == town["dong_kinh"].pk
    assert ChangeLog.objects.filter(model="registry.paymentaccount", object_id=a2.pk).exists()
    before = (PaymentAccount.objects.count(), QualityIssue.objects.count(), ChangeLog.objects.count())
    rep2 = import_bank_list(f, user=OPERATOR)
    assert rep2["created"] == 0 and rep2["holder_mismatch"] == 0
    assert (PaymentAccount.objects.count(), QualityIssue.objects.count(), ChangeLog.objects.count()) == before


def test_bank_list_confirms_a_registered_account(town, tmp_path):
    f = tmp_path / "vbsp.csv"
    f.write_text("Ho ten,CCCD,So tai khoan,Ngay\nNGUYEN THI DAO,%s,8300123456789,15/02/2024\n" % town["p3"].id_number,
                 encoding="utf-8")
    rep = import_bank_list(f, user=OPERATOR, provider="Agribank")
    assert rep["confirmed"] == 1
    acc = PaymentAccount.objects.get(person=town["p3"])
    assert acc.confirmed_on == D(2024, 2, 15) and acc.status_on(D(2024, 2, 20)) == "confirmed"


def test_bank_list_without_header_is_bad_input(town, tmp_path):
    from ansinh.core.jobs import BadInput

    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BadInput, match="dòng 1, tiêu đề"):
        import_bank_list(f, user=OPERATOR)


def run(capsys, *args):
    rc = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_coverage_json(town, capsys):
    rc, out, _ = run(capsys, "accounts", "coverage", "--as-of", "2024-03-25", "--level", "district", "--json")
    assert rc == 0
    rows = json.loads(out)
    assert len(rows) == 11
    assert set(rows[0]) == {"code", "name", "beneficiaries", "with_account", "confirmed", "paid_noncash", "share",
                            "target_low", "target_high"}
    city = next(r for r in rows if r["beneficiaries"])
    assert city["beneficiaries"] == 4 and city["with_account"] == 2 and city["share"] == 50.0
    rc, out, _ = run(capsys, "accounts", "coverage", "--as-of", "2025-08-01", "--level", "commune", "--json")
    assert len(json.loads(out)) == 65  # the new map by default after 2025-07-01
    rc, _, err = run(capsys, "accounts", "coverage", "--as-of", "2025-08-01", "--level", "district", "--map", "new")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    rc, _, err = run(capsys, "accounts", "coverage", "--as-of", "31/12/2024")
    assert rc == 2 and "--as-of" in err


def test_cli_accounts_import(town, tmp_path, capsys):
    f = bank_xlsx(tmp_path / "b.xlsx", [["HOANG VAN BA", town["p2"].id_number, "1012345678", "01/06/2024",
                                         "Vietcombank"]])
    rc, out, _ = run(capsys, "accounts", "import", f, "--json")
    assert rc == 0 and json.loads(out)["created"] == 1
    rc, _, err = run(capsys, "accounts", "import", tmp_path / "missing.xlsx", "--json")
    assert rc == 2 and "not found" in err


def test_cli_accounts_refresh_json_and_progress(town, capsys, monkeypatch):
    from ansinh.accounts.models import CoverageSnapshot

    rc, out, _ = run(capsys, "accounts", "refresh", "--json")
    assert rc == 0 and CoverageSnapshot.objects.exists()
    assert json.loads(out)  # the refresh report, machine-readable
    monkeypatch.setenv("ANSINH_PROGRESS", "1")  # the bar on stderr, as on a terminal
    rc, _, err = run(capsys, "accounts", "refresh")
    assert rc == 0
    import re
    # the bar's "done/total elapsed" columns (its description may be a dd/mm/yyyy day): it reached its end
    done = re.search(r"(\d+)/(\d+) \d+:\d\d:\d\d", err)
    assert done and done.group(1) == done.group(2) and int(done.group(2)) >= 12


def test_pages_drill_down_and_outreach_files(town, officer):
    from ansinh.accounts.snapshots import refresh_snapshots

    refresh_snapshots([D(2024, 3, 31), D(2024, 6, 30)])
    officer("tinh_t", "20", role="province_officer")
    c = Client()
    assert c.login(username="tinh_t", password="Mk-thu-nghiem-2024")
    r = c.get("/accounts/?month=2024-06&map=old")
    assert r.status_code == 200
    body = r.content.decode()
    assert "Phường Vĩnh Trại" in body and 'id="coverage-map"' in body and "Huyện" in body
    r = c.get("/accounts/?map=new")
    assert r.status_code == 200 and "Phường Đông Kinh" in r.content.decode()
    dk = town["dong_kinh"]
    r = c.get(f"/accounts/units/{dk.pk}/?month=2024-06")
    assert r.status_code == 200 and "Hoàng Văn Ba" in r.content.decode()
    r = c.get(f"/accounts/units/{dk.pk}/outreach.xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    names = [row[2] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert "Hoàng Văn Ba" in names and "Nguyễn Thị Đào" not in names
    r = c.get(f"/accounts/units/{dk.pk}/outreach.pdf?village=Khối 1")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = c.get(f"/accounts/units/{old_commune('05977').pk}/")
    assert r.status_code == 200


def test_drill_down_pages_by_village_when_the_list_is_long(town, officer, monkeypatch):
    from ansinh.accounts import lists as selectors
    from ansinh.accounts import views

    dk = town["dong_kinh"]
    # 08/2024 in Đông Kinh: Hoàng Văn Ba and Vi Văn Năm (Khối 1) have no account
    assert selectors.village_counts(OPERATOR, dk, D(2024, 8, 1)) == [("Khối 1", 2)]
    page2 = selectors.people_without(OPERATOR, dk, D(2024, 8, 1), village="Khối 1", limit=1, offset=1)
    assert [r["person"].full_name for r in page2] == ["Vi Văn Năm"]
    officer("tinh_p", "20", role="province_officer")
    c = Client()
    assert c.login(username="tinh_p", password="Mk-thu-nghiem-2024")
    monkeypatch.setattr(views, "PAGE", 1)
    body = c.get(f"/accounts/units/{dk.pk}/?month=2024-08").content.decode()
    assert 'id="village-table"' in body and "Trang 1/2" in body
    assert "Hoàng Văn Ba" in body and "Vi Văn Năm" not in body
    body = c.get(f"/accounts/units/{dk.pk}/?month=2024-08&village=Khối 1&page=2").content.decode()
    assert "Vi Văn Năm" in body and "Hoàng Văn Ba" not in body
    monkeypatch.setattr(views, "PAGE", 200)
    body = c.get(f"/accounts/units/{dk.pk}/?month=2024-08").content.decode()
    assert 'id="people-pages"' not in body and "Hoàng Văn Ba" in body and "Vi Văn Năm" in body
    assert selectors.count_without(OPERATOR, dk, D(2024, 8, 1)) == 2
    table = selectors.village_table(OPERATOR, dk, D(2024, 8, 1))
    assert [(r["village"], r["beneficiaries"], r["confirmed"], r["unconfirmed"]) for r in table] == [
        ("Khối 1", 2, 0, 2), ("Khối 2", 1, 1, 0)]


def test_unit_outside_scope_is_404(town, officer):
    officer("kl_o", "06187")
    c = Client()
    assert c.login(username="kl_o", password="Mk-thu-nghiem-2024")
    assert c.get(f"/accounts/units/{town['dong_kinh'].pk}/").status_code == 404
    assert c.get(f"/accounts/units/{town['dong_kinh'].pk}/outreach.xlsx").status_code == 404
    r = c.get("/accounts/")
    assert r.status_code == 200 and "Phường Đông Kinh" not in r.content.decode()


def test_demo_setup_tells_the_2024_story(db, settings):
    from ansinh.accounts import kpi as selectors
    from ansinh.accounts.demo import demo_setup
    from ansinh.units.models import AdminUnit

    settings.ANSINH_DEMO = True  # a demo installation: the story rewrites enrolments and accounts
    communes = list(AdminUnit.objects.filter(level=3, province_code="20", valid_to__isnull=False).order_by("code"))
    news = {c.pk: new_commune("05977") for c in communes[:1]}
    for i in range(800):
        old = communes[i % 40]
        make_person(i, old, news.get(old.pk), start="2024-03" if i % 2 else "")
    rep = demo_setup(today=D(2025, 1, 15))
    again = demo_setup(today=D(2025, 1, 15))
    assert again["accounts"] == 0 and rep["accounts"] == PaymentAccount.objects.count()  # idempotent
    def share(d):
        return selectors.total(selectors.coverage(OPERATOR, d, "province", "old", use_snapshot=True), d)["share"]
    jan, jun, dec = share(D(2024, 1, 31)), share(D(2024, 6, 30)), share(D(2024, 12, 31))
    assert 1 <= jan <= 6 and 28 <= jun <= 42 and 68 <= dec <= 85, (jan, jun, dec)
    shares = [u.share for u in selectors.coverage(OPERATOR, D(2024, 12, 31), "commune", "old", use_snapshot=True)
              if u.counts.beneficiaries]
    assert min(shares) < 70 < max(shares)  # some communes lag behind the target
    assert not PaymentAccount.objects.filter(registered_on__gt=dt.date(2025, 1, 15)).exists()


def test_api_coverage_is_scoped(town, officer):
    officer("kl_api", "06187")
    c = Client()
    assert c.login(username="kl_api", password="Mk-thu-nghiem-2024")
    r = c.get("/api/accounts/coverage?as_of=2024-09-01&level=commune&map=new")
    assert r.status_code == 200
    assert [(u["code"], u["beneficiaries"], u["with_account"]) for u in r.json()] == [("06187", 1, 1)]
    assert c.get("/api/accounts/coverage?level=district&map=new").status_code == 422


def test_drill_down_page_past_the_end_shows_the_last_page(town, officer, monkeypatch):
    from ansinh.accounts import views

    dk = town["dong_kinh"]
    officer("tinh_q", "20", role="province_officer")
    c = Client()
    assert c.login(username="tinh_q", password="Mk-thu-nghiem-2024")
    monkeypatch.setattr(views, "PAGE", 1)
    body = c.get(f"/accounts/units/{dk.pk}/?month=2024-08&village=Khối 1&page=9").content.decode()
    assert "Trang 2/2" in body and "Vi Văn Năm" in body
