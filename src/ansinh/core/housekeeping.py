"""What the worker does once a day: delete uploaded lists past their retention
(ansinh.core.uploads.purge_uploads), write the audit log's checkpoint of the day before
(ansinh.audit.services.checkpoint) and record the escalation of complaints whose commune missed a
deadline (ansinh.complaints.services.escalate_overdue). Once a day across workers (a cache key per day)."""
from __future__ import annotations

import datetime as dt
import logging

log = logging.getLogger(__name__)
CHECK_EVERY = 3600.0


def run_daily(today: dt.date | None = None) -> dict | None:
    """The day's housekeeping, unless a worker already did it today. Returns what it did."""
    from django.core.cache import cache
    from django.utils import timezone

    from ansinh.audit.services import checkpoint
    from ansinh.complaints.services import escalate_overdue
    from ansinh.core.roles import OPERATOR
    from ansinh.core.uploads import purge_uploads
    from ansinh.payroll.integrity import orphan_lines
    from ansinh.registry.authorised import flag_authorisations

    today = today or timezone.localdate()
    if not cache.add(f"ansinh:daily:{today.isoformat()}", 1, 2 * 86400):
        return None
    return {"uploads": purge_uploads(), "checkpoint": checkpoint(user=OPERATOR, day=today - dt.timedelta(days=1)),
            "escalated": escalate_overdue(today),
            # expired authorisations (AUTH_EXPIRED) and those due for a check (AUTH_RECHECK) in the review queue
            "authorisations": flag_authorisations(today, user=OPERATOR, source="daily"),
            # payroll lines naming a row that is gone (none expected: decision 0032); logged as an error
            "orphan_lines": orphan_lines()}


def watch_daily(stop) -> None:
    """The worker's thread: run_daily at start and every hour until `stop` is set."""
    from django.db import connections

    while True:
        try:
            done = run_daily()
            if done:
                log.info("daily housekeeping: %s", done["uploads"])
        except Exception:  # noqa: BLE001 - a busy database: next hour
            log.warning("daily housekeeping failed", exc_info=True)
        finally:
            connections.close_all()
        if stop.wait(CHECK_EVERY):
            return
