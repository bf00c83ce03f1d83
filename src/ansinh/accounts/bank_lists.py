"""Bank lists in: a bank's list of the accounts it opened, read, linked to persons by ID number
and imported (CLI, or a web upload run as a background job).

The list is read the way commune lists are (``ansinh.registry.reader``): the same grid loader
(.xlsx/.xlsm/.xls/.ods/.csv; CSV in UTF-8, UTF-16, Windows-1258 or a legacy font), the same
legacy-font decoding (TCVN3/VNI), the same header vocabulary (``map_header``) plus the few
columns only bank lists have, and the same cell conversions (ID numbers whose leading zero
Excel dropped, account numbers typed with separators). Every import runs in one transaction."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from ansinh.accounts import rules
from ansinh.accounts.models import CoverageSnapshot
from ansinh.core import providers
from ansinh.core.crypto import encrypt, lookup_hash
from ansinh.core.masking import ACCOUNT, mask
from ansinh.core.jobs import BadInput, job_kind
from ansinh.core.services import recorded_user
from ansinh.registry import reader
from ansinh.registry.history import Change, log_changes
from ansinh.registry.recheck import recheck_persons
from ansinh.registry.models import (
    AccountHolder,
    AccountStatus,
    AuthorisedPerson,
    IssueStatus,
    PaymentAccount,
    Person,
    QualityIssue,
    Severity,
)
from ansinh.text.dates import LIST_DAY_FORMATS, parse_day

BATCH = 5000
BANK_LIST_EXTENSIONS = reader.SUPPORTED_EXTENSIONS  # the commune lists' formats
HEADER_SEARCH_ROWS = 20
REQUIRED = ("name", "id_number", "account", "date")


# ----------------------------------------------------------------------------- header

# A commune-list field (reader.map_header) -> the bank-list column it is.
FROM_COMMUNE_LIST = {"account_holder": "name", "full_name": "name", "id_number": "id_number",
                     "cmnd": "id_number", "account_number": "account", "bank": "provider"}
# Words only bank lists use for their columns (folded as reader.header_key folds a header).
BANK_WORDS = {
    "name": ("TEN KHACH HANG", "KHACH HANG", "HOLDER", "NAME"),
    "id_number": ("GIAY TO", "ID"),
    "account": ("ACCOUNT",),
    "provider": ("BIN", "TO CHUC", "BANK", "PROVIDER"),
}


@lru_cache(maxsize=4096)
def bank_column(text: str) -> str | None:
    """The bank-list column of one header cell: "name" (the holder's name), "id_number",
    "account", "date" (the day the account was opened) or "provider"; None for another column."""
    k = reader.header_key(text)
    words = f" {k.replace('/', ' ')} "
    if not k or " SINH " in words:  # a date of birth is not the day the account was opened
        return None
    if " NGAY " in words or " DATE " in words:  # "Ngày mở", "Ngày mở tài khoản", "Ngày"
        return "date"
    field = reader.map_header(text)
    if field is not None:
        return FROM_COMMUNE_LIST.get(field)
    return next((col for col, keys in BANK_WORDS.items() if any(f" {w} " in words for w in keys)), None)


def header_columns(cells) -> dict[str, int]:
    """Column index of each bank-list column found in a row of header cells: the first cell of
    each, except that the holder's name ("Tên chủ tài khoản") wins over a person's name ("Họ tên")."""
    found: dict[str, int] = {}
    holder = False
    for i, text in enumerate(cells):
        col = bank_column(text) if text else None
        if col is None:
            continue
        is_holder = col == "name" and reader.map_header(text) == "account_holder"
        if col not in found or (is_holder and not holder):
            found[col] = i
            holder = holder or is_holder
    return found


# ----------------------------------------------------------------------------- reading

def parse_date(text: str) -> dt.date:
    t = text.strip()
    try:
        return parse_day(t, LIST_DAY_FORMATS)
    except ValueError:
        pass
    raise ValueError(f"không đọc được ngày {t!r} (dd/mm/yyyy hoặc yyyy-mm-dd)")


def _check_kind(path: Path, fname: str) -> None:
    """The checks whose answer a bank's staff reads in Vietnamese, before the commune-list
    loader (whose own messages cover the rarer cases)."""
    from ansinh.core.limits import InputRefused, check_table_file

    suffix = path.suffix.lower()
    if suffix not in BANK_LIST_EXTENSIONS:
        raise BadInput(f"{fname}: chỉ đọc được danh sách ngân hàng dạng {', '.join(BANK_LIST_EXTENSIONS)}")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise BadInput(f"{fname}: không mở được tệp ({exc.strerror or type(exc).__name__})") from None
    if not head:
        raise BadInput(f"{fname}: tệp rỗng")
    spreadsheet = head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
    if suffix == ".csv" and spreadsheet:
        try:
            check_table_file(path, fname)  # a broken zip says so
        except InputRefused as exc:
            raise BadInput(str(exc)) from None
        raise BadInput(f"{fname}: không phải tệp CSV (là bảng tính lưu với đuôi .csv); lưu lại dạng .xlsx hoặc CSV")
    if suffix != ".csv" and not spreadsheet:
        raise BadInput(f"{fname}: không phải tệp {suffix} (nội dung không đúng định dạng)")
    if suffix == ".csv" and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and _has_nul(path):
        raise BadInput(f"{fname}: không phải tệp văn bản CSV (có byte NUL); lưu lại dạng CSV UTF-8 hoặc .xlsx")


def _has_nul(path: Path) -> bool:
    """Whether the file holds a NUL byte (read in pieces; a file over the size limit is left to
    the loader, which refuses it before reading it)."""
    from ansinh.core.limits import MAX_FILE_BYTES

    if path.stat().st_size > MAX_FILE_BYTES:
        return False
    with open(path, "rb") as fh:
        return any(b"\x00" in piece for piece in iter(lambda: fh.read(1 << 20), b""))


def _sheet(path: Path, fname: str):
    """(grid, decoder, header row index, columns) of the first sheet with a bank-list header."""
    try:
        _, sheets = reader.load_sheets(path, fname)
        for _name, grid, _merged in sheets:
            if not grid:
                continue
            dec = reader.sheet_decoder(grid)
            for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
                cols = header_columns([reader.cell_text(v, dec) for v in row])
                if set(REQUIRED) <= set(cols):
                    return grid, dec, i, cols
    except reader.ReadError as exc:
        raise BadInput(f"{fname}: {exc.message}") from None
    raise BadInput(f"{fname}: dòng 1, tiêu đề: cần các cột họ tên chủ tài khoản, số định danh, số tài khoản, "
                   "ngày mở")


def parse_bank_list(path: Path, provider: str | None = None, name: str | None = None) -> list[dict]:
    """Rows of a bank's list of opened accounts: {row, name, id_number, account, day, provider}.
    Raises BadInput("file: dòng N, field: message") for what cannot be read. ``name``: the name
    the user knows the file by (an upload's original name; default the file's own name).
    Blank rows, and totals, signature and repeated header rows (no ID or account number in
    them), are skipped."""
    from ansinh.core.limits import display_name

    path = Path(path)
    fname = display_name(path, name)
    _check_kind(path, fname)
    grid, dec, head_at, cols = _sheet(path, fname)
    days: dict[str, dt.date] = {}  # a list has few distinct dates and banks: each is read once
    banks: dict[str, str | None] = {}
    out = []
    for n, r in enumerate(grid[head_at + 1:], start=head_at + 2):
        def cell(k, r=r):
            c = cols.get(k)
            return r[c] if c is not None and c < len(r) else ""

        name_ = " ".join(reader.cell_text(cell("name"), dec).split())
        id_number = reader.convert_cell("id_number", cell("id_number"), dec)[0] or ""
        account, account_err = reader.convert_cell("account_number", cell("account"), dec)
        account = account or ""
        if not (name_ or id_number or account):
            continue
        if not (id_number.isdigit() or account.isdigit()):
            if set(REQUIRED) <= set(header_columns([reader.cell_text(v, dec) for v in r])):
                continue  # the header repeated (a printout's page break)
            if reader.is_closing_row(r, dec):
                continue  # "Tổng cộng", "Người lập biểu", a column-numbering row
        if account_err:
            raise BadInput(f"{fname}: dòng {n}, số tài khoản: "
                           + ("ô lưu dạng số nên đã mất chữ số (Excel chỉ giữ 15 chữ số); định dạng cột là văn bản"
                              " (Text) và nhập lại" if account else "không phải số tài khoản"))
        raw_day = cell("date")
        try:
            if isinstance(raw_day, dt.datetime):
                day = raw_day.date()
            elif isinstance(raw_day, dt.date):
                day = raw_day
            else:
                text = reader.cell_text(raw_day, dec)
                day = days.get(text) or days.setdefault(text, parse_date(text))
        except ValueError as exc:
            raise BadInput(f"{fname}: dòng {n}, ngày mở: {exc}") from None
        written = reader.cell_text(cell("provider"), dec).strip()
        if written and written not in banks:
            banks[written] = providers.provider_of(written)
        prov = banks[written] if written else provider
        if written and prov is None:
            raise BadInput(f"{fname}: dòng {n}, ngân hàng: không rõ ngân hàng {written[:60]!r}")
        out.append({"row": n, "name": name_, "id_number": id_number,
                    "account": rules.clean_account_number(account), "day": day, "provider": prov})
    return out


# ----------------------------------------------------------------------------- import

def import_bank_list(path, *, user, provider: str | None = None, refresh: bool = True, progress=None,
                     file_name: str | None = None) -> dict:
    """Import a bank's list of accounts opened. Each row is linked to a person by ID number
    (CCCD / định danh, or the old CMND); the holder name is checked against the beneficiary and
    the authorised persons (folded tokens). New accounts are recorded as registered and
    confirmed on the list's date; a known account gets its confirmation date. A holder name
    matching nobody creates the account with an open HOLDER_MISMATCH issue (review queue).
    Idempotent: importing the same list again changes nothing. `user`: who imports (recorded
    as the maker) and whose scope limits the persons linked (the CLI passes the operator; None
    links nobody); `progress` gets one step per row."""
    from ansinh.accounts.snapshots import refresh_snapshots
    from ansinh.core.scope import scoped

    path = Path(path)
    if provider and provider not in providers.ACCOUNT_PROVIDERS:
        p = providers.provider_of(provider)
        if p is None:
            raise BadInput(f"--provider: unknown provider {provider!r}")
        provider = p
    rows = parse_bank_list(path, provider, name=file_name)
    ids = {r["id_number"] for r in rows if r["id_number"]}
    people = scoped(Person, user)
    persons = {p.id_number: p for p in people.filter(id_number__in=ids)}
    persons.update({p.legacy_cmnd: p for p in people.filter(legacy_cmnd__in=ids) if p.legacy_cmnd})
    pids = [p.pk for p in persons.values()]
    auths: dict[int, list] = defaultdict(list)
    for a in AuthorisedPerson.objects.filter(person_id__in=pids):
        auths[a.person_id].append(a)
    # known accounts by (person, keyed hash of the number): compared without decrypting (ansinh.core.crypto)
    existing: dict[tuple, PaymentAccount] = {(a.person_id, a.account_number_hash): a
                                             for a in PaymentAccount.objects.filter(person_id__in=pids)
                                             .defer("account_number")}
    open_mm = set(QualityIssue.objects.filter(person_id__in=pids, rule="HOLDER_MISMATCH",
                                              status=IssueStatus.OPEN).values_list("person_id", flat=True))
    source = f"bank:{path.name}"[:80]
    counts: Counter = Counter()
    rejected, new_acc, upd_acc, issues, changes = [], [], [], [], []
    mismatches: list[dict] = []
    if progress:
        progress.set_total(len(rows), path.name)
    for i, r in enumerate(rows):
        if progress and i % 500 == 0:
            progress.update(i)
        p = persons.get(r["id_number"])
        if p is None:
            counts["unmatched"] += 1
            rejected.append({"row": r["row"], "reason": "ID_NOT_FOUND", "id_number": r["id_number"]})
            continue
        err = rules.check_account_number(r["provider"], r["account"])
        if err:
            counts["rejected"] += 1
            rejected.append({"row": r["row"], "reason": "ACCOUNT_FORMAT", "message": err})
            continue
        holder, holder_ok = AccountHolder.BENEFICIARY, rules.holder_matches(r["name"], p.full_name)
        if not holder_ok:
            for a in auths.get(p.pk, []):
                if rules.holder_matches(r["name"], a.full_name):
                    holder, holder_ok = AccountHolder.AUTHORISED, True
                    break
        number_hash = lookup_hash(r["account"])
        acc = existing.get((p.pk, number_hash))
        if acc is None:
            written = providers.ACCOUNT_PROVIDERS[r["provider"]].short_name if r["provider"] else ""
            acc = PaymentAccount(person_id=p.pk, provider=r["provider"], provider_name=written,
                                 account_number=r["account"], holder=holder, holder_name=r["name"].upper(),
                                 source=source, status=AccountStatus.CONFIRMED, registered_on=r["day"],
                                 confirmed_on=r["day"], made_by=recorded_user(user))  # pending approval
            existing[(p.pk, number_hash)] = acc
            new_acc.append((p, acc))
            counts["created"] += 1
        elif acc.confirmed_on is None:
            acc.confirmed_on = r["day"]
            if acc.status == AccountStatus.REGISTERED:
                acc.status = AccountStatus.CONFIRMED
            upd_acc.append(acc)
            changes.append(Change("registry.paymentaccount", acc.pk, p.pk, "confirmed_on", None, r["day"],
                                  p.scope_commune_id, p.province_code))
            counts["confirmed"] += 1
        else:
            counts["unchanged"] += 1
        if not holder_ok and p.pk not in open_mm:
            open_mm.add(p.pk)
            issues.append(QualityIssue(
                person_id=p.pk, rule="HOLDER_MISMATCH", severity=Severity.WARNING, field="account",
                message=f"Tên chủ tài khoản {r['name'].upper()} không khớp với đối tượng hoặc người được ủy quyền",
                details={"bank_name": r["name"], "account": mask(r["account"], ACCOUNT), "file": path.name,
                         "row": r["row"]},
                scope_commune_id=p.scope_commune_id, province_code=p.province_code))
            counts["holder_mismatch"] += 1
        if not holder_ok:
            mismatches.append({"row": r["row"], "bank_name": r["name"].upper(), "person_id": p.pk,
                               "full_name": p.full_name, "account": mask(r["account"], ACCOUNT)})
    if progress:
        progress.update(len(rows), "ghi vào cơ sở dữ liệu")
    with transaction.atomic():
        now = timezone.now()
        PaymentAccount.objects.bulk_create([a for _, a in new_acc], batch_size=BATCH)
        PaymentAccount.objects.bulk_update(upd_acc, ["confirmed_on", "status"], batch_size=BATCH)
        changes += [Change("registry.paymentaccount", a.pk, p.pk, "", None, f"tạo mới: {a}", p.scope_commune_id,
                           p.province_code) for p, a in new_acc]
        log_changes(changes, user=user, source=source, at=now)
        QualityIssue.objects.bulk_create(issues, batch_size=BATCH)
        # The registry closes the issues these accounts answer ("no account number", ...).
        recheck_persons({p.pk for p, _ in new_acc} | {a.person_id for a in upd_acc}, user=user, source=source, at=now)
        days = [r["day"] for r in rows]
        if refresh and days and (new_acc or upd_acc) and CoverageSnapshot.objects.exists():
            refresh_snapshots(since=min(days))
    return {"file": path.name, "rows": len(rows), "created": counts["created"], "confirmed": counts["confirmed"],
            "unchanged": counts["unchanged"], "unmatched": counts["unmatched"], "rejected": counts["rejected"],
            "holder_mismatch": counts["holder_mismatch"], "rejected_rows": rejected[:200],
            "linked": len(rows) - counts["unmatched"] - counts["rejected"], "mismatch_rows": mismatches[:500]}


# ----------------------------------------------------------------------------- bank lists from the web

def sealed_report(rep: dict) -> dict:
    """The report as kept in the database: the ID numbers of rows that matched nobody encrypted
    (ansinh.core.crypto; the officer fixing them reads them whole, `opened_report`)."""
    if not rep:
        return rep
    return {**rep, "rejected_rows": [{**r, "id_number": encrypt(r["id_number"])} if r.get("id_number") else r
                                     for r in rep.get("rejected_rows", [])]}


def opened_report(rep: dict) -> dict:
    from ansinh.core.crypto import decrypt

    if not rep:  # not imported yet
        return rep
    return {**rep, "rejected_rows": [{**r, "id_number": decrypt(r["id_number"])} if r.get("id_number") else r
                                     for r in rep.get("rejected_rows", [])]}


@job_kind("accounts.bank_list")
def bank_list_job(params: dict, progress) -> dict:
    """Background job of a web upload: the same service as `ansinh accounts import`, limited to
    the uploader's scope; the report is kept on the BankListImport row."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from ansinh.accounts.models import BankListImport

    rec = BankListImport.objects.get(pk=params["import_id"])
    user = get_user_model().objects.filter(pk=params.get("user_id")).first() if params.get("user_id") else None
    if user is None:
        raise BadInput("người dùng không còn tồn tại")
    try:
        rep = import_bank_list(params["path"], user=user, provider=params.get("provider") or None,
                               progress=progress, file_name=rec.file_name)
    except BaseException:
        # all or nothing: a list that cannot be imported leaves no import record behind (the
        # failed job keeps the message; core.jobs removes the stored upload)
        BankListImport.objects.filter(pk=rec.pk).delete()
        raise
    rep["file"] = rec.file_name
    BankListImport.objects.filter(pk=rec.pk).update(report=sealed_report(rep))
    return {k: v for k, v in rep.items() if k not in ("rejected_rows", "mismatch_rows")} | {
        "url": reverse("accounts:bank_list", args=[rec.pk])}


def start_bank_list_import(user, uploaded, provider: str = ""):
    """Save an uploaded bank list, record it and start the background import; returns the row."""
    from ansinh.accounts.models import BankListImport
    from ansinh.core.jobs import start_job
    from ansinh.core.uploads import check_name, store_upload, uploader_scope
    from ansinh.core.roles import can_edit

    if not can_edit(user):
        raise BadInput("bạn không có quyền nhập danh sách tài khoản")
    name = check_name(uploaded.name, BANK_LIST_EXTENSIONS)  # the client's name only; too long is said so
    if provider and provider not in providers.ACCOUNT_PROVIDERS and providers.provider_of(provider) is None:
        raise BadInput(f"ngân hàng/ví không rõ: {provider!r}")
    dest = store_upload(uploaded, "accounts")
    commune, province_code = uploader_scope(user)
    rec = BankListImport.objects.create(file_name=name[:200], provider=provider, created_by=user,
                                        scope_commune=commune, province_code=province_code)
    job = start_job("accounts.bank_list", {"path": str(dest), "import_id": rec.pk, "user_id": user.pk,
                                           "provider": provider},
                    user=user, title=f"Nhập danh sách tài khoản {name}", commune=commune,
                    province_code=province_code)
    BankListImport.objects.filter(pk=rec.pk).update(job=job)
    rec.job = job
    return rec
