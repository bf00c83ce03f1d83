"""The importer: one commune list (already read) into the registry, set-based, inside the caller's
transaction (ansinh.registry.importing.files.import_file gives it one): rows prepared and scoped,
de-duplicated within the file, matched to known persons by exact keys, then persons, enrolments,
accounts, authorised persons, issues, history and the row report written in bulk."""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from django.utils import timezone

from ansinh.core.crypto import encrypt_values, with_hashes
from ansinh.core.masking import FIELD_KINDS
from ansinh.core.jobs import Progress
from ansinh.core.scope import scope_for
from ansinh.core.services import recorded_user
from ansinh.registry import rules
from ansinh.registry.history import Change, log_changes
from ansinh.registry.recheck import has_account_q, recheck_persons
from ansinh.registry.importing.prepare import NamelessRow, Row, nameless_rows, prepare
from ansinh.registry.importing.residence import Residence, ResidenceResolver, hint_texts, province_context, unit_maps
from ansinh.registry.importing.writer import BATCH, Writer
from ansinh.registry.models import (
    AuthorisedPerson,
    DobPrecision,
    Enrolment,
    EnrolmentStatus,
    ImportBatch,
    ImportRow,
    IssueStatus,
    PaymentAccount,
    Person,
    PersonStatus,
    QualityIssue,
    RowOutcome,
)
from ansinh.registry.routing import OutsideScope, follow_person_scope, route_id_taken
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level

_PRECISION_RANK = {"year": 0, "month": 1, "day": 2}
# --------------------------------------------------------------------------- the importer

ENROL_FIELDS = ("coefficient", "amount", "decision_number", "decision_date", "start_month", "category_label")


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
_ROW_INSERT = ("batch", "row", "outcome", "reasons", "person", "raw")


class Importer:
    def __init__(self, parsed, *, path: Path, file_name: str, digest: str, user, paid_through: str,
                 province: str | None, progress: Progress, job_id=None):
        self.parsed = parsed
        self.path = path
        self.file_name = file_name
        self.digest = digest
        self.user = recorded_user(user)
        self.user_id = self.user.pk if self.user else None
        self.scope = scope_for(user)
        self.progress = progress
        self.job_id = job_id
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.period = parsed.period or ""
        self.paid_through = paid_through or self.period
        self.at_month = self.paid_through or f"{self.today:%Y-%m}"
        self.units = unit_maps()
        codes, pname = province_context(user, province)
        self.res = ResidenceResolver(self.units, codes, pname, hint_texts(parsed, pname))
        # Province of rows whose commune is not known at all (still visible to the province).
        self.fallback_province = ""
        if codes and pname:
            prov = AdminUnit.objects.filter(level=Level.PROVINCE, name=pname).order_by("-valid_from").first()
            self.fallback_province = prov.province_code if prov else ""
        self.changes: list[Change] = []  # the history of this import, written once at the end
        self.writer = Writer()
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
        self.changes.append(Change(model, obj_id, person_id, fld, old, new, scope_id, prov))

    # -- main
    def run(self) -> dict:
        t0 = time.perf_counter()
        parsed = self.parsed
        file_unit = self.res.file.commune_id or self.res.file.residence_id
        if not self.scope.everything:
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
            prepared.append(prepare(src, self.res, self.at_month, self.paid_through, self.today))
            if i % 500 == 0:
                self.progress.update(i // 2)
        for src in nameless_rows(parsed):
            prepared.append(Row(src, reasons=["Thiếu họ tên"], texts=src.cells_text()))
        prepared.sort(key=lambda r: r.src.row)
        lap("prepare")
        self._scope_rows(prepared)
        self._dedupe_in_file(prepared)
        work = [r for r in prepared if r.merged_into is None]  # rows merged into an earlier row wait
        self._match(work)
        lap("match")
        self.progress.update(n // 2, f"{self.file_name}: ghi dữ liệu")
        self._write_persons(work)
        lap("persons")
        enrol_ids = self._write_enrolments(work)
        lap("enrolments")
        self._write_accounts(work)
        self._write_issues(work, enrol_ids)
        self._route_outside()
        self._settle_merged(prepared)
        # The persons of this list: their open issues that no longer hold close (one home: recheck).
        recheck_persons([r.person.pk for r in prepared if r.ok], user=self.user, source=self.source, at=self.now,
                        insert=self.writer.insert)
        lap("issues")
        log_changes(self.changes, user=self.user, source=self.source, at=self.now, insert=self.writer.insert)
        lap("history")
        report = self._write_rows_and_report(prepared, t0)
        lap("rows")
        report["timings"] = timings
        self.progress.update(n, f"{self.file_name}: xong")
        return report

    def _scope_rows(self, rows: list[Row]) -> None:
        if self.scope.everything:
            return
        for r in rows:
            if r.ok and not self._allowed(self._scope_unit(r.residence)):
                r.reasons.append(f"Ngoài phạm vi của bạn (nơi cư trú thuộc "
                                 f"{self.units.label(self._scope_unit(r.residence))})")

    def _dedupe_in_file(self, rows: list[Row]) -> None:
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
                if self._merge_categories(first[2], r):  # the same person in another category (Art. 6.2)
                    break
                r.reasons.append(f"Trùng {label} với dòng {first[0]} của cùng tệp")
                break
            if r.ok and r.merged_into is None:
                for kind, key, _ in keys:
                    seen.setdefault((kind, key), (r.src.row, bool(d["id_number"] or d["legacy_cmnd"]), r))

    def _merge_categories(self, first: Row, r: Row) -> bool:
        """A later row of the same person that adds a category: its enrolments join the first
        row's (one person, every category; payroll applies Decree 20 Art. 6.2). A row that adds
        nothing is not merged (it is rejected as a repeat)."""
        have = {self._enrol_key(e["programme"], e["category"], e["category_label"])
                for e in [first.enrol, *first.extra_enrols] if e}
        new = [e for e in [r.enrol, *r.extra_enrols]
               if e and e["category"] and self._enrol_key(e["programme"], e["category"], "") not in have]
        if not new:
            return False
        first.extra_enrols.extend(new)
        r.merged_into = first
        return True

    def _settle_merged(self, rows: list[Row]) -> None:
        """A merged row follows the row it joined: the same person (updated), or rejected with it."""
        for r in rows:
            f = r.merged_into
            if f is None:
                continue
            if f.ok:
                r.person, r.outcome = f.person, RowOutcome.UPDATED
            else:
                r.reasons.append(f"Cùng người với dòng {f.src.row} của cùng tệp, dòng đó bị loại")

    def _match(self, rows: list[Row]) -> None:
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
    def _write_persons(self, rows: list[Row]) -> None:
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
            objs = list(changed.values())
            Person.objects.bulk_update(objs, with_hashes(objs, sorted(changed_fields | {"updated"})),
                                       batch_size=BATCH)
        for (scope_id, prov), pids in moved.items():
            follow_person_scope(pids, scope_id, prov)
            pids = set(pids)
            self.changes = [replace(c, scope_commune_id=scope_id, province_code=prov) if c.person_id in pids else c
                            for c in self.changes]

    def _person_diffs(self, p: Person, r: Row) -> dict:
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

    def _matched(self, rows: list[Row]) -> list[int]:
        return sorted({r.person.pk for r in rows if r.ok and r.outcome == RowOutcome.UPDATED})

    def _write_enrolments(self, rows: list[Row]) -> dict[int, int]:
        """Create/update one enrolment per row; returns {row number: enrolment id}."""
        live = [r for r in rows if r.ok]
        existing = self._existing(Enrolment, self._matched(rows))
        creates: list[Row] = []
        values = []
        updates: dict[int, Enrolment] = {}
        upd_fields: set[str] = set()
        row_enrol: dict[int, int] = {}
        for r, e in ((r, e) for r in live for e in [r.enrol, *r.extra_enrols]):
            p = r.person
            key = self._enrol_key(e["programme"], e["category"], e["category_label"])
            found = next((x for x in existing.get(p.pk, [])
                          if self._enrol_key(x.programme, x.category, x.category_label) == key), None)
            if found is None:
                creates.append((r, e))
                values.append((p.pk, e["programme"], e["category"], e["category_label"], "", e["coefficient"],
                               e["amount"], e["decision_number"], e["decision_date"], e["start_month"], "",
                               EnrolmentStatus.ACTIVE, "", self.batch.pk, self.now, self.now, p.scope_commune_id,
                               p.province_code))
                continue
            if e is r.enrol:  # a row's issues name its first enrolment
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
        for (r, e), pk in zip(creates, ids):
            if e is r.enrol:
                row_enrol[r.src.row] = pk
            if r.outcome == RowOutcome.UPDATED or e is not r.enrol:
                self._log("registry.enrolment", pk, r.person.pk, "", "",
                          f"tạo mới: {e['category'] or e['category_label']}",
                          r.person.scope_commune_id, r.person.province_code)
        if updates:
            for o in updates.values():
                o.updated = self.now
            Enrolment.objects.bulk_update(list(updates.values()), sorted(upd_fields | {"updated"}),
                                          batch_size=BATCH)
        return row_enrol

    def _write_accounts(self, rows: list[Row]) -> None:
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
                # Pending until a second user approves it (ansinh.accounts.approval.approve_account).
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
    def _write_issues(self, rows: list[Row], enrol_ids: dict[int, int]) -> None:
        live = [r for r in rows if r.ok]
        matched = self._matched(rows)
        has_account = set(self._has_account)
        for i in range(0, len(matched), BATCH):
            has_account |= set(PaymentAccount.objects.filter(has_account_q(), person_id__in=matched[i:i + BATCH])
                               .values_list("person_id", flat=True))
        for r in live:
            p = r.person
            r.evaluated |= {"ACCOUNT_FIELDS", "ACCOUNT_MISSING"}
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
                # Information (a name normalised, an old phone prefix converted) is a note on the
                # person, not a queue item.
                status = IssueStatus.NOTE if f.severity == rules.INFO else IssueStatus.OPEN
                details = encrypt_values(f.details) if f.field in FIELD_KINDS else f.details
                values.append((p.pk, self.batch.pk, f.rule, f.severity, f.field, f.message[:500], details,
                               status, "", self.now, p.scope_commune_id, p.province_code))
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
    def _write_rows_and_report(self, rows: list[Row], t0: float) -> dict:
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
        taken = {r.src.row for r in rows if isinstance(r.src, NamelessRow)}
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
