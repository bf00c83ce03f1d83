"""Two factors for money and roles: TOTP devices (django-otp), one home for who must pass a code
and before what.

Rule: approving money (accounts, payroll check/approve, export of payment files, result corrections)
needs a session verified by a TOTP code (STEP_UP_VIEWS, STEP_UP_API: ansinh.web.twofactor's
middleware refuses them until then; verified once per session, which ends after 8 hours).
Roles and scope change only through `ansinh users create` on the server (recorded in the audit
log); a page that changes roles must be added to STEP_UP_VIEWS. TOTP_ROLES are the roles whose
holders are shown the enrolment page on log-in.

Writes here: enrol a device (unconfirmed until its first code), confirm it, reset a user's devices
(`ansinh users totp-reset LOGIN`); each chained into the audit log.

Recovery codes (django-otp's static device): RECOVERY_CODES codes made when a phone is enrolled,
shown once (the page after enrolment), each accepted once at the TOTP step in place of a code;
the database keeps only a keyed hash of each (HMAC with SECRET_KEY, 64 bits: django-otp's
token column holds 16 characters), so a copy of the database does not give them away. A reset
removes them with the phone's device; the next enrolment makes new ones."""
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
    """Remove every device of `user` (a lost phone) and their recovery codes: the next money action
    asks them to enrol again (and gives new codes)."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    n, _ = TOTPDevice.objects.filter(user=user).delete()
    codes = _recovery_count(user)
    StaticDevice.objects.filter(user=user).delete()
    _audit(user, "reset", by=by, devices=n, recovery_codes=codes)
    return n


# --------------------------------------------------------------------------- recovery codes

RECOVERY_CODES = 10
RECOVERY_NAME = "recovery"


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def recovery_hash(code: str) -> str:
    """What the database keeps of a recovery code: 16 hex digits of HMAC-SHA256(SECRET_KEY, code)."""
    import hmac

    return hmac.new(settings.SECRET_KEY.encode(), f"ansinh-recovery:{_normal(code)}".encode(),
                    hashlib.sha256).hexdigest()[:16]


def _recovery_count(user) -> int:
    from django_otp.plugins.otp_static.models import StaticToken

    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()


def recovery_left(user) -> int:
    """How many unused recovery codes `user` has."""
    return _recovery_count(user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace `user`'s recovery codes with RECOVERY_CODES new ones; returns them (to be shown once:
    only their keyed hashes are kept)."""
    import secrets

    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    codes = []
    while len(codes) < RECOVERY_CODES:
        raw = "".join(secrets.choice(alphabet) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        if code not in codes and not raw.isdigit():  # a code of digits only would be read as a TOTP code
            codes.append(code)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_hash(c)) for c in codes])
    _audit(user, "recovery codes made", codes=len(codes))
    return codes


def use_recovery_code(user, code: str):
    """The recovery device when `code` is one of `user`'s unused codes (it is used up), else None."""
    from django_otp.plugins.otp_static.models import StaticDevice

    code = _normal(code)
    if len(code) != 10:
        return None
    device = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()
    if device is None or not device.verify_token(recovery_hash(code)):
        return None
    _audit(user, "recovery code used", left=recovery_left(user))
    return device


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
