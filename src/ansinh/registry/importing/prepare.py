"""One source row of a commune list made ready to write: the person's fields, checks (rules),
residence, enrolment, account and authorised person, or the reasons it is rejected. Pure of the
database except the residence resolver's cached units."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ansinh.core import providers
from ansinh.registry import rules
from ansinh.registry.categories import CATEGORIES
from ansinh.registry.categories import coefficient as category_coefficient
from ansinh.registry.categories import map_category
from ansinh.registry.importing.residence import Residence, ResidenceResolver
from ansinh.registry.models import AccountHolder, DobPrecision, Person, Programme
from ansinh.text import fold


class NamelessRow:
    """A data row the reader set aside because its name cell is empty (it reports it among the
    skipped rows): for the registry it is a source row, rejected with "Thiếu họ tên"."""

    def __init__(self, row: int, cells: list[str]):
        self.row = row
        self.values: dict = {}
        self.errors: list = []
        self.columns: dict = {}
        self._cells = cells

    def cells_text(self) -> list[str]:
        return self._cells


def nameless_rows(parsed) -> list[NamelessRow]:
    """Rows without a name that carry a person's data (an ID or a date of birth): the reader
    skips them ("no name: …", or "not a data row …" below the last named row) and keeps their
    cells (legacy-decoded) on the SkippedRow."""
    out = []
    for s in parsed.skipped:
        if not s.reason.startswith(("no name", "not a data row")):
            continue
        text = s.cells
        if s.reason.startswith("not a data row") and (text is None or not _has_person_data(parsed, text)):
            continue
        if text is None:  # fall back to the non-empty cells the reader quoted
            text = [t.strip() for t in s.reason.partition(":")[2].split(" | ")]
        out.append(NamelessRow(s.row, text))
    return out


def _has_person_data(parsed, text: list[str]) -> bool:
    from ansinh.text.dates import parse_cell

    for fld in ("id_number", "cmnd"):
        c = parsed.columns.get(fld)
        if c is not None and c < len(text) and sum(ch.isdigit() for ch in text[c]) >= 9:
            return True
    for fld in ("dob", "dob_male", "dob_female"):
        c = parsed.columns.get(fld)
        if c is not None and c < len(text) and text[c].strip():
            try:
                if parse_cell(text[c]):
                    return True
            except ValueError:
                pass
    return False


@dataclass
class Row:
    src: Any  # SourceRow
    reasons: list[str] = field(default_factory=list)
    findings: list[rules.Finding] = field(default_factory=list)
    evaluated: set[str] = field(default_factory=set)
    data: dict = field(default_factory=dict)  # person fields from the row
    residence: Residence | None = None
    enrol: dict | None = None
    account: dict | None = None
    authorised: dict | None = None
    person: Person | None = None
    outcome: str = ""
    texts: list = field(default_factory=list)
    # Decree 20 Art. 6.2: a person in several categories. More enrolments of the same person: the
    # other labels of a cell naming several ("…; …"), or later rows of the same person that add a
    # category (the importer merges those rows into this one: ``merged_into`` on them).
    extra_enrols: list = field(default_factory=list)
    merged_into: "Row | None" = None

    @property
    def ok(self) -> bool:
        return not self.reasons


def _reader_errors(src) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in src.errors:
        out[e.field] = f"{out[e.field]}; {e.message}" if e.field in out else e.message
    return out


@lru_cache(maxsize=64)
def _month_end(month: str) -> dt.date:
    return rules.month_bounds(month)[1]


def programme_of(code: str | None) -> str:
    """The programme a category code is paid under."""
    code = code or ""
    if code == "ND176":
        return Programme.ND176
    return Programme.ART20 if code.startswith("ART20") else Programme.TCXH


_SEPARATORS = re.compile(r"\s*(?:;|\n|\r|\|)\s*")


def split_categories(label: str) -> list[tuple[str, str]]:
    """A cell naming several categories ("…; …", one per line): [(label, code)] in the order
    written, one per distinct code, when every part maps to a code and there are at least two
    codes; [] otherwise (the cell is read as one label)."""
    pieces = [x for x in _SEPARATORS.split(label or "") if x.strip()]
    if len(pieces) < 2:
        return []
    out, seen = [], set()
    for piece in pieces:
        code = map_category(piece)
        if code is None:
            return []
        if code not in seen:
            seen.add(code)
            out.append((piece.strip(), code))
    return out if len(out) >= 2 else []


def prepare(src, res: ResidenceResolver, at_month: str, default_paid: str, today: dt.date) -> Row:
    v = src.values
    row = Row(src)
    errs = _reader_errors(src)
    texts = row.texts = src.cells_text()  # the whole row as text, original order
    ncells = len(texts)
    raw = {f: (texts[c] if c < ncells else "") for f, c in src.columns.items()
           if f in ("full_name", "dob") or f in errs}
    has = v.__contains__

    name = v.get("full_name") or ""
    if not name:
        row.reasons.append("Thiếu họ tên")
    name_key = fold(name) if name else ""

    id_number = legacy = None
    if has("id_number") or has("cmnd"):
        row.evaluated |= {"ID_SHAPE", "ID_GENDER", "ID_BIRTH_YEAR"}
        id_number, legacy, f = rules.classify_id(v.get("id_number"))
        row.findings += f
        if v.get("cmnd") and v.get("cmnd") != v.get("id_number"):
            id2, legacy2, f2 = rules.classify_id(v.get("cmnd"))
            id_number = id_number or id2
            legacy = legacy or legacy2
            row.findings += f2
    dob_t = v.get("dob")
    dob, precision = (dob_t if dob_t else (None, DobPrecision.DAY))
    if has("dob"):
        row.evaluated.add("DOB_PLAUSIBLE")
    if not id_number and not legacy and dob is None:
        if "dob" in errs:
            row.reasons.append(f"Ngày sinh không đọc được ({errs['dob']}) và không có số định danh hợp lệ")
        else:
            # the number as written is not repeated here: reasons are stored in clear (decision 0025)
            row.reasons.append("Không có số định danh/CMND hợp lệ và không có ngày sinh")
    if row.reasons:
        return row

    gender = v.get("gender")
    row.findings += rules.check_id_gender(id_number, gender)
    row.findings += rules.check_id_birth_year(id_number, dob)
    row.findings += rules.check_name(raw.get("full_name"), name)
    row.evaluated.add("NAME_NORMALISED")

    phone = ""
    if has("phone"):
        row.evaluated.add("PHONE")
        phone, f = rules.normalise_phone(v.get("phone"))
        row.findings += f

    # category (a cell may name several: "Người đơn thân nghèo đang nuôi con; Người khuyết tật nặng")
    label = v.get("category") or v.get("section") or ""
    parts = split_categories(label)
    if parts:
        label, code = parts[0]
    else:
        code = map_category(label) if label else None
    cat = CATEGORIES.get(code) if code else None
    row.evaluated |= {"CATEGORY_UNMAPPED", "CATEGORY_INCOMPLETE"}
    row.findings += rules.check_category(label, code, cat.complete if cat else True)
    if dob is not None:
        row.findings += rules.check_dob(dob, precision, code, at_month, today)

    # residence
    address, village = v.get("address") or "", v.get("village") or ""
    r = res.for_row(address)
    row.residence = r
    row.evaluated.add("RESIDENCE")
    written = ", ".join(x for x in (village, address) if x)
    if r.status == "ambiguous" and r.residence_id:
        old_unit = res.units.by_id.get(r.residence_id)
        if old_unit is not None:
            district = f", {old_unit.district.name}" if getattr(old_unit, "district", None) else ""
            written = f"{old_unit.name}{district} (trước 01/07/2025)"
    row.findings += rules.check_residence(
        {"status": r.status, "candidates": r.candidates, "reason": r.reason}, written)

    # cells the reader could not read (not already turned into a rejection or finding)
    for fld, msg in errs.items():
        if fld in ("full_name", "id_number", "cmnd", "phone"):
            continue  # covered by ID_SHAPE / PHONE
        if fld == "dob":
            if dob is None:
                row.findings.append(rules.Finding("DOB_PLAUSIBLE", rules.ERROR,
                                                  f"Không đọc được ngày sinh “{raw.get('dob', '')}”", "dob",
                                                  {"value": raw.get("dob", ""), "error": msg}))
            continue
        row.evaluated.add("CELL_UNREADABLE")
        row.findings.append(rules.Finding("CELL_UNREADABLE", rules.WARNING,
                                          f"Không đọc được ô “{fld}”: {msg}", fld, {"value": raw.get(fld, "")}))

    row.data = {
        "id_number": id_number, "legacy_cmnd": legacy, "full_name": name, "name_key": name_key,
        "dob": dob, "dob_precision": precision if dob else None, "gender": gender,
        "ethnicity": v.get("ethnicity") or "", "phone": phone, "village": village,
        "address_text": address, "paid_through": default_paid,
    }
    coef = v.get("coefficient")
    age = rules.age_on(dob, _month_end(at_month)) if dob else None
    dd = v.get("decision_date")

    def enrol(code, label, coef, amount):
        if coef is None and code:
            coef = category_coefficient(code, age)
        return {
            "programme": programme_of(code), "category": code or "", "category_label": (label or "")[:300],
            "coefficient": Decimal(coef).quantize(Decimal("0.01")) if coef is not None else None,
            "amount": amount if isinstance(amount, int) and amount >= 0 else None,
            "decision_number": (v.get("decision_number") or "")[:100],
            "decision_date": dd[0] if dd else None,
            "start_month": v.get("start_month") or "",
        }

    row.enrol = enrol(code, label, coef, v.get("amount"))
    # the list's coefficient and amount are the whole row's: the other categories take their own
    row.extra_enrols = [enrol(c, lab, None, None) for lab, c in parts[1:]]
    acct = v.get("account_number")
    holder_name = v.get("account_holder") or ""
    authorised = v.get("authorised_person") or ""
    if authorised:
        row.authorised = {"full_name": authorised, "name_key": fold(authorised)}
    if acct:
        holder = AccountHolder.BENEFICIARY
        if holder_name and fold(holder_name) != name_key:
            holder = AccountHolder.AUTHORISED
        row.account = {"account_number": acct[:40], "provider_name": (v.get("bank") or "")[:200],
                       "provider": providers.from_text(v.get("bank")), "holder": holder,
                       "holder_name": (holder_name or name)[:200]}
    return row


