"""History rows in words (registry/history_words.py): codes never reach the person page as they are
stored, and an unknown code is shown rather than hidden."""
from __future__ import annotations

from django.utils import translation

from ansinh.registry.history_words import change_subject, source_words, value_words


def test_subject_and_source_in_vietnamese_and_english():
    with translation.override("vi"):
        assert change_subject("registry.person", "phone") == "Hồ sơ — số điện thoại"
        assert change_subject("registry.enrolment, registry.person") == "Diện hưởng, Hồ sơ"
        assert change_subject("registry.paymentaccount") == "Tài khoản nhận tiền"
        assert source_words("import:89") == "Nhập danh sách số 89"
        assert source_words("payroll:suspend:2024-11") == "Tạm dừng chi trả sau kỳ 11/2024"
        assert source_words("bank:agribank-t6.xlsx") == "Danh sách của ngân hàng (agribank-t6.xlsx)"
        assert source_words("cli") == source_words("cli ansinh demo setup") == "Dòng lệnh"
        assert source_words("web") == "Trang web"
        assert source_words("demo:accounts") == "Dữ liệu dùng thử"
        assert (value_words("open"), value_words("approved"), value_words("2024-07")) == ("đang mở", "đã phê duyệt",
                                                                                        "2024-07")
    with translation.override("en"):
        assert change_subject("registry.person", "phone") == "Record — phone number"
        assert source_words("import:89") == "List import no. 89"


def test_unknown_codes_are_shown_as_written():
    assert change_subject("payroll.payrollline", "amount") == "payroll.payrollline — amount"
    assert source_words("something:else") == "something:else"


def test_audit_objects_in_words():
    from ansinh.registry.templatetags.registry_tags import object_words

    with translation.override("vi"):
        assert object_words("registry.person 5") == "Hồ sơ #5"
        assert object_words("registry.enrolment, registry.person") == "Diện hưởng, Hồ sơ"
        assert object_words("doi-tuong.xlsx") == "doi-tuong.xlsx"


def test_history_months_and_days_read_as_the_pages_write_dates():
    """The person page's history writes a stored month or day (ISO) as mm/yyyy or dd/mm/yyyy and a unit
    stored with its code as its name; codes that only look numeric, and statuses, are left to value_words."""
    from ansinh.registry.templatetags.registry_tags import value_words

    assert value_words("2026-11") == "11/2026"
    assert value_words("2024-03-15") == "15/03/2024"
    assert value_words("20261105") == "20261105"
    assert value_words("87/QĐ-UBND") == "87/QĐ-UBND"
    assert value_words("open") == "đang mở"
    assert value_words(None) == ""
    assert value_words("05977 Phường Đông Kinh") == "Phường Đông Kinh"  # a unit as stored: its name
    assert value_words("06079 Xã Hồng Phong") == "Xã Hồng Phong"
    assert value_words("12 Thôn Nà Pái") == "12 Thôn Nà Pái"  # a village that starts with a number stays
