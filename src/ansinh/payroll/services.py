"""Payroll writes: generate (set-based INSERT … SELECT), check, approve (maker-checker),
export, reconcile (final per line), result corrections (approved by a second user), cancel;
rates added by administrators; the demo step (ANSINH_DEMO only). Every write checks the
acting user's role and scope here, so the web, the API and the CLI keep the same rules.

Generation computes every amount in SQL: active enrolments × a months series (the period
and its arrears months, each carrying the standard level / social-pension amount in force
from the ``Rate`` table) × the ``Coefficient`` table (age at the paid month). The rules are
those of ansinh.payroll.entitlement: highest coefficient only except 5.4 + 5.5/5.6/5.8;
the higher of TCXH and social pension; care support on top; paid through the death month;
never a month up to the person's ``paid_through`` or already claimed by an active line. An
enrolment without a start month (nor decision date) starts after ``paid_through`` when the
person came with an opening position, else with the run's month (no arrears).
``ON CONFLICT DO NOTHING`` on the partial unique index makes two concurrent runs split the
work instead of paying anyone twice.
"""
from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from ansinh.core import providers
from ansinh.core.jobs import BadInput
from ansinh.core.roles import has_role
from ansinh.core.scope import scope_for
from ansinh.core.services import recorded_user
from ansinh.payroll import entitlement as E
from ansinh.payroll.models import (
    Coefficient,
    CorrectionStatus,
    LineResult,
    PayrollLine,
    PayrollRun,
    Rate,
    RateKind,
    ResultCorrection,
    RunStatus,
)
from ansinh.registry.models import active_in_sql
from ansinh.text.dates import parse_month

ACCOUNT_FAILURE_REASONS = ("account_invalid", "account_closed")  # unpaid for these -> cash next time

# Who may do what (the web, the API and the CLI all go through these checks).
MAKERS = ("commune_officer", "province_officer", "admin")  # generate, regenerate, cancel
APPROVERS = ("approver", "admin")  # approve a run, approve a result correction
CHECKERS = MAKERS + APPROVERS  # check a draft (not its maker)
EXPORTERS = MAKERS + APPROVERS  # export an approved run (never the auditor)
RECONCILERS = MAKERS + APPROVERS  # record the provider's results (not the run's maker)
CORRECTORS = MAKERS + APPROVERS  # request a result correction


class NotAllowed(BadInput):
    """The user may not do this (role, scope): 403 on the web, exit 2 in the CLI."""


class SameUser(NotAllowed):
    """Maker-checker: the checker is the maker, or the run has no recorded maker. The page says
    so (a message), rather than 403: the user may do this to another user's run."""


def _require(user, roles: tuple[str, ...], what: str) -> None:
    if user is None or not getattr(user, "pk", None) or not getattr(user, "is_active", False):
        raise NotAllowed(f"{what}: a named user is required (--as USER)")
    if not has_role(user, *roles):
        raise NotAllowed(f"{what}: user {user.get_username()} does not have the role for this")


def _require_run(user, run: PayrollRun, roles: tuple[str, ...], what: str) -> None:
    """Role and scope: the run must be inside the user's scope (as the pages read it)."""
    _require(user, roles, what)
    if not scope_for(user).covers(run.scope_commune_id, run.province_code):
        raise NotAllowed(f"{what}: run {run.pk} is outside the scope of user {user.get_username()}")


def _lock(run: PayrollRun) -> PayrollRun:
    """Lock the run's row (inside a transaction) and refresh the caller's instance from it."""
    run.refresh_from_db(from_queryset=PayrollRun.objects.select_for_update())
    return run


def _require_not_maker(user, run: PayrollRun, what: str, role: str) -> None:
    if run.generated_by_id is None:
        raise SameUser(f"{what}: run {run.pk} has no recorded maker; regenerate it as a named user")
    if run.generated_by_id == user.pk:
        raise SameUser(f"{what}: the {role} must be a different user from the one who generated run {run.pk}")


def parse_period(text: str) -> str:
    try:
        return parse_month(text)
    except ValueError:
        raise BadInput(f"period: {(text or '').strip()!r} is not YYYY-MM") from None


def ensure_seed_data() -> None:
    """Load the seed rates/coefficients when the tables are empty (e.g. after a test flush)."""
    from ansinh.payroll import seeds

    seeds.load(Rate, Coefficient)


def rate_rows() -> list[E.RateRow]:
    return [E.RateRow(r.kind, r.amount, r.valid_from, r.valid_to, r.province_code) for r in Rate.objects.all()]


def coef_rows() -> list[E.CoefRow]:
    return [E.CoefRow(c.category, c.min_age, c.max_age, c.milli, c.valid_from, c.valid_to)
            for c in Coefficient.objects.all()]


def add_rate(*, kind: str, amount: int, valid_from: dt.date, legal_basis: str, province_code: str = "",
             user=None) -> Rate:
    """A new rate closes the open-ended one of the same kind and province the day before."""
    if kind not in RateKind.values:
        raise BadInput(f"kind: {kind!r} unknown")
    if amount <= 0:
        raise BadInput("amount: must be positive")
    if not legal_basis.strip():
        raise BadInput("legal_basis: required")
    with transaction.atomic():
        Rate.objects.filter(kind=kind, province_code=province_code, valid_to__isnull=True,
                            valid_from__lt=valid_from).update(valid_to=valid_from - dt.timedelta(days=1))
        return Rate.objects.create(kind=kind, amount=amount, valid_from=valid_from, legal_basis=legal_basis.strip(),
                                   province_code=province_code, created_by=user)


# --------------------------------------------------------------------------- SQL helpers

# All SQL here is executed with parameters, so a literal % is written %%.


def _vendor() -> str:
    return connection.vendor


def _ym(expr: str) -> str:
    return f"to_char({expr}, 'YYYY-MM')" if _vendor() == "postgresql" else f"strftime('%%Y-%%m', {expr})"


def _text() -> str:
    return "TEXT"


def _month_idx(expr: str) -> str:
    if _vendor() == "postgresql":
        return f"(CAST(EXTRACT(YEAR FROM {expr}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {expr}) AS INTEGER) - 1)"
    return f"(CAST(strftime('%%Y', {expr}) AS INTEGER) * 12 + CAST(strftime('%%m', {expr}) AS INTEGER) - 1)"


def _scope_sql(run: PayrollRun) -> tuple[str, list]:
    if run.scope_commune_id:
        from ansinh.core.scope import scope_from_units

        ids = sorted(scope_from_units([run.scope_commune]).commune_ids | {run.scope_commune_id})
        return f"p.scope_commune_id IN ({', '.join(['%s'] * len(ids))})", ids
    return "p.province_code = %s", [run.province_code]


def _account_usable_sql() -> str:
    from ansinh.registry.models import PaymentAccount

    names = {f.name for f in PaymentAccount._meta.get_fields()}
    # Maker-checker (issue 11): only an account a second user approved is paid into; a pending or
    # rejected one is skipped, so the person's previous approved account (or cash) is used.
    cond = "a.approval = 'approved' AND a.provider IS NOT NULL AND a.provider <> ''"
    if "status" in names:  # the accounts app may add a status; a closed account is never paid into
        cond += " AND (a.status IS NULL OR a.status NOT IN ('closed', 'rejected'))"
    if "closed_on" in names:
        cond += " AND a.closed_on IS NULL"
    reasons = ", ".join(f"'{r}'" for r in ACCOUNT_FAILURE_REASONS)
    # Uncorrelated (a hashed subplan read once): a correlated probe would also scan the rows being inserted.
    cond += (" AND a.id NOT IN (SELECT f.account_id FROM payroll_payrollline f WHERE f.account_id IS NOT NULL"
             f" AND f.result = 'unpaid' AND f.result_reason IN ({reasons}))")
    return cond


def _first_month(run: PayrollRun, scope_sql: str, scope_params: list) -> str:
    # The earliest month anyone may be owed: max(start, paid_through) per enrolment (the paid_through
    # month itself is excluded later), so a population paid through last month joins one or two months.
    # "YYYY-MM+" stands for the month after YYYY-MM: it sorts after "YYYY-MM" and before the next
    # month, so MIN() finds the first owed month and a population paid through last month joins
    # the run's month only.
    start = (f"COALESCE(NULLIF(e.start_month, ''), {_ym('e.decision_date')}, "
             f"CASE WHEN p.paid_through <> '' THEN '0000-00' ELSE '{run.period}' END)")
    sql = (f"SELECT MIN(CASE WHEN {start} > p.paid_through THEN {start} ELSE p.paid_through || '+' END) "
           f"FROM registry_enrolment e JOIN registry_person p ON p.id = e.person_id "
           f"WHERE e.status = 'active' AND {scope_sql}")
    with connection.cursor() as cur:
        cur.execute(sql, scope_params)
        first = cur.fetchone()[0]
    if first and first.endswith("+"):
        first = E.add_months(first[:7], 1)
    first = min(first or run.period, run.period)
    return max(first, "2000-01")


def _generation_sql(run: PayrollRun, months: list[str]) -> tuple[str, list]:
    rates = rate_rows()
    prov = run.province_code
    month_rows, params = [], []
    for m in months:
        month_rows.append("(%s, %s, %s, %s)")
        params += [m, E.month_index(m), E.rate_for(m, rates, "standard", prov) or 0,
                   E.rate_for(m, rates, "social_pension", prov) or 0]
    coef_values, coef_params = [], []
    for c in Coefficient.objects.all():
        coef_values.append("(%s, %s, %s, %s, %s, %s)")
        coef_params += [c.category, E.ym(c.valid_from), E.ym(c.valid_to) if c.valid_to else "9999-12",
                        -1 if c.min_age is None else c.min_age, 999 if c.max_age is None else c.max_age, c.milli]
    coef_cats = sorted({c.category for c in Coefficient.objects.all()}) or ["-"]
    scope_sql, scope_params = _scope_sql(run)
    cat_in = ", ".join(["%s"] * len(coef_cats))
    per_child = ", ".join(f"'{c}'" for c in E.PER_CHILD)
    period = run.period
    if _vendor() == "postgresql":  # one hashed pass over the accounts
        account_cte = (f"usable AS (SELECT a.person_id, MAX(a.id) AS account_id FROM registry_paymentaccount a"
                       f" WHERE {_account_usable_sql()} GROUP BY a.person_id),")
        account_expr, account_join = "u.account_id", "LEFT JOIN usable u ON u.person_id = ch.person_id"
    else:  # SQLite scans a materialised CTE per row; an indexed probe per line is fast there
        account_cte, account_join = "", ""
        account_expr = (f"(SELECT MAX(a.id) FROM registry_paymentaccount a WHERE a.person_id = ch.person_id"
                        f" AND {_account_usable_sql()})")
    sql = f"""
WITH months(ym, idx, lvl, pension) AS (VALUES {', '.join(month_rows)}),
coefs(category, ym_from, ym_to, min_age, max_age, milli) AS (VALUES {', '.join(coef_values)}),
cand AS (
  SELECT e.person_id, e.programme, e.category, m.ym, m.lvl, m.pension, p.scope_commune_id, p.province_code,
         CASE WHEN e.programme = 'nd176' THEN NULL
              WHEN e.category IN ({per_child}) AND e.coefficient IS NOT NULL
                THEN CAST(ROUND(e.coefficient * 1000) AS INTEGER)
              WHEN e.category IN ({cat_in}) THEN c.milli
              ELSE CAST(ROUND(e.coefficient * 1000) AS INTEGER) END AS milli
  FROM registry_enrolment e
  JOIN registry_person p ON p.id = e.person_id
  -- A month is paid when the enrolment is in force then (the registry's active_in), still active
  -- (WHERE below), and on or after its payable start (a blank start month: the decision's month,
  -- else after the opening position, else the run's month).
  JOIN months m ON m.ym >= COALESCE(NULLIF(e.start_month, ''), {_ym('e.decision_date')},
                                    CASE WHEN p.paid_through <> '' THEN '0000-00' ELSE %s END)
               AND {active_in_sql('m.ym')}
               AND m.ym > p.paid_through
               AND (p.deceased_on IS NULL OR m.ym <= {_ym('p.deceased_on')})
  LEFT JOIN coefs c ON c.category = e.category AND c.ym_from <= m.ym AND c.ym_to >= m.ym
               AND ((p.dob IS NULL AND c.min_age = -1 AND c.max_age = 999)
                    OR (p.dob IS NOT NULL AND (m.idx - {_month_idx('p.dob')}) / 12 >= c.min_age
                        AND (m.idx - {_month_idx('p.dob')}) / 12 < c.max_age))
  WHERE e.status = 'active' AND e.programme IN ('tcxh', 'nd176', 'art20')
    AND (p.status = 'alive' OR p.deceased_on IS NOT NULL) AND {scope_sql}
),
per_prog AS (
  -- One pass, no window: "best category" is the one with the highest coefficient, ties by
  -- category name; (1999999 - milli) || category sorts that way, MIN() picks it.
  SELECT person_id, ym, programme, MAX(scope_commune_id) AS scope_commune_id,
         MAX(province_code) AS province_code, MAX(lvl) AS lvl, MAX(pension) AS pension,
         MAX(milli) AS best, MAX(CASE WHEN category = '5.4' THEN milli END) AS m54,
         MAX(CASE WHEN SUBSTR(category, 1, 3) IN ('5.5', '5.6', '5.8') THEN milli END) AS moth,
         SUBSTR(MIN(CAST(1999999 - milli AS {_text()}) || category), 8) AS best_cat,
         SUBSTR(MIN(CASE WHEN SUBSTR(category, 1, 3) IN ('5.5', '5.6', '5.8')
                         THEN CAST(1999999 - milli AS {_text()}) || category END), 8) AS oth_cat
  FROM cand WHERE milli IS NOT NULL OR programme = 'nd176'
  GROUP BY person_id, ym, programme
),
amounts AS (
  SELECT person_id, ym, programme, scope_commune_id, province_code,
    CASE WHEN programme = 'nd176' THEN 'ND176'
         WHEN programme = 'tcxh' AND m54 IS NOT NULL AND moth IS NOT NULL THEN '5.4+' || oth_cat
         ELSE best_cat END AS category,
    CASE WHEN programme = 'nd176' THEN NULL
         WHEN programme = 'tcxh' AND m54 IS NOT NULL AND moth IS NOT NULL THEN m54 + moth ELSE best END AS milli,
    CASE WHEN programme = 'nd176' THEN pension ELSE lvl END AS lvl,
    CASE WHEN programme = 'nd176' THEN pension
         WHEN programme = 'tcxh' AND m54 IS NOT NULL AND moth IS NOT NULL THEN (lvl * (m54 + moth) + 500) / 1000
         ELSE (lvl * best + 500) / 1000 END AS amount
  FROM per_prog
),
chosen AS (
  SELECT amounts.*, ROW_NUMBER() OVER (
    PARTITION BY person_id, ym, CASE WHEN programme = 'art20' THEN 'care' ELSE 'allowance' END
    ORDER BY amount DESC, programme DESC) AS pick
  FROM amounts WHERE amount > 0
),
{account_cte}
picked AS (
  SELECT ch.*, {account_expr} AS account_id
  FROM chosen ch {account_join}
  WHERE ch.pick = 1 AND NOT EXISTS (
    SELECT 1 FROM payroll_payrollline l WHERE l.person_id = ch.person_id AND l.period_month = ch.ym AND l.active
      AND (l.programme = ch.programme OR (ch.programme IN ('tcxh', 'nd176') AND l.programme IN ('tcxh', 'nd176'))))
)
INSERT INTO payroll_payrollline (run_id, person_id, programme, period_month, category, coefficient_milli, level,
  amount, channel, payee, account_id, provider, provider_name, account_number, holder_name, scope_commune_id,
  province_code, active, result, result_reason, paid_on)
SELECT %s, x.person_id, x.programme, x.ym, x.category, x.milli, x.lvl, x.amount,
  CASE WHEN a.id IS NULL THEN 'cash' WHEN a.provider IN ('{"', '".join(providers.WALLET_CODES)}') THEN 'ewallet' ELSE 'bank' END,
  CASE WHEN a.holder = 'authorised' THEN 'authorised' ELSE 'beneficiary' END,
  a.id, COALESCE(a.provider, '{providers.CASH_CODE}'), COALESCE(a.provider_name, ''), COALESCE(a.account_number, ''),
  COALESCE(a.holder_name, ''), x.scope_commune_id, x.province_code,
  TRUE, 'pending', '', NULL
FROM picked x
LEFT JOIN registry_paymentaccount a ON a.id = x.account_id
WHERE TRUE
ON CONFLICT (person_id, programme, period_month) WHERE active DO NOTHING
"""
    all_params = params + coef_params + coef_cats + [period] + scope_params + [run.pk]
    return sql, all_params


FUNERAL = "funeral"


def _funeral_candidates_sql(run: PayrollRun, scope_sql: str) -> str:
    """Persons whose death is recorded, in a month after the opening position and up to the
    run's month, who were receiving the monthly allowance (Decree 20 Art. 11)."""
    death = _ym("p.deceased_on")
    start = f"COALESCE(NULLIF(e.start_month, ''), {_ym('e.decision_date')}, '0000-00')"
    return (f"FROM registry_person p WHERE p.deceased_on IS NOT NULL AND {death} <= %s"
            f" AND {death} > p.paid_through AND {scope_sql}"
            f" AND EXISTS (SELECT 1 FROM registry_enrolment e WHERE e.person_id = p.id AND e.programme = 'tcxh'"
            f" AND e.status IN ('active', 'suspended', 'terminated') AND {start} <= {death})")


def _fill_funeral(run: PayrollRun, scope_sql: str, scope_params: list) -> int:
    """Funeral support (Decree 20/2021 Art. 11): one line per deceased beneficiary, for the death
    month, of (funeral multiple × standard level in force that month) đồng, in cash to the
    person who organises the funeral. The partial unique index pays it once."""
    cand = _funeral_candidates_sql(run, scope_sql)
    with connection.cursor() as cur:
        cur.execute(f"SELECT MIN({_ym('p.deceased_on')}) {cand}", [run.period, *scope_params])
        first = cur.fetchone()[0]
        if not first:
            return 0
        rates, prov = rate_rows(), run.province_code
        values, params = [], []
        for m in E.months_between(max(first, "2000-01"), run.period):
            lvl, mult = E.rate_for(m, rates, "standard", prov) or 0, E.rate_for(m, rates, "funeral_multiple", prov) or 0
            values.append("(%s, %s, %s)")
            params += [m, lvl, mult]
        cur.execute(f"""
WITH f(ym, lvl, mult) AS (VALUES {', '.join(values)})
INSERT INTO payroll_payrollline (run_id, person_id, programme, period_month, category, coefficient_milli, level,
  amount, channel, payee, account_id, provider, account_number, scope_commune_id, province_code, active, result,
  result_reason, paid_on)
SELECT %s, p.id, '{FUNERAL}', f.ym, '{FUNERAL}', f.mult * 1000, f.lvl, f.mult * f.lvl, 'cash', 'organiser', NULL,
  '{providers.CASH_CODE}', '', p.scope_commune_id, p.province_code, TRUE, 'pending', '', NULL
FROM registry_person p JOIN f ON f.ym = {_ym('p.deceased_on')}
WHERE f.mult > 0 AND f.lvl > 0 AND p.id IN (SELECT p.id {cand})
  AND NOT EXISTS (SELECT 1 FROM payroll_payrollline l WHERE l.person_id = p.id AND l.programme = '{FUNERAL}'
                  AND l.active)
ON CONFLICT (person_id, programme, period_month) WHERE active DO NOTHING""",
                    params + [run.pk, run.period, *scope_params])
        return cur.rowcount


def _fill(run: PayrollRun) -> int:
    scope_sql, scope_params = _scope_sql(run)
    months = E.months_between(_first_month(run, scope_sql, scope_params), run.period)
    sql, params = _generation_sql(run, months)
    with connection.cursor() as cur:
        if _vendor() == "postgresql":  # sorts and hashes in memory (no external merge at 5,000,000)
            cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute(sql, params)
        n = cur.rowcount
    n += _fill_funeral(run, scope_sql, scope_params)
    run.summary = summarize(run)
    run.generated_at = timezone.now()
    run.save(update_fields=["summary", "generated_at"])
    return n


def _overlapping_runs(period: str, commune, province_code: str):
    """Runs of `period` (not cancelled) whose scope overlaps a commune's or a province's run."""
    from django.db.models import Q

    qs = PayrollRun.objects.filter(period=period).exclude(status=RunStatus.CANCELLED)
    if commune is None:
        return qs.filter(province_code=province_code)
    return qs.filter(Q(scope_commune__isnull=True, province_code=commune.province_code) | Q(scope_commune=commune))


def generate(period: str, *, commune=None, province_code: str = "", user=None) -> PayrollRun:
    """A new draft run for `period` over a commune (AdminUnit) or the whole province.

    `user` is the maker: a user with a maker role whose scope covers the commune (or the
    province). Only internal callers (tests, scripts) pass no user; such a run records no
    maker and can never be checked or approved. A run that would have no line (the month is
    already claimed by another run, or nobody is owed anything) is not kept."""
    period = parse_period(period)
    province_code = commune.province_code if commune else province_code
    if not province_code:  # the province is data: never a default
        raise BadInput("a run needs a commune or a province code")
    if user is not None:
        _require(user, MAKERS, "generate")
        scope = scope_for(user)
        inside = scope.covers(commune.pk, province_code) if commune else scope.allows_province(province_code)
        if not inside:
            raise NotAllowed(f"generate: {'commune' if commune else 'province'} outside the scope of user "
                             f"{user.get_username()}")
    ensure_seed_data()
    with transaction.atomic():
        run = PayrollRun.objects.create(period=period, scope_commune=commune, province_code=province_code,
                                        generated_by=recorded_user(user), status=RunStatus.DRAFT)
        _fill(run)
        if not run.summary.get("lines"):  # (the cursor's rowcount is not reliable for ON CONFLICT on SQLite)
            other = _overlapping_runs(period, commune, province_code).exclude(pk=run.pk).order_by("id").first()
            if other is not None:
                msg = (f"period {period}: already has run {other.pk} ({other.status}); nothing is left to pay, "
                       f"no new run was made")
            else:
                msg = f"period {period}: nobody is owed anything in this scope; no run was made"
            raise BadInput(msg)  # leaves the transaction: the run row is rolled back
    return run


def regenerate(run: PayrollRun, user) -> PayrollRun:
    """Throw away a draft's lines and compute them again (one transaction); `user` becomes the maker."""
    _require_run(user, run, MAKERS, "regenerate")
    if run.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
        raise BadInput(f"run {run.pk}: only a draft can be regenerated (status {run.status})")
    with transaction.atomic():
        _lock(run)
        if run.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
            raise BadInput(f"run {run.pk}: only a draft can be regenerated (status {run.status})")
        run.lines.all().delete()
        run.status = RunStatus.DRAFT
        run.generated_by = user
        run.checked_by = None
        run.save(update_fields=["status", "generated_by", "checked_by"])
        _fill(run)
    return run


def cancel(run: PayrollRun, user) -> None:
    _require_run(user, run, MAKERS + APPROVERS, "cancel")
    if run.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
        raise BadInput(f"run {run.pk}: only a draft can be cancelled")
    with transaction.atomic():
        _lock(run)
        if run.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
            raise BadInput(f"run {run.pk}: only a draft can be cancelled")
        run.lines.all().delete()
        run.status = RunStatus.CANCELLED
        run.save(update_fields=["status"])


def summarize(run: PayrollRun) -> dict:
    lines = PayrollLine.objects.filter(run=run)
    tot = lines.aggregate(n=Count("id"), s=Sum("amount"), persons=Count("person_id", distinct=True))

    def by(field):
        return {r[field] or "": {"lines": r["n"], "total_vnd": r["s"] or 0}
                for r in lines.values(field).annotate(n=Count("id"), s=Sum("amount")).order_by(field)}

    return {"lines": tot["n"], "persons": tot["persons"], "total_vnd": tot["s"] or 0,
            "arrears_lines": lines.filter(period_month__lt=run.period).count(),
            "by_channel": by("channel"), "by_category": by("category"), "by_provider": by("provider")}


def check(run: PayrollRun, user) -> PayrollRun:
    """A second user checks a draft (maker-checker, as approval)."""
    _require_run(user, run, CHECKERS, "check")
    _require_not_maker(user, run, "check", "checker")
    with transaction.atomic():
        _lock(run)
        if run.status != RunStatus.DRAFT:
            raise BadInput(f"run {run.pk}: status {run.status}, expected draft")
        run.status, run.checked_by = RunStatus.CHECKED, user
        run.save(update_fields=["status", "checked_by"])
    return run


def approve(run: PayrollRun, user) -> PayrollRun:
    """Maker-checker: an approver in scope, never the user who generated the run (a run with
    no recorded maker cannot be approved)."""
    _require_run(user, run, APPROVERS, "approve")
    _require_not_maker(user, run, "approve", "approver")
    with transaction.atomic():
        _lock(run)
        if run.status not in (RunStatus.DRAFT, RunStatus.CHECKED):
            raise BadInput(f"run {run.pk}: status {run.status}, cannot approve")
        run.status, run.approved_by, run.approved_at = RunStatus.APPROVED, user, timezone.now()
        if run.checked_by_id is None:
            run.checked_by = user
        run.save(update_fields=["status", "approved_by", "approved_at", "checked_by"])
    return run


EXPORTABLE = (RunStatus.APPROVED, RunStatus.EXPORTED, RunStatus.RECONCILED)


def export(run: PayrollRun, out_dir=None, *, user, pdf: bool = True) -> list:
    """Export an approved run: it becomes exported (by a user with an exporting role in scope);
    the provider files are written to `out_dir` when given. Exporting again changes nothing."""
    _require_run(user, run, EXPORTERS, "export")
    with transaction.atomic():
        _lock(run)
        if run.status not in EXPORTABLE:
            raise BadInput(f"run {run.pk}: status {run.status}; approve it before exporting")
        if run.status == RunStatus.APPROVED:
            run.status, run.exported_at = RunStatus.EXPORTED, timezone.now()
            run.save(update_fields=["status", "exported_at"])
    if out_dir is None:
        return []
    from ansinh.core.demo import DEMO_PROVINCE
    from ansinh.payroll import files

    return files.write_all(run, out_dir, pdf=pdf)


def reconcile(run: PayrollRun, result_path, *, user, switch_to_cash: bool = True) -> dict:
    """Mark lines from a provider result file (line_id, status paid|unpaid, reason, paid_date).

    Unpaid lines stop claiming their month, so the next run pays it again as arrears; an
    unpaid line whose reason is an account failure makes later runs use cash (the account is
    skipped by generation). All or nothing: see ``apply_results``."""
    from pathlib import Path

    from ansinh.payroll import files

    _check_reconciler(run, user)
    _check_reconcilable(run)
    rows = files.read_result(result_path)
    return apply_results(run, rows, source=Path(str(result_path)).name, user=user)


def _check_reconciler(run: PayrollRun, user) -> None:
    """Results are recorded by a user with a reconciling role in scope, never the run's maker."""
    _require_run(user, run, RECONCILERS, "reconcile")
    _require_not_maker(user, run, "reconcile", "reconciler")


def _check_reconcilable(run: PayrollRun) -> None:
    if run.status not in (RunStatus.EXPORTED, RunStatus.RECONCILED):
        raise BadInput(f"run {run.pk}: status {run.status}; export it before reconciling")


RESULT_TABLE = "payroll_result_in"


def apply_results(run: PayrollRun, rows: list[dict], *, source: str, user) -> dict:
    """Mark the lines named in `rows` ({row, line_id, status paid|unpaid, reason, paid_date,
    amount or None}) — from a provider result file or from G2P Connect on-disburse callbacks —
    and reconcile the run when no line is pending any more.

    Set-based: the rows go into a temporary table (COPY on PostgreSQL), are checked there
    (a line named twice, a line not in the run, an amount that differs, a line whose result is
    already recorded: the error names the source, row and field) and applied with one
    UPDATE … FROM. One transaction: a bad row changes nothing. A recorded result is final:
    changing it takes an approved ``ResultCorrection``."""
    from django.db import IntegrityError

    _check_reconciler(run, user)
    _check_reconcilable(run)
    try:
        with transaction.atomic():
            _lock(run)
            _check_reconcilable(run)
            with connection.cursor() as cur:
                _load_results(cur, rows)
                try:
                    _check_results(cur, run, source)
                    _update_lines(cur, run)
                finally:
                    cur.execute(f"DROP TABLE IF EXISTS {RESULT_TABLE}")
            return _finish_reconcile(run)
    except IntegrityError:
        raise BadInput(f"{source}: a line reported paid was reported unpaid before and its month is now "
                       f"claimed by a later run; correct that run first") from None


def _load_results(cur, rows: list[dict]) -> None:
    cur.execute(f"DROP TABLE IF EXISTS {RESULT_TABLE}")
    cur.execute(f"CREATE TEMPORARY TABLE {RESULT_TABLE} (rowno integer, line_id bigint, status varchar(8),"
                f" reason varchar(200), paid_on date, amount bigint)")
    data = [(r["row"], r["line_id"], r["status"], r["reason"], r["paid_date"], r["amount"]) for r in rows]
    if _vendor() == "postgresql" and hasattr(cur.cursor, "copy"):
        with cur.cursor.copy(f"COPY {RESULT_TABLE} (rowno, line_id, status, reason, paid_on, amount) FROM STDIN") as cp:
            for d in data:
                cp.write_row(d)
    else:
        cur.executemany(f"INSERT INTO {RESULT_TABLE} VALUES (%s, %s, %s, %s, %s, %s)",
                        [(a, b, c, d, e.isoformat() if e else None, f) for a, b, c, d, e, f in data])
    cur.execute(f"CREATE INDEX {RESULT_TABLE}_line ON {RESULT_TABLE} (line_id)")
    if _vendor() == "postgresql":
        cur.execute(f"ANALYZE {RESULT_TABLE}")


def _check_results(cur, run: PayrollRun, source: str) -> None:
    line_table = PayrollLine._meta.db_table
    cur.execute(f"SELECT line_id, MIN(rowno), MAX(rowno) FROM {RESULT_TABLE} GROUP BY line_id"
                f" HAVING COUNT(*) > 1 ORDER BY 3 LIMIT 1")
    dup = cur.fetchone()
    if dup:
        raise BadInput(f"{source}: row {dup[2]}, line_id: line {dup[0]} is already given in row {dup[1]}")
    cur.execute(f"SELECT t.rowno, t.line_id FROM {RESULT_TABLE} t LEFT JOIN {line_table} l"
                f" ON l.id = t.line_id AND l.run_id = %s WHERE l.id IS NULL ORDER BY t.rowno LIMIT 1", [run.pk])
    unknown = cur.fetchone()
    if unknown:
        raise BadInput(f"{source}: row {unknown[0]}, line_id: line {unknown[1]} is not in run {run.pk}")
    cur.execute(f"SELECT t.rowno, t.line_id, t.amount, l.amount FROM {RESULT_TABLE} t JOIN {line_table} l"
                f" ON l.id = t.line_id WHERE t.amount IS NOT NULL AND t.amount <> l.amount ORDER BY t.rowno LIMIT 1")
    bad = cur.fetchone()
    if bad:
        raise BadInput(f"{source}: row {bad[0]}, amount: {bad[2]} đồng for line {bad[1]}, "
                       f"{bad[3]} đồng in run {run.pk}")
    cur.execute(f"SELECT t.rowno, t.line_id, l.result FROM {RESULT_TABLE} t JOIN {line_table} l"
                f" ON l.id = t.line_id WHERE l.result <> %s ORDER BY t.rowno LIMIT 1", [LineResult.PENDING])
    final = cur.fetchone()
    if final:
        raise BadInput(f"{source}: row {final[0]}, status: line {final[1]} already has a confirmed result "
                       f"({final[2]}); results are final, a change needs an approved correction")


def _update_lines(cur, run: PayrollRun) -> None:
    t = PayrollLine._meta.db_table
    cur.execute(f"""
UPDATE {t} SET result = r.status, result_reason = r.reason,
  paid_on = CASE WHEN r.status = 'paid' THEN r.paid_on END, active = (r.status <> 'unpaid')
FROM {RESULT_TABLE} r WHERE {t}.id = r.line_id AND {t}.run_id = %s AND {t}.result = %s""",
                [run.pk, LineResult.PENDING])


def _finish_reconcile(run: PayrollRun) -> dict:
    """The run's reconciliation report; the run is reconciled when no line is pending."""
    report = reconciliation_report(run)
    run.reconciliation = report
    if report["pending"]["lines"] == 0:
        run.status, run.reconciled_at = RunStatus.RECONCILED, timezone.now()
    run.save(update_fields=["reconciliation", "status", "reconciled_at"])
    return report


def reconciliation_report(run: PayrollRun) -> dict:
    lines = PayrollLine.objects.filter(run=run)

    def agg(qs):
        r = qs.aggregate(n=Count("id"), s=Sum("amount"))
        return {"lines": r["n"], "total_vnd": r["s"] or 0}

    out = {"run": run.pk, "period": run.period, "total": agg(lines)}
    for res in LineResult.values:
        out[res] = agg(lines.filter(result=res))
    out["balanced"] = out["total"]["total_vnd"] == sum(out[r]["total_vnd"] for r in LineResult.values)
    out["by_provider"] = _grouped(lines, "provider")
    out["by_commune"] = _grouped(lines, "scope_commune__code")
    return out


# --------------------------------------------------------------------------- result corrections

def request_correction(line: PayrollLine, *, new_result: str, reason: str, user, new_reason: str = "",
                       paid_on: dt.date | None = None) -> ResultCorrection:
    """Ask to change a confirmed result (paid -> unpaid: the provider reports the payment
    returned; unpaid -> paid: a payment reported failed did arrive). Nothing changes until a
    different user with the approver role approves it (``approve_correction``)."""
    run = line.run
    _require_run(user, run, CORRECTORS, "correction")
    if new_result not in (LineResult.PAID, LineResult.UNPAID):
        raise BadInput(f"new_result: {new_result!r} must be paid or unpaid")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("reason: required (why the recorded result is wrong)")
    if len(reason) > 500:
        raise BadInput("reason: at most 500 characters")
    if new_result == LineResult.PAID and paid_on is None:
        raise BadInput("paid_date: required for a correction to paid")
    from django.db import IntegrityError

    try:
        with transaction.atomic():
            line = PayrollLine.objects.select_for_update().get(pk=line.pk)
            if line.result == LineResult.PENDING:
                raise BadInput(f"line {line.pk}: no result is recorded yet; it is reconciled from the provider's file")
            if line.result == new_result:
                raise BadInput(f"new_result: line {line.pk} is already {new_result}")
            return ResultCorrection.objects.create(
                line=line, old_result=line.result, new_result=new_result, old_reason=line.result_reason,
                new_reason=(new_reason or "").strip()[:200], paid_on=paid_on if new_result == LineResult.PAID else None,
                reason=reason, requested_by=user, scope_commune_id=line.scope_commune_id,
                province_code=line.province_code)
    except IntegrityError:
        raise BadInput(f"line {line.pk}: a correction of this line is already waiting for approval") from None


def _correction_for_update(correction: ResultCorrection) -> ResultCorrection:
    c = ResultCorrection.objects.select_for_update().select_related("line__run").get(pk=correction.pk)
    if c.status != CorrectionStatus.REQUESTED:
        raise BadInput(f"correction {c.pk}: already {c.status}")
    return c


def approve_correction(correction: ResultCorrection, user) -> ResultCorrection:
    """Apply a requested correction: an approver in scope who did not request it. The line's
    claim on its person-month follows the new result; the database refuses a second paid or
    pending line for that month (the correction then stays requested, nothing changes)."""
    from django.db import IntegrityError

    run = correction.line.run
    _require_run(user, run, APPROVERS, "approve correction")
    if correction.requested_by_id == user.pk:
        raise SameUser(f"approve correction: correction {correction.pk} must be approved by a different user "
                         f"from the one who requested it")
    try:
        with transaction.atomic():
            c = _correction_for_update(correction)
            line = PayrollLine.objects.select_for_update().get(pk=c.line_id)
            if line.result != c.old_result:
                raise BadInput(f"correction {c.pk}: line {line.pk} is now {line.result}, not {c.old_result}")
            paid = c.new_result == LineResult.PAID
            PayrollLine.objects.filter(pk=line.pk).update(
                result=c.new_result, active=paid, paid_on=c.paid_on if paid else None,
                result_reason="" if paid else c.new_reason)
            c.status, c.approved_by, c.decided_at = CorrectionStatus.APPROVED, user, timezone.now()
            c.save(update_fields=["status", "approved_by", "decided_at"])
            run = PayrollRun.objects.select_for_update().get(pk=line.run_id)
            run.reconciliation = reconciliation_report(run)
            run.save(update_fields=["reconciliation"])
    except IntegrityError:
        ln = correction.line
        same = list(E.ALLOWANCE_PROGRAMMES) if ln.programme in E.ALLOWANCE_PROGRAMMES else [ln.programme]
        other = (PayrollLine.objects.filter(person_id=ln.person_id, programme__in=same, period_month=ln.period_month,
                                            active=True)
                 .exclude(pk=ln.pk).values_list("run_id", flat=True).first())
        raise BadInput(f"correction {correction.pk}: month {correction.line.period_month} of this person is already "
                       f"paid or pending in run {other}; it cannot be paid twice") from None
    return c


def reject_correction(correction: ResultCorrection, user) -> ResultCorrection:
    run = correction.line.run
    _require_run(user, run, APPROVERS, "reject correction")
    with transaction.atomic():
        c = _correction_for_update(correction)
        c.status, c.rejected_by, c.decided_at = CorrectionStatus.REJECTED, user, timezone.now()
        c.save(update_fields=["status", "rejected_by", "decided_at"])
    return c


def _grouped(lines, field):
    res = {}
    for r in lines.values(field, "result").annotate(n=Count("id"), s=Sum("amount")).order_by(field):
        d = res.setdefault(r[field] or "", {v: {"lines": 0, "total_vnd": 0} for v in LineResult.values})
        d[r["result"]] = {"lines": r["n"], "total_vnd": r["s"] or 0}
    return res


def suspend_uncollected(period: str, user=None) -> int:
    """Circular 02/2021 Art. 2: suspend the active enrolments of persons who collected nothing
    in the runs of 3 consecutive months ending with `period` (unpaid lines, reason
    ``not_collected``, and no paid line in those runs). Keeps the registry history."""
    from django.db.models import Q

    from ansinh.registry.history import set_enrolment_status
    from ansinh.registry.models import Enrolment, EnrolmentStatus

    period = parse_period(period)
    months = [E.add_months(period, -k) for k in range(E.UNCOLLECTED_MONTHS_TO_SUSPEND - 1, -1, -1)]
    lines = PayrollLine.objects.filter(run__period__in=months).exclude(run__status=RunStatus.CANCELLED)
    per = (lines.values("person_id").annotate(
        periods=Count("run__period", distinct=True, filter=Q(result=LineResult.UNPAID,
                                                          result_reason="not_collected")),
        paid=Count("id", filter=Q(result=LineResult.PAID))))
    pids = [r["person_id"] for r in per if r["periods"] == E.UNCOLLECTED_MONTHS_TO_SUSPEND and r["paid"] == 0]
    if not pids:
        return 0
    reason = f"Không nhận trợ cấp 3 tháng liên tục ({E.first_day(months[0]):%m/%Y}–{E.first_day(period):%m/%Y})"
    return set_enrolment_status(Enrolment.objects.filter(person_id__in=pids, status=EnrolmentStatus.ACTIVE),
                                EnrolmentStatus.SUSPENDED, reason=reason, user=user,
                                source=f"payroll:suspend:{period}")


DEMO_PERIOD = "2024-11"


def demo_setup(**kwargs) -> dict:
    """Demo history (ANSINH_DEMO only): November 2024 generated by `tinh`, approved, exported
    and reconciled by `pheduyet` with a generated result file (every 10th line not collected, carried into
    December). December 2024 is left for the demo user (idempotent)."""
    import tempfile
    import time
    from pathlib import Path

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from ansinh.core.demo import DEMO_PROVINCE
    from ansinh.payroll import files

    period = kwargs.get("period", DEMO_PERIOD)
    if not getattr(settings, "ANSINH_DEMO", False):
        return {"payroll": "skipped: demo helpers need ANSINH_DEMO=1"}
    if PayrollRun.objects.filter(period=period, status=RunStatus.RECONCILED).exists():
        return {"payroll": "exists"}
    User = get_user_model()  # noqa: N806
    maker = User.objects.filter(username="tinh").first()
    checker = User.objects.filter(username="pheduyet").first()
    if maker is None or checker is None or maker == checker:
        return {"payroll": "skipped: demo users tinh and pheduyet are needed"}
    t0 = time.perf_counter()
    try:
        run = generate(period, province_code=kwargs.get("province_code", DEMO_PROVINCE), user=maker)
    except BadInput as exc:
        return {"payroll": f"no lines: {exc}"}
    approve(run, checker)
    export(run, user=checker)
    with tempfile.TemporaryDirectory() as d:
        result = Path(d) / "result.csv"
        files.write_demo_result(run, result)
        rep = reconcile(run, result, user=checker)
    return {"payroll_run": run.pk, "period": period, "lines": rep["total"]["lines"], "paid": rep["paid"]["lines"],
            "seconds": round(time.perf_counter() - t0, 1)}


# --------------------------------------------------------------------------- background job

from ansinh.core.jobs import job_kind  # noqa: E402


@job_kind("payroll.generate")
def generate_job(params: dict, progress) -> dict:
    """Web entry: params {period, commune_id | province_code, user_id}."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from ansinh.units.models import AdminUnit

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    unit = AdminUnit.objects.filter(pk=params.get("commune_id")).first() if params.get("commune_id") else None
    progress.set_total(1, "Đang lập bảng chi")
    run = generate(params["period"], commune=unit, province_code=params.get("province_code") or "", user=user)
    return {"run": run.pk, "lines": run.summary.get("lines", 0), "total_vnd": run.summary.get("total_vnd", 0),
            "url": reverse("payroll:run", args=[run.pk])}
