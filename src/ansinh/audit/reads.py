"""Recording reads and exports of personal data: one call, one line, in each view that shows a
person or hands out a file about people.

    audit_reads.person_viewed(request, person)
    audit_reads.people_exported(request, queryset_or_ids, data, "doi-tuong.xlsx")
    audit_reads.file_downloaded(request, "bang-chi-12.zip", data, persons=run_lines)
    audit_reads.list_read(request, "registry.person", filters, page_number, rows, total)

Each writes one chained entry (ansinh.audit.services.append) naming the people, the file and its
sha256; the screen is the request's view name (AuditSourceMiddleware)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from django.db.models import QuerySet
from django.http import HttpRequest

from ansinh.audit.chain import canonical_json
from ansinh.audit.models import Action
from ansinh.audit.services import append


def _person_ids(persons) -> list[int]:
    """Ids from a queryset of people or of rows with a person, people, dicts with a "person", or ids."""
    if persons is None:
        return []
    if isinstance(persons, QuerySet):
        field = "pk" if persons.model._meta.label_lower == "registry.person" else "person_id"
        return [p for p in persons.order_by().values_list(field, flat=True).distinct() if p is not None]
    return [getattr(p["person"] if isinstance(p, dict) else p, "pk", p) for p in persons]


def _user(who):
    """The user of a request (web, API), or `who` itself (a user, the command line's OPERATOR)."""
    return who.user if isinstance(who, HttpRequest) else who


def _sha256(data) -> str:
    if data is None:
        return ""
    if isinstance(data, Path):
        h = hashlib.sha256()
        with open(data, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    if isinstance(data, (dict, list)):
        data = canonical_json(data)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def person_viewed(request, person) -> None:  # request: an HttpRequest, or a user for a command
    """`request.user` looked at `person`'s record (a page or an API answer)."""
    append(Action.PERSON_VIEW, user=_user(request), persons=[person.pk], object=f"registry.person {person.pk}")


def people_exported(request, persons, data, file_name: str):
    """`request.user` downloaded `file_name` (bytes, text or a path) listing `persons` (a queryset of
    people or of rows with a person, or ids). Returns `data`, so a view can wrap its response body."""
    append(Action.PERSON_EXPORT, user=_user(request), persons=_person_ids(persons), object=file_name,
           sha256=_sha256(data))
    return data


def file_downloaded(request, file_name: str, data, persons=None):
    """`request.user` downloaded a stored or generated file (with the people it is about, if any)."""
    append(Action.FILE_DOWNLOAD, user=_user(request), persons=_person_ids(persons), object=file_name,
           sha256=_sha256(data))
    return data


def _search_kind(text) -> str:
    """What a search was for, never what it said: a number (ID, CMND, phone) or a name."""
    digits = "".join(ch for ch in str(text) if ch.isdigit())
    return "number" if digits and len(digits) >= 3 and not any(ch.isalpha() for ch in str(text)) else "name"


def list_read(request, listing: str, filters: dict, page: int, rows: int, total: int) -> None:
    """`request.user` read page `page` (`rows` of `total`) of the list `listing` with `filters`:
    the filters are recorded, a search only as its kind (a number or a name), never its text."""
    kept = {k: (_search_kind(v) if k == "q" else str(v)[:60]) for k, v in filters.items() if v and k != "token"}
    if "q" in kept:
        kept["search"] = kept.pop("q")
    if filters.get("token"):  # a number searched for, carried as its keyed hash: not even that is kept
        kept["search"] = "number"
    append(Action.PERSON_LIST, user=_user(request), object=listing,
           detail={"filters": kept, "page": page, "rows": rows, "total": total})
