"""Reads of the non-cash campaign. Every read starts from `scoped(...)`.

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
import logging
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum

from ansinh.accounts import rules
from ansinh.accounts.models import CoverageSnapshot, Target
from ansinh.core import providers
from ansinh.core.scope import scope_for, scoped
from ansinh.registry.models import Enrolment, IssueStatus, PaymentAccount, Person, PersonStatus, QualityIssue
from ansinh.units.models import OLD_MAP_LAST_DAY, REFORM_DATE, AdminUnit, Level, UnitSuccession

log = logging.getLogger(__name__)

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
    """"Paid without cash" for many months at once: {"YYYY-MM": {scope_commune_id: persons}}
    from reconciled payroll runs (the rule of ansinh.payroll.selectors.noncash_paid_counts, in
    one grouped query over the payroll lines instead of one per month)."""
    try:
        from ansinh.payroll.models import Channel, LineResult, PayrollLine, RunStatus
    except ImportError:
        return {}
    periods = sorted({f"{d:%Y-%m}" for d in days})
    try:
        qs = (PayrollLine.objects.filter(run__period__in=periods, run__status=RunStatus.RECONCILED,
                                         result=LineResult.PAID, channel__in=[Channel.BANK, Channel.EWALLET],
                                         scope_commune__isnull=False)
              .values("run__period", "scope_commune_id").annotate(n=Count("person_id", distinct=True)))
        out: dict[str, dict[int, int]] = defaultdict(dict)
        for r in qs:
            out[r["run__period"]][r["scope_commune_id"]] = r["n"]
    except Exception:  # noqa: BLE001 - the payroll side must not break the coverage page
        log.exception("paid_noncash_by_month(%s) failed", periods)
        return {}
    return out


def add_paid_noncash(rows: list[dict], day: dt.date, paid: dict[int, int] | None = None) -> list[dict]:
    """Add "paid without cash" (reconciled payroll of `day`'s month) to the group rows:
    ansinh.payroll.selectors.noncash_paid_counts(date) -> {scope_commune_id: persons}. The
    count of a scope commune goes to its group row with most beneficiaries (only rows the
    user may see receive a count, so the scope of the rows is the scope of the figure)."""
    for r in rows:
        r["paid_noncash"] = 0
    if paid is None:
        try:
            from ansinh.payroll.selectors import noncash_paid_counts
        except ImportError:
            return rows
        try:
            paid = noncash_paid_counts(day)
        except Exception:  # noqa: BLE001 - the payroll side must not break the coverage page
            log.exception("noncash_paid_counts(%s) failed", day)
            return rows
    if not isinstance(paid, dict) or not paid:
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


def snapshot_days(user=None) -> list[dt.date]:
    """Days computed in the snapshot (those with rows the user may see, when a user is given)."""
    qs = CoverageSnapshot.objects.all() if user is None else scoped(CoverageSnapshot, user)
    return list(qs.order_by("day").values_list("day", flat=True).distinct())


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
    succ = list(UnitSuccession.objects.filter(predecessor_id__in=units.keys()).order_by(
        "-is_default", "kind", "pk").values_list("predecessor_id", "successor_id", "is_default"))
    old_of_new: dict[int, int] = {}
    new_of_old: dict[int, int] = {}
    for pred, succ_id, _default in succ:
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


def rollup(rows: list[dict], day: dt.date, level: str, map_: str, user=None,
           province: str | None = None, idx: UnitIndex | None = None) -> list[UnitCoverage]:
    if level not in LEVELS:
        raise CoverageError(f"level must be one of {', '.join(LEVELS)}")
    if map_ not in MAPS:
        raise CoverageError("map must be old or new")
    scope = scope_for(user) if user is not None else None
    if scope is None or scope.everything:
        provinces = frozenset({province}) if province else frozenset(
            r["province_code"] for r in rows if r["province_code"])
    else:
        provinces = frozenset(scope.province_codes) | frozenset(
            AdminUnit.objects.filter(pk__in=scope.commune_ids).values_list("province_code", flat=True))
        if province:  # a province asked for outside the scope lists nothing (not its units' targets)
            provinces &= {province}
    idx = idx if idx is not None and province is not None else unit_index(provinces)
    commune_ids = None
    if scope is not None and not scope.everything and not scope.province_codes:
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
        add_paid_noncash(rows, d, paid.get(f"{d:%Y-%m}", {}))
        if province:
            rows = [r for r in rows if r["province_code"] == province]
        units = rollup(rows, d, level, map_, user, province, idx=idx)
        if unit_id is not None:
            units = [u for u in units if u.unit.pk == unit_id]
        tot = total(units, d, province)
        tot["day"] = d.isoformat()
        out.append(tot)
    return out


# ----------------------------------------------------------------------------- people without an account

MISSING_LABELS = {
    "no_account": "Chưa có tài khoản",
    "unconfirmed": "Tài khoản chưa được ngân hàng xác nhận",
    "holder_mismatch": "Tên chủ tài khoản không khớp",
    "id_problem": "Thiếu hoặc sai số định danh",
}
def persons_of_unit(user, unit: AdminUnit):
    qs = scoped(Person, user)
    if unit.level == Level.PROVINCE:
        return qs.filter(province_code=unit.province_code)
    if unit.level == Level.DISTRICT:
        return qs.filter(Q(residence_unit__parent=unit))
    if unit.valid_to is None:
        return qs.filter(commune=unit)
    return qs.filter(residence_unit=unit)


def _without_qs(user, unit: AdminUnit, day: dt.date):
    """Active beneficiaries of `unit` on `day` missing something (annotated _acc, _conf, _mm, _id)."""
    acc = PaymentAccount.objects.filter(account_q(day), person=OuterRef("pk"))
    conf = PaymentAccount.objects.filter(account_q(day, confirmed=True), person=OuterRef("pk"))
    mismatch = QualityIssue.objects.filter(person=OuterRef("pk"), status=IssueStatus.OPEN, rule="HOLDER_MISMATCH")
    idp = QualityIssue.objects.filter(person=OuterRef("pk"), status=IssueStatus.OPEN, rule__startswith="ID")
    active = Enrolment.objects.active_in(day).filter(person=OuterRef("pk"))
    return (persons_of_unit(user, unit).filter(alive_q(day)).filter(Exists(active))
            .annotate(_acc=Exists(acc), _conf=Exists(conf), _mm=Exists(mismatch), _id=Exists(idp))
            # no account implies no confirmed account: one account probe per person, not two
            .filter(Q(_conf=False) | Q(_mm=True) | Q(_id=True) | Q(id_number__isnull=True)))


@contextmanager
def no_jit():
    """PostgreSQL's JIT compiles these short, index-driven queries for longer than they run
    (measured: 680 ms of compilation for an 80 ms drill-down query at 1M persons): off for them."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL jit = off")
        yield


def village_table(user, unit: AdminUnit, day: dt.date) -> list[dict]:
    """Per village of a commune on `day`: beneficiaries, with an account, confirmed, share, and
    `unconfirmed` (beneficiaries without a confirmed account). From the village snapshot when
    `day` was computed by the PostgreSQL refresh (a few rows), else one live aggregated query."""
    from ansinh.accounts.models import CoverageVillage

    if unit.level != Level.COMMUNE:
        return []
    key = {"commune": unit} if unit.valid_to is None else {"residence_unit": unit}
    rows = None
    if CoverageVillage.objects.filter(day=day).exists():
        rows = list(scoped(CoverageVillage, user).filter(day=day, **key).order_by().values("village").annotate(
            b=Sum("beneficiaries"), a=Sum("with_account"), c=Sum("confirmed")))
    else:
        acc = PaymentAccount.objects.filter(account_q(day), person=OuterRef("pk"))
        conf = PaymentAccount.objects.filter(account_q(day, confirmed=True), person=OuterRef("pk"))
        active = Enrolment.objects.active_in(day).filter(person=OuterRef("pk"))
        qs = (persons_of_unit(user, unit).filter(alive_q(day)).filter(Exists(active))
              .annotate(_acc=Exists(acc), _conf=Exists(conf)).order_by().values("village")
              .annotate(b=Count("pk"), a=Count("pk", filter=Q(_acc=True)), c=Count("pk", filter=Q(_conf=True))))
        with no_jit():
            rows = list(qs)
    out = [{"village": r["village"] or "", "beneficiaries": r["b"], "with_account": r["a"], "confirmed": r["c"],
            "unconfirmed": r["b"] - r["c"], "share": rules.share(r["a"], r["b"])} for r in rows if r["b"]]
    return sorted(out, key=lambda r: r["village"])


def count_without(user, unit: AdminUnit, day: dt.date, village: str | None = None) -> int:
    """How many people of the unit (of one village) miss something on `day` (people_without)."""
    qs = _without_qs(user, unit, day)
    if village is not None:
        qs = qs.filter(village=village)
    with no_jit():
        return qs.count()


def village_counts(user, unit: AdminUnit, day: dt.date | None = None) -> list[tuple[str, int]]:
    """(village, number of people missing something) for the unit, by village — one aggregated
    query over the unit's persons (live; the drill-down page uses village_table)."""
    day = day or dt.date.today()
    qs = _without_qs(user, unit, day).order_by().values("village").annotate(n=Count("pk"))
    with no_jit():
        return sorted(((r["village"] or "", r["n"]) for r in qs), key=lambda kv: kv[0])


def people_page(user, unit: AdminUnit, day: dt.date, village: str | None, limit: int,
                offset: int = 0) -> tuple[list[dict], int]:
    """One page of people_without and the number of people in all pages. (A window count in
    the page query was measured slower than this separate count: 57 ms against 15 + 29 ms for
    a village of 1,719 persons at 1M.)"""
    return (people_without(user, unit, day, village=village, limit=limit, offset=offset),
            count_without(user, unit, day, village))


def people_without(user, unit: AdminUnit, day: dt.date | None = None, *, village: str | None = None,
                   limit: int | None = None, offset: int = 0) -> list[dict]:
    """Active beneficiaries of `unit` missing something for a non-cash payment on `day`:
    no account, an account not yet confirmed, an open holder-mismatch or ID issue.
    Each: person, village, missing (list of codes), authorised persons. `village` keeps one
    village; `limit`/`offset` give a page (ordered by village, name)."""
    day = day or dt.date.today()
    qs = _without_qs(user, unit, day)
    if village is not None:
        qs = qs.filter(village=village)
    qs = qs.prefetch_related("authorised").order_by("village", "name_key", "pk")
    if limit is not None:
        qs = qs[offset:offset + limit]
    out = []
    with no_jit():
        persons = list(qs)
    for p in persons:
        missing = []
        if not p._acc:
            missing.append("no_account")
        elif not p._conf:
            missing.append("unconfirmed")
        if p._mm:
            missing.append("holder_mismatch")
        if p._id or not p.id_number:  # an open ID_* issue, or no ID number at all
            missing.append("id_problem")
        out.append({"person": p, "village": p.village or "", "missing": missing,
                    "missing_labels": [MISSING_LABELS[m] for m in missing],
                    "authorised": list(p.authorised.all()), "bring": what_to_bring(p, missing)})
    return out


def what_to_bring(person, missing: list[str]) -> str:
    parts = []
    if "no_account" in missing or "id_problem" in missing:
        parts.append("Căn cước (thẻ gắn chip) của đối tượng")
    if "no_account" in missing:
        auth = list(person.authorised.all())
        if auth:
            parts.append("Căn cước và giấy ủy quyền của người được ủy quyền (" +
                         ", ".join(a.full_name for a in auth) + ")")
        else:
            parts.append("Nếu ủy quyền: họ tên, số định danh, căn cước của người được ủy quyền")
    if "unconfirmed" in missing:
        parts.append("Đến ngân hàng/điểm giao dịch để kích hoạt tài khoản")
    if "holder_mismatch" in missing:
        parts.append("Giấy tờ của chủ tài khoản để đối chiếu họ tên")
    return "; ".join(parts)


def group_by_village(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    g: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        g[r["village"]].append(r)
    return sorted(g.items(), key=lambda kv: kv[0])


def unit_by_id(user, pk: int) -> AdminUnit | None:
    """A unit the user may look at (its scope contains it, or a province officer's province)."""
    from ansinh.core.scope import visible_units

    return visible_units(user).filter(pk=pk).first()


# ----------------------------------------------------------------------------- bank lists uploaded

def bank_lists(user):
    """Bank lists uploaded through the web that the user may see, newest first."""
    from ansinh.accounts.models import BankListImport

    return scoped(BankListImport, user).select_related("job", "created_by")


def bank_list_for(user, pk: int):
    return bank_lists(user).filter(pk=pk).first()


# ----------------------------------------------------------------------------- targets page

def targets_for(user):
    """The targets that apply inside the user's scope: the general rows and those of their
    provinces / communes (through scoped())."""
    return (scoped(Target, user) | Target.objects.filter(province_code="", commune__isnull=True)).select_related(
        "commune", "updated_by").order_by("province_code", "commune__code", "due", "pk")


def target_history(user, limit: int = 100):
    from ansinh.accounts.models import TargetChange

    return scoped(TargetChange, user).select_related("commune", "user")[:limit]


def target_communes(user) -> list[AdminUnit]:
    """Communes (both maps) a target may be set for by this user: those of their provinces
    (for an administrator: of the provinces with coverage figures, not the whole country)."""
    scope = scope_for(user)
    qs = AdminUnit.objects.filter(level=Level.COMMUNE)
    if scope.everything:
        qs = qs.filter(province_code__in=CoverageSnapshot.objects.values("province_code").distinct())
    else:
        qs = qs.filter(province_code__in=scope.province_codes)
    return list(qs.order_by("province_code", "valid_to", "code"))


# ----------------------------------------------------------------------------- account approval queue

def mask_account(number: str | None) -> str:
    """An account number shown with its last 4 digits only."""
    n = (number or "").strip()
    return "••••" + n[-4:] if len(n) > 4 else "••••"


def provider_label(account) -> str:
    p = providers.ACCOUNT_PROVIDERS.get(account.provider or "")
    return account.provider_name or (p.short_name if p else "") or account.provider or "?"


def source_label(source: str) -> str:
    from django.utils.translation import gettext as _

    s = source or ""
    if s.startswith("bank:"):
        return _("Danh sách ngân hàng trả về: %(file)s") % {"file": s[5:]}
    if s.startswith("import:"):
        return _("Danh sách xã (lần nhập #%(batch)s)") % {"batch": s[7:]}
    if s.startswith("demo"):
        return _("Dữ liệu mẫu")
    if s == "web":
        return _("Nhập trên web")
    return s


def _account_view(a) -> dict:
    return {"id": a.pk, "provider": provider_label(a), "masked": mask_account(a.account_number),
            "holder": a.get_holder_display(), "holder_name": a.holder_name, "status": a.get_status_display(),
            "approved_at": a.approved_at, "approved_by": a.approved_by}


def pending_accounts(user, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The approval queue of `user`'s scope, oldest first: each pending account with the account
    the person is paid into now (the newest approved usable one, as payroll picks it) beside it,
    who made the change, when and from where, and whether the holder's name matches the person
    or an authorised person. Numbers are masked (last 4 digits)."""
    from ansinh.registry.models import AccountApproval, AuthorisedPerson, usable_account_q

    qs = (scoped(PaymentAccount, user).filter(approval=AccountApproval.PENDING)
          .select_related("person", "person__scope_commune", "made_by__profile").order_by("created", "pk"))
    total = qs.count()
    page = list(qs[offset:offset + limit])
    pids = sorted({a.person_id for a in page})
    current: dict[int, PaymentAccount] = {}
    for a in (scoped(PaymentAccount, user).filter(usable_account_q(), person_id__in=pids)
              .select_related("approved_by__profile")
              .order_by("person_id", "pk")):
        current[a.person_id] = a  # the last one (highest id) wins, as in payroll generation
    auth: dict[int, list[str]] = defaultdict(list)
    for pid, name in scoped(AuthorisedPerson, user).filter(person_id__in=pids).values_list("person_id", "full_name"):
        auth[pid].append(name)
    rows = []
    for a in page:
        p = a.person
        holder_ok = rules.holder_matches(a.holder_name, p.full_name) or any(
            rules.holder_matches(a.holder_name, n) for n in auth.get(p.pk, []))
        old = current.get(p.pk)
        rows.append({"account": a, "new": _account_view(a), "old": _account_view(old) if old else None,
                     "person": p, "holder_ok": holder_ok, "made_by": a.made_by, "created": a.created,
                     "source": source_label(a.source)})
    return rows, total


def pending_count(user) -> int:
    from ansinh.registry.models import AccountApproval

    return scoped(PaymentAccount, user).filter(approval=AccountApproval.PENDING).count()


def account_for(user, pk: int):
    """One payment account inside the user's scope, or None."""
    return scoped(PaymentAccount, user).select_related("person").filter(pk=pk).first()
