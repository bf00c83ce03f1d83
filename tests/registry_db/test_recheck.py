"""Issue 12: a review queue that stays true. An open issue whose condition no longer holds closes
itself, with history, from every path that changes the data (ansinh.registry.recheck): the
set-based SQL selects exactly what the pure rule says, and recording an account through a bank
list, a fix in the review queue or an import closes the person's "no account number" issue."""
from __future__ import annotations

import datetime as dt
import random

import openpyxl
import pytest

from ansinh.core.roles import OPERATOR
from ansinh.registry import recheck, rules
from ansinh.registry.importing.files import import_file
from ansinh.registry.models import (
    AccountApproval,
    AccountStatus,
    ChangeLog,
    Enrolment,
    EnrolmentStatus,
    IssueStatus,
    PaymentAccount,
    Person,
    QualityIssue,
)

from .conftest import DONG_KINH, PROVINCE, person_row

pytestmark = pytest.mark.django_db

FAILED = dt.datetime(2024, 7, 25, 8, 0, tzinfo=dt.UTC)
RULES = (*recheck.RECHECKED, "DUPLICATE_LISTED", "DOB_PLAUSIBLE", "ID_TAKEN")


def _random_people(n: int, seed: int = 7):
    from ansinh.core.services import current_unit

    unit = current_unit(DONG_KINH)
    rnd = random.Random(seed)
    codes = list(rules.PROVINCE_ID_CODES)
    people, accounts, enrolments, issues = [], [], [], []
    for i in range(n):
        def ident():
            kind = rnd.choice(["none", "good", "unknown_prefix", "short"])
            if kind == "none":
                return None
            prefix = rnd.choice(codes) if kind != "unknown_prefix" else "999"
            digits = f"{prefix}{rnd.randint(0, 3)}{rnd.randint(0, 99):02d}{i:06d}"
            return digits[:11] if kind == "short" else digits
        people.append(Person(
            full_name=rnd.choice(["", "Nguyễn Văn A"]), name_key="X", id_number=ident(),
            legacy_cmnd=rnd.choice([None, "", f"{i:09d}"]), gender=rnd.choice([None, "M", "F"]),
            dob=rnd.choice([None, dt.date(rnd.randint(1925, 2024), rnd.randint(1, 12), 1)]),
            phone=rnd.choice(["", "0912345678"]), commune=rnd.choice([None, unit]),
            residence_unit=rnd.choice([None, unit]), scope_commune=unit, province_code=unit.province_code))
    Person.objects.bulk_create(people)
    for i, p in enumerate(people):
        for _ in range(rnd.randint(0, 2)):
            accounts.append(PaymentAccount(
                person=p, account_number=f"{i}{len(accounts)}", approval=rnd.choice(list(AccountApproval.values)),
                status=rnd.choice(list(AccountStatus.values)), closed_on=rnd.choice([None, dt.date(2024, 1, 1)]),
                # ACCOUNT_FAILED: refused in payment (failed_at), approved again after it or not
                provider=rnd.choice([None, "970405"]), failed_at=rnd.choice([None, FAILED]),
                approved_at=rnd.choice([None, FAILED - dt.timedelta(days=1), FAILED + dt.timedelta(days=1)])))
        for _ in range(rnd.randint(0, 2)):
            enrolments.append(Enrolment(person=p, category=rnd.choice(["", "5.5", "5.6", "5.6-severe"]),
                                        status=rnd.choice(list(EnrolmentStatus.values))))
        for rule in rnd.sample(RULES, 5):
            details = {"code": rnd.choice(["5.6", "5.5"])} if rule == "CATEGORY_INCOMPLETE" and rnd.random() < .8 else {}
            issues.append(QualityIssue(person=p, rule=rule, severity="warning", message="x", details=details,
                                       status=rnd.choice([IssueStatus.OPEN] * 4 + [IssueStatus.WAIVED]),
                                       scope_commune=unit, province_code=unit.province_code))
    PaymentAccount.objects.bulk_create(accounts)
    Enrolment.objects.bulk_create(enrolments)
    QualityIssue.objects.bulk_create(issues)
    return people


def test_set_based_sql_selects_exactly_what_the_pure_rule_says():
    people = _random_people(400)
    ids = [p.pk for p in people]
    facts = recheck.person_facts(ids)
    expected = {i.pk for i in QualityIssue.objects.filter(status=IssueStatus.OPEN)
                if not recheck.holds(i.rule, i.details, facts[i.person_id])}
    got = {row[0] for row in recheck.stale_issues(ids)}
    assert got == expected
    assert got == {row[0] for row in recheck.stale_issues(None)}
    # every rule closes some and keeps some (the random states cover both sides)
    opened = QualityIssue.objects.filter(status=IssueStatus.OPEN)
    for rule in recheck.RECHECKED:
        of_rule = set(opened.filter(rule=rule).values_list("pk", flat=True))
        assert of_rule & got and of_rule - got, rule
    assert set(opened.filter(rule="ID_TAKEN").values_list("pk", flat=True)).isdisjoint(got)  # routed: kept
    # closing writes the status, the reason and one history row each; a second run closes nothing
    n = recheck.recheck_persons(ids, user=None, source="test")
    assert n == len(expected)
    fixed = QualityIssue.objects.filter(pk__in=expected)
    assert set(fixed.values_list("status", flat=True)) == {IssueStatus.FIXED}
    assert all(r.startswith("Tự đóng") for r in fixed.values_list("reason", flat=True))
    assert ChangeLog.objects.filter(model="registry.qualityissue", object_id__in=expected, field="status",
                                    old="open", new="fixed", source="test").count() == n
    assert recheck.recheck_persons(ids, user=None, source="test") == 0


# --------------------------------------------------------------------------- each path closes it


def _missing_account(small_list, name="a.xlsx", **row):
    import_file(small_list([person_row(**row)], name=name), OPERATOR, province=PROVINCE)
    p = Person.objects.get(id_number=row.get("id_number", "020040001234"))
    issue = QualityIssue.objects.get(person=p, rule="ACCOUNT_MISSING")
    assert issue.status == IssueStatus.OPEN and issue.severity == "warning"
    assert not QualityIssue.objects.filter(person=p, rule="ACCOUNT_FIELDS").exists()  # nothing else missing
    return p, issue


def _closed_with_history(issue, source: str, user=None, reason=recheck.REASONS["ACCOUNT_MISSING"]) -> None:
    issue.refresh_from_db()
    assert issue.status == IssueStatus.FIXED and issue.reason == reason
    assert issue.resolved_by == user
    log = ChangeLog.objects.get(model="registry.qualityissue", object_id=issue.pk, field="status")
    assert (log.old, log.new, log.source, log.user) == ("open", "fixed", source, user)


def test_a_bank_list_closes_the_missing_account_issue(small_list, tmp_path):
    from ansinh.accounts.bank_lists import import_bank_list

    p, issue = _missing_account(small_list)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NGÂN HÀNG NÔNG NGHIỆP - DANH SÁCH TÀI KHOẢN ĐÃ MỞ"])
    ws.append(["STT", "Họ tên chủ tài khoản", "Số định danh", "Số tài khoản", "Ngày mở"])
    ws.append([1, "NGUYEN VAN AN", p.id_number, "8300111122223", "03/06/2024"])
    path = tmp_path / "agribank.xlsx"
    wb.save(path)
    rep = import_bank_list(path, user=OPERATOR, provider="970405", refresh=False)
    assert rep["created"] == 1
    _closed_with_history(issue, "bank:agribank.xlsx")


def test_a_fix_in_the_review_queue_closes_it(small_list, officer):
    from ansinh.registry.review import add_account

    p, issue = _missing_account(small_list)
    user = officer("xa_fix", DONG_KINH)
    add_account(issue, user, "970405", "8300 1111 22223")
    acc = PaymentAccount.objects.get(person=p)
    assert (acc.account_number, acc.approval, acc.made_by) == ("8300111122223", "pending", user)
    assert ChangeLog.objects.filter(model="registry.paymentaccount", object_id=acc.pk, user=user).exists()
    _closed_with_history(issue, "web", user)


def test_the_web_fix_form_records_the_account(small_list, officer):
    from django.test import Client

    p, issue = _missing_account(small_list)
    officer("xa_web", DONG_KINH)
    c = Client()
    assert c.login(username="xa_web", password="Mk-thu-nghiem-2024")
    page = c.get("/registry/review/?rule=ACCOUNT_MISSING").content.decode()
    assert f'action="/registry/issues/{issue.pk}/account/"' in page
    r = c.post(f"/registry/issues/{issue.pk}/account/", {"provider": "970405", "number": "12"},
               HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "role=\"alert\"" in r.content.decode()  # refused: too short
    r = c.post(f"/registry/issues/{issue.pk}/account/", {"provider": "970405", "number": "8300111122223"})
    assert r.status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.FIXED and PaymentAccount.objects.filter(person=p).count() == 1


def test_an_import_closes_it(small_list):
    p, issue = _missing_account(small_list)
    rep = import_file(small_list([person_row(account="999888777", bank="BIDV")], name="b.xlsx",
                                 period="02 năm 2024"), OPERATOR, province=PROVINCE)
    assert rep["updated"] == 1
    # the importer re-reads the row's rules itself (the same pure check) and closes it with history
    _closed_with_history(issue, f"import:{rep['batch']}", reason="Đã đúng trong tệp b.xlsx")


def test_a_confirmed_duplicate_leaves_the_queue(small_list):
    from ansinh.matching.services import terminate_enrolments

    p, issue = _missing_account(small_list)
    terminate_enrolments([p.pk], "trùng lặp")
    assert recheck.recheck_persons([p.pk], user=None, source="matching") == 1
    issue.refresh_from_db()
    assert issue.status == IssueStatus.FIXED and issue.reason == recheck.REASONS["ENDED"]


def test_information_is_a_note_not_a_queue_item(small_list):
    import_file(small_list([person_row(name="nguyễn  văn an", phone="01651234567")]), OPERATOR, province=PROVINCE)
    p = Person.objects.get()
    notes = dict(QualityIssue.objects.filter(person=p, severity="info").values_list("rule", "status"))
    assert notes == {"NAME_NORMALISED": IssueStatus.NOTE, "PHONE": IssueStatus.NOTE}
    from ansinh.registry import selectors

    assert not selectors.issues(OPERATOR).filter(severity="info").exists()
