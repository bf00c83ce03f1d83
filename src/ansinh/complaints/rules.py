"""Pure rules of the complaints app (no database): who sees the sensitive part of a case, what a
posted list may print, the posting period, tracking codes."""
from __future__ import annotations

import datetime as dt
import secrets

from ansinh.core import workdays

# --------------------------------------------------------------------------- sensitivity
# HIV status and disability details of a case: the handling officer and above.
SENSITIVE_ROLES = frozenset({"province_officer", "admin"})


def may_see_sensitive(roles: set[str] | frozenset[str], *, is_handler: bool) -> bool:
    """The officer handling the case, a province officer, the administrator. Not another commune
    officer, not the approver, not the auditor, not an outreach unit."""
    return is_handler or bool(set(roles) & SENSITIVE_ROLES)


# --------------------------------------------------------------------------- public posting
# Decree 20/2021 Art. 8: the list is posted for 2 working days before approval; never HIV data.
POSTING_WORKING_DAYS = 2
GENERIC = "Trợ cấp xã hội hằng tháng"
# What a posted list may say of a category: never HIV status (5.3, 5.8 print the generic words),
# never the degree of a disability (5.6-* print "Người khuyết tật").
POSTED_CATEGORY = {
    "5.1": "Trẻ em không có nguồn nuôi dưỡng",
    "5.2": "Người từ 16 đến 22 tuổi đang đi học",
    "5.3": GENERIC,
    "5.4": "Người đơn thân nghèo đang nuôi con",
    "5.5": "Người cao tuổi",
    "5.6": "Người khuyết tật",
    "5.7": "Trẻ em dưới 3 tuổi",
    "5.8": GENERIC,
    "ND176": "Trợ cấp hưu trí xã hội",
    "funeral": "Hỗ trợ mai táng",
}


def posted_category(code: str) -> str:
    """Words a posted list prints for a payroll line's category ("5.4+5.6-severe" -> both, no degree)."""
    out: list[str] = []
    for part in (code or "").split("+"):
        part = part.strip()
        key = part[:3] if part.startswith("5.") else part
        label = POSTED_CATEGORY.get(key, GENERIC)
        if label not in out:
            out.append(label)
    return " + ".join(out) if out else GENERIC


def posting_period(start: dt.date) -> tuple[dt.date, dt.date]:
    """(first day, last day) of a posting starting on `start` (or the next working day): 2 working days."""
    first = workdays.next_working_day(start)
    return first, workdays.add_working_days(first, POSTING_WORKING_DAYS - 1)


# --------------------------------------------------------------------------- codes
# Tracking codes: no look-alike characters (0/O, 1/I/L), 10 characters (~50 bits).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(c for c in (text or "").upper() if c in CODE_ALPHABET)[:CODE_LENGTH]


def new_token() -> str:
    return secrets.token_urlsafe(18)


# --------------------------------------------------------------------------- public page anti-spam
PUBLIC_PER_HOUR = 5  # feedback messages from one address per hour
PUBLIC_LOOKUPS_PER_HOUR = 30  # status look-ups from one address per hour (codes are ~50 bits: no guessing)
PUBLIC_PER_POSTING_DAY = 200  # feedback messages about one posted list per day, all addresses
PUBLIC_MIN_SECONDS = 3  # a form sent faster than this after it was shown is a robot
PUBLIC_MAX_TEXT = 2000
