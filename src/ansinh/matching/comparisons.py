"""Splink comparisons and blocking rules for Vietnamese person records.

Pure layer (no Django).  The engine prepares one record per row with these columns
(all text already folded with ``ansinh.text.fold`` / ``fold_sql``):

=============== ===============================================================
family          first token of the folded name ("NGUYEN")
middle          the tokens between family and given ("VAN", "THI NGOC"); null if none
given           last token ("HOA")
dob             DATE; ``dob_precision`` "day"/"month"/"year" (year-only dates are 1 Jan)
dob_year        INTEGER
gender          "M"/"F"
id_number       digits (CCCD 12, CMND 9; FEBRL: soc_sec_id)
id_yg           CCCD digits 4-6 (century/sex digit + 2-digit birth year), 12-digit IDs only
id_anagram      the ID's digits sorted (CCCD: first 6 digits kept, the random last 6 sorted), so
                two IDs that differ by swapped digits share it (blocking only)
commune_old     the unit as written / resolved (old map)
commune_new     the current (new-map) commune
village         folded village / street
name_key        family + middle + given (blocking only)
id_kind         "cccd" (12 digits) / "cmnd" (9 digits) / null
id_ok           a CCCD whose century/sex and birth-year digits agree with the row's own
                birth year and gender (null: not a CCCD, or no birth date)
given_simple    given name with its initial consonant cluster reduced (NGAN -> NAN)
place           commune_old, else the list file (file mode, no commune written): blocking only
family_anagram  the family name's letters sorted (blocking only: catches "Nguynễ"/"Nguyễn")
account_number  digits (null when shorter than 6 or on more than 10 rows)
bank            provider code or folded bank name
phone           digits (null when shorter than 9 or on more than 10 rows)
paid_other      the row names an authorised person / account holder other than the person
=============== ===============================================================

A full-name Jaro-Winkler is misleading for Vietnamese names (NGUYEN VAN HOA vs
NGUYEN VAN HOAN scores 0.987), so given, family and middle names are compared
separately; a missing middle name is a null (neutral) level.
"""
from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import block_on
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

# Family names sharing a Chinese character (regional spelling): a fuzzy level, not equal.
REGIONAL_FAMILY_PAIRS = (("HUYNH", "HOANG"), ("VO", "VU"))


def _regional_sql() -> str:
    parts = []
    for a, b in REGIONAL_FAMILY_PAIRS:
        parts.append(f"(family_l = '{a}' AND family_r = '{b}')")
        parts.append(f"(family_l = '{b}' AND family_r = '{a}')")
    return "(" + " OR ".join(parts) + ")"


def given_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="given",
        comparison_levels=[
            cll.NullLevel("given"),
            cll.ExactMatchLevel("given").configure(tf_adjustment_column="given", tf_adjustment_weight=1.0),
            cll.CustomLevel("given_l = middle_r OR middle_l = given_r OR given_l = family_r OR family_l = given_r",
                            label_for_charts="given name in another position"),
            cll.CustomLevel("given_simple_l = given_simple_r",
                            label_for_charts="same but for the initial consonant cluster (Ngần/Nần)"),
            cll.JaroWinklerLevel("given", 0.92),
            DialectLevel(name_one_edit("given"), "one letter off or two letters swapped (Mia/Mai, Ccú/Cúc)"),
            cll.ElseLevel(),
        ],
    )


def family_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="family",
        comparison_levels=[
            cll.NullLevel("family"),
            cll.ExactMatchLevel("family").configure(tf_adjustment_column="family", tf_adjustment_weight=1.0),
            cll.CustomLevel(_regional_sql(), label_for_charts="regional variant (Huỳnh/Hoàng, Võ/Vũ)"),
            cll.JaroWinklerLevel("family", 0.88),
            DialectLevel(name_one_edit("family"), "one letter off or two letters swapped (Hứa/Haứ)"),
            cll.ElseLevel(),
        ],
    )


def middle_word_dropped(a: str, b: str, differ: bool = True) -> str:
    """SQL (DuckDB and Spark alike): middle names ``a`` and ``b`` differ, one being the other with
    whole words dropped ("THI" / "THI NGOC", "VAN MINH" / "MINH"); a typo ("THI" / "THIJ") is not.
    ``differ=False`` leaves out "they differ" (a blocking filter: Splink's parser finds no join keys
    in a rule with a nested AND; equal names are blocked by an earlier rule anyway)."""
    words = (f"instr(concat(' ', {a}, ' '), concat(' ', {b}, ' ')) > 0 "
             f"OR instr(concat(' ', {b}, ' '), concat(' ', {a}, ' ')) > 0")
    return f"({a} <> {b} AND ({words}))" if differ else f"({words})"


def middle_name() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="middle",
        comparison_levels=[
            cll.CustomLevel("middle_l IS NULL AND middle_r IS NULL").configure(is_null_level=True),
            cll.CustomLevel(f"middle_l IS NULL OR middle_r IS NULL OR {middle_word_dropped('middle_l', 'middle_r')}",
                            label_for_charts="middle name (or one word of it) on one row only"),
            cll.ExactMatchLevel("middle").configure(tf_adjustment_column="middle", tf_adjustment_weight=1.0),
            cll.JaroWinklerLevel("middle", 0.88),
            DialectLevel(name_one_edit("middle"), "one letter off or two letters swapped (Thị/Tịh)"),
            cll.ElseLevel(),
        ],
    )


def date_of_birth() -> cl.CustomComparison:
    y_only = "(dob_precision_l = 'year' OR dob_precision_r = 'year')"
    m_only = "(dob_precision_l = 'month' OR dob_precision_r = 'month')"
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.CustomLevel(f"dob_l = dob_r AND NOT {y_only} AND NOT {m_only}", label_for_charts="same day"),
            cll.CustomLevel(f"{y_only} AND dob_year_l = dob_year_r", label_for_charts="same year (year only)"),
            cll.CustomLevel(f"{m_only} AND dob_year_l = dob_year_r AND month(dob_l) = month(dob_r)",
                            label_for_charts="same month/year (month only)"),
            cll.CustomLevel("dob_year_l = dob_year_r AND day(dob_l) = month(dob_r) AND month(dob_l) = day(dob_r)",
                            label_for_charts="day/month swapped"),
            cll.DamerauLevenshteinLevel("dob_str", 1).configure(
                label_for_charts="one digit off or two adjacent digits swapped"),
            cll.CustomLevel("dob_year_l = dob_year_r", label_for_charts="same year"),
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 1", label_for_charts="year ±1"),
            cll.ElseLevel(),
        ],
    )


class DialectLevel(ComparisonLevelCreator):
    """A custom comparison level whose SQL differs by backend (same meaning).

    Splink's own levels (Jaro-Winkler, Levenshtein, Damerau-Levenshtein) already pick
    each backend's function; this does the same for our few custom conditions, so one
    settings object runs on DuckDB and on Spark."""

    def __init__(self, sql: dict[str, str], label_for_charts: str):
        self.sql = sql
        self.label_for_charts = label_for_charts

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        try:
            return self.sql[sql_dialect.sql_dialect_str]
        except KeyError:
            raise ValueError(f"no SQL for backend {sql_dialect.sql_dialect_str!r} in level "
                             f"{self.label_for_charts!r}") from None

    def create_label_for_charts(self) -> str:
        return self.label_for_charts


# Damerau-Levenshtein distance <= 1 (one insertion, deletion, substitution or swap of two
# digits).  DuckDB's damerau_levenshtein() is ~8x slower than levenshtein(), so the swap
# is tested directly: same length, two differing positions, same digits.  Spark has no
# hamming(): the differing positions are counted with zip_with.
_SWAP_TAIL = {
    "duckdb": ("hamming({c}_l, {c}_r) = 2 AND "
               "list_sort(string_split({c}_l, '')) = list_sort(string_split({c}_r, ''))"),
    "spark": ("size(filter(zip_with(split({c}_l, ''), split({c}_r, ''), (x, y) -> x <> y), d -> d)) = 2 "
              "AND array_sort(split({c}_l, '')) = array_sort(split({c}_r, ''))"),
}


def one_edit(col: str) -> dict[str, str]:
    """SQL per backend: ``col`` one edit apart, or the same characters with two of them swapped."""
    return {d: (f"(CASE WHEN levenshtein({col}_l, {col}_r) <= 1 THEN true "
                f"WHEN length({col}_l) <> length({col}_r) THEN false "
                f"WHEN levenshtein({col}_l, {col}_r) <> 2 THEN false "
                f"ELSE {tail.format(c=col)} END)") for d, tail in _SWAP_TAIL.items()}


#: Names: one edit or two adjacent letters swapped (Damerau-Levenshtein <= 1), reached only for
#: the few pairs of equal length two edits apart.  (Not hamming(): DuckDB's counts bytes and
#: raises on a name with a letter a legacy font left outside ASCII.)  Spark: Splink's UDF jar.
def name_one_edit(col: str) -> dict[str, str]:
    return {d: (f"(CASE WHEN levenshtein({col}_l, {col}_r) <= 1 THEN true "
                f"WHEN length({col}_l) <> length({col}_r) THEN false "
                f"WHEN levenshtein({col}_l, {col}_r) <> 2 THEN false "
                f"ELSE {fn}({col}_l, {col}_r) <= 1 END)")
            for d, fn in (("duckdb", "damerau_levenshtein"), ("spark", "damerau_levenshtein"))}


ID_ONE_EDIT = one_edit("id_number")


def id_number(u_exact: float | None = None) -> cl.CustomComparison:
    """``u_exact``: the chance that two different people share the ID (about 1 / number of
    distinct IDs); fixed because random sampling almost never draws an exact-ID pair."""
    exact = cll.ExactMatchLevel("id_number")
    if u_exact:
        exact = exact.configure(u_probability=u_exact, fix_u_probability=True)
    return cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id_number"),
            exact,  # first: Splink's default (pre-EM) m of the first level is 0.95
            # An old 9-digit CMND beside a 12-digit CCCD: not the same number, but not a
            # disagreement either (one person renews a CMND as a CCCD).  Its own trained level
            # (no longer the null level): it is rarer among duplicates (most keep one number)
            # than among random pairs.
            cll.CustomLevel("id_kind_l <> id_kind_r", label_for_charts="a CMND beside a CCCD"),
            DialectLevel(ID_ONE_EDIT, "1 edit (transposition = 1)"),
            cll.LevenshteinLevel("id_number", 2),
            cll.CustomLevel("id_ok_l AND id_ok_r",
                            label_for_charts="two different CCCDs, each matching its own row's birth year and gender"),
            cll.CustomLevel("id_yg_l = id_yg_r", label_for_charts="same birth-year/gender digits"),
            cll.ElseLevel(),
        ],
    )


#: Same account (and not a different bank): the account is compared as a number at one bank.
_SAME_ACCOUNT = "account_number_l = account_number_r AND (bank_l IS NULL OR bank_r IS NULL OR bank_l = bank_r)"


def account() -> cl.CustomComparison:
    """Account number (+ bank).  The same account paid to an authorised person (or held by
    someone other than the person) on either row is its own level: one authorised person is
    often paid for several beneficiaries.  Whatever its weight, a pair that reaches the
    link threshold only through a shared account is not linked but reviewed
    (``engine.CONTACT_FIELDS``)."""
    return cl.CustomComparison(
        output_column_name="account",
        comparison_levels=[
            cll.NullLevel("account_number"),
            cll.CustomLevel(f"{_SAME_ACCOUNT} AND NOT paid_other_l AND NOT paid_other_r",
                            label_for_charts="same account, the person's own"),
            cll.CustomLevel(_SAME_ACCOUNT, label_for_charts="same account, paid to an authorised person"),
            cll.ElseLevel(),
        ],
    )


def phone() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="phone",
        comparison_levels=[cll.NullLevel("phone"), cll.ExactMatchLevel("phone"), cll.ElseLevel()],
    )


def gender() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[cll.NullLevel("gender"), cll.ExactMatchLevel("gender"), cll.ElseLevel()],
    )


def residence() -> cl.CustomComparison:
    """Commune.  ``place`` is the commune as written, else (file mode) the list file: rows of one
    list are of one commune even when its title does not name it, but a list without a commune
    says nothing about a row of another list (its own level, not "different commune")."""
    return cl.CustomComparison(
        output_column_name="residence",
        comparison_levels=[
            cll.CustomLevel("(place_l IS NULL OR place_r IS NULL) AND "
                            "(commune_new_l IS NULL OR commune_new_r IS NULL)").configure(is_null_level=True),
            cll.CustomLevel("place_l = place_r", label_for_charts="same old commune (or the same list)"),
            cll.CustomLevel("commune_new_l = commune_new_r", label_for_charts="same new commune"),
            cll.CustomLevel("commune_old_l IS NULL OR commune_old_r IS NULL",
                            label_for_charts="one list names no commune"),
            cll.ElseLevel(),
        ],
    )


def village() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="village",
        comparison_levels=[
            cll.NullLevel("village"),
            cll.ExactMatchLevel("village"),
            cll.JaroWinklerLevel("village", 0.9),
            cll.ElseLevel(),
        ],
    )


def comparisons(u_exact_id: float | None = None) -> list:
    return [given_name(), family_name(), middle_name(), date_of_birth(), id_number(u_exact_id), gender(),
            residence(), village(), account(), phone()]


#: Comparison output names, in the review queue's order (each pair's match weight per field:
#: ``w_<field>``; stored as ``MatchPair.contributions``).
FIELDS = ("family", "middle", "given", "dob", "id_number", "gender", "residence", "village", "account", "phone")


#: Blocking filter (DuckDB and Spark SQL alike): the given names differ (Ngần/Nần), or a middle name
#: is missing on one row or has a word dropped there ("Thị" / "Thị Ngọc").
MIDDLE_DROPPED = ("(l.given <> r.given OR l.middle IS NULL OR r.middle IS NULL OR "
                  + middle_word_dropped("l.middle", "r.middle", differ=False) + ")")


def blocking_rules() -> list:
    """Prediction blocking rules.  None of them is a surname (or surname + middle) alone:
    NGUYEN + VAN/THI would make blocks of thousands; a village name alone ("Thôn 1")
    repeats in every commune, so it is always qualified by the commune.  Each fault
    the demo data carries is caught by at least one rule: ID typo or missing ID (names
    + date), name typo (ID, or the other name + date), year-only or swapped date (ID,
    or names + year), another commune (ID, names + date).  ``id_anagram`` catches a
    transposed ID when the names and date disagree too (FEBRL3 has several); for a CCCD
    only the random last six digits are sorted, so its blocks stay small (the province,
    century/sex and birth-year digits are not random: sorting them would make blocks of
    hundreds)."""
    return [
        block_on("id_number"),
        block_on("id_anagram"),
        block_on("given", "dob"),
        block_on("family", "dob"),
        block_on("name_key", "dob_year"),
        block_on("name_key", "place"),
        block_on("village", "place", "dob_year"),
        block_on("commune_new", "dob_year"),
        block_on("given", "village", "place"),
        "l.given = r.family AND l.family = r.given",  # family and given name swapped
        block_on("account_number"),
        block_on("phone"),
        # middle name dropped (on one row, or one word of it), Ngần/Nần: only the pairs whose names
        # differ that way (family + given_simple + place alone is a fifth of all comparisons at 1M)
        "l.family = r.family AND l.given_simple = r.given_simple AND l.place = r.place AND " + MIDDLE_DROPPED
        + " AND (l.gender = r.gender OR l.gender IS NULL OR r.gender IS NULL)",
        # moved to another commune with a typo in the family or middle name, and a year-only birth
        # date on one row (a full date on both is blocked by family/given + dob): no place key, so
        # only those pairs (the rule alone was a fifth of all comparisons at 1M)
        "l.family_anagram = r.family_anagram AND l.given = r.given AND l.dob_year = r.dob_year "
        "AND l.gender = r.gender AND (l.dob_precision = 'year' OR r.dob_precision = 'year')",
    ]
