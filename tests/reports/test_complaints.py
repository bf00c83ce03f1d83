"""The complaints report ("Đơn thư") on a few cases with known dates, June 2024, Lạng Sơn of
conftest.py. Worked out by hand (due dates from complaints/deadlines.py, kept on each case):

- c1 Đông Kinh, complaint, payment, in person: received 03/06, accepted 05/06, decided 20/06
  (due 05/07): received, accepted, decided in time.
- c2 Đông Kinh, complaint, amount, phone: received 01/04, accepted 05/04 (due to decide 06/05:
  05/05 is a Sunday, Civil Code Art. 148.5), decided 10/06: decided late.
- c3 Đông Kinh, denunciation, officer, letter: received 20/05, never accepted (due 29/05, 7
  working days): open and overdue on 30/06.
- c4 Kỳ Lừa, feedback, account, online: received 25/06, due to accept 09/07: open, not overdue.
- c5 Kỳ Lừa, complaint, eligibility, village meeting: received 10/06, refused 12/06.
- c6 Kỳ Lừa: received 02/07 (after the period). c7 Đông Kinh: closed in March.

June: received 3, accepted 1, refused 1, decided 2 (1 in time, 1 late, 50,0 %), open on 30/06
2 (c3, c4), overdue 1 (c3).
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from ansinh.core.roles import OPERATOR
from ansinh.reports import selectors as S
from ansinh.reports.periods import parse_period

D = dt.date
JUNE = parse_period("2024-06")


def case(n, commune, kind, category, channel, received, accepted=None, refused=None, decided=None):
    from ansinh.complaints import deadlines
    from ansinh.complaints.models import Case

    status = "decided" if decided else "refused" if refused else "accepted" if accepted else "received"
    return Case.objects.create(
        code=f"DT{n:04d}", kind=kind, channel=channel, category=category, status=status,
        complainant_kind="other" if kind != "feedback" else "anonymous", complainant_name="Hoàng Văn Lợi",
        text="…", received_on=received, due_accept=deadlines.due_accept(kind, received), accepted_on=accepted,
        refused_on=refused, due_decide=deadlines.due_decide(kind, received, accepted), decided_on=decided,
        outcome="upheld" if decided else "", scope_commune=commune, province_code="20")


@pytest.fixture
def cases(town):
    dk, kl = town["dk"], town["kl"]
    return {
        "c1": case(1, dk, "complaint", "payment", "in_person", D(2024, 6, 3), D(2024, 6, 5), decided=D(2024, 6, 20)),
        "c2": case(2, dk, "complaint", "amount", "phone", D(2024, 4, 1), D(2024, 4, 5), decided=D(2024, 6, 10)),
        "c3": case(3, dk, "denunciation", "officer", "letter", D(2024, 5, 20)),
        "c4": case(4, kl, "feedback", "account", "online", D(2024, 6, 25)),
        "c5": case(5, kl, "complaint", "eligibility", "meeting", D(2024, 6, 10), refused=D(2024, 6, 12)),
        "c6": case(6, kl, "complaint", "payment", "in_person", D(2024, 7, 2)),
        "c7": case(7, dk, "complaint", "payment", "phone", D(2024, 3, 1), D(2024, 3, 5), decided=D(2024, 3, 30)),
    }


def _rows(table, key):
    return {r[key]: r for r in table.rows}


def _table(report, title):
    return next(t for t in report.tables if t.title == title)


def test_due_dates_as_worked_out(cases):
    assert cases["c1"].due_decide == D(2024, 7, 5)
    assert cases["c2"].due_decide == D(2024, 5, 6)
    assert cases["c3"].due_accept == D(2024, 5, 29)
    assert cases["c4"].due_accept == D(2024, 7, 9)


def test_complaints_report_figures(cases):
    r = S.build("complaints", OPERATOR, JUNE, "20", "new")
    assert r.as_of == D(2024, 6, 30)
    assert r.figures["total"] == {"received": 3, "accepted": 1, "refused": 1, "decided": 2, "decided_in_time": 1,
                                  "decided_late": 1, "in_time_share": 50.0, "open_end": 2, "overdue_end": 1,
                                  "answered_in_time": 2, "answered_late": 0}
    by_unit = _rows(_table(r, "Theo đơn vị"), "name")
    dk, kl = by_unit["Phường Đông Kinh"], by_unit["Phường Kỳ Lừa"]
    assert (dk["received"], dk["decided"], dk["decided_late"], dk["open_end"], dk["overdue_end"]) == (1, 2, 1, 1, 1)
    assert (kl["received"], kl["refused"], kl["open_end"], kl["overdue_end"], kl["decided"]) == (2, 1, 1, 0, 0)
    assert kl["in_time_share"] is None and dk["in_time_share"] == 50.0  # nothing decided: blank, not 0 %
    by_cat = _rows(_table(r, "Theo nội dung"), "label")
    assert by_cat["Chưa nhận được tiền"]["decided_in_time"] == 1 and by_cat["Số tiền không đúng"]["decided_late"] == 1
    assert by_cat["Thái độ, việc làm của cán bộ"]["overdue_end"] == 1
    by_channel = _rows(_table(r, "Theo hình thức tiếp nhận"), "label")
    assert by_channel["Trực tuyến (trang góp ý)"]["received"] == 1
    assert by_channel["Họp dân, hội nghị ở thôn"]["refused"] == 1
    by_kind = _rows(_table(r, "Theo loại đơn"), "label")
    assert (by_kind["Khiếu nại"]["received"], by_kind["Tố cáo"]["overdue_end"]) == (2, 1)
    # July: c6 received; c3 and c4 overdue on 31/07 (c4 due to accept 09/07), c6 due 12/07 → overdue too
    july = S.build("complaints", OPERATOR, parse_period("2024-07"), "20", "new").figures["total"]
    assert (july["received"], july["open_end"], july["overdue_end"], july["decided"]) == (1, 3, 3, 0)


def test_one_home_for_in_time_and_overdue(cases):
    """The report's SQL says what complaints' own functions say."""
    from ansinh.complaints import deadlines
    from ansinh.complaints import selectors as cs
    from ansinh.complaints.models import Case

    today = dt.date.today()
    assert set(Case.objects.filter(cs.overdue_on_q(today))) == set(Case.objects.filter(cs.overdue_q(today)))
    in_time = set(Case.objects.filter(cs.decided_in_time_q()))
    assert in_time == {c for c in Case.objects.filter(decided_on__isnull=False)
                       if deadlines.state(c.due_decide, today, c.decided_on) == deadlines.MET}
    assert in_time == {cases["c1"], cases["c7"]}


def test_commune_officer_gets_their_commune_only(cases, users, tmp_path, capsys):
    from ansinh.cli import main

    mine = S.build("complaints", users["dongkinh"], JUNE, None, "new")
    assert mine.unit_label == "Phường Đông Kinh" and mine.figures["total"]["received"] == 1
    assert [r["name"] for r in mine.tables[0].rows] == ["Phường Đông Kinh"]
    with pytest.raises(S.OutOfScope):
        S.build("complaints", users["dongkinh"], JUNE, "06187", "new")
    with pytest.raises(S.OutOfScope):
        S.build("complaints", users["dongkinh"], JUNE, "20", "new")
    assert main(["report", "complaints", "--period", "2024-06", "--unit", "06187", "--map", "new",
                 "--as", "r_dongkinh"]) == 2
    assert "phạm vi" in capsys.readouterr().err


def test_files_and_cli(cases, users, tmp_path, capsys):
    import json

    from django.test import Client

    from ansinh.cli import main
    from ansinh.reports import outputs

    r = S.build("complaints", OPERATOR, JUNE, "20", "new")
    assert outputs.render(r, "xlsx")[:2] == b"PK"
    assert outputs.render(r, "docx", day=D(2024, 7, 1))[:2] == b"PK"
    out = tmp_path / "dt.xlsx"
    assert main(["report", "complaints", "--period", "06/2024", "--unit", "20", "--map", "new", "--format", "xlsx",
                 "-o", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["figures"]["total"]["overdue_end"] == 1 and out.read_bytes()[:2] == b"PK"
    c = Client()
    c.force_login(users["tinh"])
    page = c.get("/reports/", {"report": "complaints", "period": "2024-06", "map": "new"})
    assert page.status_code == 200 and "Theo hình thức tiếp nhận" in page.content.decode()
    c.force_login(users["kyluatv"])
    assert c.get("/reports/file.docx", {"report": "complaints", "period": "2024-06", "map": "new",
                                        "unit": "05977"}).status_code == 403


def test_accepted_or_refused_in_time(cases, town):
    """Answered (accepted or refused) by the last day to accept kept on the case, by hand:
    c1 complaint received 03/06, due to accept 13/06 (10 days, a Thursday), accepted 05/06: in time;
    c5 complaint received 10/06, due 20/06 (Thursday), refused 12/06: in time;
    c8 complaint received 03/06, due 13/06, accepted 17/06: late. c3 (never accepted) is not answered;
    c2 was accepted in April (not in June). June: 3 answered, 2 in time, 1 late."""
    from ansinh.complaints import deadlines
    from ansinh.complaints import selectors as cs
    from ansinh.complaints.models import Case

    c8 = case(8, town["dk"], "complaint", "amount", "letter", D(2024, 6, 3), D(2024, 6, 17))
    assert (cases["c1"].due_accept, cases["c5"].due_accept, c8.due_accept) == (D(2024, 6, 13), D(2024, 6, 20),
                                                                                D(2024, 6, 13))
    # the due date is read from the case, never recomputed: move c8's and it is in time
    r = S.build("complaints", OPERATOR, JUNE, "20", "new")
    tot = r.figures["total"]
    assert (tot["accepted"] + tot["refused"], tot["answered_in_time"], tot["answered_late"]) == (3, 2, 1)
    by_unit = _rows(_table(r, "Theo đơn vị"), "name")
    assert (by_unit["Phường Đông Kinh"]["answered_in_time"], by_unit["Phường Đông Kinh"]["answered_late"]) == (1, 1)
    assert (by_unit["Phường Kỳ Lừa"]["answered_in_time"], by_unit["Phường Kỳ Lừa"]["answered_late"]) == (1, 0)
    Case.objects.filter(pk=c8.pk).update(due_accept=D(2024, 6, 30))
    tot = S.build("complaints", OPERATOR, JUNE, "20", "new").figures["total"]
    assert (tot["answered_in_time"], tot["answered_late"]) == (3, 0)
    # one home: the SQL says what deadlines.state says
    today = dt.date.today()
    answered = Case.objects.filter(Q(accepted_on__isnull=False) | Q(refused_on__isnull=False))
    assert set(answered.filter(cs.answered_in_time_q())) == {
        c for c in answered if deadlines.state(c.due_accept, today, c.accepted_on or c.refused_on) == deadlines.MET}
