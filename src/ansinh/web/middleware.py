"""Every page needs a log-in except the few that are public by design."""
from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect

PUBLIC_PREFIXES = ("/login/", "/static/", "/i18n/", "/public/", "/api/public/", "/healthz")


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if not request.user.is_authenticated and not path.startswith(PUBLIC_PREFIXES):
            if path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse({"detail": "authentication required"}, status=401)
            return redirect(f"{settings.LOGIN_URL if settings.LOGIN_URL.startswith('/') else '/login/'}?next={path}")
        return self.get_response(request)


class VietnameseByDefaultMiddleware:
    """The UI is Vietnamese unless the user picks another language in the menu (cookie):
    the browser's Accept-Language is ignored, since officials' browsers are often English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
