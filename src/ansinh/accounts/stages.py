"""An account's life cycle: the day it reached a stage (registered, confirmed by the bank,
active, closed), with its history written through ansinh.registry.history."""
from __future__ import annotations

import datetime as dt

from django.db import transaction

from ansinh.accounts import rules
from ansinh.core.jobs import BadInput
from ansinh.core.scope import scope_for
from ansinh.registry.history import Change, log_changes
from ansinh.registry.models import AccountStatus, PaymentAccount
from ansinh.registry.recheck import recheck_persons

STAGE_FIELDS = {"registered": "registered_on", "confirmed": "confirmed_on", "active": "activated_on",
                "closed": "closed_on"}


def set_stage(account: PaymentAccount, stage: str, day: dt.date, user, source: str = "web") -> PaymentAccount:
    """Record that `account` reached `stage` on `day` (history: the stage dates + ChangeLog).
    `user` must have the account's person in scope (the CLI's operator has everything; None nothing)."""
    if stage not in STAGE_FIELDS:
        raise BadInput(f"stage: unknown stage {stage!r}")
    p = account.person
    if not scope_for(user).covers(p.scope_commune_id, p.province_code):
        raise BadInput("tài khoản ngoài phạm vi của bạn")
    f = STAGE_FIELDS[stage]
    dates = {k: getattr(account, v) for k, v in STAGE_FIELDS.items()}
    dates[stage] = day
    err = rules.check_stage_dates(dates["registered"] or (account.created.date() if account.created else None),
                                  dates["confirmed"], dates["active"], dates["closed"])
    if err:
        raise BadInput(f"{f}: {err}")
    old = getattr(account, f)
    setattr(account, f, day)
    account.status = rules.status_on(dt.date.max, dates["registered"] or dt.date.min, dates["confirmed"],
                                     dates["active"], dates["closed"]) or AccountStatus.REGISTERED
    with transaction.atomic():
        account.save(update_fields=[f, "status"])
        log_changes([Change("registry.paymentaccount", account.pk, p.pk, f, old, day, p.scope_commune_id,
                            p.province_code)], user=user, source=source)
        recheck_persons([p.pk], user=user, source=source)
    return account
