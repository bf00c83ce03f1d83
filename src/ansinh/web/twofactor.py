"""The TOTP step: the middleware that refuses money actions to a session without a passed code
(the rule: ansinh.core.twofactor) and the page that enrols a phone (QR) or asks for a code."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ansinh.core import twofactor

RECOVERY_SESSION_KEY = "ansinh_recovery_codes"


def _safe_next(request, candidate: str | None) -> str:
    from urllib.parse import urlsplit

    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        parts = urlsplit(candidate)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return "/"


class StepUpMiddleware:
    """A POST that approves money (twofactor.needs_step_up) from a session that has not passed a TOTP
    code: the web goes to the TOTP page (then back to the page it came from), the API answers 403."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not twofactor.required():
            return None
        match = request.resolver_match
        if not twofactor.needs_step_up(request.method, match.view_name if match else "", request.path):
            return None
        if user.is_verified():
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "two-factor verification required (open /totp/ in the browser)"},
                                status=403)
        messages.warning(request, _("Cần nhập mã xác thực hai lớp trước khi phê duyệt hoặc xuất tệp chi trả. "
                                    "Sau khi xác thực, hãy bấm lại."))
        from urllib.parse import urlencode

        back = _safe_next(request, request.headers.get("Referer"))
        return redirect(f"/totp/?{urlencode({'next': back})}")


@never_cache
@login_required
def totp(request):
    """Enrol (QR + first code) when the user has no device, else ask for the current code."""
    from django_otp import login as otp_login

    nxt = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    user = request.user
    if user.is_verified():
        return redirect(nxt)
    device = twofactor.device_of(user)
    enrolling = device is None
    if enrolling:
        device = twofactor.start_enrolment(user)
    error = ""
    if request.method == "POST":
        code = (request.POST.get("code") or "").replace(" ", "")
        if enrolling:
            ok = twofactor.confirm(device, code)
        else:
            ok = device.verify_token(code)
            if not ok and not code.isdigit():  # a recovery code (letters and digits), each usable once
                recovery = twofactor.use_recovery_code(user, code)
                if recovery is not None:
                    device, ok = recovery, True
                    messages.warning(request, _("Đã dùng một mã dự phòng; còn %(n)d mã.")
                                     % {"n": twofactor.recovery_left(user)})
        if ok:
            otp_login(request, device)
            if enrolling:
                # the recovery codes, shown once on the next page (kept in the session only until then)
                request.session[RECOVERY_SESSION_KEY] = twofactor.new_recovery_codes(user)
                from urllib.parse import urlencode

                return redirect(f"/totp/recovery/?{urlencode({'next': nxt})}")
            twofactor.verified(user)
            messages.success(request, _("Đã xác thực hai lớp."))
            return redirect(nxt)
        error = _("Mã không đúng hoặc đã hết hạn. Nhập mã đang hiện trên ứng dụng xác thực hoặc một mã dự phòng.")
    ctx = {"enrolling": enrolling, "next": nxt, "error": error}
    if enrolling:
        import segno

        ctx["qr"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
        secret = twofactor.b32(device.key)
        ctx["secret"] = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render(request, "web/totp.html", ctx, status=200 if not error else 400)


@never_cache
@login_required
def recovery(request):
    """The recovery codes just made at enrolment, shown this once (taken out of the session)."""
    codes = request.session.pop(RECOVERY_SESSION_KEY, None)
    nxt = _safe_next(request, request.GET.get("next"))
    if not codes:
        return redirect(nxt)
    return render(request, "web/totp_recovery.html", {"codes": codes, "next": nxt})
