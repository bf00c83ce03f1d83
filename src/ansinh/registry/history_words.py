"""A history row as people read it: what changed and where the change came from, in words.

ChangeLog keeps codes ("registry.person", "phone", "import:89", "bank:agribank.xlsx"); the person
page and the auditor's log show these words instead (English in the catalogue)."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

MODEL_WORDS = {
    "registry.person": _l("Hồ sơ"),
    "registry.enrolment": _l("Diện hưởng"),
    "registry.paymentaccount": _l("Tài khoản nhận tiền"),
    "registry.authorisedperson": _l("Người được ủy quyền"),
    "registry.qualityissue": _l("Vấn đề dữ liệu"),
    "registry.importbatch": _l("Lần nhập danh sách"),
    "registry.importrow": _l("Dòng danh sách"),
    "registry.transfer": _l("Chuyển nơi cư trú"),
}

FIELD_WORDS = {
    "full_name": _l("họ và tên"), "id_number": _l("số định danh"), "legacy_cmnd": _l("số CMND cũ"),
    "dob": _l("ngày sinh"), "dob_precision": _l("độ chính xác ngày sinh"), "gender": _l("giới tính"),
    "phone": _l("số điện thoại"), "village": _l("thôn/bản"), "address_text": _l("địa chỉ"),
    "ethnicity": _l("dân tộc"), "category": _l("diện đối tượng"), "category_label": _l("tên diện đối tượng"),
    "status": _l("trạng thái"), "start_month": _l("tháng bắt đầu hưởng"), "end_month": _l("tháng thôi hưởng"),
    "decision_number": _l("số quyết định"), "decision_date": _l("ngày quyết định"),
    "approval": _l("phê duyệt"), "confirmed_on": _l("ngày ngân hàng xác nhận"),
    "registered_on": _l("ngày đăng ký"), "opened_on": _l("ngày mở"), "account_number": _l("số tài khoản"),
    "provider": _l("ngân hàng/ví"), "holder_name": _l("tên chủ tài khoản"), "commune": _l("xã/phường"),
    "residence_unit": _l("nơi cư trú"), "date_of_death": _l("ngày mất"),
    "stop_decision": _l("quyết định thôi hưởng (nơi cũ)"), "start_decision": _l("quyết định hưởng (nơi mới)"),
    "to_commune": _l("nơi chuyển đến"), "deceased_on": _l("ngày mất"),
}


VALUE_WORDS = {
    "open": _l("đang mở"), "fixed": _l("đã sửa"), "waived": _l("bỏ qua"), "note": _l("ghi chú"),
    "pending": _l("chờ phê duyệt"), "approved": _l("đã phê duyệt"), "rejected": _l("từ chối"),
    "active": _l("đang hưởng"), "suspended": _l("tạm dừng"), "terminated": _l("thôi hưởng"),
    "registered": _l("đã đăng ký"), "confirmed": _l("ngân hàng đã xác nhận"), "closed": _l("đã đóng"),
}


def value_words(value: str) -> str:
    """A status code stored in the history ("open", "approved") in words; other values as written."""
    return str(VALUE_WORDS.get(value, value))


def change_subject(model: str, field: str = "") -> str:
    """'Hồ sơ — số điện thoại'; an unknown code is shown as it is (never hidden)."""
    parts = []
    for label in (m.strip() for m in (model or "").split(",") if m.strip()):
        parts.append(str(MODEL_WORDS.get(label, label)))
    what = ", ".join(parts)
    if field:
        what = f"{what} — {FIELD_WORDS.get(field, field)}" if what else str(FIELD_WORDS.get(field, field))
    return what


_SOURCES = (
    (re.compile(r"^import:(\d+)$"), lambda m: _("Nhập danh sách số %(n)s") % {"n": m.group(1)}),
    (re.compile(r"^bank:(.+)$"), lambda m: _("Danh sách của ngân hàng (%(f)s)") % {"f": m.group(1)}),
    (re.compile(r"^payroll:suspend:(\d{4})-(\d{2})$"),
     lambda m: _("Tạm dừng chi trả sau kỳ %(m)s/%(y)s") % {"m": m.group(2), "y": m.group(1)}),
    (re.compile(r"^cli:recheck$"), lambda m: _("Tự rà soát lại (dòng lệnh)")),
    (re.compile(r"^cli(\b.*)?$"), lambda m: _("Dòng lệnh")),
    (re.compile(r"^web$"), lambda m: _("Trang web")),
    (re.compile(r"^api$"), lambda m: _("API")),
    (re.compile(r"^demo(:.*)?$"), lambda m: _("Dữ liệu dùng thử")),
    (re.compile(r"^matching$"), lambda m: _("Rà soát trùng lặp")),
)


def source_words(source: str) -> str:
    """'import:89' → 'Nhập danh sách số 89'; an unknown source is shown as it is."""
    s = (source or "").strip()
    for pattern, words in _SOURCES:
        m = pattern.match(s)
        if m:
            return words(m)
    return s
