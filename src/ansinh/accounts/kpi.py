"""The non-cash campaign's KPI: coverage of beneficiaries by accounts per unit and day, against
the targets. Every read starts from `scoped(...)`; a user of None sees nothing.

Coverage is computed in two steps:
1. ONE aggregated query (GROUP BY residence unit, current commune, scope commune,
   province) over the scoped persons counting, on the day asked: active beneficiaries
   (an enrolment in force that month, person alive), those with an account registered or
   better (not closed), those with a confirmed/active account, and those paid without cash
   that month. The result has a few rows per commune, whatever the number of persons.
2. A roll-up of those rows in Python onto the units asked for: old map (the old commune:
   the residence unit when it is an old-map commune, else the main predecessor of the
   current commune; its district; the province) or new map (the current commune; the
   province).
The dashboard reads the same group rows from CoverageSnapshot (month ends), so step 2 is
shared and the page does not touch the person table.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from ansinh.accounts import rules
from ansinh.accounts.models import CoverageSnapshot, Target
from ansinh.core.scope import scope_for, scoped, succession_links
from ansinh.payroll.selectors import noncash_paid_by_period, noncash_paid_counts
from ansinh.registry.models import Enrolment, PaymentAccount, Person, PersonStatus
from ansinh.units.models import OLD_MAP_LAST_DAY, REFORM_DATE, AdminUnit, Level

LEVELS = ("commune", "district", "province")
MAPS = ("old", "new")
GROUP_KEYS = ("residence_unit_id", "commune_id", "scope_commune_id", "province_code")


class CoverageError(ValueError):
    pass


def default_map(day: dt.date) -> str:
    return "old" if day < REFORM_DATE else "new"


# ----------------------------------------------------------------------------- conditions on a day

# An enrolment in force in `day`'s month: Enrolment.objects.active_in(day) (ansinh.registry.models).


def alive_q(day: dt.date) -> Q:
    return Q(status=PersonStatus.ALIVE) | Q(deceased_on__gt=day)


def account_q(day: dt.date, confirmed: bool = False) -> Q:
    """An account registered by `day` (or created by then, when no date was kept), not closed."""
    q = (Q(registered_on__lte=day) | Q(registered_on__isnull=True, created__date__lte=day)) & (
        Q(closed_on__isnull=True) | Q(closed_on__gt=day))
    if confirmed:
        q &= Q(confirmed_on__lte=day) | Q(activated_on__lte=day)
    return q


def paid_noncash_by_month(days: list[dt.date]) -> dict[str, dict[int, int]]:
    """"Paid without cash" for the months of `days`: {"YYYY-MM": {scope_commune_id: persons}},
    from ansinh.payroll.selectors.noncash_paid_by_period (one query for all the months)."""
    months = sorted({f"{d:%Y-%m}" for d in days})
    paid = noncash_paid_by_period(months)
    return {m: paid.get(m, {}) for m in months}


def add_paid_noncash(rows: list[dict], day: dt.date, paid: dict[int, int] | None = None) -> list[dict]:
    """Add "paid without cash" (reconciled payroll of `day`'s month) to the group rows:
    ansinh.payroll.selectors.noncash_paid_counts(date) -> {scope_commune_id: persons}. The
    count of a scope commune goes to its group row with most beneficiaries (only rows the
    user may see receive a count, so the scope of the rows is the scope of the figure)."""
    for r in rows:
        r["paid_noncash"] = 0
    if paid is None:
        paid = noncash_paid_counts(day)
    if not paid:
        return rows
    best: dict[int, dict] = {}
    for r in rows:
        sc = r["scope_commune_id"]
        if sc in paid and (sc not in best or r["beneficiaries"] > best[sc]["beneficiaries"]):
            best[sc] = r
    for sc, r in best.items():
        r["paid_noncash"] = int(paid[sc] or 0)
    return rows


def beneficiaries(user, day: dt.date):
    """Scoped persons who are active beneficiaries on `day`."""
    active = Enrolment.objects.active_in(day).filter(person=OuterRef("pk"))
    return scoped(Person, user).filter(alive_q(day)).filter(Exists(active))


def group_rows(user, day: dt.date, with_paid: bool = True) -> list[dict]:
    """Step 1: one aggregated query. Rows: GROUP_KEYS + beneficiaries, with_account, confirmed
    (+ paid_noncash from the payroll)."""
    acc = PaymentAccount.objects.filter(account_q(day), person=OuterRef("pk"))
    conf = PaymentAccount.objects.filter(account_q(day, confirmed=True), person=OuterRef("pk"))
    qs = beneficiaries(user, day).annotate(_acc=Exists(acc), _conf=Exists(conf))
    aggs = {"beneficiaries": Count("pk"), "with_account": Count("pk", filter=Q(_acc=True)),
            "confirmed": Count("pk", filter=Q(_conf=True))}
    rows = list(qs.order_by().values(*GROUP_KEYS).annotate(**aggs))
    return add_paid_noncash(rows, day) if with_paid else rows


def snapshot_rows(user, day: dt.date) -> list[dict] | None:
    """The same rows from the materialised snapshot, or None when `day` was not computed."""
    qs = scoped(CoverageSnapshot, user).filter(day=day)
    if not CoverageSnapshot.objects.filter(day=day).exists():
        return None
    return add_paid_noncash(list(qs.values(*GROUP_KEYS, "beneficiaries", "with_account", "confirmed")), day)


def snapshot_days(user) -> list[dt.date]:
    """Days computed in the snapshot that have rows the user may see."""
    return list(scoped(CoverageSnapshot, user).order_by("day").values_list("day", flat=True).distinct())


# ----------------------------------------------------------------------------- units

@dataclass
class UnitIndex:
    units: dict[int, AdminUnit]
    old_of_new: dict[int, int]   # current commune -> its main old commune
    new_of_old: dict[int, int]   # old commune -> its (main) current commune

    def old_commune(self, residence_id: int | None, commune_id: int | None) -> int | None:
        u = self.units.get(residence_id) if residence_id else None
        if u is not None and u.level == Level.COMMUNE and u.valid_to is not None:
            return u.pk
        cur = commune_id or (u.pk if u is not None and u.valid_to is None else None)
        return self.old_of_new.get(cur) if cur else None

    def new_commune(self, residence_id: int | None, commune_id: int | None) -> int | None:
        if commune_id:
            return commune_id
        u = self.units.get(residence_id) if residence_id else None
        if u is None or u.level != Level.COMMUNE:
            return None
        return u.pk if u.valid_to is None else self.new_of_old.get(u.pk)


_INDEX_CACHE: dict[tuple, tuple[float, UnitIndex]] = {}
CACHE_SECONDS = 30.0  # targets (reference data) are read at most every 30 s per process


def unit_index(province_codes: frozenset[str] | None = None) -> UnitIndex:
    # Keyed on the unit table's identity (max id, count): a reload of the units gives new ids.
    from django.db.models import Max

    ident = AdminUnit.objects.aggregate(m=Max("pk"), n=Count("pk"))
    key = (tuple(sorted(province_codes)) if province_codes is not None else None, ident["m"], ident["n"])
    hit = _INDEX_CACHE.get(key)
    if hit is not None:
        return hit[1]
    qs = AdminUnit.objects.all()
    if province_codes is not None:
        qs = qs.filter(province_code__in=province_codes)
    units = {u.pk: u for u in qs}
    old_of_new: dict[int, int] = {}
    new_of_old: dict[int, int] = {}
    for pred, succ_id in succession_links(units.keys(), forward=True, main_first=True):
        pu = units.get(pred)
        if pu is None or pu.level != Level.COMMUNE:
            continue
        new_of_old.setdefault(pred, succ_id)
        old_of_new.setdefault(succ_id, pred)
    idx = UnitIndex(units, old_of_new, new_of_old)
    if len(_INDEX_CACHE) > 16:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = (time.monotonic(), idx)
    return idx


_TARGETS: list = [0.0, None]


def target_rows() -> list[Target]:
    """All target rows (a few), cached for CACHE_SECONDS."""
    if _TARGETS[1] is None or time.monotonic() - _TARGETS[0] >= CACHE_SECONDS:
        _TARGETS[:] = [time.monotonic(), list(Target.objects.all())]
    return _TARGETS[1]


def clear_caches() -> None:
    _INDEX_CACHE.clear()
    _TARGETS[:] = [0.0, None]


def map_units(idx: UnitIndex, level: str, map_: str, province_codes=None, commune_ids=None) -> list[AdminUnit]:
    """The units listed at `level` on `map_` (inside the given provinces / commune ids)."""
    if map_ == "new" and level == "district":
        raise CoverageError("bản đồ mới (từ 01/07/2025) không còn cấp huyện: dùng --map old")
    day = OLD_MAP_LAST_DAY if map_ == "old" else dt.date.today()
    want = {"commune": Level.COMMUNE, "district": Level.DISTRICT, "province": Level.PROVINCE}[level]
    out = [u for u in idx.units.values() if u.level == want and u.valid_on(day)]
    if province_codes is not None:
        out = [u for u in out if u.province_code in province_codes]
    if commune_ids is not None and level != "province":
        if level == "commune":
            out = [u for u in out if u.pk in commune_ids]
        else:
            parents = {idx.units[c].parent_id for c in commune_ids if c in idx.units}
            out = [u for u in out if u.pk in parents]
    return sorted(out, key=lambda u: u.code)


# ----------------------------------------------------------------------------- targets

def target_points(province_code: str | None = None, commune_id: int | None = None,
                  rows: list[Target] | None = None) -> list[rules.TargetPoint]:
    """Targets for a unit: its own rows if any, else its province's, else the general ones."""
    rows = target_rows() if rows is None else rows
    for pick in (lambda t: commune_id and t.commune_id == commune_id,
                 lambda t: province_code and t.commune_id is None and t.province_code == province_code,
                 lambda t: t.commune_id is None and t.province_code == ""):
        sel = [t for t in rows if pick(t)]
        if sel:
            return [rules.TargetPoint(t.due, _f(t.low), _f(t.high), _f(t.baseline)) for t in sel]
    return []


def _f(v):
    return float(v) if v is not None else None


# ----------------------------------------------------------------------------- coverage

@dataclass
class Counts:
    beneficiaries: int = 0
    with_account: int = 0
    confirmed: int = 0
    paid_noncash: int = 0

    def add(self, r: dict) -> None:
        self.beneficiaries += r["beneficiaries"]
        self.with_account += r["with_account"]
        self.confirmed += r["confirmed"]
        self.paid_noncash += r.get("paid_noncash") or 0


@dataclass
class UnitCoverage:
    unit: AdminUnit
    counts: Counts = field(default_factory=Counts)
    target_low: float | None = None
    target_high: float | None = None

    @property
    def share(self) -> float:
        return rules.share(self.counts.with_account, self.counts.beneficiaries)

    @property
    def band(self) -> str:
        return rules.band(self.share, self.target_low, self.target_high)

    def as_dict(self) -> dict:
        c = self.counts
        return {"code": self.unit.code, "name": self.unit.name, "beneficiaries": c.beneficiaries,
                "with_account": c.with_account, "confirmed": c.confirmed, "paid_noncash": c.paid_noncash,
                "share": self.share, "target_low": self.target_low, "target_high": self.target_high}


def _key_for(idx: UnitIndex, r: dict, level: str, map_: str):
    if level == "province":
        return ("p", r["province_code"])
    c = idx.old_commune(r["residence_unit_id"], r["commune_id"]) if map_ == "old" else \
        idx.new_commune(r["residence_unit_id"], r["commune_id"])
    if c is None:
        return None
    if level == "district":
        u = idx.units.get(c)
        return u.parent_id if u is not None else None
    return c


def rollup(rows: list[dict], day: dt.date, level: str, map_: str, user,
           province: str | None = None, idx: UnitIndex | None = None) -> list[UnitCoverage]:
    """Step 2: the group rows summed onto the units of `level` on `map_` that `user` may see
    (None: no unit)."""
    if level not in LEVELS:
        raise CoverageError(f"level must be one of {', '.join(LEVELS)}")
    if map_ not in MAPS:
        raise CoverageError("map must be old or new")
    scope = scope_for(user)
    if scope.everything:
        provinces = frozenset({province}) if province else frozenset(
            r["province_code"] for r in rows if r["province_code"])
    else:
        provinces = frozenset(scope.province_codes) | frozenset(
            AdminUnit.objects.filter(pk__in=scope.commune_ids).values_list("province_code", flat=True))
        if province:  # a province asked for outside the scope lists nothing (not its units' targets)
            provinces &= {province}
    idx = idx if idx is not None and province is not None else unit_index(provinces)
    commune_ids = None
    if not scope.everything and not scope.province_codes:
        commune_ids = set(scope.commune_ids)
    units = map_units(idx, level, map_, provinces, commune_ids)
    out = {u.pk: UnitCoverage(u) for u in units}
    by_prov = {u.province_code: u.pk for u in units} if level == "province" else {}
    for r in rows:
        k = _key_for(idx, r, level, map_)
        if isinstance(k, tuple):
            k = by_prov.get(k[1])
        if k in out:
            out[k].counts.add(r)
    targets_cache: dict = {}
    rows_t = target_rows()
    for uc in out.values():
        key = (uc.unit.province_code, uc.unit.pk if level == "commune" else None)
        if key not in targets_cache:
            targets_cache[key] = rules.target_in_force(day, target_points(*key, rows=rows_t))
        t = targets_cache[key]
        uc.target_low, uc.target_high = (t.low, t.high) if t else (None, None)
    return list(out.values())


def coverage(user, day: dt.date, level: str = "commune", map_: str | None = None, *,
             province: str | None = None, use_snapshot: bool = False) -> list[UnitCoverage]:
    """Coverage of every unit of `level` on `map_` visible to `user` on `day`."""
    map_ = map_ or default_map(day)
    rows = snapshot_rows(user, day) if use_snapshot else None
    if rows is None:
        rows = group_rows(user, day)
    if province:
        rows = [r for r in rows if r["province_code"] == province]
    return rollup(rows, day, level, map_, user, province)


def total(units: list[UnitCoverage], day: dt.date, province_code: str | None = None) -> dict:
    c = Counts()
    for u in units:
        c.add(u.counts.__dict__)
    t = rules.target_in_force(day, target_points(province_code))
    s = rules.share(c.with_account, c.beneficiaries)
    return {"beneficiaries": c.beneficiaries, "with_account": c.with_account, "confirmed": c.confirmed,
            "paid_noncash": c.paid_noncash, "share": s,
            "confirmed_share": rules.share(c.confirmed, c.beneficiaries),
            "target_low": t.low if t else None, "target_high": t.high if t else None,
            "band": rules.band(s, t.low if t else None, t.high if t else None)}


def series(user, days: list[dt.date], level: str, map_: str, unit_id: int | None = None,
           province: str | None = None) -> list[dict]:
    """One point per day for the unit (or the whole scope): the snapshot rows of all the days
    in one query; a day not in the snapshot is computed live."""
    qs = scoped(CoverageSnapshot, user).filter(day__in=days)
    if province:
        qs = qs.filter(province_code=province)
    by_day: dict[dt.date, list[dict]] = defaultdict(list)
    for r in qs.values("day", *GROUP_KEYS, "beneficiaries", "with_account", "confirmed"):
        by_day[r.pop("day")].append(r)
    computed = set(CoverageSnapshot.objects.filter(day__in=days).values_list("day", flat=True).distinct())
    out = []
    idx = unit_index(frozenset({province})) if province else None  # one unit index for every point
    paid = paid_noncash_by_month(days)  # one payroll query for every point
    for d in days:
        rows = by_day.get(d, []) if d in computed else group_rows(user, d, with_paid=False)
        month_paid = paid.get(f"{d:%Y-%m}", {})
        add_paid_noncash(rows, d, month_paid)
        if province:
            rows = [r for r in rows if r["province_code"] == province]
        units = rollup(rows, d, level, map_, user, province, idx=idx)
        if unit_id is not None:
            units = [u for u in units if u.unit.pk == unit_id]
        tot = total(units, d, province)
        tot["day"] = d.isoformat()
        tot["paid_reported"] = bool(month_paid)  # a reconciled payroll of that month exists (else no figure)
        out.append(tot)
    return out


# ----------------------------------------------------------------------------- map

def map_cells(communes: list[UnitCoverage], map_: str) -> dict:
    """The coverage map: every commune of the provinces of `communes` on `map_` as an
    approximate shape (accounts/mapshapes.py), with the figures of those in `communes` (the
    user's scope); the others are drawn for orientation, by name only. `own` marks the user's
    communes when they are a part of the province (a commune officer's are highlighted)."""
    from ansinh.accounts import mapshapes

    provinces = frozenset(u.unit.province_code for u in communes)
    if not provinces:
        return {"cells": [], "approximate": True, "own": False}
    units = [u for u in map_units(unit_index(provinces), "commune", map_, provinces) if u.lat is not None]
    shapes = mapshapes.cells([(u.pk, u.lat, u.lon) for u in units])
    mine = {u.unit.pk: u for u in communes}
    own = len(mine) < len(units)
    out = []
    for u in units:
        if u.pk not in shapes:
            continue
        cell = {"id": u.pk, "name": u.name, "rings": shapes[u.pk], "lat": u.lat, "lon": u.lon}
        c = mine.get(u.pk)
        if c is not None:
            n = c.counts.beneficiaries
            cell.update(mine=True, beneficiaries=n, with_account=c.counts.with_account,
                        share=c.share if n else None, band=c.band if n else "none")
        out.append(cell)
    return {"cells": out, "approximate": True, "own": own}
