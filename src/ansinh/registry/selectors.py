"""Reads for the beneficiary registry. Every list, count, search and export goes through
ansinh.core.scope.scoped(qs, user); a `user` of None sees nothing (fail closed). The CLI
reads as ansinh.core.roles.OPERATOR (everything), like a superuser without a profile scope."""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from ansinh.core.crypto import lookup_hash
from ansinh.core.scope import scoped, visible_units, with_predecessors
from ansinh.registry.models import (
    ChangeLog,
    Enrolment,
    ImportBatch,
    ImportRow,
    IssueStatus,
    Person,
    QualityIssue,
    RowOutcome,
    SEVERITY_ORDER,
)
from ansinh.text import fold
from ansinh.units.models import AdminUnit, Level

BATCH = 2000


# --------------------------------------------------------------------------- persons

def commune_ids_for_code(code: str) -> list[int]:
    """The current commune with this code plus the old-map units merged into it."""
    return with_predecessors(AdminUnit.objects.filter(code=code, valid_to__isnull=True).exclude(level=Level.PROVINCE)
                             .values_list("pk", flat=True))


def id_like(q: str | None) -> str | None:
    """The digits of a search that is an identifier (ID, CMND, phone: spaces, dots, dashes allowed), else None."""
    digits = re.sub(r"[\s.\-]", "", (q or "").strip())
    return digits if digits.isdigit() and len(digits) >= 3 else None


def search_token(q: str) -> str:
    """What stands for an identifier searched for in a page's address: its keyed hash (never the number)."""
    return lookup_hash(q)


def persons(user, *, commune: str | None = None, category: str | None = None, status: str | None = None,
            issue: str | None = None, q: str | None = None, token: str | None = None) -> QuerySet:
    """Persons visible to `user`, filtered. `commune` is the code of a current commune (its
    persons, and the unresolved ones still filed under a commune merged into it);
    `issue` is a rule code (persons with an open issue of that rule) or "any". `q`: a name (contained in
    the name) or an identifier (the whole ID, CMND or phone number: encrypted at rest, compared through their
    keyed hashes, so no prefix search); `token`: an identifier's ``search_token`` (the page's address)."""
    qs = scoped(Person.objects.all(), user)
    if commune:
        ids = commune_ids_for_code(str(commune))
        qs = qs.filter(Q(commune_id__in=ids) | Q(commune__isnull=True, scope_commune_id__in=ids))
    if category:
        qs = qs.filter(Exists(Enrolment.objects.filter(person=OuterRef("pk"), category=category)))
    if status:
        if status in ("alive", "deceased"):
            qs = qs.filter(status=status)
        else:
            qs = qs.filter(Exists(Enrolment.objects.filter(person=OuterRef("pk"), status=status)))
    if issue:
        open_issues = QualityIssue.objects.filter(person=OuterRef("pk"), status=IssueStatus.OPEN)
        if issue != "any":
            open_issues = open_issues.filter(rule=issue)
        qs = qs.filter(Exists(open_issues))
    if q and id_like(q):
        token = search_token(id_like(q))
    elif q:
        qs = qs.filter(name_key__contains=fold(q.strip()))
    if token:
        qs = qs.filter(Q(id_number_hash=token) | Q(legacy_cmnd_hash=token) | Q(phone_hash=token))
    return qs


def person_for(user, pk) -> Person | None:
    return scoped(Person.objects.select_related("commune", "residence_unit", "scope_commune"), user).filter(
        pk=pk).first()


def person_history(user, person: Person) -> QuerySet:
    return scoped(ChangeLog.objects.filter(person=person).select_related("user"), user).order_by("-at", "-id")


def commune_choices(user) -> list[AdminUnit]:
    """Current communes the user may filter by (in scope)."""
    return list(visible_units(user).filter(level=Level.COMMUNE, valid_to__isnull=True).order_by("name"))


# --------------------------------------------------------------------------- batches

def batches(user) -> QuerySet:
    return scoped(ImportBatch.objects.select_related("uploaded_by", "scope_commune"), user)


def batch_for(user, pk) -> ImportBatch | None:
    return batches(user).filter(pk=pk).first()


def batch_rows(batch: ImportBatch, outcome: str | None = None) -> QuerySet:
    """Rows of a batch already obtained through batch_for (so in scope)."""
    qs = ImportRow.objects.filter(batch=batch).order_by("row")
    return qs.filter(outcome=outcome) if outcome else qs


def rejected_rows(batch: ImportBatch) -> QuerySet:
    return batch_rows(batch, RowOutcome.REJECTED)


# --------------------------------------------------------------------------- quality

def issues(user, *, rule: str | None = None, severity: str | None = None, status: str | None = IssueStatus.OPEN,
           commune: str | None = None, q: str | None = None) -> QuerySet:
    qs = scoped(QualityIssue.objects.select_related("person", "person__commune"), user)
    if status:
        qs = qs.filter(status=status)
    if rule:
        qs = qs.filter(rule=rule)
    if severity:
        qs = qs.filter(severity=severity)
    if commune:
        ids = commune_ids_for_code(str(commune))
        qs = qs.filter(Q(person__commune_id__in=ids) | Q(person__commune__isnull=True, scope_commune_id__in=ids))
    if q:
        qs = qs.filter(person__name_key__contains=fold(q))
    # What blocks payment first (models.SEVERITY_ORDER), then by person.
    return qs.annotate(severity_rank=severity_rank()).order_by("severity_rank", "person__name_key", "person_id", "rule")


def severity_rank():
    """0 for what blocks payment, 1 for what needs a check, 2 for notes (SEVERITY_ORDER)."""
    return Case(*[When(severity=s, then=Value(i)) for i, s in enumerate(SEVERITY_ORDER)],
                default=Value(len(SEVERITY_ORDER)), output_field=IntegerField())


def issue_for(user, pk) -> QualityIssue | None:
    return scoped(QualityIssue.objects.select_related("person"), user).filter(pk=pk).first()


def issue_counts(user, status: str = IssueStatus.OPEN) -> list[dict]:
    """[{rule, severity, n}] of the user's issues."""
    return list(scoped(QualityIssue.objects.filter(status=status), user).values("rule", "severity")
                .annotate(n=Count("id"), rank=severity_rank()).order_by("rank", "-n", "rule"))


# --------------------------------------------------------------------------- export

EXPORT_HEADER = ["id", "full_name", "dob", "gender", "id_number", "commune_code", "category", "status",
                 "open_issues"]


def export_rows(qs: QuerySet, show) -> Iterator[list]:
    """One row per person of a (scoped) queryset, in chunks: a constant amount of memory. `show`: the
    reader's view of identifiers (ansinh.core.masking.for_user)."""
    last = 0
    base = qs.order_by("pk")
    while True:
        chunk = list(base.filter(pk__gt=last).values_list(
            "pk", "full_name", "dob", "gender", "id_number", "legacy_cmnd", "commune__code", "status")[:BATCH])
        if not chunk:
            return
        ids = [c[0] for c in chunk]
        cats: dict[int, list[str]] = defaultdict(list)
        for pid, cat, label in Enrolment.objects.filter(person_id__in=ids).order_by("pk").values_list(
                "person_id", "category", "category_label"):
            cats[pid].append(cat or f"?{label}")
        open_: dict[int, set[str]] = defaultdict(set)
        for pid, rule in QualityIssue.objects.filter(person_id__in=ids, status=IssueStatus.OPEN).values_list(
                "person_id", "rule"):
            open_[pid].add(rule)
        for pk, name, dob, gender, idn, cmnd, commune, status in chunk:
            yield [pk, name, dob.isoformat() if dob else "", gender or "", show(idn or cmnd or "", "id"), commune or "",
                   ";".join(show(c, "category") for c in cats.get(pk, [])), status, ";".join(sorted(open_.get(pk, ())))]
        last = ids[-1]


class _Echo:
    def write(self, value):
        return value


def export_csv_lines(qs: QuerySet, show) -> Iterator[str]:
    """CSV text (UTF-8 BOM first so Excel reads Vietnamese), one line at a time."""
    from ansinh.core.exports import safe_row

    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(EXPORT_HEADER)
    for row in export_rows(qs, show):
        yield writer.writerow(safe_row(row))


def export_xlsx(qs: QuerySet, out, show) -> int:
    """Write an .xlsx (write-only, streamed rows) to a path or file object; returns the row count."""
    import openpyxl

    from ansinh.core.exports import safe_row

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Doi tuong")
    ws.append(EXPORT_HEADER)
    n = 0
    for row in export_rows(qs, show):
        ws.append(safe_row(row))
        n += 1
    wb.save(out)
    return n


def rejected_xlsx(batch: ImportBatch, show_cell=None) -> bytes:
    """The rejected rows in the file's original layout (title, header rows, columns) plus "Lý do";
    `show_cell`: how the reader is shown a raw cell (ansinh.core.masking.cell_masked for their roles)."""
    show_cell = show_cell or (lambda v: v)
    import openpyxl
    from openpyxl.styles import Font

    from ansinh.core.exports import safe_cell, safe_row

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dong bi loai"
    bold = Font(bold=True)
    for line in batch.title_lines or []:
        ws.append([safe_cell(line)])
    header = [list(h) for h in (batch.original_header or [])] or [[]]
    width = max((len(h) for h in header), default=0)
    for i, h in enumerate(header):
        row = list(h) + [""] * (width - len(h))
        row.append("Lý do" if i == len(header) - 1 else "")
        ws.append(safe_row(row))
        for cell in ws[ws.max_row]:
            cell.font = bold
    for r in rejected_rows(batch).iterator(chunk_size=BATCH):
        cells = list(r.raw or [])
        cells += [""] * (width - len(cells))
        ws.append(safe_row([show_cell(c) for c in cells] + [show_cell("; ".join(r.reasons or []))]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
