"""Words for the reason codes a provider gives an unpaid line (one home: the run page, the follow-up
page, the review item an account failure opens)."""
from __future__ import annotations

from django.utils.translation import gettext as _


def reason_labels() -> dict[str, str]:
    """Words for the reason codes a provider gives an unpaid line (our result file's codes,
    and G2P Connect's `status_reason_code`s we meet)."""
    from ansinh.payroll.generate import ACCOUNT_FAILURE_REASONS
    from ansinh.payroll.suspension import NOT_COLLECTED

    invalid, closed = ACCOUNT_FAILURE_REASONS
    return {
        NOT_COLLECTED: _("Người hưởng không đến nhận"),
        invalid: _("Tài khoản không hợp lệ"),
        closed: _("Tài khoản đã đóng"),
        "name_mismatch": _("Tên chủ tài khoản không khớp"),
        "rjct.payee_fa.invalid": _("Tài khoản người nhận không hợp lệ"),
        "rjct.payer_fa.invalid": _("Tài khoản chi không hợp lệ"),
        "rjct.amount.invalid": _("Số tiền không hợp lệ"),
        "rjct.reference_id.duplicate": _("Lệnh chi bị trùng"),
        "rjct.reference_id.invalid": _("Mã lệnh chi không hợp lệ"),
        "rjct.beneficiary_name.invalid": _("Tên người nhận không khớp"),
    }


def reason_label(code: str) -> str:
    """The words for a provider's reason code ("not_collected" -> "Người hưởng không đến nhận");
    an unknown code is "another reason" (the raw code stays for a tooltip); blank: ""."""
    code = (code or "").strip()
    if not code:
        return ""
    return reason_labels().get(code) or _("Lý do khác của đơn vị chi trả")
