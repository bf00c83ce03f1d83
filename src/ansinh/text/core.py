"""Vietnamese text normalisation: NFC, canonical tone placement, names, match keys.

Everything that compares, stores or links Vietnamese text goes through these
functions, so that "Hoà"/"Hòa", NFD input from macOS, NBSP from Excel and the
Icelandic look-alike "Ð" all end up the same.

Canonical tone placement
------------------------
Vietnamese has two conventions for where the tone mark sits in the open
syllables with the vowel clusters ``oa``, ``oe`` and ``uy``:

* "old style" (used by the official names of administrative units, the
  civil registry and most government lists): ``hòa``, ``khỏe``, ``thủy``;
* "new style": ``hoà``, ``khoẻ``, ``thuỷ``.

:func:`canonical_tones` rewrites every syllable it can parse as Vietnamese to
the old style and otherwise applies the standard rules (tone on the vowel with
a hat/horn; on the last vowel when a final consonant follows; on the middle
vowel of a three-vowel cluster; ``qu`` and ``gi`` are consonants).  Syllables it
cannot parse (foreign words, ethnic-minority spellings such as "Đắk Lắk" are
parsed fine, but e.g. "Krông" is not) are left exactly as they are.

Match keys
----------
:func:`fold` builds the key used for matching and record linkage:
NFC, all marks removed, đ/Đ/Ð -> D, upper case, single spaces.
:func:`fold_sql` builds the same expression for SQL engines; for NFC input
``upper(translate(x, FOLD_FROM, FOLD_TO))`` followed by whitespace collapsing
gives exactly ``fold(x)`` for every Vietnamese letter.  Characters outside the
Vietnamese alphabet (``ç``, ``ü``, ``ß`` ...) are folded by Python (NFD mark
stripping) but passed through by SQL, so keys built in SQL and in Python only
agree on Vietnamese/ASCII text.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "FOLD_FROM",
    "FOLD_TO",
    "VIETNAMESE_LETTERS",
    "canonical_tones",
    "fold",
    "fold_sql",
    "nfc",
    "normalize_name",
    "normalize_space",
]

# --------------------------------------------------------------------------
# The alphabet
# --------------------------------------------------------------------------

# Tone marks as combining characters, in the traditional order
# (ngang = none, huyền, hỏi, ngã, sắc, nặng).
_TONE_COMBINING = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")
_TONE_INDEX = {c: i for i, c in enumerate(_TONE_COMBINING) if c}
_VOWEL_BASES = "aăâeêioôơuưy"
_HAT_VOWELS = frozenset("ăâêôơư")


def _build_letters() -> tuple[str, str]:
    lower = []
    for base in _VOWEL_BASES:
        for tone in _TONE_COMBINING:
            ch = unicodedata.normalize("NFC", base + tone)
            assert len(ch) == 1, (base, tone)
            lower.append(ch)
    lower.append("đ")
    # 12 vowels x 6 tones + đ = 73 letters; 6 of them are plain ASCII.
    lower_str = "".join(lower)
    return lower_str, lower_str.upper()


_LOWER_ALL, _UPPER_ALL = _build_letters()

#: The 134 precomposed non-ASCII Vietnamese letters: 67 lower case then 67 upper case.
VIETNAMESE_LETTERS: str = "".join(c for c in _LOWER_ALL if not c.isascii()) + "".join(
    c for c in _UPPER_ALL if not c.isascii()
)
assert len(VIETNAMESE_LETTERS) == 134

# letter -> (toneless letter, tone index); for every Vietnamese vowel letter
# (both cases, incl. ASCII vowels) and đ/Đ.
_SPLIT: dict[str, tuple[str, int]] = {}
# (toneless letter, tone index) -> letter
_JOIN: dict[tuple[str, int], str] = {}
for _base in _VOWEL_BASES:
    for _case_base in (_base, _base.upper()):
        for _ti, _tone in enumerate(_TONE_COMBINING):
            _ch = unicodedata.normalize("NFC", _case_base + _tone)
            _SPLIT[_ch] = (_case_base, _ti)
            _JOIN[(_case_base, _ti)] = _ch
_SPLIT["đ"] = ("đ", 0)
_SPLIT["Đ"] = ("Đ", 0)


def _ascii_fold_letter(ch: str) -> str:
    if ch in "đĐÐð":
        return "D"
    return unicodedata.normalize("NFD", ch)[0].upper()


#: Every precomposed Vietnamese letter (lower and upper) plus the look-alikes
#: Ð (U+00D0) and ð (U+00F0) ...
FOLD_FROM: str = VIETNAMESE_LETTERS + "Ðð"
#: ... and the upper-case ASCII letter each one folds to (same length).
FOLD_TO: str = "".join(_ascii_fold_letter(c) for c in FOLD_FROM)
assert len(FOLD_FROM) == len(FOLD_TO) and FOLD_TO.isascii()

_FOLD_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)
# Identity entries for U+0000-U+00FF: str.translate() on a non-ASCII string
# looks every character up, and a miss costs a raised-and-cleared LookupError;
# with these entries fold() is ~40 % faster on typical names.
_FOLD_TABLE.update({i: i for i in range(256) if i not in _FOLD_TABLE})

# --------------------------------------------------------------------------
# Basics
# --------------------------------------------------------------------------

# Zero-width characters that Excel/web copy-paste leaves in cells; they are
# removed (not turned into spaces).
_ZERO_WIDTH = str.maketrans({"\u200b": None, "\ufeff": None, "\u2060": None})


def nfc(s: str) -> str:
    """Unicode NFC (precomposed) form."""
    return unicodedata.normalize("NFC", s)


def normalize_space(s) -> str:
    """Strip and collapse every run of whitespace (spaces, tabs, newlines,
    NBSP and the other Unicode spaces) to one ASCII space.  Zero-width
    spaces/BOMs are dropped.  ``None`` gives ``""``."""
    if s is None:
        return ""
    if not isinstance(s, str):
        s = str(s)
    if not s.isascii():
        s = s.translate(_ZERO_WIDTH)
    return " ".join(s.split())


# --------------------------------------------------------------------------
# Tone placement
# --------------------------------------------------------------------------

# Vowel clusters (toneless, lower case) between the initial and the final
# consonant.  "open" = may end the syllable, "closed" = may take a final.
_CLUSTERS_OPEN = frozenset(
    """a e ê i o ô ơ u ư y oa oe uê uy
    ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu uơ
    iêu yêu oai oao oay oeo uây uôi ươi ươu uya uyu""".split()
)
_CLUSTERS_CLOSED = frozenset(
    """a ă â e ê i o ô ơ u ư y oa oe uê uy
    iê yê oă oo uâ uô uơ ươ uyê""".split()
)
_INITIALS = "ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx]"
_FINALS = "ch|ng|nh|[cmnptk]"  # k: Central Highlands names (Đắk Lắk, Búk)
_SYLLABLE_RE = re.compile(rf"({_INITIALS})?([aăâeêioôơuưy]+)({_FINALS})?")


def _parse(toneless_lower: str) -> tuple[int, str, str] | None:
    """Split a toneless lower-case syllable into (start of vowel cluster,
    cluster, final).  None if it is not a Vietnamese syllable."""
    m = _SYLLABLE_RE.fullmatch(toneless_lower)
    if m is None:
        return None
    cluster, final = m.group(2), m.group(3) or ""
    if final:
        ok = cluster in _CLUSTERS_CLOSED
    else:
        ok = cluster in _CLUSTERS_OPEN
    if not ok:
        return None
    return m.start(2), cluster, final


def _tone_target(cluster: str, final: str) -> int:
    """Index (within the cluster) of the vowel that carries the tone, old style."""
    hats = [i for i, c in enumerate(cluster) if c in _HAT_VOWELS]
    if hats:
        return hats[-1]  # ươ -> ơ, uyê -> ê, ưa -> ư
    if final:
        return len(cluster) - 1  # hoàng, hoạch, huỳnh
    if len(cluster) == 3:
        return 1  # oai, oay, uyu, oeo
    return 0  # à, mùa, hòa, khỏe, thủy (old style)


@lru_cache(maxsize=200_000)
def _canon_word(word: str) -> str:
    bases = []
    tone_pos = -1
    tone = 0
    for i, ch in enumerate(word):
        sp = _SPLIT.get(ch)
        if sp is None:
            if ch.isascii():
                bases.append(ch)
                continue
            return word  # a letter Vietnamese does not use
        b, t = sp
        bases.append(b)
        if t:
            if tone:
                return word  # two tones: not a syllable we understand
            tone, tone_pos = t, i
    if not tone:
        return word
    toneless = "".join(bases)
    parsed = _parse(toneless.lower())
    if parsed is None:
        return word
    start, cluster, final = parsed
    target = start + _tone_target(cluster, final)
    if target == tone_pos:
        return word
    chars = list(word)
    chars[tone_pos] = bases[tone_pos]
    chars[target] = _JOIN[(bases[target], tone)]
    return "".join(chars)


_WORD_RE = re.compile(r"[^\W\d_]+")


def _canon_match(m: re.Match) -> str:
    return _canon_word(m.group())


def canonical_tones(s: str) -> str:
    """NFC and one canonical tone placement per syllable (old style:
    hòa, khỏe, thủy; hoàng, quý, thuyền unchanged).  Idempotent, keeps case,
    leaves anything it cannot parse as a Vietnamese syllable untouched."""
    s = unicodedata.normalize("NFC", s)
    if s.isascii():
        return s
    parts = s.split(" ")
    for i, w in enumerate(parts):
        if w.isascii():
            continue
        parts[i] = _canon_word(w) if w.isalpha() else _WORD_RE.sub(_canon_match, w)
    return " ".join(parts)


_STOP_FINALS = frozenset(("c", "ch", "p", "t"))
_STOP_TONES = frozenset((0, 4, 5))  # ngang (loans, Đăk), sắc, nặng


def is_vietnamese_syllable(word: str) -> bool:
    """True if ``word`` (one syllable, any case) is spelled like a Vietnamese
    syllable: initial, vowel cluster and final consonant that go together, at
    most one tone, on the vowel that carries it (old or new style), and only
    sắc/nặng before c/ch/p/t.  Accepts the final k of Central Highlands names
    (Đắk Lắk) but not their consonant clusters (Krông).  Used by the
    legacy-encoding detector."""
    word = unicodedata.normalize("NFC", word)
    bases = []
    tone = 0
    tone_pos = -1
    for i, ch in enumerate(word):
        sp = _SPLIT.get(ch)
        if sp is None:
            if "a" <= ch <= "z" or "A" <= ch <= "Z":
                bases.append(ch)
                continue
            return False
        bases.append(sp[0])
        if sp[1]:
            if tone:
                return False
            tone, tone_pos = sp[1], i
    toneless = "".join(bases).lower()
    parsed = _parse(toneless)
    if parsed is None:
        return False
    start, cluster, final = parsed
    if tone:
        at = tone_pos - start
        if at != _tone_target(cluster, final) and not (
            at == 1 and not final and cluster in ("oa", "oe", "uy")  # new style hoà
        ):
            return False  # "xaõ", "Baûo"-like: a tone where no speller puts it
    if final in _STOP_FINALS and tone not in _STOP_TONES:
        return False
    if final in ("ch", "nh") and cluster[-1] not in "aêiy":
        return False  # anh, ênh, inh, oanh, uynh; never "ônh", "ơch"
    initial = toneless[:start]
    if final in ("c", "ng") and cluster in ("ê", "i", "y") and initial != "gi":
        return False  # ếch/ênh, ích/inh instead (but giếng = gi + iêng)
    if initial in ("gh", "ngh") and cluster[0] not in "eêi":
        return False
    return True


# --------------------------------------------------------------------------
# Person names
# --------------------------------------------------------------------------

_SEPARATORS = "-'\u2019\u02bc"
_SEGMENT_RE = re.compile(f"([{_SEPARATORS}])")


@lru_cache(maxsize=200_000)
def _name_word(word: str) -> str:
    if "Ð" in word or "ð" in word:
        word = word.replace("Ð", "Đ").replace("ð", "đ")
    word = canonical_tones(word)
    if any(c in word for c in _SEPARATORS):
        parts = _SEGMENT_RE.split(word)
        return "".join(p.capitalize() if i % 2 == 0 else p for i, p in enumerate(parts))
    return word.capitalize()


def normalize_name(s: str) -> str:
    """Person name: NFC, canonical tones, single spaces, each word
    capitalised ("NGUYỄN THỊ ĐÀO" -> "Nguyễn Thị Đào").  Segments after a
    hyphen or apostrophe are capitalised too ("h'hen niê" -> "H'Hen Niê").
    The look-alike Ð/ð (U+00D0/U+00F0) becomes Đ/đ.  Decodes no legacy
    encoding (see :mod:`ansinh.text.legacy`)."""
    s = normalize_space(s)
    if not s:
        return ""
    s = unicodedata.normalize("NFC", s)
    return " ".join([_name_word(w) for w in s.split(" ")])


# --------------------------------------------------------------------------
# Match key
# --------------------------------------------------------------------------

_fold_char_cache: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    r = _fold_char_cache.get(ch)
    if r is None:
        if ch.isascii():
            r = ch
        else:
            d = unicodedata.normalize("NFD", ch)
            r = "".join(c for c in d if not unicodedata.combining(c))
            r = unicodedata.normalize("NFC", r) if r else ""
        if len(_fold_char_cache) < 100_000:
            _fold_char_cache[ch] = r
    return r


def fold(s: str) -> str:
    """Match key: NFC, no tone marks, no hats/horns, đ/Đ/Ð -> D, upper case,
    single spaces.  "Nguyễn Đức  Thủy" -> "NGUYEN DUC THUY".

    Vietnamese letters go through the precomputed translate table
    (FOLD_FROM -> FOLD_TO); any other non-ASCII character is folded by NFD
    mark stripping.  Tone placement cannot change the result, so
    canonical_tones is implied rather than run."""
    if s.isascii():
        return " ".join(s.upper().split())
    s = unicodedata.normalize("NFC", s).translate(_FOLD_TABLE)
    if not s.isascii():
        # Other accented letters, stray combining marks, NBSP, zero-width spaces ...
        s = "".join([_fold_char(c) for c in s.translate(_ZERO_WIDTH)])
    return " ".join(s.upper().split())


# Whitespace as Python's str.split() sees it.
_WHITESPACE = [
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20,
    0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
]  # fmt: skip


def _ws_class(escape) -> str:
    return "[" + "".join(escape(cp) for cp in _WHITESPACE) + "]+"


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def fold_sql(expr: str, dialect: str = "duckdb") -> str:
    """SQL expression computing :func:`fold` of the SQL expression ``expr``.

    =============  ==============================================================
    dialect        expression (WS = class of all Unicode whitespace)
    =============  ==============================================================
    duckdb         trim(regexp_replace(upper(translate(nfc_normalize(x), FROM, TO)),
                   WS, ' ', 'g'))
    postgresql     btrim(regexp_replace(upper(translate(normalize(x, NFC), FROM,
                   TO)), WS, ' ', 'g'))   -- needs a UTF8 database (PG >= 13)
    spark          trim(regexp_replace(upper(translate(x, FROM, TO)), WS, ' '))
                   -- Spark has no NFC function: input must already be NFC
    sqlite         NotImplementedError: SQLite has neither translate() nor
                   regexp_replace() and 136 nested replace() calls overflow its
                   parser stack; register fold() as a function instead
                   (``conn.create_function("fold", 1, fold, deterministic=True)``).
    =============  ==============================================================

    FROM/TO are :data:`FOLD_FROM`/:data:`FOLD_TO` (targets are already upper
    case, so upper() only has to handle ASCII).  ``expr`` is inserted verbatim:
    pass a column name or a trusted expression, never user input.
    """
    d = dialect.lower()
    frm, to = _sql_str(FOLD_FROM), _sql_str(FOLD_TO)
    if d == "duckdb":
        ws = _sql_str(_ws_class(lambda cp: "\\x{%x}" % cp))
        return f"trim(regexp_replace(upper(translate(nfc_normalize({expr}), {frm}, {to})), {ws}, ' ', 'g'))"
    if d in ("postgresql", "postgres", "pg"):
        ws = _sql_str(_ws_class(lambda cp: "\\u%04x" % cp))
        return f"btrim(regexp_replace(upper(translate(normalize({expr}, NFC), {frm}, {to})), {ws}, ' ', 'g'))"
    if d == "spark":
        # Spark's parser turns '\\uXXXX' into the character itself; Java regex
        # accepts either form.
        ws = _sql_str(_ws_class(lambda cp: "\\u%04x" % cp))
        return f"trim(regexp_replace(upper(translate({expr}, {frm}, {to})), {ws}, ' '))"
    if d == "sqlite":
        raise NotImplementedError(
            "SQLite has neither translate() nor regexp_replace(), and 136 nested replace() "
            "calls overflow its parser stack. Register the Python function instead: "
            "conn.create_function('fold', 1, ansinh.text.fold, deterministic=True)."
        )
    raise ValueError(f"unknown SQL dialect {dialect!r} (duckdb, postgresql, spark, sqlite)")
