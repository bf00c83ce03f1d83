"""Account holders: banks return the holder's name in upper case without diacritics.

Pure functions (no database).  ``holder_matches`` compares the bank's holder name with
the beneficiary and the authorised person(s) token by token (family, middle, given),
never by a full-name Jaro-Winkler (NGUYEN VAN HOA vs NGUYEN VAN HOAN scores 0.987).
"""
from __future__ import annotations

from difflib import SequenceMatcher

from ansinh.text import fold

#: At or above this score the holder is taken to be that person; below: flag for review.
ACCEPT = 0.9


def split_name(name: str) -> tuple[str, str, str]:
    """Folded (family, middle, given); middle may be ""."""
    toks = fold(name or "").split()
    if not toks:
        return "", "", ""
    if len(toks) == 1:
        return "", "", toks[0]
    return toks[0], " ".join(toks[1:-1]), toks[-1]


def _sim(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return SequenceMatcher(None, a, b).ratio()


def name_score(a: str, b: str) -> float:
    """0..1: the given name weighs most, then the family name; a missing middle name
    on either side is neutral.  A different given name caps the score below ACCEPT."""
    fa, ma, ga = split_name(a)
    fb, mb, gb = split_name(b)
    if not ga or not gb:
        return 0.0
    g = 1.0 if ga == gb else 0.0
    f = _sim(fa, fb) if fa and fb else 0.5
    if ma and mb:
        m = 1.0 if ma == mb else _sim(ma, mb) * 0.8
        return round(0.5 * g + 0.3 * f + 0.2 * m, 4)
    return round(0.5 * g + 0.3 * f + 0.2 * 0.9, 4)  # one middle name missing: neutral-ish


def holder_matches(holder_name_upper_no_marks: str, person, authorised=None) -> tuple[str | None, float]:
    """Who holds the account: ("beneficiary" | "authorised" | None, score).

    ``person`` needs ``full_name``; ``authorised`` is an iterable of objects with
    ``full_name`` (AuthorisedPerson rows) or of names.  None when nobody scores at least
    :data:`ACCEPT` (flag the account for review); the score is then the best one seen."""
    best_who, best = None, 0.0
    s = name_score(holder_name_upper_no_marks, getattr(person, "full_name", person) or "")
    if s >= ACCEPT:
        return "beneficiary", s
    best = s
    for a in authorised or ():
        name = getattr(a, "full_name", a) or ""
        sa = name_score(holder_name_upper_no_marks, name)
        if sa > best:
            best = sa
            if sa >= ACCEPT:
                best_who = "authorised"
    return best_who, best
