"""One-off payment campaigns: create one (a province officer), and generate its runs (one
set-based INSERT … SELECT, tested equal to the pure rule ``campaign_rules.campaign_due``).

A campaign's run is an ordinary ``PayrollRun`` (``campaign`` set, period = the month its pay
window opens) with ordinary lines (programme ``campaign``): the same maker-checker
(payroll.approval), files and VietQR (payroll.files, with the campaign's name on every file),
reconciliation and corrections (payroll.reconcile, payroll.corrections) and scope
(payroll.access) as the monthly runs. A person is paid at most once per campaign: the partial
unique index ``payroll_line_campaign_once`` on (person, campaign) over the claiming lines; the
generations of one campaign take its row lock (``lock_campaign``), so a second one waits and pays
only whoever the first did not.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import connection, transaction

from ansinh.core.jobs import BadInput, job_kind
from ansinh.core.scope import scope_for
from ansinh.core.services import recorded_user
from ansinh.payroll import campaign_rules as R
from ansinh.payroll import entitlement as E
from ansinh.payroll.access import CAMPAIGN_EDITORS, NotAllowed, require, require_maker
from ansinh.payroll.models import CAMPAIGN_PROGRAMME, AmountKind, Campaign, PayrollLine, PayrollRun, RunStatus
from ansinh.payroll.rates import ensure_seed_data, rate_rows
from ansinh.registry.models import Programme, active_in_sql

MAX_AMOUNT = 100_000_000  # đồng per person: a typo guard (a one-off payment is never this much)


# --------------------------------------------------------------------------- create

def known_codes() -> set[str]:
    from ansinh.registry.categories import CATEGORIES, COEFFICIENTS

    return set(CATEGORIES) | {c[0] for c in COEFFICIENTS}


def _check_code(code: str, what: str) -> str:
    code = (code or "").strip()
    if not code or not any(R.covers(code, k) for k in known_codes()):
        raise BadInput(f"{what}: {code[:40]!r} is not a category code (e.g. 5.5c, 5.6, 5.6-severe, ND176)")
    return code


def _check_amount(n, what: str) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > MAX_AMOUNT:
        raise BadInput(f"{what}: {n!r} is not a whole number of đồng between 0 and {MAX_AMOUNT:,}".replace(",", "."))
    return n


def create_campaign(*, user, name: str, decision_number: str, reference_date: dt.date,
                    decision_date: dt.date | None = None, amount: int = 0,
                    category_amounts: Mapping[str, int] | None = None, level_milli: int | None = None,
                    programmes: list[str] | None = None, categories: list[str] | None = None,
                    min_age: int | None = None, max_age: int | None = None, pay_from: dt.date | None = None,
                    pay_to: dt.date | None = None, province_code: str = "", commune=None) -> Campaign:
    """A new campaign of the province (`commune`: only the persons of that commune). The amount is
    per category when `category_amounts` is given (`amount` for the others, 0 = not paid), a
    multiple of the standard level when `level_milli` is (1500 = 1.5 ×), else `amount` for
    everyone. Decision date defaults to the reference date, the pay window to 30 days from it."""
    require(user, CAMPAIGN_EDITORS, "campaign")
    province_code = commune.province_code if commune is not None else province_code
    if not province_code:
        raise BadInput("a campaign needs a province (--province) or a commune")
    scope = scope_for(user)
    if not (scope.covers(commune.pk, province_code) if commune is not None else scope.allows_province(province_code)):
        raise NotAllowed(f"campaign: outside the scope of user {user.get_username()}")
    name, decision_number = (name or "").strip(), (decision_number or "").strip()
    if not name:
        raise BadInput("name: required (e.g. Quà Tết Nguyên đán Giáp Thìn 2024)")
    if len(name) > 200:
        raise BadInput("name: at most 200 characters")
    if not decision_number:
        raise BadInput("decision: the number of the decision that grants it is required")
    if len(decision_number) > 100:
        raise BadInput("decision: at most 100 characters")
    programmes = list(programmes) if programmes else ["tcxh", "nd176"]
    for p in programmes:
        if p not in Programme.values:
            raise BadInput(f"programme: {p!r} must be one of {', '.join(Programme.values)}")
    categories = [_check_code(c, "category") for c in (categories or [])]
    amounts = {_check_code(k, "category"): _check_amount(v, f"amount of {k}") for k, v in (category_amounts or {}).items()}
    _check_amount(amount, "amount")
    if level_milli is not None:
        kind = AmountKind.LEVEL_MULTIPLE
        if amounts:
            raise BadInput("level: give either a multiple of the standard level or amounts per category")
        if not 0 < level_milli <= 100_000:
            raise BadInput("level: the multiple of the standard level must be above 0 and at most 100")
    elif amounts:
        kind = AmountKind.PER_CATEGORY
    else:
        kind = AmountKind.FIXED
        if amount <= 0:
            raise BadInput("amount: the amount per person (đồng) is required")
    for n, label in ((min_age, "min age"), (max_age, "max age")):
        if n is not None and not 0 <= n <= 150:
            raise BadInput(f"{label}: {n} is not an age")
    if min_age is not None and max_age is not None and min_age >= max_age:
        raise BadInput("age: the minimum must be below the maximum")
    pay_from = pay_from or reference_date
    pay_to = pay_to or pay_from + dt.timedelta(days=30)
    if pay_to < pay_from:
        raise BadInput("pay window: it ends before it starts")
    return Campaign.objects.create(
        name=name, decision_number=decision_number, decision_date=decision_date or reference_date,
        reference_date=reference_date, programmes=programmes, categories=categories, min_age=min_age,
        max_age=max_age, amount_kind=kind, amount=amount, category_amounts=amounts, level_milli=level_milli,
        pay_from=pay_from, pay_to=pay_to, province_code=province_code, scope_commune=commune,
        created_by=recorded_user(user))


def spec(c: Campaign) -> R.CampaignSpec:
    """The campaign as the pure rule reads it."""
    return R.CampaignSpec(reference_date=c.reference_date, programmes=tuple(c.programmes or ()),
                          categories=tuple(c.categories or ()), min_age=c.min_age, max_age=c.max_age,
                          amount_kind=c.amount_kind, amount=c.amount,
                          category_amounts=dict(c.category_amounts or {}), level_milli=c.level_milli)


# --------------------------------------------------------------------------- generate

def generate(campaign: Campaign, *, commune=None, user=None) -> PayrollRun:
    """A draft run of the campaign over the campaign's scope (or one commune of it), made by
    `user` (a maker in scope). Nobody already paid (or pending) in this campaign is taken
    again; a run that would have no line is not kept."""
    if commune is not None and commune.province_code != campaign.province_code:
        raise BadInput(f"campaign {campaign.pk}: the commune is not in the campaign's province")
    if user is not None:
        require_maker(user, commune or campaign.scope_commune, campaign.province_code)
    from ansinh.payroll.generate import _fill

    ensure_seed_data()
    from ansinh.core.db import refresh_statistics
    from ansinh.registry.models import Enrolment, PaymentAccount, Person

    # a province's lists imported minutes ago must not be planned as empty tables (core/db.py)
    refresh_statistics(Person, Enrolment, PaymentAccount, PayrollLine)
    with transaction.atomic():
        lock_campaign(campaign)
        run = PayrollRun.objects.create(period=campaign.period, campaign=campaign, scope_commune=commune,
                                        province_code=campaign.province_code, generated_by=recorded_user(user),
                                        status=RunStatus.DRAFT)
        _fill(run)
        if not run.summary.get("lines"):
            other = (PayrollRun.objects.filter(campaign=campaign).exclude(pk=run.pk)
                     .exclude(status=RunStatus.CANCELLED).order_by("id").first())
            if other is not None:
                raise BadInput(f"campaign {campaign.pk}: already has run {other.pk} ({other.status}); nobody is left "
                               f"to pay, no new run was made")
            raise BadInput(f"campaign {campaign.pk}: nobody is eligible in this scope; no run was made")
    return run


def lock_campaign(campaign: Campaign) -> None:
    """Hold the campaign's row until the transaction ends: one writer of its lines at a time (a
    second generation, or a follow-up of one of its runs, waits, then sees the first one's lines)."""
    Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True).first()


def _month_idx_sql(expr: str) -> str:
    from ansinh.payroll.generate import _month_idx

    return _month_idx(expr)


def lines_sql(run: PayrollRun) -> tuple[str, list]:
    """The INSERT … SELECT of a campaign run's lines (``campaign_rules.campaign_due`` set-based)."""
    from ansinh.payroll.access import commune_sql
    from ansinh.payroll.generate import ACCOUNT_COLUMNS, _account_usable_sql, account_choice_sql

    c = run.campaign
    s = spec(c)
    month = s.month  # from a date: safe to write into the statement
    params: list = []
    # the amount of one enrolment
    if s.amount_kind == R.PER_CATEGORY:
        whens = []
        for code in sorted(s.category_amounts, key=len, reverse=True):  # the most specific code first
            whens.append("WHEN SUBSTR(e.category, 1, %s) = %s THEN %s")
            params += [len(code), code, int(s.category_amounts[code])]
        amt = f"CASE {' '.join(whens)} ELSE %s END"
        params.append(int(s.amount))
        level_sql, milli_sql = "x.amt", "NULL"
    elif s.amount_kind == R.LEVEL_MULTIPLE:
        level = E.rate_for(month, rate_rows(), "standard", c.province_code) or 0
        amt = "%s"
        params.append(E.amount(level, s.level_milli or 0))
        level_sql, milli_sql = str(int(level)), str(int(s.level_milli or 0))
    else:
        amt = "%s"
        params.append(int(s.amount))
        level_sql, milli_sql = "x.amt", "NULL"
    next_month = E.first_day(E.add_months(month, 1))
    from ansinh.payroll.generate import UNMAPPED_HELD_SQL

    conds = [UNMAPPED_HELD_SQL, active_in_sql(f"'{month}'"), "(e.start_month <> '' OR e.decision_date IS NULL OR e.decision_date < %s)"]
    params.append(next_month)
    if s.programmes:
        conds.append(f"e.programme IN ({', '.join(['%s'] * len(s.programmes))})")
        params += list(s.programmes)
    if s.categories:
        conds.append("(" + " OR ".join(["SUBSTR(e.category, 1, %s) = %s"] * len(s.categories)) + ")")
        for code in s.categories:
            params += [len(code), code]
    conds.append("((p.deceased_on IS NULL AND p.status = 'alive') OR p.deceased_on > %s)")
    params.append(c.reference_date)
    if s.min_age is not None or s.max_age is not None:
        ref = E.month_index(month)
        age = f"(({ref} - {_month_idx_sql('p.dob')}) / 12)"
        conds.append(f"p.dob IS NOT NULL AND {_month_idx_sql('p.dob')} <= {ref}")
        if s.min_age is not None:
            conds.append(f"{age} >= %s")
            params.append(s.min_age)
        if s.max_age is not None:
            conds.append(f"{age} < %s")
            params.append(s.max_age)
    for unit in (c.scope_commune, run.scope_commune):
        if unit is not None:
            sql, ids = commune_sql(unit)
            conds.append(sql)
            params += ids
    conds.append("p.province_code = %s")
    params.append(c.province_code)
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    if s.amount_kind == R.PER_CATEGORY:  # the category giving the highest amount, ties: the first code
        category = f"SUBSTR(MIN(CAST(999999999999 - amt AS TEXT) || category{collate}), 13)"
    else:
        category = f"MIN(category{collate})"
    head = f"""
WITH elig AS (
  SELECT e.person_id, p.scope_commune_id, p.province_code, e.category, {amt} AS amt
  FROM registry_enrolment e JOIN registry_person p ON p.id = e.person_id
  WHERE {' AND '.join(conds)}
),
per AS (
  SELECT person_id, MAX(scope_commune_id) AS scope_commune_id, MAX(province_code) AS province_code,
         {category} AS category, MAX(amt) AS amt
  FROM elig GROUP BY person_id
),"""
    insert = f"""
INSERT INTO payroll_payrollline (run_id, campaign_id, person_id, programme, period_month, category,
  coefficient_milli, level, amount, channel, payee, account_id, provider, provider_name, account_number,
  account_number_hash, holder_name, scope_commune_id, province_code, active, result, result_reason, paid_on)
SELECT %s, %s, x.person_id, '{CAMPAIGN_PROGRAMME}', %s, x.category, {milli_sql}, {level_sql}, x.amt,
  {ACCOUNT_COLUMNS}, x.scope_commune_id, x.province_code, TRUE, 'pending', '', NULL"""
    # Once per campaign: generate() holds the campaign's row lock, so nobody else inserts this campaign's
    # lines meanwhile, and this statement's NOT IN sees every line committed before; the partial unique
    # index payroll_line_campaign_once stays the guarantee (no ON CONFLICT: its speculative insertion
    # cost a quarter of the statement). Uncorrelated NOT IN: a hashed subplan read once (a correlated
    # probe would also scan the rows being inserted).
    not_taken = ("x.amt > 0 AND x.person_id NOT IN (SELECT l.person_id FROM payroll_payrollline l"
                 " WHERE l.campaign_id = %s AND l.active)")
    if connection.vendor == "postgresql":
        # The person's chosen account (generate.account_choice_sql's: the highest usable one) with its
        # snapshot columns in one ordered pass; rows in person order, so that the line table's indexes
        # on the person are filled left to right (in a hash join's order 5,000,000 lines spent most of
        # their time on random index pages evicted from the buffer cache: bench/RESULTS.md, 05/12/2026).
        sql = f"""{head}
usable AS (
  SELECT DISTINCT ON (a.person_id) a.person_id, a.id, a.provider, a.provider_name, a.account_number,
         a.account_number_hash, a.holder, a.holder_name
  FROM registry_paymentaccount a WHERE {_account_usable_sql()} ORDER BY a.person_id, a.id DESC
){insert}
FROM per x LEFT JOIN usable a ON a.person_id = x.person_id
WHERE {not_taken}
ORDER BY x.person_id
"""
    else:
        account_cte, account_expr, account_join = account_choice_sql("ch")
        sql = f"""{head}
{account_cte}
picked AS (
  SELECT ch.*, {account_expr} AS account_id FROM per ch {account_join}
){insert}
FROM picked x
LEFT JOIN registry_paymentaccount a ON a.id = x.account_id
WHERE {not_taken}
"""
    params += [run.pk, c.pk, run.period, c.pk]
    return sql, params


def insert_lines(run: PayrollRun) -> int:
    sql, params = lines_sql(run)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '256MB'")
            # the join estimates of a whole province are far above the rows (the person-account join
            # is read as many-to-many): JIT then compiled with full optimisation for 2.4 s of a
            # statement whose time is in writing rows (EXPLAIN ANALYZE at 5,000,000, 05/12/2026)
            cur.execute("SET LOCAL jit = off")
        cur.execute(sql, params)
        return cur.rowcount


# --------------------------------------------------------------------------- background job

@job_kind("payroll.campaign_generate")
def generate_job(params: dict, progress) -> dict:
    """Web entry: params {campaign_id, commune_id?, user_id}."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from ansinh.units.models import AdminUnit

    user = get_user_model().objects.filter(pk=params.get("user_id")).first()
    campaign = Campaign.objects.get(pk=params["campaign_id"])
    unit = AdminUnit.objects.filter(pk=params.get("commune_id")).first() if params.get("commune_id") else None
    progress.set_total(1, "Đang lập bảng chi của đợt chi")
    run = generate(campaign, commune=unit, user=user)
    return {"run": run.pk, "lines": run.summary.get("lines", 0), "total_vnd": run.summary.get("total_vnd", 0),
            "url": reverse("payroll:run", args=[run.pk])}


from ansinh.payroll.generate import FILLERS  # noqa: E402 - below the definitions it registers

FILLERS["campaign"] = insert_lines
