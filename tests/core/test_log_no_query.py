"""No ID number in a log line: the development server's request line and Django's records about a
request lose their query string (ansinh.core.logs.NoQueryFilter, on the one console handler)."""
from __future__ import annotations

import io
import logging
import logging.config

from django.test import RequestFactory

from ansinh.core.logs import logging_config

ID = "020040001234"


def _capture(fmt):
    cfg = logging_config(fmt, "INFO")
    logging.config.dictConfig(cfg)
    handler = logging.getLogger().handlers[0]
    buf = io.StringIO()
    handler.setStream(buf)
    return buf


def test_request_lines_and_requests_lose_their_query():
    from django.conf import settings

    try:
        for fmt in ("text", "json"):
            buf = _capture(fmt)
            logging.getLogger("django.server").info('"%s" %s %s', f"GET /registry/?q={ID} HTTP/1.1", "200", "5")
            req = RequestFactory().get("/registry/", {"q": ID})
            logging.getLogger("django.request").warning("Not Found: %s", req.path, extra={"request": req})
            out = buf.getvalue()
            assert "GET /registry/ HTTP/1.1" in out and "Not Found: /registry/" in out
            assert ID not in out, out
    finally:
        logging.config.dictConfig(settings.LOGGING)
