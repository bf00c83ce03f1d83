"""Coverage targets as data: the seed rows, who may edit which, and the edits with their
history (TargetChange)."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ansinh.accounts import rules
from ansinh.core.jobs import BadInput
from ansinh.core.services import recorded_user

SEED_TARGETS = [  # (due, low, high, baseline, label): the province-wide seed (also in migration 0002)
    (dt.date(2024, 1, 1), None, None, "3.04", "Điểm xuất phát đầu năm 2024"),
    (dt.date(2024, 6, 30), "30", "40", None, "Hết quý II/2024"),
    (dt.date(2024, 12, 31), "70", "80", None, "Hết năm 2024"),
]


def ensure_targets() -> int:
    """Create the seed targets that are missing (idempotent); returns how many were created."""
    from decimal import Decimal

    from ansinh.accounts.models import Target

    n = 0
    for due, low, high, base, label in SEED_TARGETS:
        _, created = Target.objects.get_or_create(
            province_code="", commune=None, due=due,
            defaults={"low": Decimal(low) if low else None, "high": Decimal(high) if high else None,
                      "baseline": Decimal(base) if base else None, "label": label})
        n += created
    return n


def can_edit_targets(user, province_code: str = "", commune=None) -> bool:
    """Administrators edit every target; a province officer those of their province (the
    province's own rows and its communes'), not the general ones; no user, none."""
    from ansinh.core.models import Role
    from ansinh.core.roles import has_role
    from ansinh.core.scope import scope_for

    if user is None:  # fail closed
        return False
    if has_role(user, Role.ADMIN):
        return True
    if not has_role(user, Role.PROVINCE_OFFICER):
        return False
    scope = scope_for(user)
    if scope.everything:
        return True
    prov = commune.province_code if commune is not None else province_code
    return bool(prov) and prov in scope.province_codes


def _target_values(t) -> dict:
    return {"due": t.due.isoformat(), "low": str(t.low) if t.low is not None else None,
            "high": str(t.high) if t.high is not None else None,
            "baseline": str(t.baseline) if t.baseline is not None else None, "label": t.label,
            "province_code": t.province_code, "commune_id": t.commune_id}


def save_target(user, *, due: dt.date, low=None, high=None, baseline=None, label: str = "",
                province_code: str = "", commune=None, target=None):
    """Create (target None) or change a coverage target; history in TargetChange (who, when,
    values before and after). Raises BadInput for a wrong range or a scope the user may not edit."""
    from decimal import Decimal

    from ansinh.accounts.models import Target, TargetChange
    from ansinh.accounts.kpi import clear_caches

    def dec(v):
        return None if v is None or v == "" else Decimal(str(v))

    low, high, baseline = dec(low), dec(high), dec(baseline)
    err = rules.check_target(*(float(v) if v is not None else None for v in (low, high, baseline)))
    if err:
        raise BadInput(err)
    if commune is not None:
        province_code = commune.province_code
    if target is not None and not can_edit_targets(user, target.province_code, target.commune):
        raise BadInput("bạn không có quyền sửa mục tiêu này")
    if not can_edit_targets(user, province_code, commune):
        raise BadInput("bạn không có quyền đặt mục tiêu cho phạm vi này")
    clash = Target.objects.filter(province_code=province_code, commune=commune, due=due)
    if target is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise BadInput(f"đã có mục tiêu cho phạm vi này ngày {due:%d/%m/%Y}")
    before = _target_values(target) if target is not None else {}
    t = target or Target()
    t.due, t.low, t.high, t.baseline, t.label = due, low, high, baseline, label[:200]
    t.province_code, t.commune = province_code, commune
    t.updated_at, t.updated_by = timezone.now(), recorded_user(user)
    with transaction.atomic():
        t.save()
        TargetChange.objects.create(target=t, action="update" if before else "create", due=due, low=low, high=high,
                                    baseline=baseline, label=t.label, before=before, province_code=province_code,
                                    commune=commune, user=recorded_user(user), at=t.updated_at)
    clear_caches()
    return t


def delete_target(user, target) -> None:
    from ansinh.accounts.models import TargetChange
    from ansinh.accounts.kpi import clear_caches

    if not can_edit_targets(user, target.province_code, target.commune):
        raise BadInput("bạn không có quyền xóa mục tiêu này")
    with transaction.atomic():
        TargetChange.objects.create(target=None, action="delete", due=target.due, low=target.low, high=target.high,
                                    baseline=target.baseline, label=target.label, before=_target_values(target),
                                    province_code=target.province_code, commune=target.commune, user=recorded_user(user),
                                    at=timezone.now())
        target.delete()
    clear_caches()

