"""Match records from the raw schema: the columns every source maps to (registry persons,
commune list files, FEBRL), and the SQL that folds and splits names (``ansinh.text.fold_sql``,
the same definition as ``ansinh.text.fold`` in Python), for DuckDB and Spark SQL alike.

Raw schema: unique_id INTEGER (required), full_name TEXT *or* family/given TEXT (already
split, e.g. FEBRL), dob DATE, dob_precision TEXT ('day'/'month'/'year'), gender TEXT,
id_number TEXT, commune_old TEXT, commune_new TEXT, village TEXT, account_number TEXT, bank TEXT
(a provider code, ``ansinh.core.providers.provider_of``, or the bank as written), phone TEXT,
paid_to TEXT (the name of an authorised person or account holder other than the person, when the
list names one), list_file TEXT (file mode: the list a row comes from; blocks rows of one list
whose commune is not written, never compared).  Missing columns are null.

Contact details shared by many rows are not a person's own: an account number or phone number
on more than :data:`SHARED_CONTACT_ROWS` rows (a commune officer's phone typed for everyone, a
placeholder) is treated as missing.
"""
from __future__ import annotations

import pyarrow as pa

from ansinh.text import fold_sql

RAW_COLUMNS = {
    "unique_id": pa.int64(),
    "full_name": pa.string(),
    "family": pa.string(),
    "given": pa.string(),
    "dob": pa.date32(),
    "dob_precision": pa.string(),
    "gender": pa.string(),
    "id_number": pa.string(),
    "commune_old": pa.string(),
    "commune_new": pa.string(),
    "village": pa.string(),
    "account_number": pa.string(),
    "bank": pa.string(),
    "phone": pa.string(),
    "paid_to": pa.string(),
    "list_file": pa.string(),
}

#: An account or phone number on more rows than this is nobody's own (treated as missing).
SHARED_CONTACT_ROWS = 10
#: Fewer digits than this is not an account number (placeholders such as "0").
MIN_ACCOUNT_DIGITS = 6


def to_arrow(rows) -> pa.Table:
    """List of dicts / pyarrow table -> pyarrow table with every raw column."""
    if isinstance(rows, pa.Table):
        t = rows
    else:
        rows = list(rows)
        keys = {k for r in rows for k in r if k in RAW_COLUMNS}
        schema = pa.schema([(k, RAW_COLUMNS[k]) for k in RAW_COLUMNS if k in keys] or [("unique_id", pa.int64())])
        t = pa.Table.from_pylist(rows, schema=schema)
    cols = {}
    for name, typ in RAW_COLUMNS.items():
        if name in t.column_names:
            c = t.column(name)
            cols[name] = c if c.type == typ else c.cast(typ)
        else:
            cols[name] = pa.nulls(t.num_rows, typ)
    return pa.table(cols)


_TEXT = ("full_name", "family", "given", "commune_old", "commune_new", "village", "bank", "paid_to")

#: The few list/date/regex functions whose spelling differs between DuckDB and Spark SQL
#: (everything else in :func:`prepare_sql` is common SQL).  Arrays are 1-based in both.
_FN = {
    "duckdb": {
        "split_words": "string_split({0}, ' ')",
        "size": "len({0})",
        "at": "{0}[{1}]",
        "middle": "array_to_string({0}[2:len({0}) - 1], ' ')",
        "yyyymmdd": "strftime({0}, '%Y%m%d')",
        "digits": "regexp_replace({0}, '[^0-9]', '', 'g')",
        "sorted_chars": "array_to_string(list_sort(string_split({0}, '')), '')",
    },
    "spark": {
        "split_words": "split({0}, ' ')",
        "size": "size({0})",
        "at": "element_at({0}, {1})",
        "middle": "array_join(slice({0}, 2, size({0}) - 2), ' ')",
        "yyyymmdd": "date_format({0}, 'yyyyMMdd')",
        "digits": "regexp_replace({0}, '[^0-9]', '')",
        "sorted_chars": "array_join(array_sort(split({0}, '')), '')",
    },
}


#: Initial consonant clusters written with or without their second letter in Tày/Nùng (and
#: some Kinh) given names ("Ngần"/"Nần", "Slằn"/"Sằn", "Thuỷ"/"Tuỷ"): the cluster -> its first
#: letter gives ``given_simple``, a name-variant level (never equality).
CLUSTERS = ("NGH", "NG", "NH", "GH", "KH", "PH", "TH", "TR", "CH", "SL", "BL", "PL")


def simple_initial(expr: str) -> str:
    """SQL (DuckDB and Spark alike): ``expr`` with its initial consonant cluster reduced."""
    whens = " ".join(f"WHEN substr({expr}, 1, {len(c)}) = '{c}' THEN concat('{c[0]}', substr({expr}, {len(c) + 1}))"
                     for c in CLUSTERS)
    return f"CASE {whens} ELSE {expr} END"


def simple_initial_py(s: str | None) -> str | None:
    """Python twin of :func:`simple_initial` (tests)."""
    if s is None:
        return None
    for c in CLUSTERS:
        if s.startswith(c):
            return c[0] + s[len(c):]
    return s


def prepare_sql(source: str, dialect: str = "duckdb") -> str:
    """SELECT turning a raw-schema table into match records (folded, split names).

    Folding (``fold_sql``) runs once per distinct text value (names, communes and
    villages repeat a lot), then joins back: same result, a fraction of the work.
    ``dialect`` is "duckdb" or "spark" (same columns, same values; Spark's input text
    must already be NFC, see :func:`nfc_text`)."""
    f = _FN[dialect]

    def fn(name, *args):
        return f[name].format(*args)

    distinct = " UNION ".join(f"SELECT {c} AS v FROM {source}" for c in _TEXT)
    j = "\n".join(f"LEFT JOIN fd AS f_{c} ON f_{c}.v = s.{c}" for c in _TEXT)
    toks = "toks"
    return f"""
    WITH fd AS (
      SELECT v, nullif({fold_sql('v', dialect)}, '') AS f FROM ({distinct}) u WHERE v IS NOT NULL
    ), n AS (
      SELECT s.unique_id, s.dob, s.dob_precision, s.gender,
             nullif({fn('digits', "coalesce(s.id_number, '')")}, '') AS id_digits,
             f_full_name.f AS name_f, f_family.f AS family_f, f_given.f AS given_f,
             f_commune_old.f AS commune_old_f, f_commune_new.f AS commune_new_f, f_village.f AS village_f,
             {fn('split_words', "coalesce(f_full_name.f, '')")} AS toks,
             nullif({fn('digits', "coalesce(s.account_number, '')")}, '') AS acct,
             nullif({fn('digits', "coalesce(s.phone, '')")}, '') AS phone_d,
             f_bank.f AS bank_f, f_paid_to.f AS paid_to_f, s.list_file
      FROM {source} s
      {j}
    ), p AS (
      SELECT unique_id, dob, gender, id_digits, dob_precision, commune_old_f, commune_new_f, village_f,
        acct, phone_d, bank_f, paid_to_f, name_f, list_file,
        coalesce(family_f, CASE WHEN {fn('size', toks)} >= 2 THEN {fn('at', toks, 1)} END) AS family,
        CASE WHEN family_f IS NULL AND given_f IS NULL AND {fn('size', toks)} >= 3
             THEN {fn('middle', toks)} END AS middle,
        coalesce(given_f, CASE WHEN {fn('size', toks)} >= 1 AND {fn('at', toks, fn('size', toks))} <> ''
                               THEN {fn('at', toks, fn('size', toks))} END) AS given
      FROM n
    )
    SELECT unique_id, family, middle, given,
      nullif(concat_ws(' ', family, middle, given), '') AS name_key,
      dob, coalesce(dob_precision, 'day') AS dob_precision, year(dob) AS dob_year,
      {fn('yyyymmdd', 'dob')} AS dob_str,
      nullif(gender, '') AS gender,
      id_digits AS id_number,
      CASE WHEN length(id_digits) = 12 THEN substr(id_digits, 4, 3) END AS id_yg,
      CASE WHEN length(id_digits) = 12
           THEN concat(substr(id_digits, 1, 6), {fn('sorted_chars', 'substr(id_digits, 7)')})
           ELSE {fn('sorted_chars', 'id_digits')} END AS id_anagram,
      CASE WHEN length(id_digits) = 12 THEN 'cccd' WHEN length(id_digits) = 9 THEN 'cmnd' END AS id_kind,
      CASE WHEN length(id_digits) = 12 AND dob IS NOT NULL THEN
        cast(substr(id_digits, 5, 2) AS INT) = year(dob) % 100
        AND floor(cast(substr(id_digits, 4, 1) AS INT) / 2) = floor(year(dob) / 100) - 19
        AND (nullif(gender, '') IS NULL
             OR cast(substr(id_digits, 4, 1) AS INT) % 2 = CASE WHEN gender = 'F' THEN 1 ELSE 0 END)
      END AS id_ok,
      {simple_initial('given')} AS given_simple,
      commune_old_f AS commune_old,
      commune_new_f AS commune_new,
      coalesce(commune_old_f, list_file) AS place,
      {fn('sorted_chars', 'family')} AS family_anagram,
      village_f AS village,
      CASE WHEN length(acct) >= {MIN_ACCOUNT_DIGITS}
                AND count(*) OVER (PARTITION BY acct) <= {SHARED_CONTACT_ROWS} THEN acct END AS account_number,
      bank_f AS bank,
      CASE WHEN length(phone_d) >= 9
                AND count(*) OVER (PARTITION BY phone_d) <= {SHARED_CONTACT_ROWS} THEN phone_d END AS phone,
      coalesce(paid_to_f IS NOT NULL AND paid_to_f <> coalesce(name_f, concat_ws(' ', family, middle, given)),
               false) AS paid_other
    FROM p
    """


def nfc_text(t: pa.Table) -> pa.Table:
    """NFC-normalise the text columns (Spark SQL has no NFC function; DuckDB's fold does it)."""
    import pyarrow.compute as pc

    for c in _TEXT:
        if c not in t.column_names:  # not a raw-schema table (a labels table)
            continue
        i = t.column_names.index(c)
        t = t.set_column(i, c, pc.utf8_normalize(t.column(c), "NFC"))
    return t
