"""ansinh.text.core: NFC, tone placement, names, match keys (pure functions, no Django)."""
from __future__ import annotations

import random
import unicodedata

import pytest

from ansinh.text import (
    FOLD_FROM,
    FOLD_TO,
    canonical_tones,
    fold,
    fold_sql,
    nfc,
    normalize_name,
    normalize_space,
)
from ansinh.text.core import VIETNAMESE_LETTERS, is_vietnamese_syllable

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731


def sql_emulation(s: str) -> str:
    """What fold_sql() computes, done in Python: upper(translate(nfc(x), FROM, TO)),
    whitespace runs -> ' ', trim."""
    return " ".join(nfc(s).translate(str.maketrans(FOLD_FROM, FOLD_TO)).upper().split())


# ---------------------------------------------------------------- alphabet


def test_alphabet_has_134_letters():
    assert len(VIETNAMESE_LETTERS) == 134 == len(set(VIETNAMESE_LETTERS))
    lower, upper = VIETNAMESE_LETTERS[:67], VIETNAMESE_LETTERS[67:]
    assert lower.upper() == upper and upper.lower() == lower
    assert all(unicodedata.is_normalized("NFC", c) and not c.isascii() for c in VIETNAMESE_LETTERS)
    for c in "ăâêôơưđảẫậềểịọổờỡợủứựỳỷỹỵ":
        assert c in lower


# ---------------------------------------------------------------- nfc / spaces


def test_nfc():
    assert nfc(NFD("Nguyễn Thị Bảo")) == "Nguyễn Thị Bảo"
    assert len(nfc(NFD("ễ"))) == 1
    assert nfc("abc") == "abc"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  Nguyễn   Văn  A ", "Nguyễn Văn A"),
        ("Nguyễn\u00a0Văn\tA\n", "Nguyễn Văn A"),
        ("\r\nHà\u3000Nội\u2009", "Hà Nội"),
        ("Lê\u200bThị", "LêThị"),  # zero-width space is dropped, not a separator
        ("\ufeffHoa", "Hoa"),
        ("", ""),
        ("   ", ""),
        (None, ""),
        (12, "12"),
    ],
)
def test_normalize_space(raw, expected):
    assert normalize_space(raw) == expected


# ---------------------------------------------------------------- canonical tones


@pytest.mark.parametrize(
    "raw, expected",
    [
        # new style -> old style for open oa / oe / uy
        ("hoà", "hòa"),
        ("hòa", "hòa"),
        ("thuỷ", "thủy"),
        ("thủy", "thủy"),
        ("khoẻ", "khỏe"),
        ("khỏe", "khỏe"),
        ("luỹ", "lũy"),
        ("uỷ ban", "ủy ban"),
        ("Thanh Hoá", "Thanh Hóa"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("Hoà Bình", "Hòa Bình"),
        ("xoè", "xòe"),
        # qu / gi are consonants: no change
        ("quý", "quý"),
        ("Quỳnh", "Quỳnh"),
        ("quả", "quả"),
        ("gìn", "gìn"),
        ("già", "già"),
        ("giữa", "giữa"),
        ("giếng", "giếng"),
        # final consonant or other clusters: standard placement, unchanged
        ("hoàng", "hoàng"),
        ("hoạch", "hoạch"),
        ("quyết", "quyết"),
        ("thuyền", "thuyền"),
        ("tuấn", "tuấn"),
        ("toán", "toán"),
        ("huỳnh", "huỳnh"),
        ("người", "người"),
        ("mùa", "mùa"),
        ("của", "của"),
        ("hoài", "hoài"),
        ("xoáy", "xoáy"),
        ("khuỷu", "khuỷu"),
        ("thuở", "thuở"),
        ("tuổi", "tuổi"),
        # misplaced tones are moved to the standard vowel
        ("qúy", "quý"),
        ("hòang", "hoàng"),
        ("gìa", "già"),
        ("mưạ", "mựa"),
        # case is kept letter by letter
        ("HOÀ", "HÒA"),
        ("Thuỷ", "Thủy"),
        ("KHOẺ", "KHỎE"),
        ("HoÀ", "HòA"),
        ("ĐẶNG THỊ THUỶ", "ĐẶNG THỊ THỦY"),
        # punctuation and digits around syllables
        ("Hoà-Bình, thuỷ 12 khoẻ.", "Hòa-Bình, thủy 12 khỏe."),
        ("(Hoà)", "(Hòa)"),
        # not Vietnamese: untouched
        ("café naïve Zürich", "café naïve Zürich"),
        ("Krông Búk", "Krông Búk"),
        ("Đắk Lắk", "Đắk Lắk"),
        ("東京 Москва", "東京 Москва"),
        ("plain ascii", "plain ascii"),
        ("", ""),
    ],
)
def test_canonical_tones(raw, expected):
    assert canonical_tones(raw) == expected
    assert canonical_tones(expected) == expected


def test_canonical_tones_nfd_input():
    assert canonical_tones(NFD("Thanh Hoá")) == "Thanh Hóa"
    assert canonical_tones(NFD("thuỷ")) == "thủy"


def test_canonical_tones_idempotent_and_case_preserving():
    words = "hoà hòa thuỷ khoẻ quý hoàng HOÀ Thuỷ quyết thuyền tuấn gìn già Huệ Nguyễn ỦY KhỎe".split()
    words += list(VIETNAMESE_LETTERS)
    for w in words:
        once = canonical_tones(w)
        assert canonical_tones(once) == once
        assert len(once) == len(nfc(w))
        assert [c.isupper() for c in once] == [c.isupper() for c in nfc(w)]
        assert fold(once) == fold(w)


def test_old_and_new_style_meet():
    for old, new in [("Hòa", "Hoà"), ("Thủy", "Thuỷ"), ("Khỏe", "Khoẻ"), ("Lũy", "Luỹ"), ("Họa", "Hoạ")]:
        assert canonical_tones(new) == old == canonical_tones(old)


@pytest.mark.parametrize(
    "word, ok",
    [
        ("Nguyễn", True),
        ("thuỷ", True),  # new style is still a valid spelling
        ("thủy", True),
        ("giếng", True),
        ("Hoàng", True),
        ("Đắk", True),
        ("xaõ", False),  # tone on the wrong vowel
        ("Baûo", False),
        ("café", False),
        ("Müller", False),
        ("Hôtel", False),
        ("tổnh", False),  # ô + nh does not exist
        ("mãt", False),  # ngã before a stop final
        ("", False),
    ],
)
def test_is_vietnamese_syllable(word, ok):
    assert is_vietnamese_syllable(word) is ok


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("NGUYỄN THỊ ĐÀO", "Nguyễn Thị Đào"),
        ("nguyễn văn a", "Nguyễn Văn A"),
        ("  trần   THỊ  thuỷ ", "Trần Thị Thủy"),
        ("LÊ\u00a0VĂN\tHOÀ", "Lê Văn Hòa"),
        (NFD("đặng văn hùng"), "Đặng Văn Hùng"),
        ("ÐOÀN thị khoẻ", "Đoàn Thị Khỏe"),  # Icelandic Ð look-alike
        ("h'hen niê", "H'Hen Niê"),
        ("KSOR H'BIA", "Ksor H'Bia"),
        ("lê-thị ánh", "Lê-Thị Ánh"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected
    assert normalize_name(expected) == expected


# ---------------------------------------------------------------- fold


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Nguyễn Đức Thủy", "NGUYEN DUC THUY"),
        ("Nguyễn Văn Hòa", "NGUYEN VAN HOA"),
        ("NGUYỄN VĂN HOÀ", "NGUYEN VAN HOA"),
        ("nguyen van hoa", "NGUYEN VAN HOA"),
        ("  Nguyen   Van\tHoa\n", "NGUYEN VAN HOA"),
        ("Ðặng\u00a0Thị Ðào", "DANG THI DAO"),
        ("ðào", "DAO"),
        ("Trường\u200b Sơn", "TRUONG SON"),
        ("Lê Thị Hồng Nhung", "LE THI HONG NHUNG"),
        ("Phường Bến Thành, Quận 1", "PHUONG BEN THANH, QUAN 1"),
        ("Françoise Müller", "FRANCOISE MULLER"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_fold(raw, expected):
    assert fold(raw) == expected
    assert fold(NFD(raw)) == expected
    assert fold(expected) == expected


def test_fold_every_letter():
    for c in VIETNAMESE_LETTERS:
        f = fold(c)
        assert len(f) == 1 and f.isascii() and f.isupper(), c
        assert f == unicodedata.normalize("NFD", c)[0].upper() or c in "đĐ"
        assert fold(NFD(c)) == f
    assert fold("đĐÐð") == "DDDD"


def test_fold_from_to_tables():
    assert len(FOLD_FROM) == len(FOLD_TO) == 136
    assert set(VIETNAMESE_LETTERS) | {"Ð", "ð"} == set(FOLD_FROM)
    assert FOLD_TO.isascii() and FOLD_TO.isupper()
    assert set(FOLD_TO) == set("AEIOUYD")


def test_fold_equals_sql_translate_over_all_letters():
    for c in FOLD_FROM:
        assert sql_emulation(c) == fold(c), c
        assert sql_emulation(c + "x " + c.lower()) == fold(c + "x " + c.lower())
    rnd = random.Random(20)
    alphabet = FOLD_FROM + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-'\t\n\u00a0"
    for _ in range(2000):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 30)))
        assert sql_emulation(s) == fold(s), repr(s)
        assert fold(NFD(s)) == fold(s)


def test_fold_is_fast_enough_smoke():
    # The real check (1,000,000 names in ~1.5 s) is done by hand; here only
    # that the fast path is taken for typical names.
    names = ["Nguyễn Văn Hòa", "Trần Thị Thủy", "Lê Đức Anh"] * 1000
    assert {fold(n) for n in names} == {"NGUYEN VAN HOA", "TRAN THI THUY", "LE DUC ANH"}


# ---------------------------------------------------------------- fold_sql

SQL_SAMPLES = [
    "Nguyễn Đức  Thủy",
    "  hoà\tBÌNH\n",
    "Ðào\u00a0thị",
    "ĐẶNG văn hùng",
    "a\u3000b\u2009c\x1c d",
    "O'Neil-Ngô",
    "Phường 12, Quận Bình Thạnh",
    "",
    FOLD_FROM,
    " ".join(FOLD_FROM),
]


def test_fold_sql_strings():
    for dialect, must in [
        ("duckdb", ["nfc_normalize(name)", "translate(", "upper(", "regexp_replace(", "'g'", "trim("]),
        ("postgresql", ["normalize(name, NFC)", "translate(", "upper(", "regexp_replace(", "'g'", "btrim("]),
        ("spark", ["translate(name,", "upper(", "regexp_replace(", "trim("]),
    ]:
        sql = fold_sql("name", dialect)
        for m in must:
            assert m in sql, (dialect, m)
        assert FOLD_FROM in sql and FOLD_TO in sql
    assert "nfc" not in fold_sql("name", "spark").lower()
    assert fold_sql("x") == fold_sql("x", "duckdb")
    with pytest.raises(NotImplementedError):
        fold_sql("x", "sqlite")
    with pytest.raises(ValueError):
        fold_sql("x", "oracle")


def test_fold_sql_duckdb():
    duckdb = pytest.importorskip("duckdb")  # optional engine, not a project dependency
    con = duckdb.connect()
    sql = f"select {fold_sql('?', 'duckdb')}"
    for s in SQL_SAMPLES + [NFD(s) for s in SQL_SAMPLES] + list(FOLD_FROM):
        assert con.execute(sql, [s]).fetchone()[0] == fold(s), repr(s)


def _pg_connection():
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 does not answer: {exc}")


@pytest.mark.pg
def test_fold_sql_postgresql():
    conn = _pg_connection()
    try:
        sql = f"select {fold_sql('%s::text', 'postgresql')}"
        for s in SQL_SAMPLES + [NFD(s) for s in SQL_SAMPLES] + list(FOLD_FROM):
            assert conn.execute(sql, [s]).fetchone()[0] == fold(s), repr(s)
    finally:
        conn.close()
