"""Pure rules: numbering text, the Decree 30 date line, signature lines, task states, the bulletin."""
from __future__ import annotations

import datetime as dt

from ansinh.outreach import rules
from ansinh.outreach.rendering import issuing_body_line, number_symbol, place_date, signature_lines, subject_line


def test_number_symbol_zero_pads_below_ten():
    assert number_symbol(5, "STTTT-TTBCXB") == "05/STTTT-TTBCXB"
    assert number_symbol(123, "SVHTTDL-TTCS") == "123/SVHTTDL-TTCS"
    assert number_symbol(None, "STTTT-TTBCXB") == "…/STTTT-TTBCXB"


def test_place_date_pads_day_below_ten_and_months_one_and_two():
    assert place_date("Lạng Sơn", dt.date(2024, 2, 5)) == "Lạng Sơn, ngày 05 tháng 02 năm 2024"
    assert place_date("Lạng Sơn", dt.date(2024, 1, 15)) == "Lạng Sơn, ngày 15 tháng 01 năm 2024"
    assert place_date("Lạng Sơn", dt.date(2024, 3, 9)) == "Lạng Sơn, ngày 09 tháng 3 năm 2024"
    assert place_date("Lạng Sơn", dt.date(2024, 12, 25)) == "Lạng Sơn, ngày 25 tháng 12 năm 2024"


def test_signature_lines_per_signing_mode():
    assert signature_lines("KT.", "Giám đốc", "Phó Giám đốc") == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert signature_lines("TM.", "Ủy ban nhân dân", "Chủ tịch") == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]
    assert signature_lines("TL.", "GIÁM ĐỐC", "CHÁNH VĂN PHÒNG") == ["TL. GIÁM ĐỐC", "CHÁNH VĂN PHÒNG"]
    assert signature_lines("TUQ.", "GIÁM ĐỐC", "TRƯỞNG PHÒNG") == ["TUQ. GIÁM ĐỐC", "TRƯỞNG PHÒNG"]
    assert signature_lines("Q.", "GIÁM ĐỐC", "") == ["Q. GIÁM ĐỐC"]
    assert signature_lines("", "GIÁM ĐỐC", "GIÁM ĐỐC") == ["GIÁM ĐỐC"]


def test_subject_line():
    assert subject_line("tuyên truyền") == "V/v tuyên truyền"
    assert subject_line("V/v tuyên truyền") == "V/v tuyên truyền"


def test_task_state_once():
    due = dt.date(2024, 3, 25)
    assert rules.task_state("once", due, None, None, 0, dt.date(2024, 3, 1)) == rules.PENDING
    assert rules.task_state("once", due, None, None, 0, dt.date(2024, 3, 26)) == rules.OVERDUE
    assert rules.task_state("once", due, None, None, 1, dt.date(2024, 3, 26)) == rules.REPORTED
    assert rules.task_state("once", due, None, None, 1, dt.date(2024, 3, 1)) == rules.REPORTED


def test_task_state_periodic_owes_one_report_per_due_date():
    due, until = dt.date(2024, 2, 25), dt.date(2024, 12, 25)
    assert rules.due_dates("periodic", due, 1, until, dt.date(2024, 4, 30)) == [
        dt.date(2024, 2, 25), dt.date(2024, 3, 25), dt.date(2024, 4, 25)]
    assert rules.task_state("periodic", due, 1, until, 2, dt.date(2024, 4, 30)) == rules.OVERDUE
    assert rules.task_state("periodic", due, 1, until, 3, dt.date(2024, 4, 30)) == rules.REPORTED
    assert len(rules.due_dates("periodic", due, 1, until, dt.date(2026, 1, 1))) == 11
    assert rules.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_task_state_on_request():
    assert rules.task_state("on_request", None, None, None, 0, dt.date(2024, 1, 1)) == rules.ON_REQUEST
    assert rules.task_state("on_request", dt.date(2024, 1, 10), None, None, 0, dt.date(2024, 1, 11)) == rules.OVERDUE


def test_bulletin_text_has_figures_target_what_to_bring_and_where():
    text = rules.bulletin_text(rules.BulletinFacts(
        commune_name="Phường Đông Kinh", as_of=dt.date(2024, 6, 1), beneficiaries=1234, with_accounts=370,
        target_low=30, target_high=40, target_by=dt.date(2024, 6, 30),
        places=("Ủy ban nhân dân phường Đông Kinh", "chi nhánh ngân hàng", "bưu điện")))
    assert "Tính đến ngày 01/06/2024, Phường Đông Kinh có 1.234 người" in text
    assert "370 người đã có tài khoản" in text and "đạt 30%" in text
    assert "từ 30% đến 40%" in text and "30/06/2024" in text and "Phường đã đạt chỉ tiêu" in text
    assert "căn cước công dân gắn chip" in text and "giấy ủy quyền" in text
    assert "Ủy ban nhân dân phường Đông Kinh" in text and "bưu điện" in text
    short = rules.bulletin_text(rules.BulletinFacts("Xã Hồng Phong", dt.date(2024, 12, 1), 200, 101, 70, 80))
    assert "đạt 50,5%" in short and "Xã còn 99 người chưa có tài khoản" in short


def test_bulletin_without_target_uses_the_70_80_text():
    text = rules.bulletin_text(rules.BulletinFacts("Xã A", dt.date(2024, 12, 1), 0, 0))
    assert "từ 70% đến 80%" in text and "đạt 0%" in text


def test_bulletin_with_no_beneficiaries_gives_no_verdict():
    text = rules.bulletin_text(rules.BulletinFacts("Phường A", dt.date(2024, 6, 1), 0, 0, 30, 40))
    assert "chỉ tiêu." not in text and "đến 40% đối tượng nhận trợ cấp qua tài khoản." in text


def test_issuing_body_line_drops_the_province_named_above_it():
    assert issuing_body_line("Sở Thông tin và Truyền thông tỉnh Lạng Sơn", "UBND TỈNH LẠNG SƠN") == \
        "Sở Thông tin và Truyền thông"
    assert issuing_body_line("Sở Y tế tỉnh Lạng Sơn", "") == "Sở Y tế tỉnh Lạng Sơn"
    assert issuing_body_line("Báo Lạng Sơn", "UBND TỈNH LẠNG SƠN") == "Báo Lạng Sơn"
