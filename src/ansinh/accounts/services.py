"""Writes of the non-cash campaign: bank lists in, account stages, the coverage snapshot,
the demo story. Bulk work is set-based (bulk_create / UPDATE in big batches, one
aggregated query per snapshot day); every import runs in one transaction."""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import time
from collections import Counter, defaultdict
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ansinh.accounts import rules
from ansinh.accounts.models import CoverageSnapshot, CoverageVillage
from ansinh.core import providers
from ansinh.core.jobs import BadInput, job_kind
from ansinh.core.services import recorded_user
from ansinh.registry.models import (
    AccountHolder,
    AccountStatus,
    AuthorisedPerson,
    ChangeLog,
    Enrolment,
    IssueStatus,
    PaymentAccount,
    Person,
    QualityIssue,
    Severity,
)
from ansinh.text import fold
from ansinh.text.dates import LIST_DAY_FORMATS, parse_day

BATCH = 5000
BANK_LIST_EXTENSIONS = (".xlsx", ".csv")
CAMPAIGN_START = dt.date(2024, 1, 1)


# ----------------------------------------------------------------------------- bank lists

COLUMNS = {
    "name": ("HO TEN", "HO VA TEN", "TEN CHU TAI KHOAN", "CHU TAI KHOAN", "TEN KHACH HANG", "HOLDER", "NAME"),
    "id_number": ("SO DINH DANH", "CCCD", "CMND", "SO GIAY TO", "GIAY TO", "ID"),
    "account": ("SO TAI KHOAN", "TAI KHOAN", "SO TK", "ACCOUNT"),
    "date": ("NGAY MO", "NGAY", "DATE"),
    "provider": ("NGAN HANG", "BIN", "TO CHUC", "BANK", "PROVIDER"),
}


def _header_map(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, c in enumerate(cells):
        k = f" {fold(c or '')} "
        if " SINH " in k:  # date of birth, not the date the account was opened
            continue
        for col, keys in COLUMNS.items():
            if col not in found and any(f" {key} " in k for key in keys):
                found[col] = i
                break
    return found


def _read_rows(path: Path, name: str | None = None) -> list[list[str]]:
    """The cells of a bank list as text, row by row; BadInput (one line in Vietnamese that names
    the file, and the row where it applies) for a file that cannot be read. The size limits of
    ansinh.core.limits are checked first."""
    from ansinh.core.limits import InputRefused, check_row_width, check_table_file, display_name

    name = display_name(path, name)
    suffix = path.suffix.lower()
    if suffix not in BANK_LIST_EXTENSIONS:
        raise BadInput(f"{name}: chỉ đọc được danh sách ngân hàng dạng {', '.join(BANK_LIST_EXTENSIONS)}")
    try:
        info = check_table_file(path, name)
    except InputRefused as exc:
        raise BadInput(str(exc)) from None
    if info["bytes"] == 0:
        raise BadInput(f"{name}: tệp rỗng")
    try:
        if suffix == ".csv":
            if info["kind"] != "text":
                raise BadInput(f"{name}: không phải tệp CSV (là bảng tính lưu với đuôi .csv); lưu lại dạng .xlsx hoặc CSV")
            text = _decode_text(path.read_bytes(), name)
            out = []
            for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
                check_row_width(name, n, len(row))
                out.append([(c or "").strip() for c in row])
            return out
        if info["kind"] != "zip":
            raise BadInput(f"{name}: không phải tệp .xlsx (nội dung không đúng định dạng)")
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            out = []
            for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
                check_row_width(name, n, len(row))
                out.append([_cell(v) for v in row])
        finally:
            wb.close()
        return out
    except InputRefused as exc:
        raise BadInput(str(exc)) from None
    except csv.Error as exc:
        raise BadInput(f"{name}: tệp CSV không đọc được ({_one_line(exc)})") from None
    except (BadInput, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - zip/XML/openpyxl errors: a corrupt or foreign file
        raise BadInput(f"{name}: tệp hỏng hoặc không phải bảng tính .xlsx; mở bằng Excel và lưu lại") from None


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:120]


def _decode_text(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is refused with the row of
    the first byte that is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise BadInput(f"{name}: tệp CSV không đúng mã UTF-16") from None
    if b"\x00" in data:
        raise BadInput(f"{name}: không phải tệp văn bản CSV (có byte NUL); lưu lại dạng CSV UTF-8 hoặc .xlsx")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"{name}: dòng {row}: tệp CSV không phải mã UTF-8 (có thể là TCVN3/VNI hoặc Windows-1258); "
                       "lưu lại dạng CSV UTF-8") from None


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def parse_date(text: str) -> dt.date:
    t = text.strip()
    try:
        return parse_day(t, LIST_DAY_FORMATS)
    except ValueError:
        pass
    raise ValueError(f"không đọc được ngày {t!r} (dd/mm/yyyy hoặc yyyy-mm-dd)")


def parse_bank_list(path: Path, provider: str | None = None, name: str | None = None) -> list[dict]:
    """Rows of a bank's list of opened accounts: {row, name, id_number, account, day, provider}.
    Raises BadInput("file: dòng N, field: message") for what cannot be read. ``name``: the name
    the user knows the file by (an upload's original name; default the file's own name)."""
    from ansinh.core.limits import display_name

    path = Path(path)
    fname = display_name(path, name)
    rows = _read_rows(path, fname)
    head_at, cols = None, {}
    for i, r in enumerate(rows[:20]):
        m = _header_map(r)
        if {"name", "id_number", "account", "date"} <= set(m):
            head_at, cols = i, m
            break
    if head_at is None:
        raise BadInput(f"{fname}: dòng 1, tiêu đề: cần các cột họ tên chủ tài khoản, số định danh, số tài khoản, "
                       "ngày mở")
    out = []
    for n, r in enumerate(rows[head_at + 1:], start=head_at + 2):
        get = lambda k: (r[cols[k]] if k in cols and cols[k] < len(r) else "").strip()  # noqa: E731
        if not any(get(k) for k in ("name", "id_number", "account")):
            continue
        try:
            day = parse_date(get("date"))
        except ValueError as exc:
            raise BadInput(f"{fname}: dòng {n}, ngày mở: {exc}") from None
        prov = providers.provider_of(get("provider")) if get("provider") else provider
        if get("provider") and prov is None:
            raise BadInput(f"{fname}: dòng {n}, ngân hàng: không rõ ngân hàng {get('provider')[:60]!r}")
        out.append({"row": n, "name": get("name"), "id_number": get("id_number").replace(" ", ""),
                    "account": rules.clean_account_number(get("account")), "day": day, "provider": prov})
    return out


def import_bank_list(path, *, provider: str | None = None, user=None, refresh: bool = True,
                     scope_user=None, progress=None, file_name: str | None = None) -> dict:
    """Import a bank's list of accounts opened. Each row is linked to a person by ID number
    (CCCD / định danh, or the old CMND); the holder name is checked against the beneficiary and
    the authorised persons (folded tokens). New accounts are recorded as registered and
    confirmed on the list's date; a known account gets its confirmation date. A holder name
    matching nobody creates the account with an open HOLDER_MISMATCH issue (review queue).
    Idempotent: importing the same list again changes nothing. `scope_user`: only persons that
    user may see are linked (the web upload); `progress` gets one step per row."""
    path = Path(path)
    if provider and provider not in providers.ACCOUNT_PROVIDERS:
        p = providers.provider_of(provider)
        if p is None:
            raise BadInput(f"--provider: unknown provider {provider!r}")
        provider = p
    rows = parse_bank_list(path, provider, name=file_name)
    ids = {r["id_number"] for r in rows if r["id_number"]}
    people = Person.objects.all()
    if scope_user is not None:
        from ansinh.core.scope import scoped

        people = scoped(Person, scope_user)
    persons = {p.id_number: p for p in people.filter(id_number__in=ids)}
    persons.update({p.legacy_cmnd: p for p in people.filter(legacy_cmnd__in=ids) if p.legacy_cmnd})
    pids = [p.pk for p in persons.values()]
    auths: dict[int, list] = defaultdict(list)
    for a in AuthorisedPerson.objects.filter(person_id__in=pids):
        auths[a.person_id].append(a)
    existing: dict[tuple, PaymentAccount] = {(a.person_id, a.account_number): a
                                             for a in PaymentAccount.objects.filter(person_id__in=pids)}
    open_mm = set(QualityIssue.objects.filter(person_id__in=pids, rule="HOLDER_MISMATCH",
                                              status=IssueStatus.OPEN).values_list("person_id", flat=True))
    source = f"bank:{path.name}"[:80]
    counts: Counter = Counter()
    rejected, new_acc, upd_acc, issues, logs = [], [], [], [], []
    now = timezone.now()
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
        acc = existing.get((p.pk, r["account"]))
        if acc is None:
            written = providers.ACCOUNT_PROVIDERS[r["provider"]].short_name if r["provider"] else ""
            acc = PaymentAccount(person_id=p.pk, provider=r["provider"], provider_name=written,
                                 account_number=r["account"], holder=holder, holder_name=r["name"].upper(),
                                 source=source, status=AccountStatus.CONFIRMED, registered_on=r["day"],
                                 confirmed_on=r["day"], made_by=recorded_user(user))  # pending approval
            existing[(p.pk, r["account"])] = acc
            new_acc.append((p, acc))
            counts["created"] += 1
        elif acc.confirmed_on is None:
            acc.confirmed_on = r["day"]
            if acc.status == AccountStatus.REGISTERED:
                acc.status = AccountStatus.CONFIRMED
            upd_acc.append(acc)
            logs.append(ChangeLog(model="registry.paymentaccount", object_id=acc.pk, person_id=p.pk,
                                  field="confirmed_on", old="", new=r["day"].isoformat(), at=now, source=source,
                                  user=recorded_user(user), scope_commune_id=p.scope_commune_id,
                                  province_code=p.province_code))
            counts["confirmed"] += 1
        else:
            counts["unchanged"] += 1
        if not holder_ok and p.pk not in open_mm:
            open_mm.add(p.pk)
            issues.append(QualityIssue(
                person_id=p.pk, rule="HOLDER_MISMATCH", severity=Severity.WARNING, field="account",
                message=f"Tên chủ tài khoản {r['name'].upper()} không khớp với đối tượng hoặc người được ủy quyền",
                details={"bank_name": r["name"], "account": r["account"], "file": path.name, "row": r["row"]},
                scope_commune_id=p.scope_commune_id, province_code=p.province_code))
            counts["holder_mismatch"] += 1
        if not holder_ok:
            mismatches.append({"row": r["row"], "bank_name": r["name"].upper(), "person_id": p.pk,
                               "full_name": p.full_name, "account": r["account"]})
    if progress:
        progress.update(len(rows), "ghi vào cơ sở dữ liệu")
    with transaction.atomic():
        PaymentAccount.objects.bulk_create([a for _, a in new_acc], batch_size=BATCH)
        PaymentAccount.objects.bulk_update(upd_acc, ["confirmed_on", "status"], batch_size=BATCH)
        for p, a in new_acc:
            logs.append(ChangeLog(model="registry.paymentaccount", object_id=a.pk, person_id=p.pk, field="",
                                  old="", new=f"tạo mới: {a}", at=now, source=source, user=recorded_user(user),
                                  scope_commune_id=p.scope_commune_id, province_code=p.province_code))
        ChangeLog.objects.bulk_create(logs, batch_size=BATCH)
        QualityIssue.objects.bulk_create(issues, batch_size=BATCH)
        days = [r["day"] for r in rows]
        if refresh and days and (new_acc or upd_acc) and CoverageSnapshot.objects.exists():
            refresh_snapshots(since=min(days))
    return {"file": path.name, "rows": len(rows), "created": counts["created"], "confirmed": counts["confirmed"],
            "unchanged": counts["unchanged"], "unmatched": counts["unmatched"], "rejected": counts["rejected"],
            "holder_mismatch": counts["holder_mismatch"], "rejected_rows": rejected[:200],
            "linked": len(rows) - counts["unmatched"] - counts["rejected"], "mismatch_rows": mismatches[:500]}


# ----------------------------------------------------------------------------- bank lists from the web

@job_kind("accounts.bank_list")
def bank_list_job(params: dict, progress) -> dict:
    """Background job of a web upload: the same service as `ansinh accounts import`, limited to
    the uploader's scope; the report is kept on the BankListImport row."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from ansinh.accounts.models import BankListImport

    rec = BankListImport.objects.get(pk=params["import_id"])
    user = get_user_model().objects.filter(pk=params.get("user_id")).first() if params.get("user_id") else None
    if params.get("user_id") and user is None:
        raise BadInput("người dùng không còn tồn tại")
    try:
        rep = import_bank_list(params["path"], provider=params.get("provider") or None, user=user,
                               scope_user=user, progress=progress, file_name=rec.file_name)
    except BaseException:
        # all or nothing: a list that cannot be imported leaves no import record behind (the
        # failed job keeps the message; core.jobs removes the stored upload)
        BankListImport.objects.filter(pk=rec.pk).delete()
        raise
    rep["file"] = rec.file_name
    BankListImport.objects.filter(pk=rec.pk).update(report=rep)
    return {k: v for k, v in rep.items() if k not in ("rejected_rows", "mismatch_rows")} | {
        "url": reverse("accounts:bank_list", args=[rec.pk])}


def start_bank_list_import(user, uploaded, provider: str = ""):
    """Save an uploaded bank list, record it and start the background import; returns the row."""
    from ansinh.accounts.models import BankListImport
    from ansinh.core.jobs import start_job
    from ansinh.core.uploads import check_name, store_upload, uploader_scope
    from ansinh.registry.services import can_edit

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


def set_stage(account: PaymentAccount, stage: str, day: dt.date, user=None, source: str = "web") -> PaymentAccount:
    """Record that `account` reached `stage` on `day` (history: the stage dates + ChangeLog)."""
    fields = {"registered": "registered_on", "confirmed": "confirmed_on", "active": "activated_on",
              "closed": "closed_on"}
    if stage not in fields:
        raise BadInput(f"stage: unknown stage {stage!r}")
    f = fields[stage]
    dates = {k: getattr(account, v) for k, v in fields.items()}
    dates[stage] = day
    err = rules.check_stage_dates(dates["registered"] or (account.created.date() if account.created else None),
                                  dates["confirmed"], dates["active"], dates["closed"])
    if err:
        raise BadInput(f"{f}: {err}")
    old = getattr(account, f)
    setattr(account, f, day)
    account.status = rules.status_on(dt.date.max, dates["registered"] or dt.date.min, dates["confirmed"],
                                     dates["active"], dates["closed"]) or AccountStatus.REGISTERED
    with transaction.atomic():
        account.save(update_fields=[f, "status"])
        p = account.person
        ChangeLog.objects.create(model="registry.paymentaccount", object_id=account.pk, person=p, field=f,
                                 old=old.isoformat() if old else "", new=day.isoformat(), at=timezone.now(),
                                 user=recorded_user(user), source=source, scope_commune_id=p.scope_commune_id,
                                 province_code=p.province_code)
    return account


# ----------------------------------------------------------------------------- account approval

# Maker-checker on payment accounts (issue 11, item 3): every new account, whatever its source
# (commune list, bank list, web, CLI), is pending; payroll pays only approved accounts
# (ansinh.registry.models.usable_account_q, read by payroll's generation). A second user approves or rejects it: an
# approver or a province officer whose scope covers the person, never the user who made it.
# The checks are here, so the web, the CLI and the API all get them.
ACCOUNT_APPROVERS = ("approver", "province_officer")
EVIDENCE_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def can_approve_accounts(user) -> bool:
    from ansinh.core.roles import has_role

    return bool(getattr(user, "pk", None)) and has_role(user, *ACCOUNT_APPROVERS)


def _store_evidence(uploaded) -> str:
    """Keep an evidence file (a signed request, a bank letter): a PDF checked by its magic bytes,
    an image decoded and re-encoded by Pillow (nothing but pixels kept). Returns its path
    relative to VAR_DIR."""
    import io

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ansinh.core.uploads import store_upload

    name = Path(uploaded.name or "").name
    ext = Path(name).suffix.lower()
    if ext not in EVIDENCE_EXTENSIONS:
        raise BadInput(f"tệp minh chứng: chỉ nhận {', '.join(EVIDENCE_EXTENSIONS)}")
    if uploaded.size > EVIDENCE_MAX_BYTES:
        raise BadInput("tệp minh chứng: tối đa 10 MB")
    data = b"".join(uploaded.chunks())
    if ext == ".pdf":
        if not data.startswith(b"%PDF-"):
            raise BadInput("tệp minh chứng: không phải tệp PDF")
        clean = SimpleUploadedFile("minh-chung.pdf", data)
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.format not in ("PNG", "JPEG"):
                    raise BadInput("tệp minh chứng: ảnh phải là PNG hoặc JPEG")
                img.load()
                out = io.BytesIO()
                rgb = img.convert("RGB")
                rgb.save(out, format="PNG")
        except BadInput:
            raise
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise BadInput("tệp minh chứng: không đọc được ảnh") from None
        clean = SimpleUploadedFile("minh-chung.png", out.getvalue())
    dest = store_upload(clean, "account-evidence", "minh-chung")
    return str(dest.relative_to(settings.VAR_DIR))


def _decide(account, user, decision: str, *, reason: str = "", evidence=None, source: str = "web"):
    from ansinh.core.scope import scope_for
    from ansinh.registry.models import AccountApproval

    if not getattr(user, "pk", None):
        raise BadInput("cần người phê duyệt (người dùng đã đăng nhập, hoặc --as ở dòng lệnh)")
    if not can_approve_accounts(user):
        raise BadInput("bạn không có quyền phê duyệt tài khoản nhận tiền")
    reason = " ".join((reason or "").split())[:500]
    if decision == AccountApproval.REJECTED and not reason:
        raise BadInput("cần ghi lý do từ chối")
    pk = getattr(account, "pk", account)
    with transaction.atomic():
        # Locked: two approvers (or an approver and a new change) cannot both decide the same row.
        acc = PaymentAccount.objects.select_for_update(of=("self",)).select_related("person").filter(pk=pk).first()
        if acc is None:
            raise BadInput("không tìm thấy tài khoản")
        p = acc.person
        if not scope_for(user).covers(p.scope_commune_id, p.province_code):
            raise BadInput("tài khoản ngoài phạm vi của bạn")
        if acc.approval != AccountApproval.PENDING:
            raise BadInput("tài khoản này đã được xử lý")
        if acc.made_by_id is not None and acc.made_by_id == user.pk:
            raise BadInput("người tạo hoặc sửa tài khoản không được tự phê duyệt (cần người thứ hai)")
        path = _store_evidence(evidence) if evidence is not None else ""
        acc.approval, acc.approved_by, acc.approved_at = decision, user, timezone.now()
        acc.approval_reason, acc.approval_evidence = reason, path
        acc.save(update_fields=["approval", "approved_by", "approved_at", "approval_reason", "approval_evidence"])
        ChangeLog.objects.create(model="registry.paymentaccount", object_id=acc.pk, person=p, field="approval",
                                 old=AccountApproval.PENDING, new=decision + (f": {reason}" if reason else ""),
                                 at=acc.approved_at, user=user, source=source, scope_commune_id=p.scope_commune_id,
                                 province_code=p.province_code)
    return acc


def approve_account(account, user, *, note: str = "", evidence=None, source: str = "web") -> PaymentAccount:
    """Approve a pending account (by a second user; see ACCOUNT_APPROVERS): from now on payroll
    generation may pay into it. `account`: a PaymentAccount or its id."""
    from ansinh.registry.models import AccountApproval

    return _decide(account, user, AccountApproval.APPROVED, reason=note, evidence=evidence, source=source)


def reject_account(account, user, *, reason: str, evidence=None, source: str = "web") -> PaymentAccount:
    """Reject a pending account (reason required): it is never paid into; importing the same
    account again does not bring it back (a new account must be registered)."""
    from ansinh.registry.models import AccountApproval

    return _decide(account, user, AccountApproval.REJECTED, reason=reason, evidence=evidence, source=source)


def approve_demo_accounts(user=None) -> int:
    """Demo set-up only: the accounts generated or imported without a user (the demo lists, the
    demo history) are approved as the demo approver, in one UPDATE plus one history INSERT."""
    from ansinh.registry.models import AccountApproval

    now = timezone.now()
    pending = PaymentAccount.objects.filter(approval=AccountApproval.PENDING, made_by__isnull=True)
    rows = list(pending.values_list("pk", "person_id", "person__scope_commune_id", "person__province_code"))
    if not rows:
        return 0
    uid = recorded_user(user).pk if recorded_user(user) else None
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), BATCH):
        pending.filter(pk__in=ids[i:i + BATCH]).update(
            approval=AccountApproval.APPROVED, approved_by_id=uid, approved_at=now,
            approval_reason="Dữ liệu mẫu (demo)")
    ChangeLog.objects.bulk_create([
        ChangeLog(model="registry.paymentaccount", object_id=pk, person_id=pid, field="approval",
                  old=AccountApproval.PENDING, new=AccountApproval.APPROVED, at=now, user_id=uid, source="demo",
                  scope_commune_id=sc, province_code=prov or "") for pk, pid, sc, prov in rows], batch_size=BATCH)
    return len(rows)


# ----------------------------------------------------------------------------- coverage snapshot

def snapshot_days(today: dt.date | None = None, start: dt.date = CAMPAIGN_START) -> list[dt.date]:
    today = today or dt.date.today()
    return rules.month_ends(start, today)


SQL_ABOVE = 200_000  # persons: above this the snapshot is computed by SQL, day by day


def refresh_snapshots(days: list[dt.date] | None = None, since: dt.date | None = None, progress=None,
                      method: str | None = None) -> dict:
    """Rebuild CoverageSnapshot for `days` (default: every month end since 2024-01, and today).

    method "bits" (default on PostgreSQL): ONE set-based INSERT … SELECT for all the days (up
    to 62 per statement): each person's days as bits of a bigint, grouped, then unnested;
    method "sql": one aggregated query per day over all persons (the live selector's query);
    method "scan" (default elsewhere up to SQL_ABOVE persons): one read of persons, enrolments
    and accounts, every day at once by index intervals (the same rules; tests hold all equal)."""
    from ansinh.accounts.selectors import group_rows
    from ansinh.registry.selectors import OPERATOR

    days = sorted(set(days or snapshot_days()))
    if since:
        days = [d for d in days if d >= since]
    if method is None:
        method = "bits" if _postgres() else ("scan" if Person.objects.count() <= SQL_ABOVE else "sql")
    if method == "scan":
        return _refresh_by_scan(days, progress)
    if method == "bits":
        return _refresh_by_bits(days, progress)
    t0 = time.perf_counter()
    n = 0
    if progress:
        progress.set_total(len(days))
    with transaction.atomic():
        CoverageSnapshot.objects.filter(day__in=days).delete()
        CoverageVillage.objects.filter(day__in=days).delete()  # stale otherwise: the drill-down counts live
        for d in days:
            rows = group_rows(OPERATOR, d, with_paid=False)
            CoverageSnapshot.objects.bulk_create([CoverageSnapshot(
                day=d, residence_unit_id=r["residence_unit_id"], commune_id=r["commune_id"],
                scope_commune_id=r["scope_commune_id"], province_code=r["province_code"] or "",
                beneficiaries=r["beneficiaries"], with_account=r["with_account"], confirmed=r["confirmed"])
                for r in rows], batch_size=BATCH)
            n += len(rows)
            if progress:
                progress.advance(1, f"{d:%d/%m/%Y}")
    return {"days": len(days), "rows": n, "seconds": round(time.perf_counter() - t0, 2), "method": "sql"}


def _postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


BITS_CHUNK = 62  # days per statement: day i is bit i of a signed bigint (1 << 62 still fits)

# Day indexes as in _refresh_by_scan, with the days as a sorted date[] (%(days)s):
# width_bucket(x, days) = number of days <= x, so "first day index with day >= x" is
# width_bucket(x - 1, days). A [lo, hi) interval of day indexes is the bigint
# (1 << hi) - (1 << lo). Per person: enrolment intervals OR-ed, AND the alive interval =
# beneficiary days; accounts (registered .. closed) and confirmed (first of confirmed /
# activated .. closed) OR-ed, AND the beneficiary days. Persons are then grouped by
# (unit keys, bit patterns) — a few thousand groups — and only those groups are unnested
# over the days: the cost is one pass over persons, enrolments and accounts.
BITS_SQL = """
WITH e AS (
    SELECT person_id, bit_or((1::bigint << hi) - (1::bigint << lo)) AS m
    FROM (
        SELECT person_id,
               CASE WHEN start_month ~ '^[0-9]{4}-[0-9]{2}$'
                    THEN width_bucket(to_date(start_month || '-01', 'YYYY-MM-DD') - 1, %(days)s::date[])
                    ELSE 0 END AS lo,
               CASE WHEN end_month ~ '^[0-9]{4}-[0-9]{2}$'
                    THEN width_bucket((to_date(end_month || '-01', 'YYYY-MM-DD') + interval '1 month')::date - 1,
                                      %(days)s::date[])
                    ELSE %(n)s END AS hi
        FROM registry_enrolment
        WHERE status = 'active' OR end_month <> ''
    ) x
    WHERE hi > lo
    GROUP BY person_id
), a AS (
    SELECT person_id,
           bit_or((1::bigint << hi) - (1::bigint << lo)) AS am,
           bit_or(CASE WHEN clo IS NOT NULL AND hi > greatest(lo, clo)
                       THEN (1::bigint << hi) - (1::bigint << greatest(lo, clo)) ELSE 0 END) AS cm
    FROM (
        SELECT person_id,
               width_bucket(coalesce(registered_on, (created AT TIME ZONE %(tz)s)::date) - 1, %(days)s::date[]) AS lo,
               CASE WHEN closed_on IS NULL THEN %(n)s
                    ELSE width_bucket(closed_on - 1, %(days)s::date[]) END AS hi,
               width_bucket(least(confirmed_on, activated_on) - 1, %(days)s::date[]) AS clo
        FROM registry_paymentaccount
        WHERE registered_on IS NOT NULL OR created IS NOT NULL
    ) y
    WHERE hi > lo
    GROUP BY person_id
), g AS (
    SELECT residence_unit_id, commune_id, scope_commune_id, province_code, village, ben,
           ben & am AS acc, ben & cm AS conf, count(*) AS c
    FROM (
        SELECT p.residence_unit_id, p.commune_id, p.scope_commune_id, coalesce(p.province_code, '') AS province_code,
               coalesce(p.village, '') AS village,
               e.m & CASE WHEN p.status = 'alive' THEN (1::bigint << %(n)s) - 1
                          WHEN p.deceased_on IS NOT NULL
                          THEN (1::bigint << width_bucket(p.deceased_on - 1, %(days)s::date[])) - 1
                          ELSE 0 END AS ben,
               coalesce(a.am, 0) AS am, coalesce(a.cm, 0) AS cm
        FROM registry_person p
        JOIN e ON e.person_id = p.id
        LEFT JOIN a ON a.person_id = p.id
    ) q
    WHERE ben <> 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
)
INSERT INTO accounts_coveragevillage (day, residence_unit_id, commune_id, scope_commune_id, province_code, village,
                                      beneficiaries, with_account, confirmed)
SELECT d.day, g.residence_unit_id, g.commune_id, g.scope_commune_id, g.province_code, g.village,
       sum(g.c) FILTER (WHERE (g.ben >> (d.i - 1)::int) & 1 = 1),
       coalesce(sum(g.c) FILTER (WHERE (g.acc >> (d.i - 1)::int) & 1 = 1), 0),
       coalesce(sum(g.c) FILTER (WHERE (g.conf >> (d.i - 1)::int) & 1 = 1), 0)
FROM g CROSS JOIN unnest(%(days)s::date[]) WITH ORDINALITY AS d(day, i)
GROUP BY d.day, g.residence_unit_id, g.commune_id, g.scope_commune_id, g.province_code, g.village
HAVING sum(g.c) FILTER (WHERE (g.ben >> (d.i - 1)::int) & 1 = 1) > 0
"""
# The unit-level snapshot is the village table summed (a few thousand rows per day).
BITS_ROLLUP_SQL = """
INSERT INTO accounts_coveragesnapshot (day, residence_unit_id, commune_id, scope_commune_id, province_code,
                                       beneficiaries, with_account, confirmed, computed_at)
SELECT day, residence_unit_id, commune_id, scope_commune_id, province_code,
       sum(beneficiaries), sum(with_account), sum(confirmed), now()
FROM accounts_coveragevillage
WHERE day = ANY(%(days)s::date[])
GROUP BY day, residence_unit_id, commune_id, scope_commune_id, province_code
"""


def _refresh_by_bits(days: list[dt.date], progress=None) -> dict:
    """PostgreSQL: the snapshot of every day in one INSERT … SELECT per 62 days (see BITS_SQL)."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise ValueError("method 'bits' needs PostgreSQL (width_bucket, bit_or on bigint)")
    t0 = time.perf_counter()
    n_rows = 0
    chunks = [days[i:i + BITS_CHUNK] for i in range(0, len(days), BITS_CHUNK)]
    if progress:
        progress.set_total(len(days))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL jit = off")
        cur.execute("DELETE FROM accounts_coveragesnapshot WHERE day = ANY(%s::date[])", [days])
        cur.execute("DELETE FROM accounts_coveragevillage WHERE day = ANY(%s::date[])", [days])
        for chunk in chunks:
            cur.execute(BITS_SQL, {"days": chunk, "n": len(chunk), "tz": settings.TIME_ZONE})
            cur.execute(BITS_ROLLUP_SQL, {"days": chunk})
            n_rows += cur.rowcount
            if progress:
                progress.advance(len(chunk), f"{chunk[-1]:%d/%m/%Y}")
    with connection.cursor() as cur:
        cur.execute("ANALYZE accounts_coveragesnapshot")
        cur.execute("ANALYZE accounts_coveragevillage")
    return {"days": len(days), "rows": n_rows, "seconds": round(time.perf_counter() - t0, 2), "method": "bits"}


# ----------------------------------------------------------------------------- targets

SEED_TARGETS = [  # (due, low, high, baseline, label): the province-wide seed (also in migration 0002)
    (dt.date(2024, 1, 1), None, None, "3.04", "Điểm xuất phát đầu năm 2024"),
    (dt.date(2024, 6, 30), "30", "40", None, "Hết quý II/2024"),
    (dt.date(2024, 12, 31), "70", "80", None, "Hết năm 2024"),
]


def ensure_targets() -> int:
    """Create the seed targets that are missing (idempotent); returns how many were created."""
    from decimal import Decimal

    from ansinh.accounts.models import Target

    n = 0
    for due, low, high, base, label in SEED_TARGETS:
        _, created = Target.objects.get_or_create(
            province_code="", commune=None, due=due,
            defaults={"low": Decimal(low) if low else None, "high": Decimal(high) if high else None,
                      "baseline": Decimal(base) if base else None, "label": label})
        n += created
    return n


def can_edit_targets(user, province_code: str = "", commune=None) -> bool:
    """Administrators edit every target; a province officer those of their province (the
    province's own rows and its communes'), not the general ones."""
    from ansinh.core.models import Role
    from ansinh.core.roles import has_role
    from ansinh.core.scope import scope_for

    if user is None or has_role(user, Role.ADMIN):
        return True
    if not has_role(user, Role.PROVINCE_OFFICER):
        return False
    scope = scope_for(user)
    if scope.everything:
        return True
    prov = commune.province_code if commune is not None else province_code
    return bool(prov) and prov in scope.province_codes


def _target_values(t) -> dict:
    return {"due": t.due.isoformat(), "low": str(t.low) if t.low is not None else None,
            "high": str(t.high) if t.high is not None else None,
            "baseline": str(t.baseline) if t.baseline is not None else None, "label": t.label,
            "province_code": t.province_code, "commune_id": t.commune_id}


def save_target(user, *, due: dt.date, low=None, high=None, baseline=None, label: str = "",
                province_code: str = "", commune=None, target=None):
    """Create (target None) or change a coverage target; history in TargetChange (who, when,
    values before and after). Raises BadInput for a wrong range or a scope the user may not edit."""
    from decimal import Decimal

    from ansinh.accounts.models import Target, TargetChange
    from ansinh.accounts.selectors import clear_caches

    def dec(v):
        return None if v is None or v == "" else Decimal(str(v))

    low, high, baseline = dec(low), dec(high), dec(baseline)
    err = rules.check_target(*(float(v) if v is not None else None for v in (low, high, baseline)))
    if err:
        raise BadInput(err)
    if commune is not None:
        province_code = commune.province_code
    if target is not None and not can_edit_targets(user, target.province_code, target.commune):
        raise BadInput("bạn không có quyền sửa mục tiêu này")
    if not can_edit_targets(user, province_code, commune):
        raise BadInput("bạn không có quyền đặt mục tiêu cho phạm vi này")
    clash = Target.objects.filter(province_code=province_code, commune=commune, due=due)
    if target is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise BadInput(f"đã có mục tiêu cho phạm vi này ngày {due:%d/%m/%Y}")
    before = _target_values(target) if target is not None else {}
    t = target or Target()
    t.due, t.low, t.high, t.baseline, t.label = due, low, high, baseline, label[:200]
    t.province_code, t.commune = province_code, commune
    t.updated_at, t.updated_by = timezone.now(), recorded_user(user)
    with transaction.atomic():
        t.save()
        TargetChange.objects.create(target=t, action="update" if before else "create", due=due, low=low, high=high,
                                    baseline=baseline, label=t.label, before=before, province_code=province_code,
                                    commune=commune, user=recorded_user(user), at=t.updated_at)
    clear_caches()
    return t


def delete_target(user, target) -> None:
    from ansinh.accounts.models import TargetChange
    from ansinh.accounts.selectors import clear_caches

    if not can_edit_targets(user, target.province_code, target.commune):
        raise BadInput("bạn không có quyền xóa mục tiêu này")
    with transaction.atomic():
        TargetChange.objects.create(target=None, action="delete", due=target.due, low=target.low, high=target.high,
                                    baseline=target.baseline, label=target.label, before=_target_values(target),
                                    province_code=target.province_code, commune=target.commune, user=recorded_user(user),
                                    at=timezone.now())
        target.delete()
    clear_caches()


def _merge(iv: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for lo, hi in sorted(i for i in iv if i[0] < i[1]):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(a, b) for a, b in out]


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _refresh_by_scan(days: list[dt.date], progress=None) -> dict:
    """Every day at once: for each person the days (as index intervals) on which they are a
    beneficiary, have an account, have a confirmed one; summed per group with difference arrays."""
    from bisect import bisect_left, bisect_right

    t0 = time.perf_counter()
    n = len(days)
    months = [f"{d:%Y-%m}" for d in days]
    tz = timezone.get_current_timezone()

    def at(d):  # first day index with day >= d
        return bisect_left(days, d)

    enrol: dict[int, list] = defaultdict(list)
    for pid, start, end, status in Enrolment.objects.values_list("person_id", "start_month", "end_month", "status")             .iterator(chunk_size=BATCH):
        if status != "active" and not end:
            continue
        lo = bisect_left(months, start) if start else 0
        hi = bisect_right(months, end) if end else n
        enrol[pid].append((lo, hi))
    acc: dict[int, list] = defaultdict(list)
    conf: dict[int, list] = defaultdict(list)
    for pid, reg, created, c_on, a_on, closed in PaymentAccount.objects.values_list(
            "person_id", "registered_on", "created", "confirmed_on", "activated_on", "closed_on").iterator(
            chunk_size=BATCH):
        reg = reg or (created.astimezone(tz).date() if created else None)
        if reg is None:
            continue
        lo, hi = at(reg), (at(closed) if closed else n)  # closed on day c: not counted from c
        acc[pid].append((lo, hi))
        firsts = [x for x in (c_on, a_on) if x]
        if firsts:
            conf[pid].append((max(lo, at(min(firsts))), hi))
    diffs: dict[tuple, list[list[int]]] = {}
    for pid, res, com, sc, prov, status, died in Person.objects.values_list(
            "pk", "residence_unit_id", "commune_id", "scope_commune_id", "province_code", "status",
            "deceased_on").iterator(chunk_size=BATCH):
        ev = enrol.get(pid)
        if not ev:
            continue
        alive_hi = n if status == "alive" else (bisect_left(days, died) if died else 0)  # alive while d < died
        ben = _intersect(_merge(ev), [(0, alive_hi)])
        if not ben:
            continue
        key = (res, com, sc, prov or "")
        d = diffs.get(key)
        if d is None:
            d = diffs[key] = [[0] * (n + 1) for _ in range(3)]
        parts = (ben, _intersect(ben, _merge(acc.get(pid, []))), _intersect(ben, _merge(conf.get(pid, []))))
        for k, ivs in enumerate(parts):
            for lo, hi in ivs:
                d[k][lo] += 1
                d[k][hi] -= 1
    objs = []
    for (res, com, sc, prov), d in diffs.items():
        run = [0, 0, 0]
        for i, day in enumerate(days):
            for k in range(3):
                run[k] += d[k][i]
            if run[0]:
                objs.append(CoverageSnapshot(day=day, residence_unit_id=res, commune_id=com, scope_commune_id=sc,
                                             province_code=prov, beneficiaries=run[0], with_account=run[1],
                                             confirmed=run[2]))
    with transaction.atomic():
        CoverageSnapshot.objects.filter(day__in=days).delete()
        CoverageVillage.objects.filter(day__in=days).delete()  # stale otherwise: the drill-down counts live
        CoverageSnapshot.objects.bulk_create(objs, batch_size=BATCH)
    if progress:
        progress.set_total(len(days))
        progress.advance(len(days))
    return {"days": len(days), "rows": len(objs), "seconds": round(time.perf_counter() - t0, 2), "method": "scan"}


# ----------------------------------------------------------------------------- demo story

# Share of beneficiaries (per cent) with an account registered by the end of each month,
# for an "average" commune: about 3% in January 2024 (with the accounts that came with the lists), past both targets by June and December 2024.
DEMO_CURVE = [("2023-12", 1.6), ("2024-01", 3.2), ("2024-02", 7.0), ("2024-03", 14.0), ("2024-04", 21.0),
              ("2024-05", 28.0), ("2024-06", 36.0), ("2024-07", 45.0), ("2024-08", 53.0), ("2024-09", 60.0),
              ("2024-10", 66.0), ("2024-11", 72.0), ("2024-12", 78.0), ("2025-03", 82.0), ("2025-06", 85.0),
              ("2025-09", 88.0), ("2025-12", 90.0), ("2026-06", 92.0)]
DEMO_SOURCE = "demo:accounts"
DEMO_APPROVER = "pheduyet"  # ansinh.core.demo.USERS
DEMO_PROVIDERS = ["970405", "970405", "970405", "999888", "999888", "970415", "970418", "970436", "970449",
                  "971005", "971011"]


def _h(n: int, salt: int = 0) -> float:
    """A deterministic pseudo-random number in [0, 1) from an integer."""
    x = (n * 2654435761 + salt * 40503 + 0x9E3779B9) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return x / 2**32


def commune_factor(unit_id: int | None) -> float:
    """About one commune in five lags (0.55–0.75 of the average pace); the rest 0.95–1.2."""
    u = _h(unit_id or 0, 7)
    return 0.55 + 0.2 * _h(unit_id or 0, 8) if u < 0.2 else 0.95 + 0.25 * _h(unit_id or 0, 9)


def _month_end(month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:])
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def demo_registration_day(pid: int, unit_id: int | None) -> dt.date | None:
    """When the demo person registers an account (None: not yet, or never)."""
    u = _h(pid, 1) * 100
    f = commune_factor(unit_id)
    prev = None
    for month, pct in DEMO_CURVE:
        if u < pct * f:
            end = _month_end(month)
            start = (_month_end(prev) + dt.timedelta(days=1)) if prev else dt.date(2023, 1, 1)
            span = (end - start).days
            return start + dt.timedelta(days=int(_h(pid, 2) * (span + 1)))
        prev = month
    return None


def demo_account_number(pid: int, provider: str) -> str:
    lo, hi = providers.ACCOUNT_PROVIDERS[provider].lengths
    length = lo + int(_h(pid, 3) * (hi - lo + 1))
    digits = f"{pid:09d}{int(_h(pid, 4) * 10**9):09d}"
    return ("1" + digits)[:length].ljust(length, "0")


def _insert_accounts(accounts: list[PaymentAccount]) -> None:
    """Plain multi-row INSERT through executemany (much faster than bulk_create on SQLite)."""
    from django.db import connection

    cols = ["person_id", "provider", "provider_name", "account_number", "holder", "holder_name", "source", "created",
            "status", "registered_on", "confirmed_on", "activated_on", "closed_on"]
    now = timezone.now()
    table = connection.ops.quote_name(PaymentAccount._meta.db_table)
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in cols)}) "
           f"VALUES ({', '.join(['%s'] * len(cols))})")
    created_field = PaymentAccount._meta.get_field("created")
    stamp = created_field.get_db_prep_value(now, connection)
    with connection.cursor() as cur:
        for i in range(0, len(accounts), BATCH):
            cur.executemany(sql, [(a.person_id, a.provider, a.provider_name, a.account_number, a.holder,
                                   a.holder_name, a.source, stamp, a.status, a.registered_on, a.confirmed_on,
                                   a.activated_on, a.closed_on) for a in accounts[i:i + BATCH]])


def demo_setup(today: dt.date | None = None, **kwargs) -> dict:
    """Give the demo persons the 2024 story (idempotent: the demo accounts are rebuilt the same way):
    enrolments in force since before 2024; imported accounts dated before 2024 (the 3% baseline);
    new accounts registered month by month (about 5% in January 2024, ~36% by June, ~78% by
    December on average, some communes lagging), confirmed by the bank 5–40 days later and
    active a few days after; then the monthly coverage snapshot."""
    today = today or dt.date.today()
    t0 = time.perf_counter()
    with transaction.atomic():
        ensure_targets()
        # Enrolments in force from before 2024 (the lists were taken at the start of 2024).
        Enrolment.objects.filter(Q(start_month="") | Q(start_month__gt="2023-12")).update(start_month="2023-12")
        # Accounts that came with the lists: opened before the campaign.
        PaymentAccount.objects.exclude(source=DEMO_SOURCE).filter(registered_on__isnull=True).update(
            registered_on=dt.date(2023, 11, 15), confirmed_on=dt.date(2023, 12, 1),
            activated_on=dt.date(2023, 12, 5), status=AccountStatus.ACTIVE)
        # Idempotent without deleting: the demo history is a pure function of the person id, so
        # persons who already have an account keep it and the others get theirs.
        have = set(PaymentAccount.objects.values_list("person_id", flat=True))
        auth = {}
        for pid, name in AuthorisedPerson.objects.order_by("pk").values_list("person_id", "full_name"):
            auth.setdefault(pid, name)
        new = []
        for pid, name, unit in Person.objects.values_list("pk", "full_name", "scope_commune_id").iterator(
                chunk_size=BATCH):
            if pid in have:
                continue
            reg = demo_registration_day(pid, unit)
            if reg is None or reg > today:
                continue
            conf = reg + dt.timedelta(days=5 + int(_h(pid, 5) * 36)) if _h(pid, 6) > 0.06 else None
            act = conf + dt.timedelta(days=int(_h(pid, 10) * 15)) if conf else None
            conf = conf if conf and conf <= today else None
            act = act if act and act <= today and conf else None
            prov = DEMO_PROVIDERS[int(_h(pid, 11) * len(DEMO_PROVIDERS))]
            by_auth = pid in auth and _h(pid, 12) < 0.5
            holder_name = fold(auth[pid] if by_auth else name)
            new.append(PaymentAccount(
                person_id=pid, provider=prov, provider_name=providers.ACCOUNT_PROVIDERS[prov].short_name,
                account_number=demo_account_number(pid, prov),
                holder=AccountHolder.AUTHORISED if by_auth else AccountHolder.BENEFICIARY,
                holder_name=holder_name, source=DEMO_SOURCE, registered_on=reg, confirmed_on=conf,
                activated_on=act, status=rules.status_on(today, reg, conf, act) or AccountStatus.REGISTERED))
        _insert_accounts(new)
        # Maker-checker: the demo's accounts (lists and history, made by no user) are approved by
        # the demo approver, so the demo payroll pays into them.
        from django.contrib.auth import get_user_model

        approved = approve_demo_accounts(get_user_model().objects.filter(username=DEMO_APPROVER).first())
        snap = refresh_snapshots(snapshot_days(today))
    return {"accounts": len(new), "approved": approved, "snapshot_days": snap["days"], "snapshot_rows": snap["rows"],
            "seconds": round(time.perf_counter() - t0, 2)}
