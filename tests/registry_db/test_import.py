"""Import service: every row accounted for, idempotent, all-or-nothing per file, scope."""
from __future__ import annotations

import csv
from collections import Counter

import pytest

from ansinh.core.crypto import decrypt
from ansinh.core.jobs import BadInput
from ansinh.core.roles import OPERATOR
from ansinh.registry import rules
from ansinh.registry.importing.files import import_file, list_files
from ansinh.registry.importing.importer import Importer
from ansinh.registry.models import (
    ChangeLog,
    Enrolment,
    ImportBatch,
    ImportRow,
    IssueStatus,
    PaymentAccount,
    Person,
    QualityIssue,
    RowOutcome,
)
from ansinh.registry.review import fix_issue, residence_choices, resolve_residence, waive_issue
from ansinh.registry.routing import OutsideScope
from ansinh.units.models import AdminUnit, Level

from .conftest import DONG_KINH, KY_LUA, PROVINCE, person_row, registry_counts

pytestmark = pytest.mark.django_db


def current(code: str) -> AdminUnit:
    return AdminUnit.objects.get(code=code, level=Level.COMMUNE, valid_to__isnull=True)


# --------------------------------------------------------------------------- demo lists

def test_demo_lists_every_row_accounted_for(demo_lists):
    files = [f for f in list_files([demo_lists]) if f.name != "ground_truth.csv"]
    assert len(files) == 194
    with open(demo_lists / "ground_truth.csv", encoding="utf-8") as fh:
        truth = Counter(r["file"] for r in csv.DictReader(fh))
    totals = Counter()
    for f in files:
        rep = import_file(f, OPERATOR, province=PROVINCE)
        assert rep["rows"] == rep["imported"] + rep["updated"] + rep["rejected"], f.name
        assert rep["rows"] == truth[f.name], f"{f.name}: the reader lost or invented rows"
        assert rep["commune"] is not None, f"{f.name}: commune of the list not found"
        batch = ImportBatch.objects.get(pk=rep["batch"])
        outcomes = Counter(batch.row_set.values_list("outcome", flat=True))
        assert outcomes == Counter({k: rep[k] for k in ("imported", "updated", "rejected") if rep[k]})
        for k in ("rows", "imported", "updated", "rejected"):
            totals[k] += rep[k]
    assert totals["rows"] == sum(truth.values())
    assert Person.objects.count() == totals["imported"]
    assert Enrolment.objects.count() >= totals["imported"]
    # every rejected row says why; every accepted row points at its person
    assert not ImportRow.objects.filter(outcome=RowOutcome.REJECTED, reasons=[]).exists()
    assert not ImportRow.objects.exclude(outcome=RowOutcome.REJECTED).filter(person__isnull=True).exists()
    # the faults of the generator are found
    rules_seen = set(QualityIssue.objects.values_list("rule", flat=True))
    assert {"ID_GENDER", "ID_BIRTH_YEAR", "CATEGORY_UNMAPPED", "ACCOUNT_FIELDS", "ACCOUNT_MISSING", "RESIDENCE"} <= rules_seen
    # a person listed by two communes is matched by ID and flagged, not duplicated
    assert QualityIssue.objects.filter(rule="DUPLICATE_LISTED").exists()
    ids = list(Person.objects.exclude(id_number=None).values_list("id_number", flat=True))
    assert len(ids) == len(set(ids))


def test_list_of_a_split_commune_goes_to_review(small_list):
    path = small_list([person_row(name="Nông Văn Tám", village="Nà Pàn"),
                       person_row(name="Vi Thị Chín", dob="01/01/1939", gender="Nữ", id_number="020139000999",
                                  village="Khuổi Mò")],
                      commune="XÃ HỒNG PHONG", district="HUYỆN BÌNH GIA")
    rep = import_file(path, OPERATOR, province=PROVINCE)
    assert rep["commune"]["status"] == "ambiguous"  # Xã Hồng Phong (Bình Gia) was split in 2025
    issues = QualityIssue.objects.filter(rule="RESIDENCE", batch_id=rep["batch"])
    assert issues.count() == rep["imported"]
    issue = issues.first()
    assert issue.severity == "warning" and len(issue.details["candidates"]) >= 2
    person = issue.person
    assert person.commune is None and person.residence_unit.code == "06079" and not person.residence_unit.is_current
    choices = residence_choices(person)
    assert {c["id"] for c in issue.details["candidates"] if not c.get("old")} <= {u.pk for u in choices}
    target = choices[0]
    resolve_residence(person, target, OPERATOR)
    person.refresh_from_db()
    issue.refresh_from_db()
    assert person.commune == target and person.scope_commune == target
    assert issue.status == IssueStatus.FIXED
    assert ChangeLog.objects.filter(person=person, field="commune", new__contains=target.code).exists()
    assert set(Enrolment.objects.filter(person=person).values_list("scope_commune_id", flat=True)) == {target.pk}


# --------------------------------------------------------------------------- small files

def test_rejections_with_reasons(small_list):
    path = small_list([
        person_row(),                                                      # imported
        person_row(name="", id_number="020040009999"),                     # no name
        person_row(name="Lê Văn Bình", dob="", id_number=""),              # neither ID nor dob
        person_row(name="Trần Văn Cường", dob="31/02/1940", id_number=""),  # unparseable dob, no ID
        person_row(name="Nguyễn Văn An B", id_number="020040001234"),      # same ID as row 1
        person_row(name="Hoàng Thị Dung", dob="12/12/1941", gender="Nữ", id_number="02014100555"),  # 11 digits
    ])
    rep = import_file(path, OPERATOR, province=PROVINCE)
    assert (rep["rows"], rep["imported"], rep["updated"], rep["rejected"]) == (6, 2, 0, 4)
    reasons = {r["row"]: r["reasons"][0] for r in rep["rejected_rows"]}
    assert reasons[6] == "Thiếu họ tên"
    assert reasons[7].startswith("Không có số định danh/CMND hợp lệ và không có ngày sinh")
    assert reasons[8].startswith("Ngày sinh không đọc được")
    assert reasons[9] == "Trùng số định danh với dòng 5 của cùng tệp"
    dung = Person.objects.get(name_key="HOANG THI DUNG")
    assert dung.id_number is None  # an 11-digit number is not kept as an identifier...
    issue = dung.issues.get(rule="ID_SHAPE")
    # ...but kept for review, encrypted (decision 0025)
    assert issue.severity == "error" and decrypt(issue.details["value"]) == "02014100555"
    assert "02014100555" not in str(issue.details) and "02014100555" not in issue.message
    # the rejected rows keep the original layout
    row = ImportRow.objects.get(batch_id=rep["batch"], row=9)
    assert row.raw[:2] == ["5", "Nguyễn Văn An B"] and row.person is None


def test_values_are_cleaned_and_issues_recorded(small_list):
    path = small_list([person_row(name="NGUYỄN  THỊ  HOÀ", dob="1944", gender="Nam", id_number="020145001234",
                                  category="Đối tượng khác", account="1234 5678 9", bank="Agribank Lạng Sơn",
                                  phone="01682345678")])
    rep = import_file(path, OPERATOR, province=PROVINCE)
    assert rep["imported"] == 1 and rep["unmapped_categories"] == {"Đối tượng khác": 1}
    p = Person.objects.get()
    assert p.full_name == "Nguyễn Thị Hòa" and p.name_key == "NGUYEN THI HOA"
    assert p.dob.year == 1944 and p.dob_precision == "year"
    assert p.phone == "0382345678"
    assert p.commune.code == DONG_KINH and p.scope_commune == p.commune and p.province_code == "20"
    assert p.paid_through == "2024-01"
    acct = PaymentAccount.objects.get(person=p)
    assert acct.account_number == "123456789" and acct.provider == "970405" and acct.holder == "beneficiary"
    rules = dict(QualityIssue.objects.filter(person=p).values_list("rule", "severity"))
    assert rules == {"NAME_NORMALISED": "info", "ID_GENDER": "warning", "ID_BIRTH_YEAR": "warning",
                     "PHONE": "info", "CATEGORY_UNMAPPED": "error"}
    assert rep["issues"] == {k: 1 for k in rules}
    e = Enrolment.objects.get(person=p)
    assert e.category == "" and e.category_label == "Đối tượng khác"


def test_same_file_twice_changes_nothing(small_list):
    path = small_list([person_row(), person_row(name="Lý Thị Ba", dob="02/02/1938", gender="Nữ",
                                                  id_number="020138000111")])
    first = import_file(path, OPERATOR, province=PROVINCE)
    before = registry_counts()
    again = import_file(path, OPERATOR, province=PROVINCE)
    assert again["already_imported"] is True and again["batch"] == first["batch"]
    assert (again["rows"], again["imported"]) == (first["rows"], first["imported"])
    assert registry_counts() == before


def test_next_month_updates_and_keeps_history(small_list):
    import_file(small_list([person_row(phone="0912345678")], name="t1.xlsx"), OPERATOR, province=PROVINCE)
    p = Person.objects.get()
    rep = import_file(small_list([person_row(phone="0987654321", account="999888777", bank="BIDV")],
                                          name="t2.xlsx", period="02 năm 2024"), OPERATOR, province=PROVINCE)
    assert (rep["imported"], rep["updated"], rep["rejected"]) == (0, 1, 0)
    assert Person.objects.count() == 1
    p.refresh_from_db()
    assert p.phone == "0987654321" and p.paid_through == "2024-02"
    log = ChangeLog.objects.get(person=p, model="registry.person", field="phone")
    assert (log.old, log.new, log.source) == ("0912345678", "0987654321", f"import:{rep['batch']}")
    assert ChangeLog.objects.filter(person=p, model="registry.paymentaccount").exists()
    # the account warning of the first import is closed by the second
    issue = QualityIssue.objects.get(person=p, rule="ACCOUNT_MISSING")
    assert issue.status == IssueStatus.FIXED
    assert Enrolment.objects.filter(person=p).count() == 1


def test_matching_without_id_uses_name_dob_commune(small_list):
    import_file(small_list([person_row(id_number="")], name="a.xlsx"), OPERATOR, province=PROVINCE)
    rep = import_file(small_list([person_row(id_number="020040001234")], name="b.xlsx"), OPERATOR, province=PROVINCE)
    assert rep["updated"] == 1 and Person.objects.count() == 1
    assert Person.objects.get().id_number == "020040001234"
    # same name and dob in another commune is another person
    rep = import_file(small_list([person_row(id_number="")], name="c.xlsx", commune="PHƯỜNG KỲ LỪA"), OPERATOR,
                               province=PROVINCE)
    assert rep["imported"] == 1 and Person.objects.count() == 2


def test_failure_midway_leaves_nothing(small_list, monkeypatch):
    path = small_list([person_row(), person_row(name="Lý Thị Ba", dob="02/02/1938", gender="Nữ",
                                                  id_number="020138000111")])
    before = registry_counts()

    def boom(self, rows, enrol_ids):
        assert Person.objects.count() == before["Person"] + 2  # persons were written...
        raise RuntimeError("disk full")

    monkeypatch.setattr(Importer, "_write_issues", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        import_file(path, OPERATOR, province=PROVINCE)
    assert registry_counts() == before  # ...and rolled back with everything else
    monkeypatch.undo()
    rep = import_file(path, OPERATOR, province=PROVINCE)  # the same file imports cleanly afterwards
    assert rep["imported"] == 2 and not rep["already_imported"]


def test_unreadable_file_is_bad_input(tmp_path):
    bad = tmp_path / "notes.csv"
    bad.write_text("hello;world\n1;2\n", encoding="utf-8")
    with pytest.raises(BadInput, match="notes.csv"):
        import_file(bad, OPERATOR)
    assert ImportBatch.objects.count() == 0


# --------------------------------------------------------------------------- scope

def test_commune_officer_imports_only_their_commune(small_list, officer):
    a = officer("dk", DONG_KINH)
    other = small_list([person_row()], name="kyluа.xlsx", commune="PHƯỜNG KỲ LỪA")
    with pytest.raises(OutsideScope):
        import_file(other, user=a)
    assert Person.objects.count() == 0
    # own list; one row lives elsewhere (its address names another commune)
    own = small_list([person_row(), person_row(name="Lăng Văn Tư", dob="01/01/1941", id_number="020041000777",
                                               address="Khối 3, Phường Kỳ Lừa, Lạng Sơn")])
    rep = import_file(own, user=a)
    assert (rep["imported"], rep["rejected"]) == (1, 1)
    assert rep["rejected_rows"][0]["reasons"][0].startswith("Ngoài phạm vi của bạn")
    batch = ImportBatch.objects.get(pk=rep["batch"])
    assert batch.uploaded_by == a and batch.scope_commune.code == DONG_KINH


def test_commune_officer_cannot_update_a_person_of_another_commune(small_list, officer):
    import_file(small_list([person_row()], name="a.xlsx", commune="PHƯỜNG KỲ LỪA"), OPERATOR, province=PROVINCE)
    a = officer("dk", DONG_KINH)
    rep = import_file(small_list([person_row(phone="0912345678")], name="b.xlsx"), user=a)
    # said without naming the commune the person is registered in (see test_id_oracles.py)
    assert rep["rejected"] == 1 and rep["rejected_rows"][0]["reasons"] == [rules.ID_TAKEN_MESSAGE]
    assert Person.objects.get().phone == ""


def test_province_officer_and_auditor(small_list, officer):
    prov = officer("tinh", PROVINCE, role="province_officer")
    rep = import_file(small_list([person_row()], commune="PHƯỜNG KỲ LỪA"), user=prov)
    assert rep["imported"] == 1
    auditor = officer("kt", PROVINCE, role="auditor")
    with pytest.raises(OutsideScope):
        import_file(small_list([person_row()], name="x.xlsx"), user=auditor)


# --------------------------------------------------------------------------- review actions

def test_fix_and_waive_are_recorded(small_list, officer):
    import_file(small_list([person_row(id_number="0200400012", dob="05/03/1940")]), OPERATOR, province=PROVINCE)
    p = Person.objects.get()
    a = officer("dk", DONG_KINH)
    issue = p.issues.get(rule="ID_SHAPE")
    with pytest.raises(BadInput):
        fix_issue(issue, a, "id_number", "123")
    fix_issue(issue, a, "id_number", "020 040 001 234")
    p.refresh_from_db()
    issue.refresh_from_db()
    assert p.id_number == "020040001234"
    assert issue.status == IssueStatus.FIXED and issue.resolved_by == a
    log = ChangeLog.objects.get(person=p, field="id_number")
    assert (log.old, log.new, log.user, log.source) == ("", "020040001234", a, "web")
    acct = p.issues.get(rule="ACCOUNT_MISSING")
    with pytest.raises(BadInput):
        waive_issue(acct, a, "  ")
    waive_issue(acct, a, "Nhận tiền mặt tại xã")
    acct.refresh_from_db()
    assert acct.status == IssueStatus.WAIVED and acct.waived_by == a and acct.reason == "Nhận tiền mặt tại xã"
    assert ChangeLog.objects.filter(model="registry.qualityissue", object_id=acct.pk, new="waived").exists()
    # an officer of another commune may not touch it
    b = officer("kl", KY_LUA)
    dob_issue = QualityIssue.objects.create(person=p, rule="DOB_PLAUSIBLE", severity="warning", message="x",
                                            field="dob", scope_commune=p.scope_commune,
                                            province_code=p.province_code)
    with pytest.raises(OutsideScope):
        fix_issue(dob_issue, b, "dob", "05/03/1940")


def test_fixing_the_id_rechecks_the_rules_that_compare_it(small_list, officer):
    # The list's ID has two wrong digits (female, born 1941) for a man born in 1940.
    import_file(small_list([person_row(id_number="020141001234")]), OPERATOR, province=PROVINCE)
    p = Person.objects.get()
    assert set(p.issues.filter(status=IssueStatus.OPEN).values_list("rule", flat=True)) >= {
        "ID_GENDER", "ID_BIRTH_YEAR"}
    a = officer("dk", DONG_KINH)
    # one digit fixed through the gender issue: the gender now agrees, the year still does not
    fix_issue(p.issues.get(rule="ID_GENDER"), a, "id_number", "020041001234")
    assert p.issues.get(rule="ID_BIRTH_YEAR").status == IssueStatus.OPEN
    # the second digit fixed through the year issue: nothing left open of either rule
    fix_issue(p.issues.get(rule="ID_BIRTH_YEAR"), a, "id_number", "020040001234")
    assert not p.issues.filter(status=IssueStatus.OPEN, rule__in=["ID_GENDER", "ID_BIRTH_YEAR"]).exists()
    # a date of birth "fixed" to a year the ID contradicts opens a new year issue, recorded
    dob_issue = QualityIssue.objects.create(person=p, rule="DOB_PLAUSIBLE", severity="warning", message="x",
                                            field="dob", scope_commune=p.scope_commune,
                                            province_code=p.province_code)
    fix_issue(dob_issue, a, "dob", "05/03/1945")
    reopened = p.issues.get(rule="ID_BIRTH_YEAR", status=IssueStatus.OPEN)
    assert "1940" in reopened.message and "1945" in reopened.message
    assert reopened.scope_commune == p.scope_commune and reopened.details["after_fix"] == "dob"
    assert ChangeLog.objects.filter(model="registry.qualityissue", object_id=reopened.pk, new="open").exists()
    # putting the date back closes it again
    fix_issue(reopened, a, "dob", "05/03/1940")
    assert not p.issues.filter(status=IssueStatus.OPEN, rule__in=["ID_GENDER", "ID_BIRTH_YEAR"]).exists()


def test_fix_category(small_list):
    import_file(small_list([person_row(category="BTXH")]), OPERATOR, province=PROVINCE)
    issue = QualityIssue.objects.get(rule="CATEGORY_UNMAPPED")
    fix_issue(issue, OPERATOR, "category", "5.5c")
    e = Enrolment.objects.get()
    assert e.category == "5.5c" and str(e.coefficient) == "1.00"


def test_unknown_residence_fixed_by_address(small_list, officer):
    rep = import_file(small_list([person_row()], name="ds.xlsx", commune="BAN CHỈ ĐẠO"), OPERATOR, province=PROVINCE)
    assert rep["commune"] is None and rep["issues"]["RESIDENCE"] == 1
    p = Person.objects.get()
    assert p.commune is None and p.province_code == "20"  # still visible to the province
    issue = p.issues.get(rule="RESIDENCE")
    assert issue.severity == "error"
    prov = officer("tinh", PROVINCE, role="province_officer")
    with pytest.raises(BadInput):
        fix_issue(issue, prov, "address_text", "Khối 5")
    fix_issue(issue, prov, "address_text", "Khối 5, Phường Đông Kinh")
    p.refresh_from_db()
    issue.refresh_from_db()
    assert p.commune.code == DONG_KINH and p.scope_commune == p.commune and p.address_text == "Khối 5, Phường Đông Kinh"
    assert issue.status == IssueStatus.FIXED
