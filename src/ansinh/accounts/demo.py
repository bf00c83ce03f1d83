"""The accounts' demo story (ANSINH_DEMO only): the demo persons' account history through
2024, approved by the demo approver, then the monthly coverage snapshot. Run by
`ansinh demo setup` after the registry's step."""
from __future__ import annotations

import datetime as dt
import time

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ansinh.accounts import rules
from ansinh.accounts.snapshots import refresh_snapshots, snapshot_days
from ansinh.accounts.targets import ensure_targets
from ansinh.core import providers
from ansinh.core.services import recorded_user
from ansinh.registry.history import Change, log_changes
from ansinh.registry.recheck import recheck_persons
from ansinh.registry.models import AccountHolder, AccountStatus, AuthorisedPerson, Enrolment, PaymentAccount, Person
from ansinh.text import fold

BATCH = 5000

# Share of beneficiaries (per cent) with an account registered by the end of each month,
# for an "average" commune: about 3% in January 2024 (with the accounts that came with the lists), past both targets by June and December 2024.
DEMO_CURVE = [("2023-12", 1.6), ("2024-01", 3.2), ("2024-02", 7.0), ("2024-03", 14.0), ("2024-04", 21.0),
              ("2024-05", 28.0), ("2024-06", 36.0), ("2024-07", 45.0), ("2024-08", 53.0), ("2024-09", 60.0),
              ("2024-10", 66.0), ("2024-11", 72.0), ("2024-12", 78.0), ("2025-03", 82.0), ("2025-06", 85.0),
              ("2025-09", 88.0), ("2025-12", 90.0), ("2026-06", 92.0)]
DEMO_SOURCE = "demo:accounts"
DEMO_APPROVER = "pheduyet"  # ansinh.core.demo.USERS
DEMO_PROVIDERS = ["970405", "970405", "970405", "999888", "999888", "970415", "970418", "970436", "970449",
                  "971005", "971011"]


def _h(n: int, salt: int = 0) -> float:
    """A deterministic pseudo-random number in [0, 1) from an integer."""
    x = (n * 2654435761 + salt * 40503 + 0x9E3779B9) & 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x45D9F3B) & 0xFFFFFFFF
    x ^= x >> 16
    return x / 2**32


def commune_factor(unit_id: int | None) -> float:
    """About one commune in five lags (0.55–0.75 of the average pace); the rest 0.95–1.2."""
    u = _h(unit_id or 0, 7)
    return 0.55 + 0.2 * _h(unit_id or 0, 8) if u < 0.2 else 0.95 + 0.25 * _h(unit_id or 0, 9)


def _month_end(month: str) -> dt.date:
    y, m = int(month[:4]), int(month[5:])
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def demo_registration_day(pid: int, unit_id: int | None) -> dt.date | None:
    """When the demo person registers an account (None: not yet, or never)."""
    u = _h(pid, 1) * 100
    f = commune_factor(unit_id)
    prev = None
    for month, pct in DEMO_CURVE:
        if u < pct * f:
            end = _month_end(month)
            start = (_month_end(prev) + dt.timedelta(days=1)) if prev else dt.date(2023, 1, 1)
            span = (end - start).days
            return start + dt.timedelta(days=int(_h(pid, 2) * (span + 1)))
        prev = month
    return None


def demo_account_number(pid: int, provider: str) -> str:
    lo, hi = providers.ACCOUNT_PROVIDERS[provider].lengths
    length = lo + int(_h(pid, 3) * (hi - lo + 1))
    digits = f"{pid:09d}{int(_h(pid, 4) * 10**9):09d}"
    return ("1" + digits)[:length].ljust(length, "0")


def _insert_accounts(accounts: list[PaymentAccount]) -> None:
    """Plain multi-row INSERT through executemany (much faster than bulk_create on SQLite); the account
    number encrypted with its keyed hash, as the model field writes it (ansinh.core.crypto)."""
    from django.db import connection

    from ansinh.core.crypto import encrypt_many, lookup_hash_many

    cols = ["person_id", "provider", "provider_name", "account_number", "account_number_hash", "holder", "holder_name",
            "source", "created", "status", "registered_on", "confirmed_on", "activated_on", "closed_on"]
    now = timezone.now()
    table = connection.ops.quote_name(PaymentAccount._meta.db_table)
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in cols)}) "
           f"VALUES ({', '.join(['%s'] * len(cols))})")
    created_field = PaymentAccount._meta.get_field("created")
    stamp = created_field.get_db_prep_value(now, connection)
    with connection.cursor() as cur:
        for i in range(0, len(accounts), BATCH):
            batch = accounts[i:i + BATCH]
            numbers = [a.account_number for a in batch]
            cur.executemany(sql, [(a.person_id, a.provider, a.provider_name, enc, h, a.holder,
                                   a.holder_name, a.source, stamp, a.status, a.registered_on, a.confirmed_on,
                                   a.activated_on, a.closed_on)
                                  for a, enc, h in zip(batch, encrypt_many(numbers), lookup_hash_many(numbers),
                                                       strict=True)])


def demo_setup(today: dt.date | None = None, **kwargs) -> dict:
    """Give the demo persons the 2024 story (idempotent: the demo accounts are rebuilt the same way):
    enrolments in force since before 2024; imported accounts dated before 2024 (the 3% baseline);
    new accounts registered month by month (about 5% in January 2024, ~36% by June, ~78% by
    December on average, some communes lagging), confirmed by the bank 5–40 days later and
    active a few days after; then the monthly coverage snapshot. Only in a demo installation
    (settings.ANSINH_DEMO): it rewrites enrolment start months and account dates."""
    from django.conf import settings

    if not getattr(settings, "ANSINH_DEMO", False):
        return {"accounts": "skipped: demo helpers need ANSINH_DEMO=1"}
    today = today or dt.date.today()
    t0 = time.perf_counter()
    with transaction.atomic():
        ensure_targets()
        # Enrolments in force from before 2024 (the lists were taken at the start of 2024).
        Enrolment.objects.filter(Q(start_month="") | Q(start_month__gt="2023-12")).update(start_month="2023-12")
        # Accounts that came with the lists: opened before the campaign.
        PaymentAccount.objects.exclude(source=DEMO_SOURCE).filter(registered_on__isnull=True).update(
            registered_on=dt.date(2023, 11, 15), confirmed_on=dt.date(2023, 12, 1),
            activated_on=dt.date(2023, 12, 5), status=AccountStatus.ACTIVE)
        # Idempotent without deleting: the demo history is a pure function of the person id, so
        # persons who already have an account keep it and the others get theirs.
        have = set(PaymentAccount.objects.values_list("person_id", flat=True))
        auth = {}
        for pid, name in AuthorisedPerson.objects.order_by("pk").values_list("person_id", "full_name"):
            auth.setdefault(pid, name)
        new = []
        for pid, name, unit in Person.objects.values_list("pk", "full_name", "scope_commune_id").iterator(
                chunk_size=BATCH):
            if pid in have:
                continue
            reg = demo_registration_day(pid, unit)
            if reg is None or reg > today:
                continue
            conf = reg + dt.timedelta(days=5 + int(_h(pid, 5) * 36)) if _h(pid, 6) > 0.06 else None
            act = conf + dt.timedelta(days=int(_h(pid, 10) * 15)) if conf else None
            conf = conf if conf and conf <= today else None
            act = act if act and act <= today and conf else None
            prov = DEMO_PROVIDERS[int(_h(pid, 11) * len(DEMO_PROVIDERS))]
            by_auth = pid in auth and _h(pid, 12) < 0.5
            holder_name = fold(auth[pid] if by_auth else name)
            new.append(PaymentAccount(
                person_id=pid, provider=prov, provider_name=providers.ACCOUNT_PROVIDERS[prov].short_name,
                account_number=demo_account_number(pid, prov),
                holder=AccountHolder.AUTHORISED if by_auth else AccountHolder.BENEFICIARY,
                holder_name=holder_name, source=DEMO_SOURCE, registered_on=reg, confirmed_on=conf,
                activated_on=act, status=rules.status_on(today, reg, conf, act) or AccountStatus.REGISTERED))
        _insert_accounts(new)
        # Maker-checker: the demo's accounts (lists and history, made by no user) are approved by
        # the demo approver, so the demo payroll pays into them.
        from django.contrib.auth import get_user_model

        approver = get_user_model().objects.filter(username=DEMO_APPROVER).first()
        approved = approve_demo_accounts(approver)
        # The registry closes the issues the new accounts answer (every demo person: set-based).
        closed = recheck_persons(None, user=None, source=DEMO_SOURCE)
        snap = refresh_snapshots(snapshot_days(today))
    return {"accounts": len(new), "approved": approved, "issues_closed": closed, "snapshot_days": snap["days"], "snapshot_rows": snap["rows"],
            "seconds": round(time.perf_counter() - t0, 2)}


def approve_demo_accounts(user=None) -> int:
    """Demo set-up only: the accounts generated or imported without a user (the demo lists, the
    demo history) are approved as the demo approver, in one UPDATE plus one history INSERT."""
    from ansinh.registry.models import AccountApproval

    now = timezone.now()
    pending = PaymentAccount.objects.filter(approval=AccountApproval.PENDING, made_by__isnull=True)
    rows = list(pending.values_list("pk", "person_id", "person__scope_commune_id", "person__province_code"))
    if not rows:
        return 0
    uid = recorded_user(user).pk if recorded_user(user) else None
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), BATCH):
        pending.filter(pk__in=ids[i:i + BATCH]).update(
            approval=AccountApproval.APPROVED, approved_by_id=uid, approved_at=now,
            approval_reason="Dữ liệu mẫu (demo)")
    log_changes([Change("registry.paymentaccount", pk, pid, "approval", AccountApproval.PENDING,
                        AccountApproval.APPROVED, sc, prov) for pk, pid, sc, prov in rows],
                user=user, source="demo", at=now)
    return len(rows)

