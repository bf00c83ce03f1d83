"""Forms of the registry pages (labels in Vietnamese)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ansinh.registry.categories import CATEGORY_LABELS
from ansinh.registry.review import FIXABLE_FIELDS

FIELD_LABELS = {
    "full_name": _("Họ và tên"),
    "id_number": _("Số định danh/CMND"),
    "dob": _("Ngày sinh (dd/mm/yyyy)"),
    "gender": _("Giới tính (Nam/Nữ)"),
    "phone": _("Số điện thoại"),
    "village": _("Thôn/bản"),
    "address_text": _("Địa chỉ"),
    "ethnicity": _("Dân tộc"),
    "category": _("Diện đối tượng (mã)"),
}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Tệp danh sách (.xlsx, .xls, .ods, .csv)"))
    paid_through = forms.CharField(
        label=_("Đã chi trả đến tháng (MM/YYYY)"), required=False, max_length=7,
        help_text=_("Để trống: lấy tháng ghi ở tiêu đề danh sách."))


class FixForm(forms.Form):
    field = forms.ChoiceField(label=_("Trường"), choices=[(f, FIELD_LABELS[f]) for f in FIXABLE_FIELDS])
    value = forms.CharField(label=_("Giá trị đúng"), max_length=300)


class AccountForm(forms.Form):
    provider = forms.ChoiceField(label=_("Ngân hàng/ví điện tử"), choices=lambda: provider_choices())
    number = forms.CharField(label=_("Số tài khoản"), max_length=40)


def provider_choices() -> list[tuple[str, str]]:
    """Banks and e-wallets an account may be recorded with (ansinh.core.providers), by name."""
    from ansinh.core import providers

    return sorted(((code, p.short_name) for code, p in providers.ACCOUNT_PROVIDERS.items()), key=lambda c: c[1])


class WaiveForm(forms.Form):
    reason = forms.CharField(label=_("Lý do bỏ qua"), max_length=500)


def category_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {label}") for code, label in CATEGORY_LABELS.items()]
