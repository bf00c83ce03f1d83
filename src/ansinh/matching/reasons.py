"""Why two records may be one person, in words an officer reads (pure, no Django).

The duplicate-pair page shows these instead of match weights: "cùng số CCCD", "năm sinh lệch 10
năm", "cùng số tài khoản", each marked as speaking for or against one person. They are read from
the two records as stored and, where the pair keeps one, from the sign of the comparison's weight
(``MatchPair.contributions``: field -> weight, positive for, negative against), so the page says
what the engine weighed without naming its arithmetic. ``segments`` marks the characters that
differ between two values, for highlighting.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ansinh.text import fold


@dataclass
class Side:
    """One record as the page compares it."""

    full_name: str = ""
    dob: dt.date | None = None
    dob_precision: str = "day"
    id_number: str = ""
    gender: str = ""
    commune: str = ""  # the current commune's (or the unit as written) name
    village: str = ""
    accounts: list[str] = field(default_factory=list)  # account numbers
    banks: dict[str, str] = field(default_factory=dict)  # account number -> the bank's short name
    phone: str = ""


@dataclass
class Reason:
    text: str
    supports: bool  # True: speaks for one person; False: against


def _name_parts(name: str) -> tuple[str, str, str]:
    parts = fold(name or "").split()
    if not parts:
        return "", "", ""
    if len(parts) == 1:
        return "", "", parts[0]
    return parts[0], " ".join(parts[1:-1]), parts[-1]


def _differing_digits(a: str, b: str) -> int:
    if len(a) != len(b):
        return max(len(a), len(b))
    return sum(x != y for x, y in zip(a, b))


def _weighs(weights: dict, key: str, default: bool) -> bool:
    w = (weights or {}).get(key)
    return default if not w else w > 0


def _id_fits(s: Side) -> bool:
    """A 12-digit CCCD whose century/sex digit and birth-year digits agree with the row's own
    birth year and gender (the engine's ``id_ok``)."""
    from ansinh.registry.rules import id_century_gender

    got = id_century_gender(s.id_number)
    if got is None or s.dob is None:
        return False
    century, sex = got
    return (century <= s.dob.year < century + 100 and s.id_number[4:6] == f"{s.dob.year % 100:02d}"
            and (not s.gender or s.gender == sex))


def reasons(a: Side, b: Side, weights: dict | None = None) -> list[Reason]:
    """The reasons, strongest kinds first (identifiers, then dates, names, places)."""
    out: list[Reason] = []
    w = weights or {}
    ida, idb = a.id_number or "", b.id_number or ""
    if ida and idb:
        kind = _("số CCCD") if len(ida) == 12 and len(idb) == 12 else _("số CMND") if len(ida) == 9 == len(idb) \
            else _("số định danh")
        if ida == idb:
            out.append(Reason(_("cùng %(kind)s") % {"kind": kind}, True))
        else:
            n = _differing_digits(ida, idb)
            if {len(ida), len(idb)} == {9, 12}:  # the engine's "CMND beside CCCD" level (decision 0019)
                text = _("một hồ sơ ghi số CMND 9 số, hồ sơ kia số CCCD 12 số")
            elif sorted(ida) == sorted(idb):
                text = _("%(kind)s gần giống: cùng các chữ số, khác thứ tự") % {"kind": kind}
            elif len(ida) == len(idb) and n <= 2:
                text = ngettext("%(kind)s chỉ khác %(n)d chữ số", "%(kind)s chỉ khác %(n)d chữ số", n) % {
                    "kind": kind, "n": n}
            elif len(ida) == 12 == len(idb) and _id_fits(a) and _id_fits(b):
                text = _("số CCCD khác nhau, cả hai khớp năm sinh và giới tính của hồ sơ mình")
            else:
                text = _("%(kind)s khác nhau") % {"kind": kind}
            out.append(Reason(text, _weighs(w, "id_number", False)))
    shared = sorted(set(a.accounts) & set(b.accounts))
    if shared:
        bank = a.banks.get(shared[0]) or b.banks.get(shared[0])
        out.append(Reason(_("cùng số tài khoản %(bank)s") % {"bank": bank} if bank else _("cùng số tài khoản"),
                          True))
    pa, pb = "".join(ch for ch in a.phone if ch.isdigit()), "".join(ch for ch in b.phone if ch.isdigit())
    if pa and pa == pb:
        out.append(Reason(_("cùng số điện thoại"), True))
    if a.dob and b.dob:
        years = abs(a.dob.year - b.dob.year)
        coarse = "year" in (a.dob_precision, b.dob_precision)
        if years:
            out.append(Reason(ngettext("năm sinh lệch %(n)d năm", "năm sinh lệch %(n)d năm", years) % {"n": years},
                              _weighs(w, "dob", False)))
        elif a.dob == b.dob and not coarse:
            out.append(Reason(_("cùng ngày sinh"), True))
        elif not coarse and (a.dob.day, a.dob.month) == (b.dob.month, b.dob.day):
            out.append(Reason(_("cùng năm sinh; ngày và tháng bị đảo chỗ"), _weighs(w, "dob", True)))
        else:
            out.append(Reason(_("cùng năm sinh") if coarse else _("cùng năm sinh, khác ngày sinh"),
                              _weighs(w, "dob", True)))
    fa, ma, ga = _name_parts(a.full_name)
    fb, mb, gb = _name_parts(b.full_name)
    if (fa, ma, ga) == (fb, mb, gb) and ga:
        out.append(Reason(_("cùng họ tên"), True))
    elif ga and gb:
        if ga != gb:
            out.append(Reason(_("tên khác nhau"), _weighs(w, "given", False)))
        elif fa != fb:
            out.append(Reason(_("cùng tên, khác họ"), _weighs(w, "family", False)))
        else:
            out.append(Reason(_("cùng họ và tên, khác tên đệm"), _weighs(w, "middle", True)))
    if a.gender and b.gender and a.gender != b.gender:
        out.append(Reason(_("khác giới tính"), False))
    if a.commune and b.commune:
        same = a.commune == b.commune
        out.append(Reason(_("cùng xã/phường") if same else _("khác xã/phường"), same))
    if a.village and b.village and fold(a.village) == fold(b.village):
        out.append(Reason(_("cùng thôn/bản"), True))
    return out


def segments(a: str, b: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Each value cut into (text, differs) pieces: what is not in the other value is marked.
    Compared ignoring case (a name in capitals is the same name) but not tone marks (a changed
    tone mark is a difference worth seeing)."""
    a, b = a or "", b or ""
    la, lb = a.lower(), b.lower()
    if len(la) != len(a) or len(lb) != len(b):  # a character whose lower case is longer
        la, lb = a, b
    sa: list[tuple[str, bool]] = []
    sb: list[tuple[str, bool]] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, la, lb, autojunk=False).get_opcodes():
        if i2 > i1:
            sa.append((a[i1:i2], op != "equal"))
        if j2 > j1:
            sb.append((b[j1:j2], op != "equal"))
    return sa, sb
