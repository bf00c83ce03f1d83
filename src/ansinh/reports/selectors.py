"""The reports' figures: each report is a selector `(user, period, unit, map) -> Report`, a few
aggregated queries read through ansinh.core.scope.scoped, then rolled up onto the units of the
map asked for. Nothing here writes; the outputs (reports/outputs.py) print any Report.

Definitions are not repeated here, they are read from their homes:
- a beneficiary on a day, "has an account", "account confirmed", the roll-up of rows onto the
  communes and old districts of either map, the target band in force: ansinh.accounts.kpi
  (the coverage dashboard reads the same functions, so the figures are the dashboard's);
- "paid through an account" / "paid in cash": ansinh.payroll.selectors.paid_lines
  (reconciled lines reported paid, by channel), also what the dashboard's paid figure counts.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from ansinh.accounts import kpi, rules
from ansinh.core.scope import scope_for, scoped
from ansinh.payroll import selectors as payroll
from ansinh.reports.periods import Period
from ansinh.units.models import OLD_MAP_LAST_DAY, AdminUnit, Level

TEXT, INT, AMOUNT, PCT = "text", "int", "amount", "pct"
AGE_GROUPS = ((0, 16, "Dưới 16 tuổi"), (16, 60, "Từ 16 đến dưới 60 tuổi"), (60, 75, "Từ 60 đến dưới 75 tuổi"),
              (75, 80, "Từ 75 đến dưới 80 tuổi"), (80, 200, "Từ 80 tuổi trở lên"))


class ReportError(ValueError):
    """A unit or an option that cannot be reported on (one line for the person)."""


class OutOfScope(ReportError):
    """The unit asked for is outside the user's scope."""


@dataclass
class Column:
    key: str
    label: str
    kind: str = INT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict]
    total: dict | None = None

    def as_dict(self) -> dict:
        return {"title": self.title, "columns": [c.key for c in self.columns], "rows": self.rows,
                "total": self.total}


@dataclass
class Report:
    code: str
    title: str
    period: Period
    unit: AdminUnit | None
    unit_label: str
    map: str
    as_of: dt.date
    tables: list[Table]
    figures: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"report": self.code, "title": self.title, "period": self.period.code,
                "period_label": self.period.label, "unit": self.unit.code if self.unit else None,
                "unit_label": self.unit_label, "map": self.map, "as_of": self.as_of.isoformat(),
                "figures": self.figures, "tables": [t.as_dict() for t in self.tables], "notes": self.notes}


# ----------------------------------------------------------------------------- the unit asked for

@dataclass
class Target:
    """Where a report looks: the province (code), the level of its rows, and the units kept."""

    province: str
    unit: AdminUnit | None
    level: str  # rows: "commune" or "district"
    map: str
    keep_ids: frozenset[int] | None = None  # a commune of the other map: its communes on this map


def resolve_unit(user, code: str | None, map_: str, province: str = "", rows: str = "commune") -> Target:
    """The unit of `code` on `map_` (a province, an old district, a commune), checked against the
    user's scope: a commune officer reports on their own commune(s) only. Without a code: the
    user's one commune when their scope is a commune, else the province."""
    from ansinh.core.selectors import province_for

    if map_ not in kpi.MAPS:
        raise ReportError(_("Bản đồ phải là old (trước 01/07/2025) hoặc new"))
    if rows not in ("commune", "district"):
        raise ReportError(_("Dòng của báo cáo: theo xã (commune) hoặc theo huyện cũ (district)"))
    if rows == "district" and map_ != "old":
        raise ReportError(_("Bản đồ mới (từ 01/07/2025) không còn cấp huyện: dùng bản đồ cũ"))
    scope = scope_for(user)
    if scope.is_empty:
        raise OutOfScope(_("Bạn không có phạm vi dữ liệu nào"))
    day = OLD_MAP_LAST_DAY if map_ == "old" else dt.date.today()
    code = (code or "").strip()
    if not code:
        if not scope.everything and not scope.province_codes:
            communes = [u for u in AdminUnit.objects.filter(pk__in=scope.commune_ids, level=Level.COMMUNE)
                        if u.valid_on(day)]
            mine = [u for u in communes if _own_unit(user, u)] or communes
            if len(mine) == 1:
                return Target(mine[0].province_code, mine[0], "commune", map_)
            own = _own_units(user)
            if len(own) != 1:
                raise ReportError(_("Hãy chọn đơn vị báo cáo"))
            # the officer's commune is on the other map: its communes on this one (the succession)
            idx = kpi.unit_index(frozenset({own[0].province_code}))
            keep = frozenset(u.pk for u in communes if _same_commune(idx, u, own[0]))
            return Target(own[0].province_code, own[0], "commune", map_, keep)
        code = province_for(user)
        if not code:
            raise ReportError(_("Hãy chọn tỉnh báo cáo"))
    units = [u for u in AdminUnit.objects.filter(code=code) if u.valid_on(day)]
    if not units:
        raise ReportError(_("Không có đơn vị mã %(code)s trên bản đồ này") % {"code": code[:12]})
    unit = sorted(units, key=lambda u: u.level)[0]
    if unit.level == Level.PROVINCE:
        if not scope.allows_province(unit.province_code):
            raise OutOfScope(_("Đơn vị này nằm ngoài phạm vi của bạn"))
        return Target(unit.province_code, unit, rows, map_)
    if unit.level == Level.DISTRICT:
        if map_ != "old":
            raise ReportError(_("Bản đồ mới (từ 01/07/2025) không còn cấp huyện: dùng bản đồ cũ"))
        if not scope.allows_province(unit.province_code):
            raise OutOfScope(_("Đơn vị này nằm ngoài phạm vi của bạn"))
        return Target(unit.province_code, unit, "commune", map_)
    if not (scope.allows_province(unit.province_code) or unit.pk in scope.commune_ids):
        raise OutOfScope(_("Đơn vị này nằm ngoài phạm vi của bạn"))
    return Target(unit.province_code, unit, "commune", map_)


def _own_units(user) -> list[AdminUnit]:
    from ansinh.core.scope import profile_of

    p = profile_of(user)
    return list(p.scope_units.filter(level=Level.COMMUNE)) if p is not None else []


def _same_commune(idx: kpi.UnitIndex, u: AdminUnit, own: AdminUnit) -> bool:
    """Is `u` (a commune of one map) the commune `own` of the other map (kpi's main links)?"""
    if own.valid_to is None:  # own is current: u an old commune that became it
        return idx.new_of_old.get(u.pk) == own.pk
    return idx.old_of_new.get(u.pk) == own.pk or idx.new_of_old.get(own.pk) == u.pk


def _own_unit(user, unit) -> bool:
    from ansinh.core.scope import profile_of

    p = profile_of(user)
    return p is not None and p.scope_units.filter(pk=unit.pk).exists()


def unit_label(t: Target) -> str:
    return t.unit.name if t.unit is not None else t.province


def _keep(t: Target, idx: kpi.UnitIndex, unit: AdminUnit) -> bool:
    """Is a row unit (a commune or a district of the report's level) inside the report's unit?"""
    if t.keep_ids is not None:
        return unit.pk in t.keep_ids
    if t.unit is None or t.unit.level == Level.PROVINCE:
        return True
    if t.unit.level == Level.DISTRICT:
        return unit.parent_id == t.unit.pk
    return unit.pk == t.unit.pk


def _unit_key(idx: kpi.UnitIndex, r: dict, t: Target):
    """The row unit (id) of a group row: the one mapping of kpi (kpi._key_for)."""
    return kpi._key_for(idx, r, t.level, t.map)


# ----------------------------------------------------------------------------- 1. non-cash progress

PROGRESS_COLUMNS = [
    Column("beneficiaries", N_("Đối tượng đang hưởng")),
    Column("with_account", N_("Có tài khoản")),
    Column("with_account_share", N_("Tỷ lệ có tài khoản (%)"), PCT),
    Column("confirmed", N_("Tài khoản đã xác nhận")),
    Column("confirmed_share", N_("Tỷ lệ đã xác nhận (%)"), PCT),
    Column("paid_noncash", N_("Đã chi qua tài khoản trong kỳ")),
    Column("paid_cash", N_("Đã chi bằng tiền mặt trong kỳ")),
    Column("paid_noncash_share", N_("Tỷ lệ chi qua tài khoản (%)"), PCT),
]


def _shares(d: dict) -> dict:
    b = d.get("beneficiaries") or 0
    d["with_account_share"] = rules.share(d.get("with_account") or 0, b)
    d["confirmed_share"] = rules.share(d.get("confirmed") or 0, b)
    paid = (d.get("paid_noncash") or 0) + (d.get("paid_cash") or 0)
    d["paid_noncash_share"] = rules.share(d.get("paid_noncash") or 0, paid)
    return d


def _paid_by_scope(user, months, channels) -> dict[int, int]:
    """Persons paid by `channels` in `months` per scope commune, the user's scope only."""
    qs = (scoped(payroll.paid_lines(months, channels), user).filter(scope_commune__isnull=False)
          .values("scope_commune_id").annotate(n=Count("person_id", distinct=True)))
    return {r["scope_commune_id"]: r["n"] for r in qs}


def _progress_units(user, t: Target, period: Period, today: dt.date | None = None):
    """(day, units with coverage incl. paid_noncash, cash counts per unit id, group rows)."""
    day = period.as_of(today)
    rows = kpi.group_rows(user, day, with_paid=False)
    rows = [r for r in rows if r["province_code"] == t.province]
    months = period.months()
    cash_rows = [dict(r) for r in rows]
    kpi.add_paid_noncash(rows, day, _paid_by_scope(user, months, payroll.NONCASH_CHANNELS))
    kpi.add_paid_noncash(cash_rows, day, _paid_by_scope(user, months, payroll.CASH_CHANNELS))
    idx = kpi.unit_index(frozenset({t.province}))
    units = [u for u in kpi.rollup(rows, day, t.level, t.map, user, t.province, idx=idx) if _keep(t, idx, u.unit)]
    cash = {u.unit.pk: u.counts.paid_noncash
            for u in kpi.rollup(cash_rows, day, t.level, t.map, user, t.province, idx=idx)}
    return day, units, cash, rows, idx


def _progress_total(units, cash, day: dt.date, province: str) -> dict:
    tot = kpi.total(units, day, province)
    out = {k: tot[k] for k in ("beneficiaries", "with_account", "confirmed", "paid_noncash", "target_low",
                                "target_high", "band")}
    out["paid_cash"] = sum(cash.get(u.unit.pk, 0) for u in units)
    return _shares(out)


def progress(user, period: Period, t: Target, today: dt.date | None = None) -> Report:
    """Non-cash payment progress: per commune (or old district) of the unit, on the period's last
    day, with the totals, the target band in force, the change since the previous period and the
    breakdowns by category, provider and channel, gender, ethnicity and age group."""
    day, units, cash, rows, idx = _progress_units(user, t, period, today)
    prev = period.previous()
    pday, punits, pcash, _r, _i = _progress_units(user, t, prev, today)
    total = _progress_total(units, cash, day, t.province)
    ptotal = _progress_total(punits, pcash, pday, t.province)
    prev_by_unit = {u.unit.pk: u for u in punits}
    table_rows = []
    for u in sorted(units, key=lambda u: u.unit.code):
        d = _shares({"code": u.unit.code, "name": u.unit.name, **{k: getattr(u.counts, k) for k in (
            "beneficiaries", "with_account", "confirmed", "paid_noncash")}, "paid_cash": cash.get(u.unit.pk, 0)})
        p = prev_by_unit.get(u.unit.pk)
        d["with_account_change"] = d["with_account"] - (p.counts.with_account if p else 0)
        d["target"] = _band_text(u.target_low, u.target_high)
        table_rows.append(d)
    change = {k: total[k] - ptotal[k] for k in ("beneficiaries", "with_account", "confirmed", "paid_noncash",
                                                 "paid_cash")}
    change["with_account_share"] = round(total["with_account_share"] - ptotal["with_account_share"], 1)
    level_word = N_("Xã/phường") if t.level == "commune" else N_("Huyện (bản đồ cũ)")
    unit_cols = [Column("code", N_("Mã"), TEXT), Column("name", level_word, TEXT)]
    main = Table(N_("Tiến độ theo đơn vị"), unit_cols + PROGRESS_COLUMNS + [
        Column("with_account_change", N_("Tăng/giảm có tài khoản so với kỳ trước")),
        Column("target", N_("Chỉ tiêu (%)"), TEXT)], table_rows,
        {"code": "", "name": "Tổng cộng", **total, "with_account_change": change["with_account"],
         "target": _band_text(total["target_low"], total["target_high"])})
    summary_rows = [
        {"name": "Kỳ này (" + period.label + ")", **{k: total[k] for k in total}},
        {"name": "Kỳ trước (" + prev.label + ")", **{k: ptotal[k] for k in ptotal}},
        {"name": "Tăng/giảm", **change},
    ]
    summary = Table(N_("Tổng hợp và so sánh với kỳ trước"), [Column("name", "", TEXT)] + PROGRESS_COLUMNS,
                    summary_rows)
    tables = [summary, main] + breakdowns(user, t, period, day, idx, {u.unit.pk for u in units})
    band = total["band"]
    figures = {"as_of": day.isoformat(), "total": total, "previous": {"period": prev.code, **ptotal},
               "change": change, "band": band, "rows": table_rows}
    notes = [
        "Đối tượng đang hưởng, có tài khoản, đã xác nhận: tính tại ngày " + f"{day:%d/%m/%Y}"
        + " theo cùng định nghĩa với trang Độ bao phủ tài khoản (tài khoản đã đăng ký, chưa đóng).",
        "Đã chi qua tài khoản / bằng tiền mặt: số người có dòng chi trả đã đối soát là đã chi trong các "
        "tháng của kỳ, theo kênh (ngân hàng, ví điện tử / tiền mặt).",
        "Tuổi tính theo năm sinh; một người hưởng nhiều diện được tính ở mỗi diện.",
    ]
    return Report("progress", N_("Báo cáo tiến độ chi trả không dùng tiền mặt"), period, t.unit, unit_label(t),
                  t.map, day, tables, figures, notes)


def _band_text(low, high) -> str:
    if low is None and high is None:
        return ""
    f = lambda v: ("%g" % v).replace(".", ",")  # noqa: E731
    return f"{f(low)}–{f(high)}" if low is not None and high is not None else f(low if low is not None else high)


BREAKDOWN_COLUMNS = [Column("label", "", TEXT)] + [c for c in PROGRESS_COLUMNS if c.key in (
    "beneficiaries", "with_account", "with_account_share", "confirmed", "paid_noncash", "paid_cash")]


def breakdowns(user, t: Target, period: Period, day: dt.date, idx, unit_ids: set[int]) -> list[Table]:
    """The columns by category, provider, channel, gender, ethnicity and age group. Persons are
    grouped with the unit keys so the same roll-up keeps only the report's unit."""
    from ansinh.registry.models import Gender, PaymentAccount, active_in_q

    months = period.months()

    def inside(r: dict) -> bool:
        return _unit_key(idx, r, t) in unit_ids

    keys = kpi.GROUP_KEYS
    acc = PaymentAccount.objects.filter(kpi.account_q(day), person=OuterRef("pk"))
    conf = PaymentAccount.objects.filter(kpi.account_q(day, confirmed=True), person=OuterRef("pk"))
    base = kpi.beneficiaries(user, day).filter(province_code=t.province).annotate(_acc=Exists(acc), _conf=Exists(conf))
    aggs = {"beneficiaries": Count("pk", distinct=True), "with_account": Count("pk", filter=Q(_acc=True), distinct=True),
            "confirmed": Count("pk", filter=Q(_conf=True), distinct=True)}

    # paid lines keep their own scope commune; their row unit is the one kpi gives the scope commune
    best = {r["scope_commune_id"]: r for r in _best_rows(user, day, t)}

    def paid(dim: str, channels) -> dict:
        out: dict = defaultdict(int)
        qs = (scoped(payroll.paid_lines(months, channels), user).filter(province_code=t.province)
              .values("scope_commune_id", dim).annotate(n=Count("person_id", distinct=True)))
        for r in qs:
            row = best.get(r["scope_commune_id"])
            if row is not None and inside(row):
                out[r[dim]] += r["n"]
        return out

    def persons(dim: str, qs=None) -> dict:
        out: dict = defaultdict(lambda: defaultdict(int))
        for r in (qs if qs is not None else base).order_by().values(*keys, dim).annotate(**aggs):
            if inside(r):
                for k in aggs:
                    out[r[dim]][k] += r[k]
        return out

    def table(title: str, dim_persons: dict, nc: dict, cs: dict, label, columns=None) -> Table:
        keys_ = sorted(set(dim_persons) | set(nc) | set(cs), key=lambda v: (v is None, str(v)))
        rows = []
        for k in keys_:
            d = dict(dim_persons.get(k, {}))
            d.update(paid_noncash=nc.get(k, 0), paid_cash=cs.get(k, 0), label=label(k), key=k)
            for f in ("beneficiaries", "with_account", "confirmed"):
                d.setdefault(f, 0)
            rows.append(_shares(d))
        tot = {f: sum(r[f] for r in rows) for f in ("beneficiaries", "with_account", "confirmed", "paid_noncash",
                                                      "paid_cash")}
        return Table(title, columns or BREAKDOWN_COLUMNS, rows, _shares({"label": "Tổng cộng", **tot}))

    N, C = payroll.NONCASH_CHANNELS, payroll.CASH_CHANNELS
    tables = []
    # category: the active enrolments' categories (a person in two categories counts in both)
    cat_qs = base.filter(active_in_q(day, "enrolments__")).annotate(_cat=_F("enrolments__category"))
    tables.append(table(N_("Theo diện đối tượng"), persons("_cat", cat_qs), paid("category", N), paid("category", C),
                        lambda k: payroll.category_label(k or "")))
    # provider: accounts by provider (persons), paid lines by provider
    prov = defaultdict(lambda: defaultdict(int))
    acc_qs = (scoped(PaymentAccount.objects.filter(kpi.account_q(day)), user)
              .filter(person__in=base.values("pk")).order_by()
              .values(*[f"person__{k}" for k in keys], "provider")
              .annotate(with_account=Count("person_id", distinct=True),
                        confirmed=Count("person_id", distinct=True, filter=Q(confirmed_on__lte=day) | Q(activated_on__lte=day))))
    for r in acc_qs:
        if inside({k: r[f"person__{k}"] for k in keys}):
            prov[r["provider"]]["with_account"] += r["with_account"]
            prov[r["provider"]]["confirmed"] += r["confirmed"]
    # accounts and payments by provider / channel: no beneficiary count (a beneficiary has no provider)
    by_key = {c.key: c for c in BREAKDOWN_COLUMNS}
    tables.append(table(N_("Theo tổ chức cung ứng dịch vụ chi trả"), prov, paid("provider", N), paid("provider", C),
                        _provider_label, [by_key[k] for k in ("label", "with_account", "confirmed", "paid_noncash",
                                                              "paid_cash")]))
    tables.append(table(N_("Theo kênh chi trả"), {}, paid("channel", N), paid("channel", C),
                        lambda k: payroll.channel_label(k or ""), [by_key[k] for k in ("label", "paid_noncash",
                                                                                         "paid_cash")]))
    genders = dict(Gender.choices)
    tables.append(table(N_("Theo giới tính"), persons("gender"), paid("person__gender", N), paid("person__gender", C),
                        lambda k: str(genders.get(k, _("Chưa ghi")))))
    tables.append(table(N_("Theo dân tộc"), persons("ethnicity"), paid("person__ethnicity", N),
                        paid("person__ethnicity", C), lambda k: k or _("Chưa ghi")))
    # age group: by year of birth (age reached in the year of the report's day)
    by_year = persons("_y", base.annotate(_y=ExtractYear("dob")))
    age = defaultdict(lambda: defaultdict(int))
    for y, d in by_year.items():
        for k, v in d.items():
            age[age_group(day.year - y if y else None)][k] += v
    nc_age, cs_age = defaultdict(int), defaultdict(int)
    for src, dst in ((paid("person__dob__year", N), nc_age), (paid("person__dob__year", C), cs_age)):
        for y, n in src.items():
            dst[age_group(day.year - y if y else None)] += n
    t_age = table(N_("Theo nhóm tuổi"), age, nc_age, cs_age, lambda k: k)
    order = [g[2] for g in AGE_GROUPS] + [_("Chưa ghi năm sinh")]
    t_age.rows.sort(key=lambda r: order.index(r["label"]) if r["label"] in order else 99)
    tables.append(t_age)
    return tables


def _F(path):
    from django.db.models import F

    return F(path)


def age_group(age: int | None) -> str:
    if age is None:
        return _("Chưa ghi năm sinh")
    for lo, hi, label in AGE_GROUPS:
        if lo <= age < hi:
            return label
    return AGE_GROUPS[-1][2]


def _provider_label(code) -> str:
    from ansinh.core import providers

    p = providers.get(code)
    return p.short_name if p else (code or _("Chưa xác định"))


def _best_rows(user, day, t: Target) -> list[dict]:
    """Per scope commune, the group row its paid persons are counted in (kpi.add_paid_noncash's
    rule, applied by that very function to a count of one per scope commune)."""
    rows = [r for r in kpi.group_rows(user, day, with_paid=False) if r["province_code"] == t.province]
    kpi.add_paid_noncash(rows, day, {r["scope_commune_id"]: 1 for r in rows if r["scope_commune_id"]})
    return [r for r in rows if r["paid_noncash"]]


# ----------------------------------------------------------------------------- 2. payroll summary

PAYROLL_COLUMNS = [
    Column("lines", N_("Số dòng")), Column("total_amount", N_("Tổng tiền (đồng)"), AMOUNT),
    Column("paid", N_("Đã chi (dòng)")), Column("paid_amount", N_("Đã chi (đồng)"), AMOUNT),
    Column("unpaid", N_("Chưa chi (dòng)")), Column("unpaid_amount", N_("Chưa chi (đồng)"), AMOUNT),
    Column("pending", N_("Chờ kết quả (dòng)")),
    Column("arrears", N_("Truy lĩnh (dòng)")), Column("arrears_amount", N_("Truy lĩnh (đồng)"), AMOUNT),
    Column("reversed", N_("Bị hoàn trả (dòng)")), Column("reversed_amount", N_("Bị hoàn trả (đồng)"), AMOUNT),
    Column("corrections", N_("Điều chỉnh kết quả đã duyệt")),
]
MONTHLY, CAMPAIGN, FOLLOWUP = "monthly", "campaign", "followup"


def run_kind(campaign_name: str | None, followup_of_id: int | None) -> tuple[str, str]:
    """The kind of a run (monthly, a one-off campaign, a follow-up paying a run's unpaid lines again)
    and the campaign's name ("" for a monthly run): the rows of the table "by kind of run"."""
    if followup_of_id is not None:
        return FOLLOWUP, campaign_name or ""
    return (CAMPAIGN, campaign_name) if campaign_name is not None else (MONTHLY, "")


def run_kind_label(key: tuple[str, str]) -> str:
    kind, name = key
    if kind == MONTHLY:
        return _("Chi trả hằng tháng")
    if kind == CAMPAIGN:
        return _("Đợt chi một lần: %(name)s") % {"name": name}
    return (_("Chi lại dòng chưa chi: %(name)s") % {"name": name}) if name else _("Chi lại dòng chưa chi (hằng tháng)")


def payroll_summary(user, period: Period, t: Target, today: dt.date | None = None) -> Report:
    """Payroll per month of the period: lines and amounts by kind of run (monthly, each one-off
    campaign by name, follow-ups), commune, category and channel; paid, unpaid (carried over into
    a later month as arrears), pending, arrears (months before the run's), reversed (a transfer
    the bank returned after confirming it: payroll/statements.py, the line is unpaid again),
    approved result corrections. Runs cancelled are left out."""
    from ansinh.payroll.models import CorrectionStatus, LineResult, PayrollLine, RunStatus

    months = period.months()
    qs = (scoped(PayrollLine, user).filter(run__period__in=months, province_code=t.province)
          .exclude(run__status=RunStatus.CANCELLED))
    idx = kpi.unit_index(frozenset({t.province}))
    amt = lambda q: Sum("amount", filter=q, default=0)  # noqa: E731
    aggs = {"lines": Count("id"), "total_amount": Sum("amount", default=0),
            "paid": Count("id", filter=Q(result=LineResult.PAID)), "paid_amount": amt(Q(result=LineResult.PAID)),
            "unpaid": Count("id", filter=Q(result=LineResult.UNPAID)),
            "unpaid_amount": amt(Q(result=LineResult.UNPAID)),
            "pending": Count("id", filter=Q(result=LineResult.PENDING)),
            "arrears": Count("id", filter=Q(period_month__lt=_F("run__period"))),
            "arrears_amount": amt(Q(period_month__lt=_F("run__period"))),
            "reversed": Count("id", filter=Q(reversed_on__isnull=False)),
            "reversed_amount": amt(Q(reversed_on__isnull=False))}
    fields = list(aggs) + ["corrections"]

    units = kpi.map_units(idx, t.level, t.map, frozenset({t.province}), _scope_communes(user, idx))
    units = [u for u in units if _keep(t, idx, u)]
    unit_ids = {u.pk for u in units}
    by_unit: dict = defaultdict(lambda: defaultdict(int))
    by_cat: dict = defaultdict(lambda: defaultdict(int))
    by_chan: dict = defaultdict(lambda: defaultdict(int))
    by_month: dict = defaultdict(lambda: defaultdict(int))
    by_kind: dict = defaultdict(lambda: defaultdict(int))
    group = ("run__period", "scope_commune_id", "category", "channel", "run__campaign__name", "run__followup_of_id")
    fixes = {tuple(r[g] for g in group): r["n"] for r in qs.filter(corrections__status=CorrectionStatus.APPROVED)
             .order_by().values(*group).annotate(n=Count("corrections", distinct=True))}
    for r in qs.order_by().values(*group).annotate(**aggs):
        r["corrections"] = fixes.get(tuple(r[g] for g in group), 0)
        u = _commune_row_unit(idx, t, r["scope_commune_id"])
        if u not in unit_ids:
            continue
        for f in fields:
            by_unit[u][f] += r[f]
            by_cat[r["category"]][f] += r[f]
            by_chan[r["channel"]][f] += r[f]
            by_month[r["run__period"]][f] += r[f]
            by_kind[run_kind(r["run__campaign__name"], r["run__followup_of_id"])][f] += r[f]

    def table(title, groups: dict, label, order=None) -> Table:
        keys_ = order if order is not None else sorted(groups, key=str)
        rows = [{"label": label(k), "key": k, **{f: groups.get(k, {}).get(f, 0) for f in fields}} for k in keys_]
        tot = {"label": "Tổng cộng", **{f: sum(r[f] for r in rows) for f in fields}}
        return Table(title, [Column("label", "", TEXT)] + PAYROLL_COLUMNS, rows, tot)

    names = {u.pk: u.name for u in units}
    tables = [
        table(N_("Theo tháng"), by_month, lambda m: f"{m[5:]}/{m[:4]}", months),
        table(N_("Theo loại bảng chi trả"), by_kind, run_kind_label,
              sorted(by_kind, key=lambda k: ([MONTHLY, CAMPAIGN, FOLLOWUP].index(k[0]), k[1]))),
        table(N_("Theo đơn vị"), by_unit, lambda k: names.get(k, ""), [u.pk for u in units]),
        table(N_("Theo diện đối tượng"), by_cat, payroll.category_label),
        table(N_("Theo kênh chi trả"), by_chan, payroll.channel_label),
    ]
    figures = {"total": tables[0].total, "by_month": {m: dict(by_month.get(m, {})) for m in months},
               "by_kind": [{"kind": r["key"][0], "campaign": r["key"][1], **{f: r[f] for f in fields}}
                           for r in tables[1].rows]}
    notes = ["Chưa chi: dòng bên cung ứng báo chưa chi trả; tháng đó được chuyển sang kỳ sau (truy lĩnh).",
             "Truy lĩnh: dòng của một tháng trước tháng của bảng chi trả.",
             "Bị hoàn trả: khoản đã chi nhưng ngân hàng hoàn lại (theo sao kê); dòng đó được tính là chưa chi.",
             "Chi lại dòng chưa chi: bảng chi bổ sung trả lại các dòng của một bảng đã được báo chưa chi; "
             "các dòng này đã được tính là chưa chi ở bảng gốc."]
    return Report("payroll", N_("Báo cáo tổng hợp chi trả"), period, t.unit, unit_label(t), t.map,
                  period.as_of(today), tables, figures, notes)


def _old(idx, unit_id) -> bool:
    u = idx.units.get(unit_id)
    return u is not None and u.valid_to is not None


def _scope_communes(user, idx) -> set[int] | None:
    scope = scope_for(user)
    if scope.everything or scope.province_codes:
        return None
    return set(scope.commune_ids)


# ----------------------------------------------------------------------------- 3. data cleaning

CLEANING_COLUMNS = [
    Column("persons", N_("Đối tượng đang hưởng")), Column("with_id", N_("Có số định danh")),
    Column("with_id_share", N_("Tỷ lệ có số định danh (%)"), PCT),
    Column("ids_proposed", N_("Số định danh đề xuất (trong kỳ)")), Column("ids_accepted", N_("Đề xuất đã chấp nhận (trong kỳ)")),
    Column("dups_found", N_("Cặp nghi trùng phát hiện (trong kỳ)")), Column("dups_decided", N_("Cặp nghi trùng đã quyết định (trong kỳ)")),
    Column("deaths", N_("Người mất ghi nhận (trong kỳ)")), Column("blocking", N_("Lỗi chặn chưa xử lý (cuối kỳ)")),
]


def cleaning(user, period: Period, t: Target, today: dt.date | None = None) -> Report:
    """Data cleaning ("đúng, đủ, sạch, sống") per commune: active beneficiaries and those with an
    ID number on the period's last day; ID proposals made and accepted, duplicate pairs found and
    decided, deaths (date of death) in the period; blocking issues (errors) still open at its end."""
    from ansinh.matching.models import IdProposal, MatchPair, PairStatus, ProposalStatus
    from ansinh.registry.models import IssueStatus, Person, QualityIssue, Severity

    day = period.as_of(today)
    start, end = period.start, period.end
    idx = kpi.unit_index(frozenset({t.province}))
    units = [u for u in kpi.map_units(idx, t.level, t.map, frozenset({t.province}), _scope_communes(user, idx))
             if _keep(t, idx, u)]
    unit_ids = {u.pk for u in units}
    data: dict = defaultdict(lambda: defaultdict(int))

    def add(qs, prefix: str, **aggs):
        vals = [f"{prefix}residence_unit_id", f"{prefix}commune_id", f"{prefix}scope_commune_id"]
        for r in qs.filter(**{f"{prefix}province_code": t.province}).order_by().values(*vals).annotate(**aggs):
            u = _unit_key(idx, {"residence_unit_id": r[vals[0]], "commune_id": r[vals[1]],
                                "scope_commune_id": r[vals[2]], "province_code": t.province}, t)
            if u in unit_ids:
                for k in aggs:
                    data[u][k] += r[k] or 0

    add(kpi.beneficiaries(user, day), "", persons=Count("pk"), with_id=Count("pk", filter=Q(id_number__isnull=False)))
    add(scoped(IdProposal, user).filter(created__date__range=(start, end)), "person__", ids_proposed=Count("pk"))
    add(scoped(IdProposal, user).filter(status=ProposalStatus.ACCEPTED, decided_at__date__range=(start, end)),
        "person__", ids_accepted=Count("pk"))
    add(scoped(MatchPair, user).filter(run__created__date__range=(start, end)), "person_a__", dups_found=Count("pk"))
    add(scoped(MatchPair, user).exclude(status=PairStatus.OPEN).filter(decided_at__date__range=(start, end)),
        "person_a__", dups_decided=Count("pk"))
    add(scoped(Person, user).filter(deceased_on__range=(start, end)), "", deaths=Count("pk"))
    add(scoped(QualityIssue, user).filter(severity=Severity.ERROR, created__date__lte=end).filter(
        Q(status=IssueStatus.OPEN) | Q(resolved_at__date__gt=end)), "person__", blocking=Count("pk"))
    fields = [c.key for c in CLEANING_COLUMNS]
    rows = []
    for u in units:
        d = {"code": u.code, "name": u.name, **{f: data[u.pk].get(f, 0) for f in fields if f != "with_id_share"}}
        d["with_id_share"] = rules.share(d["with_id"], d["persons"])
        rows.append(d)
    tot = {f: sum(r[f] for r in rows) for f in fields if f != "with_id_share"}
    tot["with_id_share"] = rules.share(tot["with_id"], tot["persons"])
    level_word = N_("Xã/phường") if t.level == "commune" else N_("Huyện (bản đồ cũ)")
    table = Table(N_("Tiến độ làm sạch dữ liệu theo đơn vị"),
                  [Column("code", N_("Mã"), TEXT), Column("name", level_word, TEXT)] + CLEANING_COLUMNS, rows,
                  {"code": "", "name": "Tổng cộng", **tot})
    notes = ["Đúng, đủ, sạch, sống: số định danh (đúng), đủ thông tin, không trùng (sạch), còn sống (sống).",
             "Đối chiếu với dữ liệu dân cư được ghi lại qua các đề xuất số định danh và người mất được đánh dấu."]
    return Report("cleaning", N_("Báo cáo tiến độ làm sạch dữ liệu"), period, t.unit, unit_label(t), t.map, day,
                  [table], {"total": tot, "rows": rows}, notes)


# ----------------------------------------------------------------------------- 4. complaints

COMPLAINT_COLUMNS = [
    Column("received", N_("Tiếp nhận trong kỳ")), Column("accepted", N_("Thụ lý trong kỳ")),
    Column("refused", N_("Không thụ lý trong kỳ")),
    Column("answered_in_time", N_("Thụ lý/không thụ lý đúng hạn")), Column("answered_late", N_("Thụ lý/không thụ lý trễ hạn")),
    Column("decided", N_("Giải quyết trong kỳ")),
    Column("decided_in_time", N_("Giải quyết đúng hạn")), Column("decided_late", N_("Giải quyết trễ hạn")),
    Column("in_time_share", N_("Tỷ lệ đúng hạn (%)"), PCT),
    Column("open_end", N_("Đang giải quyết (cuối kỳ)")), Column("overdue_end", N_("Quá hạn (cuối kỳ)")),
]


def complaints(user, period: Period, t: Target, today: dt.date | None = None) -> Report:
    """Complaints, denunciations and feedback of the period by commune, category, channel and
    kind: received, accepted, refused, decided (in time / late) in the period; open and overdue
    on its last day. The due dates are the ones kept on each case (computed by
    complaints/deadlines.py when it was received and accepted); "in time", "open" and "overdue
    on a day" are complaints/selectors.py's (`decided_in_time_q`, `open_on_q`, `overdue_on_q`)."""
    from ansinh.complaints import selectors as cs
    from ansinh.complaints.models import Case, Category, Channel, Kind

    day = period.as_of(today)
    start, end = period.start, min(period.end, day)
    idx = kpi.unit_index(frozenset({t.province}))
    units = [u for u in kpi.map_units(idx, t.level, t.map, frozenset({t.province}), _scope_communes(user, idx))
             if _keep(t, idx, u)]
    unit_ids = {u.pk for u in units}
    within = lambda f: Q(**{f"{f}__range": (start, end)})  # noqa: E731
    decided = within("decided_on")
    # accepted or refused in the period (the first answer; a case is accepted or refused, not both)
    answered = (Q(accepted_on__isnull=False) & within("accepted_on")) | \
        (Q(accepted_on__isnull=True) & within("refused_on"))
    aggs = {"received": Count("id", filter=within("received_on")),
            "accepted": Count("id", filter=within("accepted_on")),
            "refused": Count("id", filter=within("refused_on")),
            "answered_in_time": Count("id", filter=answered & cs.answered_in_time_q()),
            "decided": Count("id", filter=decided),
            "decided_in_time": Count("id", filter=decided & cs.decided_in_time_q()),
            "open_end": Count("id", filter=cs.open_on_q(day)),
            "overdue_end": Count("id", filter=cs.overdue_on_q(day))}
    fields = list(aggs) + ["decided_late", "answered_late"]
    qs = scoped(Case, user).filter(province_code=t.province, received_on__lte=end)
    group = ("scope_commune_id", "category", "channel", "kind")
    by: dict = {g: defaultdict(lambda: defaultdict(int)) for g in ("unit",) + group[1:]}
    for r in qs.order_by().values(*group).annotate(**aggs):
        r["decided_late"] = r["decided"] - r["decided_in_time"]
        r["answered_late"] = r["accepted"] + r["refused"] - r["answered_in_time"]
        u = _commune_row_unit(idx, t, r["scope_commune_id"])
        if u not in unit_ids:
            continue
        for g, k in (("unit", u), ("category", r["category"]), ("channel", r["channel"]), ("kind", r["kind"])):
            for f in fields:
                by[g][k][f] += r[f]

    def with_share(d: dict) -> dict:
        # nothing decided: no share (blank), not 0 %
        d["in_time_share"] = rules.share(d["decided_in_time"], d["decided"]) if d["decided"] else None
        return d

    def table(title, groups: dict, label, order, first: list[Column]) -> Table:
        rows = [with_share({**label(k), "key": k, **{f: groups.get(k, {}).get(f, 0) for f in fields}})
                for k in order]
        tot = with_share({c.key: "" for c in first} | {first[-1].key: "Tổng cộng"}
                         | {f: sum(r[f] for r in rows) for f in fields})
        return Table(title, first + COMPLAINT_COLUMNS, rows, tot)

    level_word = N_("Xã/phường") if t.level == "commune" else N_("Huyện (bản đồ cũ)")
    names = {u.pk: u for u in units}
    lab = [Column("label", "", TEXT)]
    words = lambda choices: (lambda k: {"label": str(dict(choices).get(k, k))})  # noqa: E731
    tables = [
        table(N_("Theo đơn vị"), by["unit"], lambda k: {"code": names[k].code, "name": names[k].name},
              [u.pk for u in units], [Column("code", N_("Mã"), TEXT), Column("name", level_word, TEXT)]),
        table(N_("Theo nội dung"), by["category"], words(Category.choices), Category.values, lab),
        table(N_("Theo hình thức tiếp nhận"), by["channel"], words(Channel.choices), Channel.values, lab),
        table(N_("Theo loại đơn"), by["kind"], words(Kind.choices), Kind.values, lab),
    ]
    total = {k: v for k, v in tables[0].total.items() if k not in ("code", "name")}
    figures = {"as_of": day.isoformat(), "total": total,
               "rows": [{k: v for k, v in r.items() if k != "key"} for r in tables[0].rows]}
    notes = ["Tiếp nhận, thụ lý, không thụ lý, giải quyết: theo ngày ghi trên đơn, trong kỳ. Đúng hạn: giải quyết "
             "không muộn hơn hạn giải quyết tính theo Luật Khiếu nại 2011, Luật Tố cáo 2018, Thông tư 05/2021/TT-TTCP "
             "(hạn được tính khi tiếp nhận và thụ lý đơn). Thụ lý hoặc không thụ lý đúng hạn: không muộn hơn hạn "
             "thụ lý ghi trên đơn.",
             "Đang giải quyết, quá hạn: tại ngày " + f"{day:%d/%m/%Y}" + " (quá hạn thụ lý hoặc quá hạn giải quyết)."]
    return Report("complaints", N_("Báo cáo tình hình tiếp nhận, giải quyết đơn thư"), period, t.unit, unit_label(t),
                  t.map, day, tables, figures, notes)


def _commune_row_unit(idx, t: Target, sc_id):
    """The row unit (id) of a row filed under scope commune `sc_id` (either map)."""
    return _unit_key(idx, {"residence_unit_id": sc_id, "commune_id": None if _old(idx, sc_id) else sc_id,
                           "scope_commune_id": sc_id, "province_code": t.province}, t)


# ----------------------------------------------------------------------------- the catalogue

@dataclass(frozen=True)
class Entry:
    code: str
    title: str
    description: str
    selector: object  # (user, period, target) -> Report; None: a link to another page
    url_name: str = ""


def catalogue() -> list[Entry]:
    """The reports, in the order of the catalogue page (the outreach results are a page of their own)."""
    return [
        Entry("progress", N_("Tiến độ chi trả không dùng tiền mặt"),
              N_("Đối tượng, có tài khoản, đã xác nhận, đã chi qua tài khoản và bằng tiền mặt; so với chỉ tiêu và kỳ "
                "trước; theo xã hoặc huyện cũ, diện, tổ chức chi trả, kênh, giới tính, dân tộc, nhóm tuổi."), progress),
        Entry("payroll", N_("Tổng hợp chi trả"),
              N_("Theo tháng, loại bảng chi (hằng tháng, đợt chi một lần, chi lại), đơn vị, diện, kênh: số dòng và "
                "số tiền đã chi, chưa chi, chờ kết quả, truy lĩnh, bị hoàn trả, điều chỉnh."), payroll_summary),
        Entry("cleaning", N_("Tiến độ làm sạch dữ liệu"),
              N_("Đúng, đủ, sạch, sống: số định danh, đề xuất số định danh, trùng lặp, người mất, lỗi chưa xử lý."),
              cleaning),
        Entry("complaints", N_("Đơn thư"),
              N_("Khiếu nại, tố cáo, kiến nghị: tiếp nhận, thụ lý, giải quyết đúng hạn, quá hạn; theo xã, nội dung, "
                "hình thức tiếp nhận, loại đơn."), complaints),
        Entry("outreach", N_("Kết quả tuyên truyền"),
              N_("Tổng hợp báo cáo của các đơn vị tuyên truyền (tệp .xlsx, .docx trên trang tổng hợp)."), None,
              "outreach:summary"),
    ]


def entry(code: str) -> Entry | None:
    return next((e for e in catalogue() if e.code == code and e.selector is not None), None)


def build(code: str, user, period: Period, unit_code: str | None, map_: str | None = None, rows: str = "commune",
          province: str = "", today: dt.date | None = None, outside: bool = False) -> Report:
    """The report `code` for the period and unit, checked against the user's scope; `outside`:
    marked for outside the department (small counts of sensitive categories suppressed)."""
    e = entry(code)
    if e is None:
        raise ReportError(_("Không có báo cáo %(code)s") % {"code": code[:20]})
    map_ = map_ or kpi.default_map(period.as_of(today))
    t = resolve_unit(user, unit_code, map_, province, rows)
    report = e.selector(user, period, t, today=today)
    return suppress_sensitive(report) if outside else report


# ----------------------------------------------------------------------------- outside the department

from ansinh.core.masking import SENSITIVE_CATEGORIES as SENSITIVE  # noqa: E402 (HIV, disability: one home)
SMALL = 5


def sensitive(category: str | None) -> bool:
    from ansinh.registry.categories import base_code

    return any(base_code(c) in SENSITIVE for c in (category or "").split("+") if c)


HIDDEN = "x"  # a cell hidden only so that a "<5" cannot be worked out (complementary suppression)


def cells_to_hide(counts: dict, primary: set) -> tuple[set, bool]:
    """Complementary suppression of one column with a total row (pure). `counts`: row key → count
    (the column's cells; the total is their sum); `primary`: the rows hidden as "<5". Returns (the
    rows to hide, whether the total must be hidden too). The hidden rows' sum is the total minus the
    rows shown, so a single hidden cell is given away, and two hidden cells summing to 2 are 1 and 1:
    the next smallest non-zero rows are hidden too until at least two are hidden and they sum to
    2 × SMALL or more; when the rows run out first, the total is hidden as well.

    Worked example: HIV 3 (primary), disabled 40, elderly 120, orphan 7, total 170 → the orphan row
    (7, the next smallest) is hidden too: 170 − 40 − 120 = 10 = HIV + orphan, neither given away."""
    hidden = {k for k in primary if counts.get(k)}
    if not hidden:
        return hidden, False
    others = sorted((n, str(k), k) for k, n in counts.items() if k not in hidden and n)
    total = sum(counts[k] for k in hidden)
    for n, _key, k in others:
        if len(hidden) >= 2 and total >= 2 * SMALL:
            break
        hidden.add(k)
        total += n
    return hidden, not (len(hidden) >= 2 and total >= 2 * SMALL)


def suppress_sensitive(report: Report) -> Report:
    """A report marked for outside the department: in the category tables, a row of a sensitive
    category (HIV, disability) whose count is 1 to 4 shows "<5" for its counts and nothing for
    its amounts and shares (they would give the count away); the next smallest row is hidden too
    ("x", cells_to_hide) so that the total minus the other rows does not give it away either."""
    for t in report.tables:
        if t.title != "Theo diện đối tượng":
            continue
        first = next(c.key for c in t.columns if c.kind == INT)
        primary = {i for i, r in enumerate(t.rows) if sensitive(r.get("key")) and 0 < (r.get(first) or 0) < SMALL}
        if not primary:
            continue
        hide, hide_total = cells_to_hide({i: r.get(first) or 0 for i, r in enumerate(t.rows)}, primary)
        for i in sorted(hide):
            r = t.rows[i]
            for c in t.columns:
                if c.kind == INT:
                    # every count of a hidden row, zeros too: a 0 shown beside an "x" would give the "x" away
                    r[c.key] = "<5" if i in primary else HIDDEN
                elif c.kind in (AMOUNT, PCT):
                    r[c.key] = ""
        if hide_total and t.total:
            for c in t.columns:
                if c.kind == INT:
                    n = t.total.get(c.key) or 0
                    t.total[c.key] = "<5" if 0 < n < SMALL else (HIDDEN if n else 0)
                elif c.kind in (AMOUNT, PCT):
                    t.total[c.key] = ""
    report.figures["outside"] = True
    report.notes.append("Báo cáo gửi ra ngoài ngành: số dưới 5 của các diện nhạy cảm (HIV, khuyết tật) được ẩn "
                        "(\"<5\"); một dòng khác nhỏ nhất cũng được ẩn (\"x\") để không suy ra được từ tổng.")
    return report
