"""Legacy Vietnamese 8-bit encodings found in government spreadsheets.

Many commune/district lists were typed before Unicode with the ABC (TCVN3)
fonts (.VnTime, .VnArial, capitals in .VnTimeH) or the VNI fonts (VNI-Times).
Opened without those fonts -- or read by xlrd/calamine/openpyxl -- the cell
text is the raw code points shown as Windows-1252/Latin-1 characters::

    TCVN3   "NguyÔn ThÞ B¶o"      VNI   "Nguyeãn Thò Baûo"     = "Nguyễn Thị Bảo"

TCVN3 (TCVN 5712:1993, "VN3")
    One byte per letter.  It has the 67 lower-case Vietnamese letters and only
    seven capitals (Ă Â Ê Ô Ơ Ư Đ = ¡ ¢ £ ¤ ¥ ¦ §).  Capitals with a tone are
    written by typing the *lower-case* code in the capital font .VnTimeH
    ("CéNG HOµ" is "CỘNG HÒA" in .VnTimeH).  :func:`tcvn3_to_unicode` upper-
    cases such letters when the surrounding ASCII letters say the word is in
    capitals (see ``caps``).  Some converters (vietunicode.sourceforge.net's
    table, npm vietnamese-conversion) write a toned capital as the plain
    capital followed by the toned lower-case code ("Aµ" = "À", "¢Ê" = "Ấ");
    that pair is recognised too.
VNI-Windows
    A base letter followed by a mark character (``aù`` = á, ``aâ`` = â,
    ``aá`` = ấ, ``aê`` = ă); ơ ư đ and the i's and ỵ are single characters
    (ô ö ñ; ì í æ ó ò; î).  Upper case uses the upper-case mark characters.

The tables here were written from the standards and checked against
independent public tables (see tests/text/test_legacy.py).

Detection (:func:`detect_legacy`) is per cell: a cell is legacy text only if
it holds nothing a legacy font cannot produce (no character above U+00FF other
than Windows-1252 punctuation) and converting it turns words that are not
Vietnamese syllables into Vietnamese syllables: at least half of the non-
syllables are repaired, and repaired words outnumber twice the words the
conversion breaks.  Equal evidence for both encodings gives None.  A short cell that reads as valid Unicode Vietnamese either
way ("mét" is TCVN3 for "một") is left alone; use :func:`detect_legacy_column`
to decide for a whole column/sheet.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from ansinh.text.core import _JOIN, _SPLIT, canonical_tones, is_vietnamese_syllable

__all__ = [
    "decode_legacy",
    "detect_legacy",
    "detect_legacy_column",
    "tcvn3_to_unicode",
    "unicode_to_tcvn3",
    "unicode_to_vni",
    "vni_to_unicode",
]

# --------------------------------------------------------------------------
# TCVN3
# --------------------------------------------------------------------------

# letter -> TCVN3 code, grouped by base vowel in the order  ` ? ~ ' .
_TCVN3_ENCODE: dict[str, str] = dict(
    zip(
        "àảãáạ" "ăằẳẵắặ" "âầẩẫấậ" "đ" "èẻẽéẹ" "êềểễếệ" "ìỉĩíị"
        "òỏõóọ" "ôồổỗốộ" "ơờởỡớợ" "ùủũúụ" "ưừửữứự" "ỳỷỹýỵ"
        "ĂÂÊÔƠƯĐ",
        "\xb5\xb6\xb7\xb8\xb9"  # à ả ã á ạ
        "\xa8\xbb\xbc\xbd\xbe\xc6"  # ă ằ ẳ ẵ ắ ặ
        "\xa9\xc7\xc8\xc9\xca\xcb"  # â ầ ẩ ẫ ấ ậ
        "\xae"  # đ
        "\xcc\xce\xcf\xd0\xd1"  # è ẻ ẽ é ẹ
        "\xaa\xd2\xd3\xd4\xd5\xd6"  # ê ề ể ễ ế ệ
        "\xd7\xd8\xdc\xdd\xde"  # ì ỉ ĩ í ị
        "\xdf\xe1\xe2\xe3\xe4"  # ò ỏ õ ó ọ
        "\xab\xe5\xe6\xe7\xe8\xe9"  # ô ồ ổ ỗ ố ộ
        "\xac\xea\xeb\xec\xed\xee"  # ơ ờ ở ỡ ớ ợ
        "\xef\xf1\xf2\xf3\xf4"  # ù ủ ũ ú ụ
        "\xad\xf5\xf6\xf7\xf8\xf9"  # ư ừ ử ữ ứ ự
        "\xfa\xfb\xfc\xfd\xfe"  # ỳ ỷ ỹ ý ỵ
        "\xa1\xa2\xa3\xa4\xa5\xa6\xa7",  # Ă Â Ê Ô Ơ Ư Đ
        strict=True,
    )
)
assert len(_TCVN3_ENCODE) == 74 and len(set(_TCVN3_ENCODE.values())) == 74
_TCVN3_DECODE = str.maketrans({code: letter for letter, code in _TCVN3_ENCODE.items()})
_TCVN3_CHARS = frozenset(_TCVN3_ENCODE.values())

# "Aµ" -> "À", "¢Ê" -> "Ấ" (capital + the toned lower-case letter of the same vowel).
_TONED_LOWER = "".join(ch for ch, (b, t) in _SPLIT.items() if t and ch.islower())
_PAIR_RE = re.compile(f"([AEIOUYĂÂÊÔƠƯ])([{_TONED_LOWER}])")


def _merge_pair(m: re.Match) -> str:
    cap, low = m.group(1), m.group(2)
    base, tone = _SPLIT[low]
    if base.upper() != cap:
        return m.group()
    return _JOIN[(cap, tone)]


def _is_ascii_letter(c: str) -> bool:
    return ("A" <= c <= "Z") or ("a" <= c <= "z")


_TCVN3_CAPITAL_CODES = frozenset("\xa1\xa2\xa3\xa4\xa5\xa6\xa7")


def _starts_upper(raw_word: str) -> bool | None:
    """True/False if the first letter of a TCVN3 word shows its case, None
    if it starts with a lower-case-only code (toned vowel, ă â ê ô ơ ư đ)."""
    for c in raw_word:
        if _is_ascii_letter(c):
            return c.isupper()
        if c in _TCVN3_CAPITAL_CODES:
            return True
        if c in _TCVN3_CHARS:
            return None
    return False


def _tcvn3_caps(raw: str, decoded: str) -> str:
    """Restore capitals that TCVN3 cannot encode (see tcvn3_to_unicode)."""
    raw_words = raw.split(" ")
    dec_words = decoded.split(" ")
    if len(raw_words) != len(dec_words):  # cannot happen: translate is 1:1 on spaces
        return decoded
    caps_words = 0  # words with >= 2 ASCII letters, all capitals
    caps_coded = False  # ... one of which also holds a lower-case-only code
    lower_seen = False
    for w in raw_words:
        letters = [c for c in w if _is_ascii_letter(c)]
        if any(c.islower() for c in letters):
            lower_seen = True
        elif len(letters) >= 2:
            caps_words += 1
            caps_coded = caps_coded or any(c in _TCVN3_CHARS for c in w)
    cell_caps = not lower_seen and (caps_coded or caps_words >= 2)
    starts = [_starts_upper(w) if any(c.isalpha() or c in _TCVN3_CHARS for c in w) else False for w in raw_words]
    known = [x for x, w in zip(starts, raw_words) if x is not None and any(c.isalpha() for c in w)]
    title_cell = bool(known) and all(known)
    out = []
    for rw, dw, st in zip(raw_words, dec_words, starts):
        letters = [c for c in rw if _is_ascii_letter(c)]
        if (len(letters) >= 2 and all(c.isupper() for c in letters)) or (
            cell_caps and any(c in _TCVN3_CHARS for c in rw)
        ):
            dw = dw.upper()
        elif st is None and title_cell:
            i = next(i for i, c in enumerate(dw) if c.isalpha())
            dw = dw[:i] + dw[i].upper() + dw[i + 1 :]
        out.append(dw)
    return " ".join(out)


def tcvn3_to_unicode(s: str, *, caps: bool = True) -> str:
    """Decode TCVN3 (ABC) text to NFC Unicode with canonical tone placement.

    ``caps``: restore the capitals TCVN3 cannot encode.  Lower-case codes are
    upper-cased in a word whose ASCII letters (at least two) are all capitals,
    and in every word of a cell without lower-case ASCII letters where such a
    word also holds a toned code or where there are two such words (text in
    .VnTimeH: "CéNG HOµ X· HéI" -> "CỘNG HÒA XÃ HỘI"); a word starting
    with a toned vowel gets a capital initial when every other word of the
    cell starts with a capital ("HuyÖn B¸c ¸i" -> "Huyện Bác Ái").  Without
    such hints toned vowels decode to lower case."""
    if s.isascii():
        return s
    decoded = s.translate(_TCVN3_DECODE)
    decoded = _PAIR_RE.sub(_merge_pair, decoded)
    if caps:
        decoded = _tcvn3_caps(s, decoded)
    return canonical_tones(decoded)


def unicode_to_tcvn3(s: str) -> str:
    """Encode to TCVN3.  Toned capitals have no code of their own: they are
    written with the lower-case code (to be shown in .VnTimeH), so the round
    trip of an isolated toned capital gives the lower-case letter."""
    s = unicodedata.normalize("NFC", s)
    out = []
    for ch in s:
        code = _TCVN3_ENCODE.get(ch)
        if code is None and ch.isupper() and not ch.isascii():
            code = _TCVN3_ENCODE.get(ch.lower())
        out.append(code if code is not None else ch)
    return "".join(out)


# --------------------------------------------------------------------------
# VNI-Windows
# --------------------------------------------------------------------------

# Mark characters by tone index (none, huyền, hỏi, ngã, sắc, nặng).
_VNI_TONE = ("", "\xf8", "\xfb", "\xf5", "\xf9", "\xef")  # ø û õ ù ï
_VNI_CIRCUMFLEX = ("\xe2", "\xe0", "\xe5", "\xe3", "\xe1", "\xe4")  # â à å ã á ä
_VNI_BREVE = ("\xea", "\xe8", "\xfa", "\xfc", "\xe9", "\xeb")  # ê è ú ü é ë
_VNI_I = ("i", "\xec", "\xe6", "\xf3", "\xed", "\xf2")  # i ì æ ó í ò
_VNI_BASE = {"a": "a", "e": "e", "o": "o", "u": "u", "y": "y", "ơ": "\xf4", "ư": "\xf6"}


def _build_vni() -> dict[str, str]:
    enc: dict[str, str] = {"đ": "\xf1"}  # ñ
    for tone in range(6):
        for letter, base in _VNI_BASE.items():
            enc[_JOIN[(letter, tone)]] = base + _VNI_TONE[tone]
        enc[_JOIN[("â", tone)]] = "a" + _VNI_CIRCUMFLEX[tone]
        enc[_JOIN[("ê", tone)]] = "e" + _VNI_CIRCUMFLEX[tone]
        enc[_JOIN[("ô", tone)]] = "o" + _VNI_CIRCUMFLEX[tone]
        enc[_JOIN[("ă", tone)]] = "a" + _VNI_BREVE[tone]
        enc[_JOIN[("i", tone)]] = _VNI_I[tone]
    enc["ỵ"] = "\xee"  # î
    for letter in list(enc):
        enc[letter.upper()] = enc[letter].upper()  # Latin-1 upper case = VNI capitals
    return {k: v for k, v in enc.items() if not k.isascii()}


_VNI_ENCODE = _build_vni()
assert len(_VNI_ENCODE) == 134


def _build_vni_decode() -> dict[str, str]:
    dec: dict[str, str] = {}
    for letter, seq in _VNI_ENCODE.items():
        if not letter.islower():
            continue
        up = letter.upper()
        if len(seq) == 1:
            dec[seq] = letter
            dec[seq.upper()] = up
        else:
            b, m = seq
            # case follows the base letter: "Aù" (Excel PROPER()) is still Á
            for mm in (m, m.upper()):
                dec[b + mm] = letter
                dec[b.upper() + mm] = up
    return dec


_VNI_DECODE = _build_vni_decode()
_VNI_RE = re.compile("|".join(re.escape(k) for k in sorted(_VNI_DECODE, key=len, reverse=True)))


def vni_to_unicode(s: str) -> str:
    """Decode VNI-Windows text to NFC Unicode with canonical tone placement."""
    if s.isascii():
        return s
    return canonical_tones(_VNI_RE.sub(lambda m: _VNI_DECODE[m.group()], s))


def unicode_to_vni(s: str) -> str:
    """Encode to VNI-Windows (upper-case letters get upper-case marks)."""
    s = unicodedata.normalize("NFC", s)
    return "".join(_VNI_ENCODE.get(ch, ch) for ch in s)


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------

# Windows-1252 0x80-0x9F punctuation/symbols: may appear in legacy cells
# (curly quotes, dashes, ellipsis) without meaning the text is Unicode.
_CP1252_EXTRA = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))
_LEGACY_TOKEN_RE = re.compile(r"[A-Za-z\xa1-\xff]+")
_CONVERTERS = {
    "tcvn3": lambda w: _PAIR_RE.sub(_merge_pair, w.translate(_TCVN3_DECODE)),
    "vni": lambda w: _VNI_RE.sub(lambda m: _VNI_DECODE[m.group()], w),
}


def _evidence(s: str) -> dict[str, tuple[int, int, int]] | None:
    """Per encoding: (words fixed, words broken, non-Vietnamese words before)."""
    if not s or s.isascii():
        return None
    for ch in s:
        if ord(ch) > 0xFF and ch not in _CP1252_EXTRA:
            return None  # real Unicode (ả, ơ, đ ... or any other script)
    tokens = [
        t
        for t in _LEGACY_TOKEN_RE.findall(s)
        if not t.isascii() and any(c.isalpha() for c in t)
    ]
    if not tokens:
        return None
    orig_ok = [is_vietnamese_syllable(t) for t in tokens]
    bad_before = orig_ok.count(False)
    if bad_before == 0:
        return None
    result = {}
    for enc, conv in _CONVERTERS.items():
        fixed = broken = 0
        for t, ok in zip(tokens, orig_ok):
            c = conv(t)
            if c == t:
                continue
            c_ok = is_vietnamese_syllable(c)
            if c_ok and not ok:
                fixed += 1
            elif ok and not c_ok:
                broken += 1
        result[enc] = (fixed, broken, bad_before)
    return result


def _choose(totals: dict[str, tuple[int, int, int]]) -> str | None:
    scored = []
    for enc, (fixed, broken, bad_before) in totals.items():
        score = fixed - 2 * broken
        if fixed and score > 0 and 2 * fixed >= bad_before:
            scored.append((score, enc))
    if not scored:
        return None
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None  # ambiguous
    return scored[0][1]


def detect_legacy(s: str) -> str | None:
    """"tcvn3", "vni" or None for one cell.  Plain ASCII, proper Unicode
    Vietnamese, other languages and anything ambiguous give None."""
    ev = _evidence(s)
    return _choose(ev) if ev else None


def detect_legacy_column(values: Iterable[str | None]) -> str | None:
    """Like :func:`detect_legacy` but weighing the evidence of many cells
    (a column or a whole sheet typed in one font)."""
    totals = {enc: [0, 0, 0] for enc in _CONVERTERS}
    for v in values:
        if not isinstance(v, str):
            continue
        ev = _evidence(v)
        if not ev:
            continue
        for enc, triple in ev.items():
            for i, n in enumerate(triple):
                totals[enc][i] += n
    return _choose({k: tuple(v) for k, v in totals.items()})


def decode_legacy(s: str, encoding: str | None = None) -> str:
    """Decode ``s`` from ``encoding`` ("tcvn3"/"vni"), or from the detected
    one; returned unchanged when nothing is detected."""
    if s is None:
        return s
    enc = encoding if encoding is not None else detect_legacy(s)
    if enc == "tcvn3":
        return tcvn3_to_unicode(s)
    if enc == "vni":
        return vni_to_unicode(s)
    if enc is None:
        return s
    raise ValueError(f"unknown legacy encoding {encoding!r} (tcvn3, vni)")
