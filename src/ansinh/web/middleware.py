"""Every page needs a log-in except the few that are public by design; sessions time out;
pages for logged-in users are never stored by a browser or proxy; roles gate whole areas."""
from __future__ import annotations

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

# /api/g2p/: the machine API authenticates each call itself (bearer JWT, signed messages; ansinh.interop).
PUBLIC_PREFIXES = ("/login/", "/static/", "/i18n/", "/public/", "/api/public/", "/api/g2p/", "/healthz")


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if not request.user.is_authenticated and not path.startswith(PUBLIC_PREFIXES):
            if path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"detail": "authentication required"}, status=401)
            login_url = settings.LOGIN_URL if settings.LOGIN_URL.startswith("/") else "/login/"
            return redirect(f"{login_url}?next={quote(request.get_full_path())}")
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """A session ends after ANSINH_SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE
    after the log-in however active it was. The last-seen time is written at most once a minute, so
    an active user's requests do not each write the session."""

    LOGIN_AT, SEEN_AT = "_ansinh_login_at", "_ansinh_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.get(self.LOGIN_AT)
            seen_at = session.get(self.SEEN_AT)
            if login_at is None:
                session[self.LOGIN_AT] = login_at = now
            if seen_at is None:
                seen_at = now
            idle = getattr(settings, "ANSINH_SESSION_IDLE_SECONDS", 1800)
            if now - seen_at > idle or now - login_at > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif now - seen_at >= 60 or self.SEEN_AT not in session:
                session[self.SEEN_AT] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response to a logged-in user (pages, exports, files with
    personal data). Static files never get here: WhiteNoise answers them first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response


class RoleRequiredMiddleware:
    """The central role check (ansinh.core.roles.may_open, the rule the menu reads too): a user whose
    roles give no staff work (an outreach unit) is refused every page except the ones
    ansinh.core.roles.outreach_may_open lists (home, its tasks, reports, directives and files); a staff
    page that only some staff roles open (STAFF_PAGE_ROLES, e.g. the list import) is refused to the
    others. The views' own scope checks still apply on top."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from ansinh.core.roles import may_open

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(PUBLIC_PREFIXES):
            return None
        match = request.resolver_match
        if may_open(user, match.view_name if match else "", request.path):
            return None
        if request.path.startswith("/api/"):
            from django.http import JsonResponse

            return JsonResponse({"detail": "forbidden"}, status=403)
        raise PermissionDenied


class VietnameseByDefaultMiddleware:
    """The UI is Vietnamese unless the user picks another language in the menu (cookie):
    the browser's Accept-Language is ignored, since officials' browsers are often English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RequestIdMiddleware:
    """Gives each request an id (nginx's X-Request-ID when it sends one, else a new one), puts it in
    every log line of the request (ansinh.core.logs), returns it in the X-Request-ID response
    header and writes one access line: method, path WITHOUT the query string (searches carry
    names and ID numbers there), status, duration, the user's numeric id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import logging

        from ansinh.core.logs import new_request_id, request_id_var

        rid = new_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = rid
        token = request_id_var.set(rid)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = rid
            user = getattr(request, "user", None)
            logging.getLogger("ansinh.request").info(
                "%s %s %s", request.method, request.path, response.status_code,
                extra={"method": request.method, "path": request.path, "status": response.status_code,
                       "duration_ms": round((time.monotonic() - started) * 1000, 1),
                       "user_id": user.pk if user is not None and user.is_authenticated else None})
            return response
        finally:
            request_id_var.reset(token)
