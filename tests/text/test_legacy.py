"""ansinh.text.legacy: TCVN3 (ABC) and VNI-Windows (pure functions, no Django).

The reference pairs below were taken from independent public tables and are
compared with the module's own tables, which were written separately.
"""
from __future__ import annotations

import sqlite3
import unicodedata
from importlib import resources

import pytest

from ansinh.text import canonical_tones, decode_legacy, detect_legacy, fold, tcvn3_to_unicode, vni_to_unicode
from ansinh.text.core import VIETNAMESE_LETTERS
from ansinh.text.legacy import detect_legacy_column, unicode_to_tcvn3, unicode_to_vni

LOWER = VIETNAMESE_LETTERS[:67]
UPPER = VIETNAMESE_LETTERS[67:]
TCVN3_CAPITALS = "ĂÂÊÔƠƯĐ"

# ---------------------------------------------------------------------------
# Source 1 -- GNU libiconv, lib/tcvn.h (TCVN-5712), table tcvn_2uni_2
# (read in the koron/libiconv mirror on GitHub).  TCVN3 byte : Unicode code
# point, for every byte of the VN3 range that is a Vietnamese letter.
LIBICONV_TCVN3 = """
    A1:0102 A2:00C2 A3:00CA A4:00D4 A5:01A0 A6:01AF A7:0110 A8:0103
    A9:00E2 AA:00EA AB:00F4 AC:01A1 AD:01B0 AE:0111 B5:00E0 B6:1EA3
    B7:00E3 B8:00E1 B9:1EA1 BB:1EB1 BC:1EB3 BD:1EB5 BE:1EAF C6:1EB7
    C7:1EA7 C8:1EA9 C9:1EAB CA:1EA5 CB:1EAD CC:00E8 CE:1EBB CF:1EBD
    D0:00E9 D1:1EB9 D2:1EC1 D3:1EC3 D4:1EC5 D5:1EBF D6:1EC7 D7:00EC
    D8:1EC9 DC:0129 DD:00ED DE:1ECB DF:00F2 E1:1ECF E2:00F5 E3:00F3
    E4:1ECD E5:1ED3 E6:1ED5 E7:1ED7 E8:1ED1 E9:1ED9 EA:1EDD EB:1EDF
    EC:1EE1 ED:1EDB EE:1EE3 EF:00F9 F1:1EE7 F2:0169 F3:00FA F4:1EE5
    F5:1EEB F6:1EED F7:1EEF F8:1EE9 F9:1EF1 FA:1EF3 FB:1EF7 FC:1EF9
    FD:00FD FE:1EF5
"""

# ---------------------------------------------------------------------------
# Source 2 -- EcoDynIZW/vietnameseConverter (R package), R/loadEncodingTableVN.R,
# "adapted from http://vietunicode.sourceforge.net/charset/".
# Unicode code point, VNI bytes, TCVN3 bytes ('+' joins the bytes of one letter;
# TCVN3 toned capitals are written there as capital + toned lower-case code).
VIETUNICODE_TABLE = """
    00C0 41+D8 41+B5   00C1 41+D9 41+B8   00C2 41+C2 A2      00C3 41+D5 41+B7
    00C8 45+D8 45+CC   00C9 45+D9 45+D0   00CA 45+C2 A3      00CC CC    49+D7
    00CD CD    49+DD   00D2 4F+D8 4F+DF   00D3 4F+D9 4F+E3   00D4 4F+C2 A4
    00D5 4F+D5 4F+E2   00D9 55+D8 55+EF   00DA 55+D9 55+F3   00DD 59+D9 59+FD
    00E0 61+F8 B5      00E1 61+F9 B8      00E2 61+E2 A9      00E3 61+F5 B7
    00E8 65+F8 CC      00E9 65+F9 D0      00EA 65+E2 AA      00EC EC    D7
    00ED ED    DD      00F2 6F+F8 DF      00F3 6F+F9 E3      00F4 6F+E2 AB
    00F5 6F+F5 E2      00F9 75+F8 EF      00FA 75+F9 F3      00FD 79+F9 FD
    0102 41+CA A1      0103 61+EA A8      0110 D1    A7      0111 F1    AE
    0128 D3    49+DC   0129 F3    DC      0168 55+D5 55+F2   0169 75+F5 F2
    01A0 D4    A5      01A1 F4    AC      01AF D6    A6      01B0 F6    AD
    1EA0 41+CF 41+B9   1EA1 61+EF B9      1EA2 41+DB 41+B6   1EA3 61+FB B6
    1EA4 41+C1 A2+CA   1EA5 61+E1 CA      1EA6 41+C0 A2+C7   1EA7 61+E0 C7
    1EA8 41+C5 A2+C8   1EA9 61+E5 C8      1EAA 41+C3 A2+C9   1EAB 61+E3 C9
    1EAC 41+C4 A2+CB   1EAD 61+E4 CB      1EAE 41+C9 A1+BE   1EAF 61+E9 BE
    1EB0 41+C8 A1+BB   1EB1 61+E8 BB      1EB2 41+DA A1+BC   1EB3 61+FA BC
    1EB4 41+DC A1+BD   1EB5 61+FC BD      1EB6 41+CB A1+C6   1EB7 61+EB C6
    1EB8 45+CF 45+D1   1EB9 65+EF D1      1EBA 45+DB 45+CE   1EBB 65+FB CE
    1EBC 45+D5 45+CF   1EBD 65+F5 CF      1EBE 45+C1 A3+D5   1EBF 65+E1 D5
    1EC0 45+C0 A3+D2   1EC1 65+E0 D2      1EC2 45+C5 A3+D3   1EC3 65+E5 D3
    1EC4 45+C3 A3+D4   1EC5 65+E3 D4      1EC6 45+C4 A3+D6   1EC7 65+E4 D6
    1EC8 C6    49+D8   1EC9 E6    D8      1ECA D2    49+DE   1ECB F2    DE
    1ECC 4F+CF 4F+E4   1ECD 6F+EF E4      1ECE 4F+DB 4F+E1   1ECF 6F+FB E1
    1ED0 4F+C1 A4+E8   1ED1 6F+E1 E8      1ED2 4F+C0 A4+E5   1ED3 6F+E0 E5
    1ED4 4F+C5 A4+E6   1ED5 6F+E5 E6      1ED6 4F+C3 A4+E7   1ED7 6F+E3 E7
    1ED8 4F+C4 A4+E9   1ED9 6F+E4 E9      1EDA D4+D9 A5+ED   1EDB F4+F9 ED
    1EDC D4+D8 A5+EA   1EDD F4+F8 EA      1EDE D4+DB A5+EB   1EDF F4+FB EB
    1EE0 D4+D5 A5+EC   1EE1 F4+F5 EC      1EE2 D4+CF A5+EE   1EE3 F4+EF EE
    1EE4 55+CF 55+F4   1EE5 75+EF F4      1EE6 55+DB 55+F1   1EE7 75+FB F1
    1EE8 D6+D9 A6+F8   1EE9 F6+F9 F8      1EEA D6+D8 A6+F5   1EEB F6+F8 F5
    1EEC D6+DB A6+F6   1EED F6+FB F6      1EEE D6+D5 A6+F7   1EEF F6+F5 F7
    1EF0 D6+CF A6+F9   1EF1 F6+EF F9      1EF2 59+D8 59+FA   1EF3 79+F8 FA
    1EF4 CE    59+FE   1EF5 EE    FE      1EF6 59+DB 59+FB   1EF7 79+FB FB
    1EF8 59+D5 59+FC   1EF9 79+F5 FC
"""

# ---------------------------------------------------------------------------
# Source 3 -- lamdao/xvnkb (X Vietnamese keyboard, Dao Hai Lam, 2002), vni.h.
# VNI strings in xvnkb's order: for A, Â, Ă, E, Ê, O, Ô, Ơ, U, Ư, I, Y the tones
# none, sắc, huyền, hỏi, ngã, nặng; then Đ; upper case first, then lower case.
XVNKB_VNI = """
    A AÙ AØ AÛ AÕ AÏ   AÂ AÁ AÀ AÅ AÃ AÄ   AÊ AÉ AÈ AÚ AÜ AË   E EÙ EØ EÛ EÕ EÏ
    EÂ EÁ EÀ EÅ EÃ EÄ   O OÙ OØ OÛ OÕ OÏ   OÂ OÁ OÀ OÅ OÃ OÄ   Ô ÔÙ ÔØ ÔÛ ÔÕ ÔÏ
    U UÙ UØ UÛ UÕ UÏ   Ö ÖÙ ÖØ ÖÛ ÖÕ ÖÏ   I Í Ì Æ Ó Ò   Y YÙ YØ YÛ YÕ Î   Ñ
    a aù aø aû aõ aï   aâ aá aà aå aã aä   aê aé aè aú aü aë   e eù eø eû eõ eï
    eâ eá eà eå eã eä   o où oø oû oõ oï   oâ oá oà oå oã oä   ô ôù ôø ôû ôõ ôï
    u uù uø uû uõ uï   ö öù öø öû öõ öï   i í ì æ ó ò   y yù yø yû yõ î   ñ
"""

# ---------------------------------------------------------------------------
# Source 4 -- phrases.
PHRASES = [
    # duydev/vietnamese-conversion (npm), tests/helpers/test-data.ts
    ("tcvn3", "Xin chµo c¸c b¹n", "Xin chào các bạn"),
    ("vni", "Xin chaøo caùc baïn", "Xin chào các bạn"),
    ("tcvn3", "T«i ®i häc", "Tôi đi học"),
    ("vni", "Toâi ñi hoïc", "Tôi đi học"),
    # EcoDynIZW/vietnameseConverter, R/decodeVN.R (documentation example)
    ("tcvn3", "Qu\u00b6ng Tr\u00de", "Quảng Trị"),
    ("tcvn3", "An \u00a7\u00abn", "An Đôn"),
    ("tcvn3", "Th\u00f5a Thi\u00aan Hu\u00d5", "Thừa Thiên Huế"),
    # the brief / common knowledge
    ("tcvn3", "NguyÔn ThÞ B¶o", "Nguyễn Thị Bảo"),
    ("tcvn3", "hép møt tÕt", "hộp mứt tết"),
    ("vni", "Nguyeãn Thò Baûo", "Nguyễn Thị Bảo"),
    ("tcvn3", "§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
    ("tcvn3", "Ng\u00adêi lao ®éng ph¶i ®\u00adîc tr¶ l\u00ad¬ng ®óng h¹n.", "Người lao động phải được trả lương đúng hạn."),
    ("tcvn3", "KÕt qu¶ thu ®\u00adîc", "Kết quả thu được"),
    ("tcvn3", "B¶o Th¾ng", "Bảo Thắng"),
    ("tcvn3", "M\u00adêng Kh\u00ad¬ng", "Mường Khương"),
    ("vni", "Ñaëng Vaên Huøng", "Đặng Văn Hùng"),
    ("vni", "Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
    ("vni", "UÛY BAN NHAÂN DAÂN XAÕ", "ỦY BAN NHÂN DÂN XÃ"),
    ("vni", "Tænh Thanh Hoùa", "Tỉnh Thanh Hóa"),
]


def _hex_chars(spec: str) -> str:
    return "".join(chr(int(h, 16)) for h in spec.split("+"))


def _vietunicode_rows():
    tokens = VIETUNICODE_TABLE.split()
    assert len(tokens) == 3 * 134
    return [
        (chr(int(tokens[i], 16)), _hex_chars(tokens[i + 1]), _hex_chars(tokens[i + 2]))
        for i in range(0, len(tokens), 3)
    ]


def _xvnkb_pairs():
    seqs = XVNKB_VNI.split()
    assert len(seqs) == 146
    letters = []
    for case in (str.upper, str.lower):
        for vowel in "aâăeêoôơuưiy":
            for tone in ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"):
                letters.append(case(unicodedata.normalize("NFC", vowel + tone)))
        letters.append(case("đ"))
    return [(vni, u) for vni, u in zip(seqs, letters) if not u.isascii()]


# ---------------------------------------------------------------------------
# Tables against the sources


def test_tcvn3_against_libiconv():
    pairs = [p.split(":") for p in LIBICONV_TCVN3.split()]
    assert len(pairs) == 67 + 7
    letters = set()
    for byte, cp in pairs:
        code, letter = chr(int(byte, 16)), chr(int(cp, 16))
        assert tcvn3_to_unicode(code, caps=False) == letter
        assert unicode_to_tcvn3(letter) == code
        letters.add(letter)
    assert letters == set(LOWER) | set(TCVN3_CAPITALS)


def test_tcvn3_and_vni_against_vietunicode_table():
    rows = _vietunicode_rows()
    assert {u for u, _, _ in rows} == set(VIETNAMESE_LETTERS)
    for letter, vni, tcvn3 in rows:
        assert unicode_to_vni(letter) == vni, letter
        assert vni_to_unicode(vni) == letter, letter
        if len(tcvn3) == 1:
            assert unicode_to_tcvn3(letter) == tcvn3, letter
            assert tcvn3_to_unicode(tcvn3) == letter, letter
        else:
            # capital + toned lower-case code, as in that table
            assert tcvn3_to_unicode(tcvn3) == letter, letter


def test_vni_against_xvnkb():
    pairs = _xvnkb_pairs()
    assert len(pairs) == 134
    for vni, letter in pairs:
        assert unicode_to_vni(letter) == vni, letter
        assert vni_to_unicode(vni) == letter, letter


@pytest.mark.parametrize("encoding, legacy, unicode", PHRASES)
def test_phrases(encoding, legacy, unicode):
    decode = tcvn3_to_unicode if encoding == "tcvn3" else vni_to_unicode
    assert decode(legacy) == unicode
    assert detect_legacy(legacy) == encoding
    assert decode_legacy(legacy) == unicode
    assert decode_legacy(legacy, encoding) == unicode


# ---------------------------------------------------------------------------
# Round trips over all letters


def test_vni_round_trip_all_134_letters():
    for letter in VIETNAMESE_LETTERS:
        assert vni_to_unicode(unicode_to_vni(letter)) == letter
    text = " ".join(VIETNAMESE_LETTERS)
    assert vni_to_unicode(unicode_to_vni(text)) == text
    # the encoding is plain Latin-1 text
    assert all(ord(c) < 256 for c in unicode_to_vni(text))


def test_tcvn3_round_trip_all_letters():
    for letter in LOWER + TCVN3_CAPITALS:
        assert tcvn3_to_unicode(unicode_to_tcvn3(letter)) == letter
    text = " ".join(LOWER + TCVN3_CAPITALS)
    assert tcvn3_to_unicode(unicode_to_tcvn3(text)) == text
    assert all(ord(c) < 256 for c in unicode_to_tcvn3(text))
    # toned capitals have no code: they travel as the lower-case code (.VnTimeH)
    for letter in UPPER:
        if letter in TCVN3_CAPITALS:
            continue
        encoded = unicode_to_tcvn3(letter)
        assert encoded == unicode_to_tcvn3(letter.lower())
        assert tcvn3_to_unicode(encoded) == letter.lower()  # no context: lower case
        # in an all-capitals cell the capital comes back
        assert tcvn3_to_unicode(unicode_to_tcvn3("CỘNG HÒA " + letter)) == "CỘNG HÒA " + letter
        assert tcvn3_to_unicode(unicode_to_tcvn3(letter) + "NG", caps=True) == letter + "NG"


def test_tcvn3_capitals():
    assert tcvn3_to_unicode("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM") == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert tcvn3_to_unicode("CéNG HOµ", caps=False) == "CộNG HÒa"
    assert tcvn3_to_unicode("UBND X· HOµ B×NH") == "UBND XÃ HÒA BÌNH"
    assert tcvn3_to_unicode("HuyÖn B¸c ¸i") == "Huyện Bác Ái"
    assert tcvn3_to_unicode("X· Bµ Nµ") == "Xã Bà Nà"  # title case, not capitals
    assert tcvn3_to_unicode("Hé gia ®×nh") == "Hộ gia đình"
    assert tcvn3_to_unicode("§¡NG Ký") == "ĐĂNG KÝ"


def test_vni_case_variants():
    assert vni_to_unicode("Aùnh") == "Ánh"  # Excel PROPER() on "aùnh"
    assert vni_to_unicode("AÙNH") == "ÁNH"
    assert vni_to_unicode("aÙnh") == "ánh"
    assert vni_to_unicode("NGUYEÃN") == "NGUYỄN"
    assert vni_to_unicode("Hoaø") == "Hòa"  # typed new style, canonical on output
    assert vni_to_unicode("Thuyû") == "Thủy"


def test_ascii_passes_through():
    for f in (tcvn3_to_unicode, vni_to_unicode, unicode_to_tcvn3, unicode_to_vni, decode_legacy):
        assert f("Nguyen Van A, 12/3") == "Nguyen Van A, 12/3"
    assert detect_legacy("Nguyen Van A") is None
    assert detect_legacy("") is None
    assert decode_legacy(None) is None
    with pytest.raises(ValueError):
        decode_legacy("abc", "viscii")


# ---------------------------------------------------------------------------
# Detection

NOT_LEGACY = [
    # proper Unicode Vietnamese
    "Nguyễn Thị Bảo",
    "Đặng Văn Hùng",
    "Lạng Sơn",
    "Thôn Nà Pàn",
    "Hoàng",
    "Lê Hoàng",
    "Hòa Bình",
    "Hoà Bình",
    "Tây Ninh",
    "Cà Mau",
    "Lào Cai",
    "Lê",
    "Thò",
    "Hùng",
    "Tân Châu",
    "Phú Yên",
    "Xã Tà Xùa",
    "Pác Bó",
    "Cô Tô",
    "Ðào",  # Icelandic look-alike of Đ
    "Krông Búk",
    "Mù Cang Chải",
    "Phường Bến Thành",
    "Xã Cù Lao Giêng",
    "Bùi Thị Xuân",
    "Lê · Hà",
    # Latin-1 words of other languages
    "café",
    "naïve",
    "Müller",
    "São Paulo",
    "Zürich",
    "Crème brûlée",
    "José Martí",
    "Ångström",
    "résumé",
    "façade",
    "El Niño",
    "smörgåsbord",
    "Côte d'Ivoire",
    "Straße",
    "50°C ± 2",
    "Company® ©2020 ½ kg",
    # English / ASCII
    "Hello world 123!@#",
    "Ho Chi Minh City",
    "NGUYEN VAN A",
    "",
    "   ",
]


@pytest.mark.parametrize("text", NOT_LEGACY)
def test_no_false_positive(text):
    assert detect_legacy(text) is None
    assert decode_legacy(text) == text


def test_detect_generated_names():
    names = [
        "Nguyễn Thị Bảo",
        "Đặng Văn Hùng",
        "Trần Thị Thủy",
        "Lê Hoàng Long",
        "Phạm Ngọc Ánh",
        "Huỳnh Quốc Việt",
        "Võ Thị Mỹ Dung",
        "Xã Nậm Pồ, Huyện Nậm Pồ, Tỉnh Điện Biên",
        "Thôn Nà Pàn, Xã Hòa Bình",
        "Ủy ban nhân dân xã Quảng Trường",
    ]
    for name in names:
        t, v = unicode_to_tcvn3(name), unicode_to_vni(name)
        assert detect_legacy(t) == "tcvn3", t
        assert detect_legacy(v) == "vni", v
        assert decode_legacy(v) == canonical_tones(name)
        assert fold(decode_legacy(t)) == fold(name)
        assert detect_legacy(name) is None


def test_detect_legacy_column():
    # single cells too short to tell ("mét" is also a Unicode word), a column can
    cells = ["mét", "hai", "Hé", "Lª V¨n Tó", "NguyÔn V¨n B×nh", None, 12]
    assert detect_legacy("mét") is None
    assert detect_legacy_column(cells) == "tcvn3"
    assert detect_legacy_column(["Hoaøng", "Thò", "Nguyeãn Vaên A"]) == "vni"
    assert detect_legacy_column(["Hoàng", "Thị", "Nguyễn Văn A", "café"]) is None
    assert detect_legacy_column([]) is None


def _admin_unit_names() -> list[str]:
    path = resources.files("vietnamadminunits") / "data" / "dataset.db"
    with resources.as_file(path) as db:
        con = sqlite3.connect(db)
        try:
            names = set()
            for row in con.execute("select province, district, ward from admin_units_legacy"):
                names.update(x for x in row if x)
            for row in con.execute("select province, ward from admin_units"):
                names.update(x for x in row if x)
        finally:
            con.close()
    return sorted(names)


def test_official_unit_names():
    """All ~9,400 official unit names (vietnamadminunits): already canonical,
    never detected as legacy, and detected/decoded when encoded."""
    names = _admin_unit_names()
    assert len(names) > 9000
    missed = {"tcvn3": 0, "vni": 0}
    for name in names:
        assert canonical_tones(name) == name
        assert detect_legacy(name) is None, name
        for enc, encode in (("tcvn3", unicode_to_tcvn3), ("vni", unicode_to_vni)):
            legacy = encode(name)
            if detect_legacy(legacy) != enc:
                missed[enc] += 1
            decoded = decode_legacy(legacy, enc)
            assert fold(decoded) == fold(name)
            if enc == "vni":
                assert decoded == name
    assert missed["tcvn3"] <= 5 and missed["vni"] <= 5, missed
