"""Display helpers of the web shell: words for codes (job kinds, coverage bands, run steps)."""
from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# What a background job does, by its kind (ansinh.core.jobs.job_kind); a job made without a title is
# shown by these words, never by its kind code.
JOB_KINDS = {
    "registry.import": _("Nhập danh sách đối tượng"),
    "payroll.generate": _("Lập bảng chi trả"),
    "matching.dedupe": _("Tìm hồ sơ trùng lặp"),
    "matching.verify": _("Đối chiếu dữ liệu dân cư"),
    "accounts.bank_list": _("Nhập danh sách ngân hàng gửi về"),
}

BANDS = {
    "below": _("Dưới chỉ tiêu"),
    "within": _("Đạt chỉ tiêu"),
    "above": _("Vượt chỉ tiêu"),
    "none": _("Chưa có chỉ tiêu"),
}


@register.filter
def job_title(job) -> str:
    title = (getattr(job, "title", "") or "").strip()
    kind = getattr(job, "kind", "")
    if not title or title == kind:
        return str(JOB_KINDS.get(kind, _("Tác vụ")))
    return title


@register.filter
def band_label(band: str) -> str:
    return str(BANDS.get(band, BANDS["none"]))


@register.filter
def person_name(user) -> str:
    """A user by full name (the login name only when none is recorded)."""
    from ansinh.core.selectors import display_name

    return display_name(user)
