"""Two factors for money and roles: TOTP devices (django-otp), one home for who must pass a code
and before what.

Rule: approving money (accounts, payroll check/approve, export of payment files, result corrections)
needs a session verified by a TOTP code (STEP_UP_VIEWS, STEP_UP_API: ansinh.web.twofactor's
middleware refuses them until then; verified once per session, which ends after 8 hours).
Roles and scope change only through `ansinh users create` on the server (recorded in the audit
log); a page that changes roles must be added to STEP_UP_VIEWS. TOTP_ROLES are the roles whose
holders are shown the enrolment page on log-in.

Writes here: enrol a device (unconfirmed until its first code), confirm it, reset a user's devices
(`ansinh users totp-reset LOGIN`); each chained into the audit log."""
from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import transaction

from ansinh.core.models import Role

TOTP_ROLES = frozenset({Role.APPROVER, Role.ADMIN})

# URL names whose POST approves money: refused until the session passed a TOTP code.
STEP_UP_VIEWS = frozenset({
    "accounts:approvals",          # approve or reject a payment account
    "payroll:approve",             # check (second pair of eyes) and approve a run
    "payroll:export",              # export the payment files
    "payroll:correction_decide",   # approve a result correction
})
# The API's money routes (POST, path prefix).
STEP_UP_API = ("/api/accounts/approvals/",)

ISSUER = "ansinh"


def required() -> bool:
    """Is the step-up enforced? (settings.ANSINH_TOTP_REQUIRED, on unless switched off; `ansinh check
    --deploy` warns when off)."""
    return getattr(settings, "ANSINH_TOTP_REQUIRED", True)


def needs_step_up(method: str, view_name: str, path: str) -> bool:
    if method != "POST":
        return False
    return view_name in STEP_UP_VIEWS or path.startswith(STEP_UP_API)


def device_of(user, confirmed: bool | None = True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    qs = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        qs = qs.filter(confirmed=confirmed)
    return qs.order_by("-pk").first()


def _audit(user, what: str, by=None, **detail) -> None:
    from ansinh.audit.models import Action
    from ansinh.audit.services import append

    append(Action.TOTP, user=by if by is not None else user, object=f"user {user.get_username()}",
           detail={"event": what, **detail})


@transaction.atomic
def start_enrolment(user, key_hex: str | None = None):
    """The user's unconfirmed device (a new random key unless one is pending or `key_hex` is given)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    pending = device_of(user, confirmed=False)
    if pending is not None and key_hex is None:
        return pending
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    kw = {"key": key_hex} if key_hex else {}
    return TOTPDevice.objects.create(user=user, name="ansinh", confirmed=False, **kw)


@transaction.atomic
def confirm(device, token: str) -> bool:
    """The first code from the phone confirms a pending device (older confirmed devices are removed)."""
    if not device.verify_token((token or "").strip()):
        return False
    type(device).objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    _audit(device.user, "enrolled")
    return True


def enrol_known_key(user, key_hex: str):
    """A confirmed device with a given key (the demo's published keys; tests)."""
    device = start_enrolment(user, key_hex)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    type(device).objects.filter(user=user, confirmed=True).exclude(pk=device.pk).delete()
    return device


@transaction.atomic
def reset(user, *, by=None) -> int:
    """Remove every device of `user` (a lost phone): the next money action asks them to enrol again."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    n, _ = TOTPDevice.objects.filter(user=user).delete()
    _audit(user, "reset", by=by, devices=n)
    return n


def demo_key(username: str) -> str:
    """A demo user's published TOTP key (hex, 20 bytes): ANSINH_DEMO only."""
    return hashlib.sha1(f"ansinh-demo-totp:{username}".encode()).hexdigest()


def b32(key_hex: str) -> str:
    import base64

    return base64.b32encode(bytes.fromhex(key_hex)).decode()


def current_code(key_hex: str, at: float | None = None) -> str:
    """The code an authenticator shows at `at` (default now) for `key_hex` (RFC 6238: 30 s, 6 digits)."""
    import time

    from django_otp.oath import hotp

    return f"{hotp(bytes.fromhex(key_hex), int((time.time() if at is None else at) // 30), digits=6):06d}"


def verified(user) -> None:
    """A session passed a code (the audit log keeps when)."""
    _audit(user, "verified")
