"""`ansinh campaign create|generate|list`: one-off payment campaigns (Tết gifts, national gifts,
emergency support). A campaign's run is then checked, approved, exported and reconciled with
`ansinh payroll approve|export|reconcile RUN` like a monthly run. Every write needs `--as USER`."""
from __future__ import annotations

import typer

from ansinh.cli import emit, fail
from ansinh.payroll.cli import AS_USER, _out, _print_run, _user
from ansinh.text.dates import parse_iso

app = typer.Typer(no_args_is_help=True, help="One-off payment campaigns: create, generate their runs.")


def _day(text: str, option: str):
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        fail(f"{option}: {text!r} is not YYYY-MM-DD")


def _money(text: str, option: str) -> int:
    digits = text.replace(".", "").replace(",", "").replace(" ", "")
    if not digits.isdigit():
        fail(f"{option}: {text!r} is not a whole number of đồng")
    return int(digits)


def campaign_out(c) -> dict:
    return {"campaign": c.pk, "name": c.name, "decision": c.decision_number,
            "decision_date": c.decision_date.isoformat(), "reference_date": c.reference_date.isoformat(),
            "province": c.province_code, "commune": c.scope_commune.code if c.scope_commune else None,
            "programmes": c.programmes, "categories": c.categories, "min_age": c.min_age, "max_age": c.max_age,
            "amount_kind": c.amount_kind, "amount": c.amount, "category_amounts": c.category_amounts,
            "level_multiple": c.level_milli / 1000 if c.level_milli else None,
            "pay_from": c.pay_from.isoformat(), "pay_to": c.pay_to.isoformat()}


@app.command("create")
def create_cmd(
    name: str = typer.Option(..., "--name", help="The campaign's name, printed on every file."),
    decision: str = typer.Option(..., "--decision", help="Number of the decision granting it."),
    reference_date: str = typer.Option(..., "--reference-date", help="YYYY-MM-DD: who is eligible on this day."),
    decision_date: str = typer.Option("", "--decision-date", help="YYYY-MM-DD (default: the reference date)."),
    amount: str = typer.Option("0", "--amount", help="Đồng per person (with --category: for categories not listed)."),
    category: list[str] = typer.Option([], "--category", help="CODE=AMOUNT, e.g. 5.5c=500000 (repeatable)."),
    level: float = typer.Option(0.0, "--level-multiple", help="× the standard level in force (e.g. 0.5)."),
    only: list[str] = typer.Option([], "--only-category", help="Eligible category codes (default: all)."),
    programme: list[str] = typer.Option([], "--programme", help="tcxh, nd176, art20 (default: tcxh and nd176)."),
    min_age: int = typer.Option(-1, "--min-age", help="Age reached in the reference month, at least."),
    max_age: int = typer.Option(-1, "--max-age", help="Age reached in the reference month, below."),
    pay_from: str = typer.Option("", "--pay-from", help="YYYY-MM-DD (default: the reference date)."),
    pay_to: str = typer.Option("", "--pay-to", help="YYYY-MM-DD (default: 30 days after pay-from)."),
    commune: str = typer.Option("", "--commune", help="Only this commune (default: the whole province)."),
    province: str = typer.Option("", "--province", help="Province code (default: the installation's)."),
    as_user: str = AS_USER,
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Create a campaign (a province officer): who is eligible, how much, when."""
    from ansinh.core.selectors import province_for
    from ansinh.core.services import current_unit
    from ansinh.payroll import campaigns

    user = _user(as_user)
    amounts = {}
    for item in category:
        code, sep, value = item.partition("=")
        if not sep:
            fail(f"--category: {item!r} is not CODE=AMOUNT")
        amounts[code.strip()] = _money(value, "--category")
    unit = None
    if commune:
        try:
            unit = current_unit(commune)
        except ValueError as exc:
            fail(str(exc))
    ref = _day(reference_date, "--reference-date")
    c = campaigns.create_campaign(
        user=user, name=name, decision_number=decision, reference_date=ref,
        decision_date=_day(decision_date, "--decision-date"), amount=_money(amount, "--amount"),
        category_amounts=amounts, level_milli=round(level * 1000) if level else None, programmes=programme or None,
        categories=only, min_age=min_age if min_age >= 0 else None, max_age=max_age if max_age >= 0 else None,
        pay_from=_day(pay_from, "--pay-from"), pay_to=_day(pay_to, "--pay-to"), commune=unit,
        province_code="" if unit else province_for(None, province))
    emit(campaign_out(c), json_out, lambda d: print(f"Đợt chi #{d['campaign']}: {d['name']} (QĐ {d['decision']})"))


@app.command("generate")
def generate_cmd(campaign_id: int = typer.Argument(...),
                 commune: str = typer.Option("", "--commune", help="One commune (default: the campaign's scope)."),
                 as_user: str = AS_USER, json_out: bool = typer.Option(False, "--json")) -> None:
    """Generate a draft run of the campaign (set-based), as the maker --as."""
    from ansinh.core.services import current_unit
    from ansinh.payroll import campaigns
    from ansinh.payroll.models import Campaign

    user = _user(as_user)
    c = Campaign.objects.filter(pk=campaign_id).first() if 0 < campaign_id < 2**63 else None
    if c is None:
        fail(f"no campaign {campaign_id}")
    unit = None
    if commune:
        try:
            unit = current_unit(commune)
        except ValueError as exc:
            fail(str(exc))
    run = campaigns.generate(c, commune=unit, user=user)
    emit({**_out(run), "campaign": c.pk, "name": c.name}, json_out, _print_run)


@app.command("list")
def list_cmd(json_out: bool = typer.Option(False, "--json")) -> None:
    """The campaigns, newest first."""
    from ansinh.payroll.models import Campaign

    rows = [campaign_out(c) for c in Campaign.objects.select_related("scope_commune")[:200]]
    emit(rows, json_out, lambda d: print("\n".join(f"#{r['campaign']} {r['reference_date']} {r['name']}" for r in d)))
