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
        "filters": {"request_id": {"()": "ansinh.core.logs.RequestIdFilter"}},
        "formatters": {"main": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"]}},
        "root": {"handlers": ["console"], "level": level},
        # One access line per request (RequestIdMiddleware) when logs are structured; the
        # development server prints its own.
        "loggers": {"ansinh.request": {"level": "INFO" if fmt == "json" else "WARNING"}},
    }
