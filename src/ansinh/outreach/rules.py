"""Pure outreach rules (no database): task states, due dates, the bulletin text."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ansinh.formats import vn_number


def gettext_noop(message: str) -> str:
    """Marks a label for the English catalogue (makemessages reads the name); pure: no Django."""
    return message


REPORTED, OVERDUE, PENDING, ON_REQUEST = "reported", "overdue", "pending", "on_request"
# Vietnamese (files, the CLI); pages translate them (ansinh.outreach.selectors.state_labels).
STATE_LABELS = {REPORTED: gettext_noop("Đã báo cáo"), OVERDUE: gettext_noop("Quá hạn"),
                PENDING: gettext_noop("Chưa đến hạn"), ON_REQUEST: gettext_noop("Khi có yêu cầu")}


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    last = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
            31][m - 1]
    return dt.date(y, m, min(day.day, last))


def due_dates(periodicity: str, due: dt.date | None, period_months: int | None, until: dt.date | None,
              today: dt.date) -> list[dt.date]:
    """The due dates that have come by `today` (inclusive)."""
    if due is None:
        return []
    if periodicity != "periodic" or not period_months:
        return [due] if due <= today else []
    out, d, i = [], due, 0
    while d <= today and (until is None or d <= until) and i < 1000:
        out.append(d)
        i += 1
        d = add_months(due, period_months * i)
    return out


def task_state(periodicity: str, due: dt.date | None, period_months: int | None, until: dt.date | None,
               reports: int, today: dt.date) -> str:
    """reported / overdue / pending / on_request.

    Once (or on request with a due date): overdue when the due date has passed without a
    report. Periodic: one report is owed per due date come; fewer reports than that is overdue."""
    owed = len(due_dates(periodicity, due, period_months, until, today))
    if periodicity == "on_request" and due is None:
        return REPORTED if reports else ON_REQUEST
    if reports >= max(owed, 1):
        return REPORTED
    if owed > reports:
        return OVERDUE
    return PENDING


def share_pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def vn_pct(x: float) -> str:
    return (f"{x:.1f}".rstrip("0").rstrip(".")).replace(".", ",")


def unit_word(name: str) -> str:
    """"Phường Đông Kinh" -> "Phường"; "Xã Hồng Phong" -> "Xã"; else "Địa phương"."""
    for w in ("Phường", "Xã", "Thị trấn", "Đặc khu"):
        if name.startswith(w + " "):
            return w
    return "Địa phương"


@dataclass
class BulletinFacts:
    commune_name: str
    as_of: dt.date
    beneficiaries: int
    with_accounts: int
    target_low: int | None = None
    target_high: int | None = None
    target_by: dt.date | None = None
    places: tuple[str, ...] = ()


def bulletin_text(f: BulletinFacts) -> str:
    """The short bulletin the commune radio reads (Vietnamese, from live figures)."""
    pct = share_pct(f.with_accounts, f.beneficiaries)
    without = max(f.beneficiaries - f.with_accounts, 0)
    parts = [
        f"Thông báo của {f.commune_name} về việc chi trả trợ cấp xã hội không dùng tiền mặt.",
        f"Tính đến ngày {f.as_of:%d/%m/%Y}, {f.commune_name} có {vn_number(f.beneficiaries)} người đang hưởng "
        f"trợ cấp xã hội hằng tháng; trong đó {vn_number(f.with_accounts)} người đã có tài khoản nhận tiền, "
        f"đạt {vn_pct(pct)}%.",
    ]
    if f.target_low is not None:
        rng = f"{f.target_low}%" if f.target_high in (None, f.target_low) else f"từ {f.target_low}% đến {f.target_high}%"
        by = f" đến ngày {f.target_by:%d/%m/%Y}" if f.target_by else ""
        who = unit_word(f.commune_name)
        verdict = ("" if not f.beneficiaries else f"{who} đã đạt chỉ tiêu." if pct >= f.target_low
                   else f"{who} còn {vn_number(without)} người chưa có tài khoản, chưa đạt chỉ tiêu.")
        parts.append(f"Chỉ tiêu của tỉnh là {rng} đối tượng nhận trợ cấp qua tài khoản{by}. {verdict}".strip())
    else:
        parts.append("Chỉ tiêu của tỉnh là từ 70% đến 80% đối tượng nhận trợ cấp qua tài khoản.")
    parts.append(
        "Người hưởng trợ cấp chưa có tài khoản, khi đi mở tài khoản xin mang theo căn cước công dân gắn chip "
        "(thẻ căn cước); nếu ủy quyền cho người khác thì người được ủy quyền mang căn cước của mình và "
        "giấy ủy quyền.")
    places = f.places or ("Ủy ban nhân dân xã", "chi nhánh ngân hàng", "bưu điện")
    parts.append("Địa điểm mở tài khoản: " + ", ".join(places) + ".")
    parts.append("Nhận trợ cấp qua tài khoản an toàn, nhanh chóng, không phải chờ đợi. Đề nghị bà con thực hiện.")
    return "\n".join(parts)
