"""Writes for the beneficiary registry: importing commune lists, fixing and waiving quality
issues, choosing the commune of a person whose old commune was split. Every change is
written to ChangeLog (who, when, old, new, source).

Import (``import_file``)
------------------------
* One transaction per file: a file that fails midway leaves nothing behind.
* Idempotent by content: the SHA-256 of the file is unique on ImportBatch. Importing
  the same bytes again changes nothing and returns the earlier batch's report with
  ``"already_imported": true`` (re-applying could silently undo fixes made in the
  review queue since the first import).
* Every source row is accounted for: ``rows == imported + updated + rejected``.
  - imported: a new person;
  - updated: matched to a known person by exact keys, in this order: the 12-digit
    id_number, the 9-digit legacy CMND, (name_key, dob, commune) — the commune being the
    current commune, or the unit as written when the current one is not known yet;
    a stored person with another ID is never matched on name and date of birth.
    (Probabilistic matching comes later.)
  - rejected, with reasons: no name; neither a usable ID nor a date of birth; a second
    row of the same file for the same person (same ID, or same name/dob/commune, or
    matched to the same stored person); a row outside the importing user's scope.
* Set-based: persons are looked up with one query per 2,000 rows per key (ID, CMND, and
  (dob, name_key) pairs joined against a VALUES list); new rows are written by _Writer
  (executemany / multi-row INSERT … RETURNING on SQLite, COPY on PostgreSQL, no ORM object
  per row), changed rows with bulk_update (batch 2,000); history rows and issues likewise.
  On SQLite the importing connection gets a bigger page cache and fewer WAL checkpoints
  (``_tune_sqlite``). Measured (bench/import.py, 60,000 people, 194 files, 62,700 rows, shared
  machine at load 5-7, A/B against the previous code): SQLite 26-39 s wall / 21-23 s CPU
  (was 49-63 s / 26-27 s); PostgreSQL ~21.6 s CPU (was 24.7 s), wall dominated by the server.
* A person already registered in another commune keeps their residence (a second list
  does not prove a move); the row is "updated" and gets a DUPLICATE_LISTED warning.

Scope: a commune officer imports only lists of their own commune (the file's commune must
be in their scope) and rows that resolve, or match a person, elsewhere are rejected with
"Ngoài phạm vi của bạn" (outside your scope). ``user=None`` is the CLI operator (everything).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ansinh.core import providers
from ansinh.core.jobs import BadInput, Progress, job_kind
from ansinh.core.models import Role
from ansinh.core.roles import has_role
from ansinh.core.scope import EVERYTHING, Scope, scope_for, scope_from_units
from ansinh.core.services import recorded_user
from ansinh.registry import rules
from ansinh.registry.categories import CATEGORIES
from ansinh.registry.categories import coefficient as category_coefficient
from ansinh.registry.categories import map_category
from ansinh.registry.models import (
    AccountHolder,
    AuthorisedPerson,
    ChangeLog,
    DobPrecision,
    Enrolment,
    EnrolmentStatus,
    ImportBatch,
    ImportRow,
    IssueStatus,
    PaymentAccount,
    Person,
    PersonStatus,
    Programme,
    QualityIssue,
    RowOutcome,
)
from ansinh.text import fold, normalize_name
from ansinh.units.models import AdminUnit, Level

BATCH = 2000
LIST_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
EDITORS = (Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICER, Role.ADMIN)
_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}

class OutsideScope(BadInput):
    """The object or the file is outside the user's scope."""


class IdNumberTaken(BadInput):
    """The ID number is already registered to another person: said without naming them (see
    rules.ID_TAKEN_MESSAGE); the case has been routed (:func:`route_id_taken`)."""


class _IdTaken(Exception):
    """Raised inside fix_issue's transaction (nothing written yet) to route the case after it."""

    def __init__(self, person_id: int, other_id: int):
        super().__init__(person_id, other_id)
        self.person_id, self.other_id = person_id, other_id


def sha256_of(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def month_str(value) -> str:
    """'YYYY-MM' from 'YYYY-MM', 'MM/YYYY', a date or None ('')."""
    if value in (None, ""):
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}-{value.month:02d}"
    s = str(value).strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", s) or None
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{4})", s)
    if m and 1 <= int(m.group(1)) <= 12:
        return f"{int(m.group(2)):04d}-{int(m.group(1)):02d}"
    raise BadInput(f"tháng không hợp lệ: {s!r} (cần YYYY-MM)")


def can_edit(user) -> bool:
    return user is None or has_role(user, *EDITORS)


def _scope(user) -> Scope:
    return EVERYTHING if user is None else scope_for(user)


def follow_person_scope(person_ids, scope_commune_id: int | None, province_code: str) -> None:
    """Move the rows filed under persons (their own scope keys) to the persons' new scope:
    one UPDATE per table. Accounts and authorised persons read the person's keys directly.
    Issues routed to a reviewer of two persons (rules.ROUTED_RULES) stay where they were routed."""
    for model in (Enrolment, QualityIssue, ChangeLog):
        qs = model.objects.filter(person_id__in=person_ids)
        if model is QualityIssue:
            qs = qs.exclude(rule__in=rules.ROUTED_RULES)
        qs.update(scope_commune_id=scope_commune_id, province_code=province_code)


def covering_keys(*keys: tuple[int | None, str | None]) -> tuple[int | None, str]:
    """The scope keys of the narrowest unit covering every (commune id, province code) given:
    their commune when they share one, else none; their province when they share one, else
    none (then only a user whose scope holds all of them, e.g. the national operator)."""
    communes = {c for c, _ in keys}
    provinces = {p or "" for _, p in keys}
    province = provinces.pop() if len(provinces) == 1 else ""
    commune = communes.pop() if len(communes) == 1 and province else None
    return commune, province


def route_id_taken(person: Person, other_keys: tuple[int | None, str | None], user, *, message: str,
                   details: dict, rule: str = "ID_TAKEN", batch=None, source: str = "web") -> QualityIssue:
    """File the case "`person`'s ID number (or listing) is claimed elsewhere too" for a
    reviewer whose scope covers both sides (the province when they are in two communes).

    The issue hangs on `person` (so it shows in their history) but is filed under
    :func:`covering_keys` of `person` and `other_keys` (the other side's commune id and
    province code), so the review queue shows it only to such a reviewer; its message names
    neither the other person, their commune nor the number. With ``details["other_person"]``
    there is one open issue per (person, other person, rule): a repeated attempt is counted
    on it, not filed again."""
    sc, pc = covering_keys((person.scope_commune_id, person.province_code), other_keys)
    other = details.get("other_person")
    if other is not None:
        for issue in QualityIssue.objects.select_for_update().filter(person=person, rule=rule,
                                                                     status=IssueStatus.OPEN):
            if (issue.details or {}).get("other_person") == other:
                issue.details = {**issue.details, "attempts": int(issue.details.get("attempts", 1)) + 1}
                issue.save(update_fields=["details"])
                return issue
    issue = QualityIssue.objects.create(
        person=person, batch=batch, rule=rule, severity=rules.WARNING,
        field="id_number" if rule == "ID_TAKEN" else "", message=message[:500],
        details={**details, "attempts": 1}, scope_commune_id=sc, province_code=pc)
    _log_one("registry.qualityissue", issue.pk, person, "status", None, IssueStatus.OPEN, user, source)
    return issue


# --------------------------------------------------------------------------- units

class _Units:
    """Code -> unit id maps over the resolver's in-memory units (old and new map)."""

    def __init__(self, resolver):
        self.resolver = resolver
        self.by_id = resolver.units
        self.old: dict[str, int] = {}
        self.new: dict[str, int] = {}
        for u in resolver.units.values():
            if u.level == Level.PROVINCE:
                continue
            target = self.new if u.is_new else self.old
            # communes win over districts (island districts act as communes; codes do not collide)
            if u.code not in target or u.level == Level.COMMUNE:
                target[u.code] = u.id

    def id_of(self, d: dict | None, new: bool) -> int | None:
        if not d:
            return None
        return (self.new if new else self.old).get(d.get("code"))

    def province_of(self, unit_id: int | None) -> str:
        u = self.by_id.get(unit_id) if unit_id else None
        return u.province_code if u else ""

    def label(self, unit_id: int | None) -> str:
        u = self.by_id.get(unit_id) if unit_id else None
        return f"{u.code} {u.name}" if u else ""


_UNITS_CACHE: dict[int, _Units] = {}


def _units() -> _Units:
    from ansinh.units.resolver import Resolver

    r = Resolver.from_db()
    u = _UNITS_CACHE.get(id(r))
    if u is None or u.resolver is not r:
        _UNITS_CACHE.clear()
        u = _UNITS_CACHE[id(r)] = _Units(r)
    return u


@dataclass
class Residence:
    status: str  # exact | converted | ambiguous | not_found
    residence_id: int | None = None  # unit as written/resolved (may be old-map)
    commune_id: int | None = None  # current commune
    candidates: list[dict] = field(default_factory=list)  # [{"id", "code", "name"}]
    reason: str = ""

    @property
    def resolved(self) -> bool:
        return self.commune_id is not None


class _ResidenceResolver:
    """Resolves a row's address/village (+ the list's commune) to units, with a cache."""

    def __init__(self, units: _Units, province_codes: frozenset[str], province_name: str, hint_texts: list[str]):
        self.units = units
        self.province_codes = province_codes
        self.province_name = province_name
        self.today = dt.date.today()
        self.cache: dict[str, Residence] = {}
        self.file = self._first(hint_texts) if hint_texts else Residence("not_found", reason="no hint")

    def _raw(self, text: str) -> dict:
        return self.units.resolver.resolve(text, self.today)

    def _convert(self, res: dict) -> Residence:
        u = self.units
        st = res.get("status")
        if st == "exact":
            new = u.id_of(res.get("new"), True)
            if new:
                return Residence("exact", new, new)
            old = u.id_of(res.get("old"), False)
            return Residence("exact", old, None) if old else Residence("not_found")
        if st == "converted":
            return Residence("converted", u.id_of(res.get("old"), False), u.id_of(res.get("new"), True))
        if st == "ambiguous":
            cands = []
            for c in res.get("candidates") or []:
                is_old = "district" in c
                cid = u.id_of(c, not is_old)
                if cid:
                    cands.append({"id": cid, "code": c.get("code"), "name": c.get("name"),
                                  "province": c.get("province"), "old": is_old})
            return Residence("ambiguous", u.id_of(res.get("old"), False), None, cands)
        return Residence("not_found", reason=res.get("reason", ""))

    def _in_context(self, unit_id: int | None) -> bool:
        return not self.province_codes or self.units.province_of(unit_id) in self.province_codes

    def _narrow(self, r: Residence) -> Residence:
        """Same-name units in several provinces: keep those of the context province."""
        if r.status != "ambiguous" or r.residence_id or not self.province_codes:
            return r
        inside = [c for c in r.candidates if self.units.province_of(c["id"]) in self.province_codes]
        if len(inside) == 1:
            c = inside[0]
            if not c["old"]:
                return Residence("exact", c["id"], c["id"])
            return self.resolve_text(f"{c['name']}, {self.units.by_id[c['id']].province.name}")
        if inside and len(inside) < len(r.candidates):
            return Residence("ambiguous", None, None, inside)
        return r

    def resolve_text(self, text: str) -> Residence:
        hit = self.cache.get(text)
        if hit is None:
            hit = self._narrow(self._convert(self._raw(text)))
            self.cache[text] = hit
        return hit

    def _acceptable(self, r: Residence) -> bool:
        if r.status == "not_found":
            return False
        unit = r.commune_id or r.residence_id or (r.candidates[0]["id"] if r.candidates else None)
        return self._in_context(unit)

    def _first(self, texts: list[str]) -> Residence:
        """The first text that names one unit (a current commune, or an old one even if split)."""
        for t in texts:
            if not t:
                continue
            r = self.resolve_text(t)
            if self._acceptable(r) and (r.resolved or r.residence_id):
                return r
        return Residence("not_found")

    def for_row(self, address: str | None) -> Residence:
        """The row's residence. An address names a commune of its own only with a type word
        ("xã …", "P. …"); otherwise (a village, a hamlet) the person lives in the list's commune."""
        if address and (self.file.status == "not_found" or _TYPE_WORD.search(fold(address))):
            texts = [address] + ([f"{address}, {self.province_name}"] if self.province_name else [])
            for text in texts:
                r = self.resolve_text(text)
                if r.status in ("exact", "converted") and self._in_context(r.commune_id or r.residence_id):
                    return r
                if r.status == "ambiguous" and r.residence_id and self._in_context(r.residence_id):
                    return r  # an old commune that was split
        return self.file


_TYPE_WORD = re.compile(r"(^|[\s,.;\-])(XA|PHUONG|THI TRAN|TT|TTR|P|X|F|DAC KHU)(\.|\s)")


_PROVINCE_CONTEXT: dict[str, tuple[frozenset[str], str]] = {}


def _province_context(user, province: str | None) -> tuple[frozenset[str], str]:
    """(province codes of both maps, display name) used to settle same-name communes."""
    if province and not user:
        key = str(province).zfill(2)
        if key not in _PROVINCE_CONTEXT:
            _PROVINCE_CONTEXT[key] = _province_context_uncached(None, province)
        return _PROVINCE_CONTEXT[key]
    return _province_context_uncached(user, province)


def _province_context_uncached(user, province: str | None) -> tuple[frozenset[str], str]:
    units: list[AdminUnit] = []
    if province:
        u = AdminUnit.objects.filter(level=Level.PROVINCE, code=str(province).zfill(2)).order_by(
            "-valid_from").first()
        if u is None:
            raise BadInput(f"không có tỉnh mã {province!r}")
        units = [u]
    elif user is not None:
        scope = scope_for(user)
        codes = set(scope.province_codes)
        if not codes and scope.commune_ids:
            codes = set(AdminUnit.objects.filter(pk__in=scope.commune_ids, valid_to__isnull=True)
                        .values_list("province_code", flat=True))
        if len(codes) == 1:
            u = AdminUnit.objects.filter(level=Level.PROVINCE, province_code=codes.pop(),
                                         valid_to__isnull=True).first()
            units = [u] if u else []
    if not units:
        return frozenset(), ""
    return scope_from_units(units).province_codes | {units[0].province_code}, units[0].name


_DISTRICT_LINE = re.compile(r"\b(HUYEN|THI XA|THANH PHO|QUAN)\s+([A-Z0-9 ]+)$")


def _hint_texts(parsed, province_name: str) -> list[str]:
    """Texts naming the list's commune, most specific first: the title's "UBND XÃ …" (with the
    district of an "UBND HUYỆN …" line), title lines naming a commune, then the file name."""
    hint = parsed.commune_hint or ""
    district = ""
    for line in parsed.title_lines:
        k = " ".join(fold(line).split())
        m = re.search(r"\bUBND\s+(HUYEN|THI XA|THANH PHO|QUAN)\s+(.+)$", k)
        if m and not district:
            words = line.split()
            n = len(m.group(2).split())
            district = f"{m.group(1).title()} {' '.join(words[-n:])}" if n <= len(words) else ""
    out = []
    tail = f", {province_name}" if province_name else ""
    if hint:
        if district:
            out.append(f"{hint}, {district}{tail}")
        out.append(f"{hint}{tail}")
        out.append(hint)
    for line in parsed.title_lines:  # "Xã Hồng Phong, Huyện Bình Gia"; "DANH SÁCH … - XÃ HỒNG PHONG"
        part = re.sub(r"\([^)]*\)", " ", line.split(" - ")[-1])
        kp = fold(part)
        if re.search(r"\b(XA|PHUONG|THI TRAN)\b", kp) and "XA HOI" not in kp:
            out.append(f"{part}{tail}")
    # "DS_TCXH_xa_Lien_Son_T01-2024.xlsx", "187_06502_lien_son.csv": words without digits
    stem = " ".join(w for w in re.split(r"[\s_\-.,]+", Path(parsed.file).stem) if w and not any(c.isdigit() for c in w))
    if stem:
        out.append(f"{stem}{tail}")
    return out


# --------------------------------------------------------------------------- row preparation

class _NamelessRow:
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


def _nameless_rows(parsed) -> list[_NamelessRow]:
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
        out.append(_NamelessRow(s.row, text))
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
class _Row:
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


def _prepare(src, res: _ResidenceResolver, at_month: str, default_paid: str, today: dt.date) -> _Row:
    v = src.values
    row = _Row(src)
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
            bad_id = [f.details.get("value") for f in row.findings if f.rule == "ID_SHAPE"]
            row.reasons.append("Không có số định danh/CMND hợp lệ và không có ngày sinh"
                               + (f" (số ghi: {bad_id[0]})" if bad_id else ""))
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

    # category
    label = v.get("category") or v.get("section") or ""
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
    programme = {"ND176": Programme.ND176, "ART20": Programme.ART20}.get(code or "", Programme.TCXH)
    coef = v.get("coefficient")
    age = rules.age_on(dob, _month_end(at_month)) if dob else None
    if coef is None and code:
        coef = category_coefficient(code, age)
    dd = v.get("decision_date")
    row.enrol = {
        "programme": programme, "category": code or "", "category_label": (label or "")[:300],
        "coefficient": Decimal(coef).quantize(Decimal("0.01")) if coef is not None else None,
        "amount": v.get("amount") if isinstance(v.get("amount"), int) and v.get("amount") >= 0 else None,
        "decision_number": (v.get("decision_number") or "")[:100],
        "decision_date": dd[0] if dd else None,
        "start_month": v.get("start_month") or "",
    }
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


# --------------------------------------------------------------------------- the importer

ENROL_FIELDS = ("coefficient", "amount", "decision_number", "decision_date", "start_month", "category_label")


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


class _Writer:
    """Set-based inserts without the ORM's per-object cost: executemany, or multi-row
    INSERT … RETURNING when the new ids are needed. Values are adapted per column with the
    backend's own adapters (dates, datetimes, decimals, JSON), so SQLite and PostgreSQL
    store exactly what the ORM would. Runs on the same connection, inside the caller's
    transaction."""

    def __init__(self):
        from django.db import connection

        connection.ensure_connection()
        self.connection = connection
        self.ops = connection.ops
        self.ph = "?" if connection.vendor == "sqlite" else "%s"

    def _adapters(self, model, fields):
        ops = self.ops
        cols, fns = [], []
        for i, name in enumerate(fields):
            f = model._meta.get_field(name)
            cols.append(f.column)
            kind = f.get_internal_type()
            if kind == "DateTimeField":
                memo: dict = {}

                def fn(v, memo=memo):
                    r = memo.get(v)
                    if r is None:
                        r = memo[v] = ops.adapt_datetimefield_value(v)
                    return r
            elif kind == "DateField":
                dmemo: dict = {}

                def fn(v, memo=dmemo, adapt=ops.adapt_datefield_value):
                    r = memo.get(v)
                    if r is None:
                        r = memo[v] = adapt(v)
                    return r
            elif kind == "DecimalField":
                def fn(v, f=f):
                    return ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
            elif kind == "JSONField":
                empty = {"list": ops.adapt_json_value([], None), "dict": ops.adapt_json_value({}, None)}

                def fn(v, adapt=ops.adapt_json_value, empty_list=empty["list"], empty_dict=empty["dict"]):
                    if not v and type(v) in (list, dict):  # the same text json.dumps gives them
                        return empty_list if type(v) is list else empty_dict
                    return adapt(v, None)
                fn.json = True
            else:
                continue
            fns.append((i, fn))
        return cols, fns

    def _copy(self, model, cols: list[str], fns, rows: list, returning: bool) -> list[int]:
        """PostgreSQL: COPY … FROM STDIN; new ids are drawn from the table's sequence first."""
        qn = self.ops.quote_name
        table = model._meta.db_table
        pk = model._meta.pk.column
        cur = self.connection.connection.cursor()
        try:
            ids: list[int] = []
            if returning:
                cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                            [table, pk, len(rows)])
                ids = [r[0] for r in cur.fetchall()]
                cols = [pk, *cols]
                fns = [(i + 1, fn) for i, fn in fns]
            json_cols = {i for i, fn in fns if getattr(fn, "json", False)}
            with cur.copy(f"COPY {qn(table)} ({', '.join(qn(c) for c in cols)}) FROM STDIN") as copy:
                for n, row in enumerate(rows):
                    row = [ids[n], *row] if returning else list(row)
                    for i in json_cols:
                        if row[i] is not None:
                            row[i] = json.dumps(row[i])
                    copy.write_row(row)
            return ids
        finally:
            cur.close()

    def select_pairs(self, model, fields: tuple[str, ...], key: tuple[str, str], pairs: list[tuple]) -> list[tuple]:
        """Rows whose (key[0], key[1]) is one of `pairs` (row-value IN, served by a composite index).
        Date columns come back as dates on both backends."""
        if not pairs:
            return []
        qn = self.ops.quote_name
        meta = model._meta
        cols = [meta.get_field(f) for f in fields]
        k0, k1 = (meta.get_field(f) for f in key)
        adapt0 = self.ops.adapt_datefield_value if k0.get_internal_type() == "DateField" else (lambda v: v)
        values = ", ".join([f"({self.ph}, {self.ph})"] * len(pairs))
        is_date = k0.get_internal_type() == "DateField"
        cast = "CAST(%s AS date)" if self.connection.vendor == "postgresql" and is_date else "%s"
        sql = (f"WITH k(a, b) AS (VALUES {values}) "
               f"SELECT {', '.join('t.' + qn(c.column) for c in cols)} FROM k "
               f"JOIN {qn(meta.db_table)} t ON t.{qn(k0.column)} = {cast % 'k.a'} AND t.{qn(k1.column)} = k.b")
        params = [v for a, b in pairs for v in (adapt0(a), b)]
        cur = self.connection.connection.cursor()
        try:
            cur.execute(sql, params)
            rows = cur.fetchall()
        finally:
            cur.close()
        dates = [i for i, c in enumerate(cols) if c.get_internal_type() == "DateField"]
        if dates and rows and not isinstance(rows[0][dates[0]], (dt.date, type(None))):
            rows = [tuple(dt.date.fromisoformat(v) if i in dates and v else v for i, v in enumerate(r))
                    for r in rows]
        return rows

    def insert(self, model, fields: tuple[str, ...], rows: list, returning: bool = False) -> list[int]:
        if not rows:
            return []
        cols, fns = self._adapters(model, fields)
        qn = self.ops.quote_name
        head = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in cols)}) VALUES "
        one = "(" + ", ".join([self.ph] * len(cols)) + ")"

        def adapt(row):
            row = list(row)
            for i, fn in fns:
                v = row[i]
                if v is not None:
                    row[i] = fn(v)
            return row

        if not fns:
            def adapt(row):  # noqa: F811 - nothing to adapt
                return row

        if self.connection.vendor == "postgresql":
            return self._copy(model, cols, fns, rows, returning)
        cur = self.connection.connection.cursor()
        try:
            if not returning:
                for i in range(0, len(rows), BATCH):
                    cur.executemany(head + one, [adapt(r) for r in rows[i:i + BATCH]])
                return []
            ids: list[int] = []
            step = max(1, min(BATCH, 30000 // len(cols)))  # below SQLite's 32,766 parameters
            pk = qn(model._meta.pk.column)
            for i in range(0, len(rows), step):
                chunk = rows[i:i + step]
                params = [v for r in chunk for v in adapt(r)]
                cur.execute(f"{head}{', '.join([one] * len(chunk))} RETURNING {pk}", params)
                ids += [r[0] for r in cur.fetchall()]
            if len(ids) != len(rows):
                raise RuntimeError(f"{model.__name__}: inserted {len(rows)} rows, got {len(ids)} ids")
            return ids
        finally:
            cur.close()


@dataclass
class _NewPerson:
    """What later steps need of a person created in this batch (no ORM instance)."""

    pk: int
    full_name: str
    dob: dt.date | None
    id_number: str | None
    legacy_cmnd: str | None
    commune_id: int | None
    residence_unit_id: int | None
    scope_commune_id: int | None
    province_code: str


_PERSON_INSERT = ("id_number", "legacy_cmnd", "full_name", "name_key", "dob", "dob_precision", "gender",
                  "ethnicity", "phone", "residence_unit", "commune", "village", "address_text", "status",
                  "paid_through", "source_batch", "created", "updated", "scope_commune", "province_code")
_ENROL_INSERT = ("person", "programme", "category", "category_label", "sub_case", "coefficient", "amount",
                 "decision_number", "decision_date", "start_month", "end_month", "status", "status_reason",
                 "source_batch", "created", "updated", "scope_commune", "province_code")
_ISSUE_INSERT = ("person", "batch", "rule", "severity", "field", "message", "details", "status", "reason",
                 "created", "scope_commune", "province_code")
_LOG_INSERT = ("model", "object_id", "person", "field", "old", "new", "user", "at", "source", "scope_commune",
               "province_code")
_ROW_INSERT = ("batch", "row", "outcome", "reasons", "person", "raw")


class _Importer:
    def __init__(self, parsed, *, path: Path, file_name: str, digest: str, user, paid_through: str,
                 province: str | None, progress: Progress, job_id=None):
        self.parsed = parsed
        self.path = path
        self.file_name = file_name
        self.digest = digest
        self.user = recorded_user(user)
        self.user_id = self.user.pk if self.user else None
        self.scope = _scope(user)
        self.progress = progress
        self.job_id = job_id
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.period = parsed.period or ""
        self.paid_through = paid_through or self.period
        self.at_month = self.paid_through or f"{self.today:%Y-%m}"
        self.units = _units()
        codes, pname = _province_context(user, province)
        self.res = _ResidenceResolver(self.units, codes, pname, _hint_texts(parsed, pname))
        # Province of rows whose commune is not known at all (still visible to the province).
        self.fallback_province = ""
        if codes and pname:
            prov = AdminUnit.objects.filter(level=Level.PROVINCE, name=pname).order_by("-valid_from").first()
            self.fallback_province = prov.province_code if prov else ""
        self.changes: list[list] = []
        self.writer = _Writer()
        # Rows refused because the person is registered outside the scope: (row, person, rule).
        self.outside: list[tuple] = []

    # -- helpers
    def _scope_unit(self, r: Residence | None) -> int | None:
        f = self.res.file
        return (r and (r.commune_id or r.residence_id)) or f.commune_id or f.residence_id

    def _province(self, unit_id: int | None) -> str:
        return self.units.province_of(unit_id) or self.fallback_province

    def _allowed(self, unit_id: int | None) -> bool:
        s = self.scope
        if s.everything:
            return True
        if unit_id is None:
            return bool(self.fallback_province) and self.fallback_province in s.province_codes
        return unit_id in s.commune_ids or self.units.province_of(unit_id) in s.province_codes

    def _log(self, model: str, obj_id: int, person_id: int | None, fld: str, old, new, scope_id, prov) -> None:
        self.changes.append([model, obj_id, person_id, fld, _fmt(old), _fmt(new), self.user_id, self.now,
                             self.source, scope_id, prov])

    # -- main
    def run(self) -> dict:
        t0 = time.perf_counter()
        parsed = self.parsed
        file_unit = self.res.file.commune_id or self.res.file.residence_id
        if self.user is not None and not self.scope.everything:
            if file_unit is None and not (self.fallback_province and self.scope.allows_province(
                    self.fallback_province)):
                raise OutsideScope(f"{self.file_name}: không xác định được xã/phường của danh sách "
                                   f"(cần dòng “UBND XÃ …” ở đầu danh sách)")
            if file_unit is not None and not self._allowed(file_unit):
                raise OutsideScope(f"{self.file_name}: danh sách của {self.units.label(file_unit)} "
                                   f"ngoài phạm vi của bạn")
        batch = ImportBatch.objects.create(
            file_name=self.file_name[:255], sha256=self.digest, uploaded_by=self.user, period=self.period,
            paid_through=self.paid_through, commune_hint=(parsed.commune_hint or "")[:200],
            sheet=(parsed.sheet or "")[:200], title_lines=parsed.title_lines,
            original_header=parsed.original_header, scope_commune_id=file_unit,
            province_code=self._province(file_unit), job_id=self.job_id)
        self.batch = batch
        self.source = f"import:{batch.pk}"
        n = len(parsed.rows)
        self.progress.set_total(n, f"{self.file_name}: kiểm tra {n} dòng")
        timings = self.timings = {}
        clock = [time.perf_counter()]

        def lap(name):
            now = time.perf_counter()
            timings[name] = round(now - clock[0], 3)
            clock[0] = now

        prepared = []
        for i, src in enumerate(parsed.rows, 1):
            prepared.append(_prepare(src, self.res, self.at_month, self.paid_through, self.today))
            if i % 500 == 0:
                self.progress.update(i // 2)
        for src in _nameless_rows(parsed):
            prepared.append(_Row(src, reasons=["Thiếu họ tên"], texts=src.cells_text()))
        prepared.sort(key=lambda r: r.src.row)
        lap("prepare")
        self._scope_rows(prepared)
        self._dedupe_in_file(prepared)
        self._match(prepared)
        lap("match")
        self.progress.update(n // 2, f"{self.file_name}: ghi dữ liệu")
        self._write_persons(prepared)
        lap("persons")
        enrol_ids = self._write_enrolments(prepared)
        lap("enrolments")
        self._write_accounts(prepared)
        self._write_issues(prepared, enrol_ids)
        self._route_outside()
        lap("issues")
        self.writer.insert(ChangeLog, _LOG_INSERT, self.changes)
        lap("history")
        report = self._write_rows_and_report(prepared, t0)
        lap("rows")
        report["timings"] = timings
        self.progress.update(n, f"{self.file_name}: xong")
        return report

    def _scope_rows(self, rows: list[_Row]) -> None:
        if self.scope.everything:
            return
        for r in rows:
            if r.ok and not self._allowed(self._scope_unit(r.residence)):
                r.reasons.append(f"Ngoài phạm vi của bạn (nơi cư trú thuộc "
                                 f"{self.units.label(self._scope_unit(r.residence))})")

    def _dedupe_in_file(self, rows: list[_Row]) -> None:
        seen: dict[tuple, int] = {}
        for r in rows:
            if not r.ok:
                continue
            d = r.data
            keys = []
            if d["id_number"]:
                keys.append(("id", d["id_number"], "số định danh"))
            if d["legacy_cmnd"]:
                keys.append(("cmnd", d["legacy_cmnd"], "số CMND"))
            if d["dob"] is not None:
                keys.append(("nd", (d["name_key"], d["dob"], self._scope_unit(r.residence)),
                             "họ tên, ngày sinh và xã"))
            for kind, key, label in keys:
                first = seen.get((kind, key))
                if first is None:
                    continue
                if kind == "nd" and (d["id_number"] or d["legacy_cmnd"]) and first[1]:
                    continue  # same name and dob but both rows carry IDs: the IDs decide
                r.reasons.append(f"Trùng {label} với dòng {first[0]} của cùng tệp")
                break
            if r.ok:
                for kind, key, _ in keys:
                    seen.setdefault((kind, key), (r.src.row, bool(d["id_number"] or d["legacy_cmnd"])))

    def _match(self, rows: list[_Row]) -> None:
        """Exact keys, in order: id_number, legacy CMND, (name_key, dob, commune)."""
        live = [r for r in rows if r.ok]
        by_id: dict[str, int] = {}
        by_cmnd: dict[str, int] = {}
        by_nd: dict[tuple, list[tuple]] = defaultdict(list)
        ids = sorted({r.data["id_number"] for r in live if r.data["id_number"]})
        cmnds = sorted({r.data["legacy_cmnd"] for r in live if r.data["legacy_cmnd"]})
        dated = [r for r in live if r.data["dob"] is not None]
        cols = ("id", "id_number", "legacy_cmnd", "name_key", "dob", "commune", "residence_unit", "scope_commune")
        for i in range(0, len(ids), BATCH):
            for row in Person.objects.filter(id_number__in=ids[i:i + BATCH]).values_list("pk", "id_number"):
                by_id[row[1]] = row[0]
        for i in range(0, len(cmnds), BATCH):
            for row in Person.objects.filter(legacy_cmnd__in=cmnds[i:i + BATCH]).order_by("pk").values_list(
                    "pk", "legacy_cmnd", "id_number"):
                by_cmnd.setdefault(row[1], (row[0], row[2]))
        pairs = sorted({(r.data["dob"], r.data["name_key"]) for r in dated})
        for i in range(0, len(pairs), BATCH):
            for row in self.writer.select_pairs(Person, cols, ("dob", "name_key"), pairs[i:i + BATCH]):
                by_nd[(row[3], row[4])].append(row)
        found: dict[int, int] = {}  # row number -> person pk
        by_number: set[int] = set()  # rows matched on the ID / CMND number
        for r in live:
            d = r.data
            pk = by_id.get(d["id_number"]) if d["id_number"] else None
            if pk is None and d["legacy_cmnd"] and d["legacy_cmnd"] in by_cmnd:
                cand_pk, cand_id = by_cmnd[d["legacy_cmnd"]]
                if not (cand_id and d["id_number"] and cand_id != d["id_number"]):
                    pk = cand_pk
            if pk is not None:
                by_number.add(r.src.row)
            if pk is None and d["dob"] is not None:
                res = r.residence
                units = {res.commune_id, res.residence_id, self._scope_unit(res)} - {None}
                for cand in by_nd.get((d["name_key"], d["dob"]), []):
                    if not units & ({cand[5], cand[6], cand[7]} - {None}):
                        continue
                    if d["id_number"] and cand[1] and cand[1] != d["id_number"]:
                        continue
                    if d["legacy_cmnd"] and cand[2] and cand[2] != d["legacy_cmnd"]:
                        continue
                    pk = cand[0]
                    break
            if pk is not None:
                found[r.src.row] = pk
        persons = {}
        pks = sorted(set(found.values()))
        for i in range(0, len(pks), BATCH):
            persons.update(Person.objects.in_bulk(pks[i:i + BATCH]))
        claimed: dict[int, int] = {}
        for r in live:
            pk = found.get(r.src.row)
            if pk is None:
                continue
            p = persons[pk]
            if pk in claimed:
                r.reasons.append(f"Trùng với dòng {claimed[pk]} của cùng tệp (cùng một người đã có)")
                continue
            if not self._allowed(p.scope_commune_id):
                # Said without the other unit or person (an identity oracle otherwise); the
                # case goes to a reviewer whose scope covers both (see _route_outside).
                number = r.src.row in by_number
                r.reasons.append(rules.ID_TAKEN_MESSAGE if number else rules.LISTED_ELSEWHERE_MESSAGE)
                self.outside.append((r, p, "ID_TAKEN" if number else "LISTED_ELSEWHERE"))
                continue
            claimed[pk] = r.src.row
            r.person = p

    def _route_outside(self) -> None:
        """One routed issue per row refused because the person is registered outside the
        importer's scope: on that person, filed under the unit covering both the person and
        the row (rules.ROUTED_RULES), naming only the batch and the row."""
        for r, p, rule in self.outside:
            unit = self._scope_unit(r.residence)
            what = "số định danh" if rule == "ID_TAKEN" else "họ tên và ngày sinh"
            route_id_taken(p, (unit, self._province(unit)), self.user, rule=rule, batch=self.batch,
                           message=(f"Dòng {r.src.row} của lô nhập #{self.batch.pk} (đơn vị khác) có {what} "
                                    f"trùng với đối tượng này; cấp tỉnh sẽ xử lý."),
                           details={"batch": self.batch.pk, "row": r.src.row}, source=self.source)

    # -- persons
    def _write_persons(self, rows: list[_Row]) -> None:
        new_rows = [r for r in rows if r.ok and r.person is None]
        values, news = [], []
        for r in new_rows:
            d = r.data
            res = r.residence
            scope_id = self._scope_unit(res)
            prov = self._province(scope_id)
            residence_id = res.residence_id or res.commune_id
            values.append((d["id_number"], d["legacy_cmnd"], d["full_name"][:200], d["name_key"][:200], d["dob"],
                           d["dob_precision"] or DobPrecision.DAY, d["gender"], d["ethnicity"][:60], d["phone"],
                           residence_id, res.commune_id, d["village"][:200], d["address_text"][:500],
                           PersonStatus.ALIVE, d["paid_through"], self.batch.pk, self.now, self.now, scope_id,
                           prov))
            news.append(_NewPerson(0, d["full_name"], d["dob"], d["id_number"], d["legacy_cmnd"], res.commune_id,
                                   residence_id, scope_id, prov))
        ids = self.writer.insert(Person, _PERSON_INSERT, values, returning=True)
        for r, p, pk in zip(new_rows, news, ids):
            p.pk = pk
            r.person = p
            r.outcome = RowOutcome.IMPORTED
            self._log("registry.person", pk, pk, "", "", "tạo mới", p.scope_commune_id, p.province_code)

        changed: dict[int, Person] = {}
        changed_fields: set[str] = set()
        moved: dict[tuple, list[int]] = defaultdict(list)
        for r in rows:
            if not r.ok or r.outcome == RowOutcome.IMPORTED:
                continue
            r.outcome = RowOutcome.UPDATED
            p = r.person
            diffs = self._person_diffs(p, r)
            if not diffs:
                continue
            for fld, (old, val) in diffs.items():
                setattr(p, fld, val)
                changed_fields.add(fld)
                shown_old, shown_new = old, val
                if fld in ("residence_unit_id", "commune_id"):
                    shown_old, shown_new = self.units.label(old), self.units.label(val)
                self._log("registry.person", p.pk, p.pk, fld.removesuffix("_id"), shown_old, shown_new,
                          p.scope_commune_id, p.province_code)
            if "full_name" in diffs:
                p.name_key = fold(p.full_name)
                changed_fields.add("name_key")
            if {"commune_id", "residence_unit_id"} & diffs.keys():
                scope_id = p.commune_id or p.residence_unit_id or p.scope_commune_id
                if scope_id != p.scope_commune_id:
                    p.scope_commune_id = scope_id
                    p.province_code = self._province(scope_id)
                    changed_fields |= {"scope_commune_id", "province_code"}
                    moved[(scope_id, p.province_code)].append(p.pk)
            p.updated = self.now
            changed[p.pk] = p
        if changed:
            Person.objects.bulk_update(list(changed.values()), sorted(changed_fields | {"updated"}),
                                       batch_size=BATCH)
        for (scope_id, prov), pids in moved.items():
            follow_person_scope(pids, scope_id, prov)
            for c in self.changes:
                if c[2] in pids:
                    c[9], c[10] = scope_id, prov

    def _person_diffs(self, p: Person, r: _Row) -> dict:
        d = r.data
        diffs = {}
        for fld in ("id_number", "legacy_cmnd", "full_name", "gender", "ethnicity", "phone", "village",
                    "address_text"):
            val = d.get(fld)
            if val and val != getattr(p, fld):
                diffs[fld] = (getattr(p, fld), val)
        if d["dob"] is not None and p.dob != d["dob"]:
            coarser = _PRECISION_RANK[d["dob_precision"]] < _PRECISION_RANK[p.dob_precision or "day"]
            same_year = p.dob is not None and p.dob.year == d["dob"].year
            if not (coarser and same_year):
                diffs["dob"] = (p.dob, d["dob"])
                if d["dob_precision"] != p.dob_precision:
                    diffs["dob_precision"] = (p.dob_precision, d["dob_precision"])
        if d["paid_through"] and d["paid_through"] > (p.paid_through or ""):
            diffs["paid_through"] = (p.paid_through, d["paid_through"])
        res = r.residence
        current = p.commune_id or p.residence_unit_id
        if current and (res.commune_id or res.residence_id) and not self._same_place(p, res):
            # Listed by another commune: a second list does not prove a move.
            r.findings.append(rules.Finding(
                "DUPLICATE_LISTED", rules.WARNING,
                f"Đã có trong danh sách của {self.units.label(current)}; dòng {r.src.row} của tệp "
                f"{self.file_name} thuộc {self.units.label(res.commune_id or res.residence_id)}",
                "commune", {"listed_in": current, "row_unit": res.commune_id or res.residence_id,
                            "batch": self.batch.pk, "row": r.src.row}))
            r.evaluated.discard("RESIDENCE")
            r.findings = [f for f in r.findings if f.rule != "RESIDENCE"]
        elif res.commune_id and res.commune_id != p.commune_id:
            diffs["commune_id"] = (p.commune_id, res.commune_id)
            if res.residence_id and res.residence_id != p.residence_unit_id:
                diffs["residence_unit_id"] = (p.residence_unit_id, res.residence_id)
        elif res.status == "ambiguous" and p.commune_id:
            # Someone already chose the successor commune: keep it; nothing to review.
            r.findings = [f for f in r.findings if f.rule != "RESIDENCE"]
            r.evaluated.discard("RESIDENCE")
        elif not current and res.residence_id:
            diffs["residence_unit_id"] = (p.residence_unit_id, res.residence_id)
        return diffs

    @staticmethod
    def _same_place(p: Person, res: Residence) -> bool:
        mine = {p.commune_id, p.residence_unit_id} - {None}
        theirs = {res.commune_id, res.residence_id} - {None} | {c["id"] for c in res.candidates}
        return bool(mine & theirs)

    # -- enrolments, accounts, authorised persons
    @staticmethod
    def _enrol_key(programme: str, category: str, label: str) -> tuple:
        return (programme, category) if category else (programme, "", fold(label))

    @staticmethod
    def _existing(model, pids: list[int]) -> dict[int, list]:
        out: dict[int, list] = defaultdict(list)
        for i in range(0, len(pids), BATCH):
            for o in model.objects.filter(person_id__in=pids[i:i + BATCH]).order_by("pk"):
                out[o.person_id].append(o)
        return out

    def _matched(self, rows: list[_Row]) -> list[int]:
        return sorted({r.person.pk for r in rows if r.ok and r.outcome == RowOutcome.UPDATED})

    def _write_enrolments(self, rows: list[_Row]) -> dict[int, int]:
        """Create/update one enrolment per row; returns {row number: enrolment id}."""
        live = [r for r in rows if r.ok]
        existing = self._existing(Enrolment, self._matched(rows))
        creates: list[_Row] = []
        values = []
        updates: dict[int, Enrolment] = {}
        upd_fields: set[str] = set()
        row_enrol: dict[int, int] = {}
        for r in live:
            e = r.enrol
            p = r.person
            key = self._enrol_key(e["programme"], e["category"], e["category_label"])
            found = next((x for x in existing.get(p.pk, [])
                          if self._enrol_key(x.programme, x.category, x.category_label) == key), None)
            if found is None:
                creates.append(r)
                values.append((p.pk, e["programme"], e["category"], e["category_label"], "", e["coefficient"],
                               e["amount"], e["decision_number"], e["decision_date"], e["start_month"], "",
                               EnrolmentStatus.ACTIVE, "", self.batch.pk, self.now, self.now, p.scope_commune_id,
                               p.province_code))
                continue
            row_enrol[r.src.row] = found.pk
            for fld in ENROL_FIELDS:
                val = e[fld]
                if val not in (None, "") and val != getattr(found, fld):
                    self._log("registry.enrolment", found.pk, p.pk, fld, getattr(found, fld), val,
                              p.scope_commune_id, p.province_code)
                    setattr(found, fld, val)
                    upd_fields.add(fld)
                    updates[found.pk] = found
        ids = self.writer.insert(Enrolment, _ENROL_INSERT, values, returning=True)
        for r, pk in zip(creates, ids):
            row_enrol[r.src.row] = pk
            if r.outcome == RowOutcome.UPDATED:
                self._log("registry.enrolment", pk, r.person.pk, "", "",
                          f"tạo mới: {r.enrol['category'] or r.enrol['category_label']}",
                          r.person.scope_commune_id, r.person.province_code)
        if updates:
            for o in updates.values():
                o.updated = self.now
            Enrolment.objects.bulk_update(list(updates.values()), sorted(upd_fields | {"updated"}),
                                          batch_size=BATCH)
        return row_enrol

    def _write_accounts(self, rows: list[_Row]) -> None:
        live = [r for r in rows if r.ok and (r.account or r.authorised)]
        matched = sorted({r.person.pk for r in live if r.outcome == RowOutcome.UPDATED})
        accounts = self._existing(PaymentAccount, matched)
        auths = self._existing(AuthorisedPerson, matched)
        new_accounts, new_auths = [], []
        for r in live:
            p = r.person
            if r.authorised and not any(a.name_key == r.authorised["name_key"] for a in auths.get(p.pk, [])):
                a = AuthorisedPerson(person_id=p.pk, **r.authorised)
                new_auths.append((r, a))
                auths[p.pk].append(a)
            if r.account and not any(a.account_number == r.account["account_number"]
                                     for a in accounts.get(p.pk, [])):
                # Pending until a second user approves it (ansinh.accounts.services.approve_account).
                a = PaymentAccount(person_id=p.pk, source=self.source, made_by_id=self.user_id, **r.account)
                new_accounts.append((r, a))
                accounts[p.pk].append(a)
        AuthorisedPerson.objects.bulk_create([a for _, a in new_auths], batch_size=BATCH)
        PaymentAccount.objects.bulk_create([a for _, a in new_accounts], batch_size=BATCH)
        for model, pairs, text in (("registry.authorisedperson", new_auths, lambda a: a.full_name),
                                   ("registry.paymentaccount", new_accounts, lambda a: str(a))):
            for r, a in pairs:
                if r.outcome == RowOutcome.UPDATED:
                    self._log(model, a.pk, r.person.pk, "", "", f"tạo mới: {text(a)}",
                              r.person.scope_commune_id, r.person.province_code)
        self._has_account = {r.person.pk for r in live if r.account}

    # -- issues
    def _write_issues(self, rows: list[_Row], enrol_ids: dict[int, int]) -> None:
        live = [r for r in rows if r.ok]
        matched = self._matched(rows)
        has_account = set(self._has_account)
        for i in range(0, len(matched), BATCH):
            has_account |= set(PaymentAccount.objects.filter(person_id__in=matched[i:i + BATCH])
                               .values_list("person_id", flat=True))
        for r in live:
            p = r.person
            r.evaluated.add("ACCOUNT_FIELDS")
            r.findings += rules.check_account_fields(
                full_name=p.full_name, dob=p.dob, id_number=p.id_number or p.legacy_cmnd,
                residence_known=bool(p.commune_id or p.residence_unit_id),
                account_number="x" if p.pk in has_account else None)
            for f in r.findings:
                if f.rule.startswith("CATEGORY_"):
                    f.details["enrolment"] = enrol_ids.get(r.src.row)
        existing = self._existing(QualityIssue, matched)
        values, fixes = [], []
        for r in live:
            p = r.person
            have = {(i.rule, i.field): i for i in existing.get(p.pk, [])}
            found_keys = set()
            for f in r.findings:
                key = (f.rule, f.field)
                if key in found_keys:
                    continue
                found_keys.add(key)
                if key in have and have[key].status != IssueStatus.FIXED:
                    continue  # open or waived: keep as it is
                values.append((p.pk, self.batch.pk, f.rule, f.severity, f.field, f.message[:500], f.details,
                               IssueStatus.OPEN, "", self.now, p.scope_commune_id, p.province_code))
            for (rule, fld), issue in have.items():
                if issue.status == IssueStatus.OPEN and rule in r.evaluated and (rule, fld) not in found_keys:
                    issue.status = IssueStatus.FIXED
                    issue.resolved_by = self.user
                    issue.resolved_at = self.now
                    issue.reason = f"Đã đúng trong tệp {self.file_name}"[:500]
                    fixes.append(issue)
                    self._log("registry.qualityissue", issue.pk, p.pk, "status", IssueStatus.OPEN,
                              IssueStatus.FIXED, p.scope_commune_id, p.province_code)
        self.writer.insert(QualityIssue, _ISSUE_INSERT, values)
        if fixes:
            QualityIssue.objects.bulk_update(fixes, ["status", "resolved_by", "resolved_at", "reason"],
                                             batch_size=BATCH)

    # -- rows and report
    def _write_rows_and_report(self, rows: list[_Row], t0: float) -> dict:
        values = []
        counts = Counter()
        issues = Counter()
        unmapped = Counter()
        rejected = []
        for r in rows:
            if not r.ok:
                r.outcome = RowOutcome.REJECTED
                rejected.append({"row": r.src.row, "name": r.src.values.get("full_name") or "",
                                 "reasons": r.reasons})
            else:
                for f in r.findings:
                    issues[f.rule] += 1
                    if f.rule == "CATEGORY_UNMAPPED":
                        unmapped[f.details.get("label") or ""] += 1
            counts[r.outcome] += 1
            values.append((self.batch.pk, r.src.row, r.outcome, r.reasons, r.person.pk if r.ok else None,
                           r.texts or r.src.cells_text()))
        self.writer.insert(ImportRow, _ROW_INSERT, values)
        b = self.batch
        b.rows = len(rows)
        b.imported = counts[RowOutcome.IMPORTED]
        b.updated = counts[RowOutcome.UPDATED]
        b.rejected = counts[RowOutcome.REJECTED]
        if b.rows != b.imported + b.updated + b.rejected:
            raise RuntimeError(f"row accounting broken: {b.rows} != {b.imported}+{b.updated}+{b.rejected}")
        b.issues = dict(sorted(issues.items()))
        f = self.res.file
        file_unit = f.commune_id or f.residence_id
        taken = {r.src.row for r in rows if isinstance(r.src, _NamelessRow)}
        skipped = [s for s in self.parsed.skipped if s.row not in taken]
        b.report = {
            "batch": b.pk, "file": self.file_name, "sha256": self.digest,
            "rows": b.rows, "imported": b.imported, "updated": b.updated, "rejected": b.rejected,
            "issues": b.issues,
            "unmapped_categories": dict(unmapped.most_common()),
            "skipped": len(skipped),
            "skipped_rows": [{"row": s.row, "reason": s.reason} for s in skipped[:200]],
            "columns": {k: self.parsed.column_letter(k) for k in self.parsed.columns},
            "unmapped_columns": list(self.parsed.unmapped_columns.values()),
            "period": self.period, "paid_through": self.paid_through,
            "commune": ({"id": file_unit, "code": self.units.by_id[file_unit].code,
                         "name": self.units.by_id[file_unit].name, "status": f.status} if file_unit else None),
            "rejected_rows": rejected[:500],
            "seconds": round(time.perf_counter() - t0, 3),
            "already_imported": False,
        }
        b.save(update_fields=["rows", "imported", "updated", "rejected", "issues", "report"])
        return b.report


# SQLite settings of the importing connection (connection-level, not stored in the database):
# a page cache big enough for the registry's indexes (the default 2 MB spills and re-reads
# index pages on every file) and fewer WAL checkpoints (every commit of a file otherwise
# copies the WAL back into the database: half the commit time). The WAL is checkpointed
# when it passes ~80 MB, and trimmed back to 16 MB after each checkpoint.
_SQLITE_IMPORT_PRAGMAS = ("PRAGMA cache_size = -131072", "PRAGMA wal_autocheckpoint = 20000",
                          "PRAGMA journal_size_limit = 16777216")


def _tune_sqlite() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cur:
        for pragma in _SQLITE_IMPORT_PRAGMAS:
            cur.execute(pragma)


def import_file(path, user=None, paid_through=None, progress: Progress | None = None, *,
                file_name: str | None = None, province: str | None = None, job_id=None) -> dict:
    """Import one list file; return its report (see module docstring)."""
    from ansinh.registry.reader import ReadError, read_list

    path = Path(path)
    progress = progress or Progress()
    name = file_name or path.name
    if user is not None and not can_edit(user):
        raise OutsideScope("bạn không có quyền nhập danh sách")
    paid = month_str(paid_through)
    try:
        digest = sha256_of(path)
    except OSError as exc:
        raise BadInput(f"{name}: không đọc được tệp ({exc.strerror or exc})") from None
    earlier = ImportBatch.objects.filter(sha256=digest).first()
    if earlier is not None:
        return {**earlier.report, "already_imported": True, "batch": earlier.pk}
    try:
        parsed = read_list(path)
    except ReadError as exc:
        raise BadInput(f"{name}: {exc.message}") from None
    _tune_sqlite()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _Importer(parsed, path=path, file_name=name, digest=digest, user=user, paid_through=paid,
                                 province=province, progress=progress, job_id=job_id).run()
        except IntegrityError:
            # Another import committed the same file, or a person with the same ID, meanwhile.
            earlier = ImportBatch.objects.filter(sha256=digest).first()
            if earlier is not None:
                return {**earlier.report, "already_imported": True, "batch": earlier.pk}
            if attempt == 2 or transaction.get_connection().in_atomic_block:
                raise
    raise AssertionError("unreachable")


def list_files(paths) -> list[Path]:
    """Expand directories to the list files in them (sorted); keep files as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in LIST_EXTENSIONS
                          and not q.name.startswith(("~$", ".")))
        else:
            out.append(p)
    return out


@job_kind("registry.import")
def import_job(params: dict, progress: Progress) -> dict:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    user = None
    if params.get("user_id"):
        user = get_user_model().objects.filter(pk=params["user_id"]).first()
        if user is None:
            raise BadInput("người dùng không còn tồn tại")
    report = import_file(params["path"], user=user, paid_through=params.get("paid_through") or None,
                         progress=progress, file_name=params.get("file_name"), province=params.get("province"),
                         job_id=progress.job_id)
    report["url"] = reverse("registry:batch", args=[report["batch"]])
    return report


def save_upload(uploaded) -> Path:
    """Store an uploaded list under VAR_DIR/uploads/registry/<random>/<name>."""
    from ansinh.core.uploads import store_upload

    return store_upload(uploaded, "registry")


def start_import(user, uploaded, paid_through: str | None = None):
    """Save an upload and start a background import job; returns the Job."""
    from ansinh.core.jobs import start_job

    if not can_edit(user):
        raise OutsideScope("bạn không có quyền nhập danh sách")
    paid = month_str(paid_through)
    from ansinh.core.uploads import check_name, uploader_scope

    name = check_name(uploaded.name, LIST_EXTENSIONS)  # the client's name only; too long is said so
    dest = save_upload(uploaded)
    commune, province_code = uploader_scope(user)
    return start_job("registry.import", {"path": str(dest), "file_name": name, "user_id": user.pk,
                                         "paid_through": paid},
                     user=user, title=f"Nhập danh sách {name}", commune=commune, province_code=province_code)


# --------------------------------------------------------------------------- review queue

FIXABLE_FIELDS = ("full_name", "id_number", "dob", "gender", "phone", "village", "address_text", "ethnicity",
                  "category")


def _log_one(model: str, obj_id: int, person: Person, fld: str, old, new, user, source: str = "web") -> ChangeLog:
    return ChangeLog.objects.create(model=model, object_id=obj_id, person=person, field=fld, old=_fmt(old),
                                    new=_fmt(new), user=recorded_user(user), at=timezone.now(), source=source,
                                    scope_commune_id=person.scope_commune_id, province_code=person.province_code)


def _check_can_touch(person: Person, user) -> None:
    if user is None:
        return
    if not can_edit(user):
        raise OutsideScope("bạn không có quyền sửa dữ liệu")
    s = scope_for(user)
    if not s.covers(person.scope_commune_id, person.province_code):
        raise OutsideScope("đối tượng ngoài phạm vi của bạn")


def _parse_value(fld: str, value: str):
    from ansinh.text.dates import parse_cell

    value = (value or "").strip()
    if fld == "full_name":
        v = normalize_name(value)
        if not v:
            raise BadInput("họ tên không được để trống")
        return v
    if fld == "id_number":
        digits = re.sub(r"[\s.\-]", "", value)
        id_number, legacy, findings = rules.classify_id(digits)
        errors = [f for f in findings if f.severity == rules.ERROR]
        if errors:
            raise BadInput(errors[0].message)
        return (id_number, legacy)
    if fld == "dob":
        try:
            parsed = parse_cell(value)
        except ValueError as exc:
            raise BadInput(f"ngày sinh không hợp lệ: {exc}") from None
        if parsed is None:
            raise BadInput("ngày sinh không được để trống")
        return parsed
    if fld == "gender":
        v = {"M": "M", "NAM": "M", "F": "F", "NU": "F"}.get(fold(value))
        if v is None:
            raise BadInput("giới tính phải là Nam hoặc Nữ")
        return v
    if fld == "phone":
        phone, findings = rules.normalise_phone(value)
        if not phone:
            raise BadInput(findings[0].message if findings else "số điện thoại trống")
        return phone
    if fld == "category":
        if value not in CATEGORIES:
            raise BadInput(f"mã diện không hợp lệ: {value!r}")
        return value
    return " ".join(value.split())


def fix_issue(issue: QualityIssue, user, field: str, value: str) -> QualityIssue:
    """Set a person's field (checked) and mark the issue fixed; both recorded in history.

    An ID number already registered to another person is refused with
    rules.ID_TAKEN_MESSAGE (IdNumberTaken) — never the other person's name, commune or the
    number — and the case goes to a reviewer whose scope covers both (route_id_taken)."""
    from django.utils.translation import gettext

    try:
        return _fix_issue(issue, user, field, value)
    except _IdTaken as taken:
        with transaction.atomic():
            person = Person.objects.get(pk=taken.person_id)
            other = Person.objects.get(pk=taken.other_id)
            route_id_taken(person, (other.scope_commune_id, other.province_code), user, message=(
                f"Số định danh nhập cho đối tượng này đã được đăng ký cho một đối tượng khác "
                f"(hồ sơ #{other.pk}); cấp tỉnh sẽ xử lý."), details={"other_person": other.pk, "issue": issue.pk})
        raise IdNumberTaken(gettext(rules.ID_TAKEN_MESSAGE)) from None


@transaction.atomic
def _fix_issue(issue: QualityIssue, user, field: str, value: str) -> QualityIssue:
    issue = QualityIssue.objects.select_for_update().select_related("person").get(pk=issue.pk)
    person = issue.person
    _check_can_touch(person, user)
    if issue.status != IssueStatus.OPEN:
        raise BadInput("vấn đề này đã được xử lý")
    if field not in FIXABLE_FIELDS:
        raise BadInput(f"không sửa được trường {field!r}")
    val = _parse_value(field, value)
    now = timezone.now()
    if field == "id_number":
        id_number, legacy = val
        other = (Person.objects.filter(id_number=id_number).exclude(pk=person.pk).values_list("pk", flat=True)
                 .first() if id_number else None)
        if other is not None:
            raise _IdTaken(person.pk, other)  # nothing written yet: fix_issue routes the case
        for fld, new in (("id_number", id_number), ("legacy_cmnd", legacy)):
            if new and getattr(person, fld) != new:
                _log_one("registry.person", person.pk, person, fld, getattr(person, fld), new, user)
                setattr(person, fld, new)
    elif field == "dob":
        dob, precision = val
        _log_one("registry.person", person.pk, person, "dob", person.dob, dob, user)
        person.dob, person.dob_precision = dob, precision
    elif field == "category":
        enrol_id = (issue.details or {}).get("enrolment")
        enrol = person.enrolments.filter(pk=enrol_id).first() if enrol_id else None
        if enrol is None:
            enrol = person.enrolments.filter(category="").first() or person.enrolments.first()
        if enrol is None:
            raise BadInput("đối tượng chưa có diện hưởng nào")
        _log_one("registry.enrolment", enrol.pk, person, "category", enrol.category, val, user)
        enrol.category = val
        programme = {"ND176": Programme.ND176, "ART20": Programme.ART20}.get(val, Programme.TCXH)
        enrol.programme = programme
        if enrol.coefficient is None and person.dob:
            coef = category_coefficient(val, rules.age_on(person.dob, timezone.localdate()))
            enrol.coefficient = coef
        enrol.save()
    else:
        old = getattr(person, field)
        if issue.rule == "RESIDENCE" and field in ("address_text", "village"):
            unit = _resolve_for_person(person, val)
            if unit is None:
                raise BadInput(f"không xác định được xã/phường hiện hành từ “{val}” (ghi rõ xã, huyện)")
            if old != val:
                _log_one("registry.person", person.pk, person, field, old, val, user)
                setattr(person, field, val)
            person.save()
            resolve_residence(person, unit, user)  # closes the RESIDENCE issues, keeps the history
            issue.refresh_from_db()
            return issue
        if old != val:
            _log_one("registry.person", person.pk, person, field, old, val, user)
            setattr(person, field, val)
            if field == "full_name":
                person.name_key = fold(val)
    person.save()
    issue.status = IssueStatus.FIXED
    issue.resolved_by = recorded_user(user)
    issue.resolved_at = now
    issue.reason = f"Sửa {field}: {value}"[:500]
    issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
    _log_one("registry.qualityissue", issue.pk, person, "status", IssueStatus.OPEN, IssueStatus.FIXED, user)
    if field in ("id_number", "dob", "gender"):
        _recheck_id_rules(person, user, field, now)
    return issue


# Rules that compare the ID number with other fields: re-evaluated whenever one side changes.
_ID_CROSS_RULES = ("ID_GENDER", "ID_BIRTH_YEAR")


def _recheck_id_rules(person: Person, user, changed: str, now) -> None:
    """After a fix of the ID number, date of birth or gender: close the open ID_GENDER /
    ID_BIRTH_YEAR issues that no longer hold and open those that now do (both recorded)."""
    found = {f.rule: f for f in (rules.check_id_gender(person.id_number, person.gender)
                                 + rules.check_id_birth_year(person.id_number, person.dob))}
    open_issues = {i.rule: i for i in QualityIssue.objects.select_for_update().filter(
        person=person, status=IssueStatus.OPEN, rule__in=_ID_CROSS_RULES)}
    for rule, other in open_issues.items():
        if rule in found:
            continue
        other.status, other.resolved_by, other.resolved_at = IssueStatus.FIXED, recorded_user(user), now
        other.reason = f"Tự đóng: hết sai lệch sau khi sửa {changed}"
        other.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
        _log_one("registry.qualityissue", other.pk, person, "status", IssueStatus.OPEN, IssueStatus.FIXED, user)
    for rule, f in found.items():
        if rule in open_issues:
            continue
        new = QualityIssue.objects.create(
            person=person, rule=rule, severity=f.severity, field=f.field, message=f.message[:500],
            details={**f.details, "after_fix": changed}, scope_commune_id=person.scope_commune_id,
            province_code=person.province_code)
        _log_one("registry.qualityissue", new.pk, person, "status", None, IssueStatus.OPEN, user)


@transaction.atomic
def waive_issue(issue: QualityIssue, user, reason: str) -> QualityIssue:
    issue = QualityIssue.objects.select_for_update().select_related("person").get(pk=issue.pk)
    _check_can_touch(issue.person, user)
    reason = " ".join((reason or "").split())
    if not reason:
        raise BadInput("cần ghi lý do bỏ qua")
    if issue.status != IssueStatus.OPEN:
        raise BadInput("vấn đề này đã được xử lý")
    issue.status = IssueStatus.WAIVED
    issue.resolved_by = recorded_user(user)
    issue.resolved_at = timezone.now()
    issue.reason = reason[:500]
    issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
    _log_one("registry.qualityissue", issue.pk, issue.person, "status", IssueStatus.OPEN, IssueStatus.WAIVED, user)
    return issue


def _resolve_for_person(person: Person, text: str) -> AdminUnit | None:
    """The current commune an address names (within the person's province when known)."""
    province = None
    if person.province_code:
        prov = AdminUnit.objects.filter(level=Level.PROVINCE, province_code=person.province_code).order_by(
            "-valid_from").first()
        province = prov.code if prov else None
    codes, pname = _province_context(None, province) if province else (frozenset(), "")
    res = _ResidenceResolver(_units(), codes, pname, [])
    for t in (text, f"{text}, {pname}" if pname else ""):
        if t:
            r = res.resolve_text(t)
            if r.commune_id and res._in_context(r.commune_id):
                return AdminUnit.objects.filter(pk=r.commune_id).first()
    return None


def residence_choices(person: Person) -> list[AdminUnit]:
    """Current communes a person of a split commune may be placed in."""
    ids: set[int] = set()
    for issue in person.issues.filter(rule="RESIDENCE", status=IssueStatus.OPEN):
        ids |= {c.get("id") for c in (issue.details or {}).get("candidates", []) if c.get("id")}
    if person.residence_unit_id:
        from ansinh.core.scope import succession_links

        ids |= {s for _, s in succession_links([person.residence_unit_id], forward=True)}
    return list(AdminUnit.objects.filter(pk__in=ids, valid_to__isnull=True, level=Level.COMMUNE).order_by("name"))


@transaction.atomic
def resolve_residence(person: Person, unit: AdminUnit, user) -> Person:
    """Place a person whose old commune was split (or not found) in one current commune."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    _check_can_touch(person, user)
    if unit.valid_to is not None or unit.level != Level.COMMUNE:
        raise BadInput(f"{unit.name} không phải xã/phường hiện hành")
    choices = residence_choices(person)
    if choices and unit not in choices:
        raise BadInput(f"{unit.name} không phải đơn vị kế thừa của {person.residence_unit or 'nơi cư trú'}")
    s = _scope(user)
    if not s.covers(unit.pk, unit.province_code):
        raise OutsideScope(f"{unit.name} ngoài phạm vi của bạn")
    old = person.commune
    _log_one("registry.person", person.pk, person, "commune", f"{old.code} {old.name}" if old else "",
             f"{unit.code} {unit.name}", user)
    person.commune = unit
    if person.residence_unit_id is None:
        person.residence_unit = unit
    person.scope_commune = unit
    person.province_code = unit.province_code
    person.save()
    follow_person_scope([person.pk], unit.pk, unit.province_code)
    now = timezone.now()
    for issue in person.issues.filter(rule="RESIDENCE", status=IssueStatus.OPEN):
        issue.status = IssueStatus.FIXED
        issue.resolved_by = recorded_user(user)
        issue.resolved_at = now
        issue.reason = f"Chọn {unit.name}"
        issue.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
        _log_one("registry.qualityissue", issue.pk, person, "status", IssueStatus.OPEN, IssueStatus.FIXED, user)
    return person


# --------------------------------------------------------------------------- demo

def demo_lists_dir() -> Path:
    return Path(settings.VAR_DIR) / "demo" / "lists"


def demo_setup(people: int, seed: int = 1, province: str = "", listener=None, paid_through: str | None = None) -> dict:
    """Generate the demo lists into var/demo/lists (unless already there) and import them all,
    with the opening position ``paid_through`` ("YYYY-MM") when given.

    The generator's ground_truth.csv is moved to var/demo/ so the lists folder holds lists only.
    Idempotent: files already imported are skipped by their checksum."""
    from ansinh.core.demo import DEMO_PROVINCE
    from ansinh.registry.demo import generate

    province = province or DEMO_PROVINCE

    out = demo_lists_dir()
    files = list_files([out]) if out.exists() else []
    generated = None
    if not files:
        generated = generate(province_code=province, people=people, seed=seed, out_dir=out)
        truth = out / "ground_truth.csv"
        if truth.exists():
            truth.replace(out.parent / "ground_truth.csv")
        files = list_files([out])
    t0 = time.perf_counter()
    totals: Counter = Counter()
    failed = []
    for i, f in enumerate(files, 1):
        if listener:
            listener(i - 1, len(files), f.name)
        try:
            rep = import_file(f, province=province, paid_through=paid_through)
        except BadInput as exc:
            failed.append({"file": f.name, "error": str(exc)})
            continue
        if rep.get("already_imported"):
            totals["already_imported"] += 1
            continue
        for k in ("rows", "imported", "updated", "rejected"):
            totals[k] += rep.get(k, 0)
    if listener:
        listener(len(files), len(files), "xong")
    return {"dir": str(out), "files": len(files), "generated": generated is not None,
            "paid_through": paid_through or "", "rows": totals["rows"], "imported": totals["imported"], "updated": totals["updated"],
            "rejected": totals["rejected"], "already_imported": totals["already_imported"],
            "persons": Person.objects.count(), "failed": failed, "seconds": round(time.perf_counter() - t0, 2)}
