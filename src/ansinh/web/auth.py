"""Log-in protection: the axes lock-out backend and the log-in log.

Axes counts failed log-ins per (user name, address) and refuses a locked-out pair before any
password is checked; `ansinh users unlock NAME` (core.services.unlock_user) lifts a lock-out.
Every log-in, failed log-in and lock-out is written to the "ansinh.auth" logger with the user
name and the client address only; the password never reaches a log (axes keeps its own
AccessLog / AccessFailureLog tables, also without it).
"""
from __future__ import annotations

import logging

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

log = logging.getLogger("ansinh.auth")


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lock-out check for every web log-in. Authentication without a request (the test client's
    login(), code that checks a password directly) has no address to count by: it goes straight to
    the ModelBackend. Every log-in form and the API pass the request, so they are always counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "-"


@receiver(user_login_failed, dispatch_uid="ansinh.auth.failed")
def _failed(sender, credentials, request=None, **kwargs):
    # `credentials` comes cleansed by django (the password masked); only the user name is logged.
    username = str((credentials or {}).get("username", ""))[:150]
    if request is not None and getattr(request, "axes_locked_out", False):
        log.warning("login refused (locked out): user=%s ip=%s", username, client_ip(request))
    else:
        log.warning("login failed: user=%s ip=%s", username, client_ip(request))


@receiver(user_logged_in, dispatch_uid="ansinh.auth.ok")
def _ok(sender, request, user, **kwargs):
    log.info("login: user=%s ip=%s", user.get_username(), client_ip(request))
    session = getattr(request, "session", None)
    if session is not None:  # the clocks of SessionTimeoutMiddleware start now
        import time

        from ansinh.web.middleware import SessionTimeoutMiddleware as T

        session[T.LOGIN_AT] = session[T.SEEN_AT] = int(time.time())


@receiver(user_logged_out, dispatch_uid="ansinh.auth.out")
def _out(sender, request, user, **kwargs):
    if user is not None:
        log.info("logout: user=%s ip=%s", user.get_username(), client_ip(request))
