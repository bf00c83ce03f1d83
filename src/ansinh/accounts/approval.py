"""Maker-checker on payment accounts: approve or reject a pending account, with its evidence
file; the history through ansinh.registry.history."""
from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.utils import timezone

from ansinh.core.jobs import BadInput
from ansinh.registry.history import Change, log_changes
from ansinh.registry.models import PaymentAccount
from ansinh.registry.recheck import recheck_persons

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
        log_changes([Change("registry.paymentaccount", acc.pk, p.pk, "approval", AccountApproval.PENDING,
                            decision + (f": {reason}" if reason else ""), p.scope_commune_id, p.province_code)],
                    user=user, source=source, at=acc.approved_at)
        recheck_persons([p.pk], user=user, source=source, at=acc.approved_at)
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


