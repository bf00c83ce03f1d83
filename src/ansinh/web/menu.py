"""The site's menu. An entry is shown only when ansinh.core.roles.may_open lets the user open its
page: the same rule RoleRequiredMiddleware enforces, so the menu never offers a page that answers
"no permission"."""
from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ansinh.core.roles import may_open


@dataclass(frozen=True)
class Entry:
    view: str  # URL name, e.g. "registry:review"
    label: str


@dataclass(frozen=True)
class Group:
    label: str
    entries: tuple[Entry, ...]


MENU: tuple[Group, ...] = (
    Group(_("Trang chủ"), (Entry("home", _("Trang chủ")),)),
    Group(_("Độ bao phủ"), (
        Entry("accounts:dashboard", _("Độ bao phủ tài khoản")),
        Entry("accounts:approvals", _("Phê duyệt tài khoản")),
        Entry("accounts:bank_lists", _("Danh sách ngân hàng gửi về")),
        Entry("accounts:targets", _("Chỉ tiêu")),
    )),
    Group(_("Đối tượng"), (
        Entry("registry:persons", _("Danh sách đối tượng")),
        Entry("registry:batches", _("Danh sách đã nhập")),
        Entry("registry:transfers", _("Chuyển nơi cư trú")),
    )),
    Group(_("Nhập danh sách"), (Entry("registry:import", _("Nhập danh sách")),)),
    Group(_("Rà soát"), (
        Entry("registry:review", _("Rà soát dữ liệu")),
        Entry("matching:queue", _("Trùng lặp")),
        Entry("matching:verify", _("Đối chiếu dữ liệu dân cư")),
        Entry("matching:proposals", _("Đề xuất số định danh")),
    )),
    Group(_("Chi trả"), (
        Entry("payroll:runs", _("Bảng chi trả hằng tháng")),
        Entry("payroll:campaigns", _("Đợt chi một lần (quà Tết, hỗ trợ)")),
        Entry("payroll:rates", _("Mức chuẩn, hệ số")),
        Entry("payroll:shared_payees", _("Người nhận thay nhiều đối tượng")),
    )),
    Group(_("Đơn thư"), (
        Entry("complaints:list", _("Khiếu nại, kiến nghị")),
        Entry("complaints:postings", _("Niêm yết danh sách")),
    )),
    Group(_("Tuyên truyền"), (
        Entry("outreach:home", _("Nhiệm vụ tuyên truyền")),
        Entry("outreach:directives", _("Văn bản chỉ đạo")),
        Entry("outreach:summary", _("Tổng hợp báo cáo")),
        Entry("outreach:bulletin", _("Bản tin đài truyền thanh xã")),
        Entry("outreach:effect", _("Hiệu quả tuyên truyền")),
    )),
    Group(_("Báo cáo"), (Entry("reports:catalogue", _("Danh mục báo cáo")),)),
    Group(_("Hệ thống"), (
        Entry("units:browse", _("Đơn vị hành chính")),
        Entry("jobs:list", _("Tác vụ nền")),
        Entry("audit:log", _("Nhật ký truy cập và thay đổi")),
        Entry("interop:clients", _("Hệ thống kết nối (API)")),
    )),
)


@dataclass(frozen=True)
class Link:
    view: str
    label: str
    url: str
    active: bool


@dataclass(frozen=True)
class Shown:
    label: str
    links: tuple[Link, ...]
    active: bool


def menu_for(user, current_view: str = "") -> list[Shown]:
    """The groups of the menu the user may open (groups with no entry left are dropped)."""
    out = []
    for group in MENU:
        links = tuple(Link(e.view, str(e.label), reverse(e.view), e.view == current_view)
                      for e in group.entries if may_open(user, e.view))
        if links:
            out.append(Shown(str(group.label), links, any(x.active for x in links)))
    return out


def menu_views(user) -> list[str]:
    """The URL names of every page in the user's menu (for tests and the screens page)."""
    return [link.view for group in menu_for(user) for link in group.links]
