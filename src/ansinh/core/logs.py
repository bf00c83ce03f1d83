"""Structured logs: one JSON object per line, with the id of the request (or job) being served.

`ANSINH_LOG_FORMAT=json` (deploy/ansinh.env.example sets it; the web and the worker read the same
file) makes every log record a JSON line on stderr; the default `text` keeps the CLI readable.
The request id comes from nginx (`X-Request-ID: $request_id`) or is made here
(ansinh.web.middleware.RequestIdMiddleware) and is set in a context variable that this module's
filter copies onto each record. No personal data: the access line carries the path without its
query string (searches put names and ID numbers there) and the user's numeric id, and the
formatter writes only the fields listed below plus `extra=` fields a caller passes on purpose.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("ansinh_request_id", default="")

# An incoming X-Request-ID is kept only when it looks like an id (nginx's $request_id is 32 hex digits).
_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# Attributes every LogRecord has: everything else on a record came from `extra=` and is written too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}


def new_request_id(incoming: str | None = None) -> str:
    if incoming and _ID_OK.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or "") on every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


_QUERY = re.compile(r"\?[^\s\"']*")


class NoQueryFilter(logging.Filter):
    """No query string in any log line (searches carry names and ID numbers there): the development
    server's request line (`ansinh serve`) and a request attached to a record (Django's error and
    warning records, `extra={"request": …}`) keep the method and path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.server" and record.args and isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub("", a) if isinstance(a, str) else a for a in record.args)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "path") and hasattr(request, "method"):
            record.request = f"{request.method} {request.path}"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id_var.get()
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def logging_config(fmt: str, level: str) -> dict:
    """settings.LOGGING: `fmt` is "json" or "text"."""
    formatter = {"()": "ansinh.core.logs.JsonFormatter"} if fmt == "json" else {"format": "%(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ansinh.core.logs.RequestIdFilter"},
                    "no_query": {"()": "ansinh.core.logs.NoQueryFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main",
                                "filters": ["request_id", "no_query"]}},
        "root": {"handlers": ["console"], "level": level},
        # One access line per request (RequestIdMiddleware) when logs are structured; the
        # development server prints its own.
        "loggers": {"ansinh.request": {"level": "INFO" if fmt == "json" else "WARNING"},
                    # the development server's request lines, through the handler above (no query strings)
                    "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }
